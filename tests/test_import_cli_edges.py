"""``evidence-locker import`` as people type it, on the files they really have (issue 18).

Each test drives the command line exactly as a user would, and each failed before the
change it covers: nothing a file holds may be dropped silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SHARED, records

FIXTURES = Path(__file__).parent / "fixtures" / "imports"

# A carrier itemised bill as the operator's web page exports it: title lines without a
# single comma, then the header row, then one row per call (GB18030, as Excel saves it).
CARRIER_BILL = """中国移动 通话详单
客户姓名：张三  手机号码：139****0000
查询周期：2025年02月01日至2025年02月28日
起始时间,通信地点,通信方式,对方号码,通信时长,通信类型,费用(元)
2025-02-09 21:30:00,上海,被叫,95577,15秒,本地,0.00
2025-02-09 22:45:00,上海,被叫,4008205555,1小时2分3秒,本地,0.00
2025-02-10 07:05:00,上海,主叫,13800138000,45,国内长途,0.00
"""


def test_a_carrier_bill_with_title_lines_is_recognised(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bill = tmp_path / "通话详单.csv"
    bill.write_bytes(CARRIER_BILL.encode("gb18030"))
    r = ready("import", str(bill), "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["format"] == "csv" and json.loads(r.out)["imported"] == 3
    calls = sorted(records(ready), key=lambda d: d["occurred_at"])
    assert [c["address"] for c in calls] == ["95577", "4008205555", "+8613800138000"]
    assert [c["duration_s"] for c in calls] == [15, 3723, 45]
    assert {c["channel"] for c in calls} == {"call"}


def test_a_tab_separated_bill_with_title_lines_finds_its_delimiter(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bill = tmp_path / "bill.txt"
    bill.write_bytes(CARRIER_BILL.replace(",", "\t").encode("gb18030"))
    r = ready("import", str(bill), "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["imported"] == 3


def test_an_unrecognised_file_names_the_formats_and_the_format_option(
    ready, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text\nand more\n", encoding="utf-8")
    r = ready("import", str(notes))
    assert r.code == 1 and "notes.txt" in r.err
    assert "--format" in r.err
    for name in ("sms-backup", "mbox", "csv", "wechat-csv", "gvoice-html"):
        assert name in r.err
    zh = ready("--lang", "zh", "import", str(notes))
    assert "--format" in zh.err and "无法识别" in zh.err


def test_a_row_too_short_for_the_mapping_is_rejected_with_its_line(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sheet = tmp_path / "sms.csv"
    sheet.write_text(
        "时间,号码,内容\n2025-02-09 10:00,95577,您的贷款已逾期\n2025-02-09 11:00\n"
        "2025-02-09 12:00,95577,请尽快还款\n",
        encoding="utf-8",
    )
    r = ready("import", str(sheet), "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["imported"] == 2
    (rejected,) = out["rejected"]
    assert rejected["line"] == 3 and "cell" in rejected["reason"]
    assert all(d["content"] for d in records(ready))
    text = ready("import", str(sheet), "--dry-run")
    assert "line 3" in text.out


def test_a_text_part_named_but_not_attached_is_the_body(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mail = tmp_path / "named.eml"
    mail.write_bytes(
        b"From: =?utf-8?b?5YKs5pS26YOo?= <notice@collector.example>\n"
        b"To: wang@example.cn\nSubject: notice\nDate: Sun, 09 Feb 2025 10:00:00 +0800\n"
        b"Message-ID: <named-1@collector.example>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
        b'Content-Type: text/plain; name="msg.1"; charset="utf-8"\n'
        b"Content-Transfer-Encoding: 8bit\n\n"
        + "三天内不还款就上门\n".encode()
        + b'--b1\nContent-Type: application/octet-stream; name="a.bin"\n\nxyz\n--b1--\n'
    )
    assert ready("import", str(mail)).code == 0
    hits = ready("search", "上门", "--json")
    assert hits.code == 0 and len(json.loads(hits.out)) == 1
    (record,) = records(ready)
    assert record["content"] == "三天内不还款就上门"
    assert "a.bin" in {a["name"] for a in record["attachments"]}


@pytest.mark.skipif(not (SHARED / "real-exports").is_dir(), reason="../shared not present")
def test_the_shared_mbox_message_with_a_named_text_part_is_searchable(ready) -> None:  # type: ignore[no-untyped-def]
    mbox = SHARED / "real-exports" / "mbox_mailutils_mbox1.mbox"
    assert ready("import", str(mbox)).code == 0
    hits = json.loads(ready("search", "crocodile", "--json").out)
    assert len(hits) == 1


def _mail(message_id: str, body: str, subject: str = "notice") -> bytes:
    return (
        f"From: notice@collector.example\nTo: wang@example.cn\nSubject: {subject}\n"
        f"Date: Sun, 09 Feb 2025 10:00:00 +0800\nMessage-ID: {message_id}\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


def test_two_mails_reusing_one_message_id_are_two_records(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    same_id = "<1@collector.example>"
    first, second = tmp_path / "first.eml", tmp_path / "second.eml"
    first.write_bytes(_mail(same_id, "第一封：请还款"))
    second.write_bytes(_mail(same_id, "第二封：我们将通知你的单位"))
    assert json.loads(ready("import", str(first), "--json").out)["imported"] == 1
    out = json.loads(ready("import", str(second), "--json").out)
    assert out["imported"] == 1 and out["duplicates"] == 0
    assert {r["content"] for r in records(ready)} == {
        "第一封：请还款",
        "第二封：我们将通知你的单位",
    }
    # The same message again, from a mailbox with CRLF line ends, is recognised.
    mbox = tmp_path / "inbox.mbox"
    mbox.write_bytes(
        b"From notice@collector.example Sun Feb  9 10:00:00 2025\r\n"
        + _mail(same_id, "第二封：我们将通知你的单位").replace(b"\n", b"\r\n")
    )
    again = json.loads(ready("import", str(mbox), "--json").out)
    assert again["imported"] == 0 and again["duplicates"] == 1


def test_dry_run_shows_the_records_it_would_import(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready("import", str(FIXTURES / "calls_zh.xml"), "--dry-run")
    assert r.code == 0 and "would import 9" in r.out
    lines = [line for line in r.out.splitlines() if "2025-" in line]
    assert len(lines) == 9, r.out
    assert any("call" in line and "95577" in line for line in lines)
    j = json.loads(ready("import", str(FIXTURES / "sms_backup_zh.xml"), "--dry-run", "--json").out)
    assert len(j["records"]) == j["imported"] == 11
    first = j["records"][0]
    assert set(first) >= {
        "occurred_at",
        "channel",
        "direction",
        "counterpart",
        "address",
        "preview",
    }
    assert any("逾期" in (rec["preview"] or "") for rec in j["records"])
    assert records(ready) == []


def test_a_truncated_backup_names_salvage_and_salvage_imports_the_whole_entries(
    ready, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    whole = FIXTURES / "sms_backup_zh.xml"
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.8)])
    r = ready("import", str(cut))
    assert r.code == 1 and "--salvage" in r.err and "line" in r.err
    assert records(ready) == []
    s = ready("import", str(cut), "--salvage", "--json")
    assert s.code == 0, s.err
    out = json.loads(s.out)
    assert 0 < out["read"] < 13 and out["salvaged"]["line"] > 1
    assert len(records(ready)) == out["imported"] > 0
    again = ready("import", str(cut), "--salvage")
    assert again.code == 0 and f"breaks off at line {out['salvaged']['line']}" in again.err
    assert ready("verify").code == 0
    # The whole file later adds exactly what the cut one lacked.
    rest = json.loads(ready("import", str(whole), "--json").out)
    assert rest["duplicates"] == out["imported"] and len(records(ready)) == 11


def test_only_from_takes_a_comma_list(ready) -> None:  # type: ignore[no-untyped-def]
    path = str(FIXTURES / "calls_zh.xml")
    listed = json.loads(
        ready("import", path, "--only-from", "95577,13800138000", "--dry-run", "--json").out
    )
    repeated = json.loads(
        ready(
            "import",
            path,
            "--only-from",
            "95577",
            "--only-from",
            "13800138000",
            "--dry-run",
            "--json",
        ).out
    )
    assert listed["imported"] == repeated["imported"] >= 2
    assert {r["address"] for r in listed["records"]} == {"95577", "+8613800138000"}


def test_keyword_in_traditional_matches_simplified_text(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sheet = tmp_path / "sms.csv"
    sheet.write_text(
        "时间,号码,内容\n2025-02-09 10:00,95577,请尽快还款\n2025-02-09 11:00,95577,天气很好\n",
        encoding="utf-8",
    )
    out = json.loads(ready("import", str(sheet), "--keyword", "還款", "--json").out)
    assert out["imported"] == 1 and out["filtered"] == 1
    assert records(ready)[0]["content"] == "请尽快还款"
