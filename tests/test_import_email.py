"""E-mail import: .eml and mbox, encodings, attachments, direction, fingerprints."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from evidence_locker.errors import FormatError
from evidence_locker.importers import ImportOptions, Rejected, open_importer
from evidence_locker.importers.email_import import decode_header_text
from evidence_locker.model import Channel, ContactDraft, Direction

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
REAL = Path("/work/shared/real-exports")


def parse(path: Path, **kwargs: object) -> list[ContactDraft | Rejected]:
    options = ImportOptions(**{"timezone": "Asia/Shanghai", **kwargs})  # type: ignore[arg-type]
    return list(open_importer(path, options=options).iter_drafts())


def test_gbk_labelled_gb2312_and_rfc2231_names() -> None:
    (draft,) = parse(FIXTURES / "email_gbk_rfc2231.eml")
    assert isinstance(draft, ContactDraft)
    assert draft.channel is Channel.EMAIL and draft.direction is Direction.INCOMING
    assert draft.subject == "逾期通知－镕"  # 镕 exists only in GBK/GB18030, label says gb2312
    assert draft.counterpart == "催收部"
    assert draft.address == "notice@collector.example"  # lower-cased
    assert draft.occurred_at.utcoffset() == timedelta(hours=8)
    assert draft.content is not None and "镕（GBK 才有的字）" in draft.content
    assert "\r" not in draft.content
    names = [a.name for a in draft.attachments]
    assert names == ["还款计划.csv", "催收函.pdf", "message.eml"]
    assert draft.attachments[0].data == "还款计划表,金额\r\n2025-03,1000\r\n".encode()
    assert draft.attachments[1].data == b"%PDF-1.4\n%fake\n"
    raw = (FIXTURES / "email_gbk_rfc2231.eml").read_bytes()
    assert draft.attachments[-1].data == raw and draft.attachments[-1].mime == "message/rfc822"
    assert draft.source is not None
    assert draft.source.entry == "Message-ID <20250209100000.12345@collector.example>"
    assert "王先生" in (draft.notes or "")  # To: kept, decoded


def test_html_only_mail_becomes_readable_text() -> None:
    (draft,) = parse(FIXTURES / "email_html_only.eml")
    assert isinstance(draft, ContactDraft)
    assert draft.subject == "最后通知 Final notice"
    assert draft.content == "王先生：\n\nPay today & avoid legal action.\n\n联系电话 400-820-5555"
    assert "alert" not in draft.content and "color" not in draft.content
    assert draft.occurred_at.utcoffset() == timedelta(hours=-5)  # the sender's offset kept


def test_own_address_makes_it_outgoing() -> None:
    items = parse(FIXTURES / "mailbox.mbox", own_addresses=("Wang@Example.cn",))
    drafts = [i for i in items if isinstance(i, ContactDraft)]
    assert [d.direction for d in drafts] == [
        Direction.INCOMING,
        Direction.OUTGOING,
        Direction.INCOMING,
    ]
    reply = drafts[1]
    assert (reply.counterpart, reply.address) == ("Collections", "collect@collector.example")


def test_mbox_messages_quoting_and_from_line_date() -> None:
    drafts = [i for i in parse(FIXTURES / "mailbox.mbox") if isinstance(i, ContactDraft)]
    assert [d.subject for d in drafts] == [
        "第一封",
        "Re: stop",
        "no Date header, the From_ line gives it",
    ]
    assert drafts[0].content == "第一封催收邮件。\nFrom the desk of the manager: pay now."
    assert drafts[2].occurred_at.isoformat() == "2025-02-10T11:00:00+08:00"
    assert drafts[2].source is not None and drafts[2].source.entry == "message #3"


def test_mbox_and_eml_of_the_same_message_share_a_fingerprint(tmp_path: Path) -> None:
    mbox = FIXTURES / "mailbox.mbox"
    text = mbox.read_text(encoding="utf-8")
    single = tmp_path / "one.eml"
    single.write_text(text.split("\n\n", 0)[0].split("From wang@")[0].split("\n", 1)[1])
    (eml,) = parse(single)
    first = parse(mbox)[0]
    assert isinstance(eml, ContactDraft) and isinstance(first, ContactDraft)
    assert eml.source and first.source and eml.source.fingerprint == first.source.fingerprint


def test_wrong_charset_label_falls_back(tmp_path: Path) -> None:
    mail = tmp_path / "big5.eml"
    mail.write_bytes(
        b"From: a@b.example\nDate: Sun, 9 Feb 2025 10:00:00 +0800\nSubject: x\n"
        b"Content-Type: text/plain; charset=no-such-charset\n\n"
        + "您的借款已经逾期，请尽快联系我们处理还款事宜，否则将采取进一步措施。".encode("gb18030")
    )
    (draft,) = parse(mail)
    assert isinstance(draft, ContactDraft)
    assert draft.content == "您的借款已经逾期，请尽快联系我们处理还款事宜，否则将采取进一步措施。"


def test_message_without_date_is_rejected(tmp_path: Path) -> None:
    mail = tmp_path / "nodate.eml"
    mail.write_bytes(b"From: a@b.example\nSubject: hi\nTo: c@d.example\n\nbody\n")
    (item,) = parse(mail)
    assert isinstance(item, Rejected) and item.reason == "import.bad_date"


def test_not_an_mbox(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mbox"
    bad.write_text("hello\nFrom x\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        list(open_importer(bad, format="mbox", options=ImportOptions(timezone="UTC")).iter_drafts())
    assert "bad.mbox" in str(info.value) and "line 1" in str(info.value)


def test_oversized_message_is_rejected(tmp_path: Path) -> None:
    mail = tmp_path / "big.eml"
    mail.write_bytes(b"From: a@b.example\nDate: Sun, 9 Feb 2025 10:00:00 +0800\n\n" + b"x" * 5000)
    (item,) = parse(mail, max_message_bytes=1000)
    assert isinstance(item, Rejected) and item.reason == "import.too_large"


def test_decode_header_text_joins_folded_words() -> None:
    raw = "=?gb2312?B?tPq/qrj3tdjU9ta1y7C3osax?=\n =?utf-8?Q?_OK?="
    assert decode_header_text(raw) == "代开各地增值税发票 OK"


@pytest.mark.skipif(not REAL.is_dir(), reason="real exports not available")
def test_real_emails() -> None:
    (spam,) = parse(REAL / "eml_gb2312_header_utf8_body_spam.eml")
    assert isinstance(spam, ContactDraft)
    assert (spam.counterpart, spam.subject) == ("张先生", "代开各地增值税发票")
    assert spam.content is not None and spam.content.startswith("你好！我公司可代开各类增值税发票")
    assert "danglüe@email.com" in (spam.notes or "")
    (html,) = parse(REAL / "eml_gb2312_base64_html_spam.eml")
    assert isinstance(html, ContactDraft) and html.subject and "\ufffd" not in html.subject
    assert html.content and "<" not in html.content
    (names,) = parse(REAL / "eml_attachment_filenames_rfc2231_gb2312.eml")
    assert isinstance(names, ContactDraft)
    got = [a.name for a in names.attachments]
    assert got[0] == "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz012345.txt"
    assert got[1] == "文字.txt" and got[2] == "£ rates.txt"
    stem = got[3].removesuffix(".txt")  # ten folded gb2312 encoded-words, split mid-character
    assert stem and stem.replace("文字", "") == "" and len(stem) > 100
    # name= fallback; filename over name; filename* over filename; filename over
    # filename*0..n; filename* over filename*0..n (RFC 2231 / RFC 6266 preference)
    assert got[4:] == ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "message.eml"]
    mbox = [i for i in parse(REAL / "mbox_mailutils_mbox1.mbox") if isinstance(i, ContactDraft)]
    assert [d.subject for d in mbox] == [
        "Jabberwocky",
        "Re: Jabberwocky",
        "Simple MIME",
        "Nested MIME",
        "Empty MIME Parts",
    ]
    assert len(mbox[3].attachments) == 5
