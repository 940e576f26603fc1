"""Google Voice Takeout pages: conversations, calls, voicemail, attachments beside the page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from evidence_locker.errors import FormatError
from evidence_locker.importers import ImportOptions, Rejected, detect_format, open_importer
from evidence_locker.model import Channel, ContactDraft, Direction, Outcome

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "gvoice"
REAL = Path("/work/shared/real-exports")
OPTIONS = ImportOptions(timezone="Asia/Shanghai")


def parse(path: Path) -> list[ContactDraft | Rejected]:
    return list(open_importer(path, options=OPTIONS).iter_drafts())


def test_conversation_directions_text_and_mms_image() -> None:
    page = FIXTURES / "催收小王 - Text - 2025-02-09T02_00_00Z.html"
    assert detect_format(page) == "gvoice-html"
    items = parse(page)
    drafts = [i for i in items if isinstance(i, ContactDraft)]
    assert [d.direction for d in drafts] == [
        Direction.INCOMING,
        Direction.OUTGOING,
        Direction.INCOMING,
    ]
    first = drafts[0]
    assert first.channel is Channel.SMS
    assert first.content == "今天下午五点前还款，否则我们<上门>拜访 & 通知你的单位"
    assert (first.counterpart, first.address) == ("催收小王", "+8613800138000")
    assert first.occurred_at.utcoffset() == timedelta(hours=8)
    # The user's own message is addressed to the other party of the conversation.
    assert (drafts[1].counterpart, drafts[1].address) == ("催收小王", "+8613800138000")
    (image,) = drafts[2].attachments
    assert image.name.endswith("-1-1.png") and image.mime == "image/png"
    assert image.data is not None and image.data.startswith(b"\x89PNG")
    (bad,) = [i for i in items if isinstance(i, Rejected)]
    assert (bad.entry, bad.reason) == ("message #4", "import.bad_date")


def test_placed_call() -> None:
    (call,) = parse(FIXTURES / "XX银行 - Placed - 2025-02-09T03_00_00Z.html")
    assert isinstance(call, ContactDraft)
    assert (call.channel, call.direction, call.outcome) == (
        Channel.CALL,
        Direction.OUTGOING,
        Outcome.CONNECTED,
    )
    assert (call.address, call.counterpart, call.duration_s) == ("95577", "XX银行", 65)


def test_html_that_is_not_takeout(tmp_path: Path) -> None:
    page = tmp_path / "x.html"
    page.write_text("<html><body><p>hello</p></body></html>", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        list(open_importer(page, format="gvoice-html", options=OPTIONS).iter_drafts())
    assert info.value.key == "import.bad_gvoice"


def test_attachment_names_cannot_leave_the_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    sub = tmp_path / "takeout"
    sub.mkdir()
    page = sub / "p.html"
    page.write_text(
        '<div class="hChatLog"><div class="message"><abbr class="dt" '
        'title="2025-02-09T10:00:00+08:00">x</abbr><cite class="sender vcard">'
        '<a class="tel" href="tel:+8613800138000"><span class="fn">A</span></a></cite>'
        '<q>hi</q><div><img src="../secret.txt"/><img src="*"/></div></div></div>',
        encoding="utf-8",
    )
    (draft,) = list(open_importer(page, options=OPTIONS).iter_drafts())
    assert isinstance(draft, ContactDraft) and draft.attachments == ()
    assert "secret.txt" in (draft.notes or "")


@pytest.mark.skipif(not REAL.is_dir(), reason="real exports not available")
def test_real_takeout_pages() -> None:
    drafts = parse(REAL / "gvoice_takeout_text_sms_mms_emoji.html")
    assert [d.content for d in drafts if isinstance(d, ContactDraft)] == [
        "doing just fine. I moved to Florida",
        "MMS Sent",
        "💚",
        "all that space",
        "Thank you 🙏",
    ]
    assert all(isinstance(d, ContactDraft) and d.counterpart == "Tony Smehrik" for d in drafts)
    (vm,) = parse(REAL / "gvoice_takeout_voicemail.html")
    assert isinstance(vm, ContactDraft)
    assert (vm.outcome, vm.duration_s, vm.address) == (Outcome.VOICEMAIL, 18, "+11111111111")
    assert vm.content is not None and vm.content.startswith("Hi Peter, this is Sleve Mcdichael.")
    assert vm.occurred_at.utcoffset() == timedelta(hours=-7)
