"""Everyday input as people type it (issue 18): numbers however written in every
--counterpart filter, what `log` requires, and the small things around it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest


def listed(cli, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = cli("list", "--json", *args)
    assert r.code == 0, r.err
    return json.loads(r.out)


NUMBER_SPELLINGS = ["138 0013 8000", "+86 13800138000", "13800138000", "138-0013-8000"]


@pytest.fixture
def two_callers(ready):  # type: ignore[no-untyped-def]
    """Night calls from two numbers; the first logged as people type it."""
    for number, marker in (("138 0013 8000", "markeralpha"), ("13900139000", "markerbeta")):
        r = ready(
            "log",
            "call",
            "--number",
            number,
            "--at",
            "2026-02-10 23:30",  # the CBA guideline (night rule) is in force from 2026-01-30
            "--content",
            f"催收 {marker}",
        )
        assert r.code == 0, r.err
    return ready


@pytest.mark.parametrize("typed", NUMBER_SPELLINGS)
def test_list_and_search_counterpart_take_a_number_however_written(two_callers, typed) -> None:  # type: ignore[no-untyped-def]
    assert [d["content"] for d in listed(two_callers, "--counterpart", typed)] == [
        "催收 markeralpha"
    ]
    found = json.loads(two_callers("search", "催收", "--counterpart", typed, "--json").out)
    assert [d["content"] for d in found] == ["催收 markeralpha"]


def test_check_and_export_counterpart_take_a_number_however_written(
    two_callers, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    wanted = listed(two_callers, "--counterpart", "13800138000")[0]["record_id"]
    for typed in ("138 0013 8000", "+86 13800138000"):
        r = two_callers("check", "--rules", "cn", "--counterpart", typed, "--json")
        assert r.code == 0, r.err
        flagged = {rid for f in json.loads(r.out)["findings"] for rid in f["records"]}
        assert flagged == {wanted}  # the night call of that number, not the other's
    out = tmp_path / "d.pdf"
    r = two_callers(
        "export", "pdf", "-o", str(out), "--no-flags", "--counterpart", "+86 138 0013 8000"
    )
    assert r.code == 0, r.err
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(str(out)).pages)
    assert "markeralpha" in text and "markerbeta" not in text


def test_counterpart_names_still_match_as_text(ready) -> None:  # type: ignore[no-untyped-def]
    assert ready("log", "call", "--number", "95577", "--counterpart", "王经理 工号1024").code == 0
    assert len(listed(ready, "--counterpart", "王经理")) == 1
    assert len(listed(ready, "--counterpart", "1024")) == 1  # a staff number is text too
    assert listed(ready, "--counterpart", "10086") == []


def test_log_email_needs_no_address(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready("log", "email", "--content", "请于三日内还款，否则将上门")
    assert r.code == 0, r.err
    assert listed(ready)[0]["content"] == "请于三日内还款，否则将上门"
    assert ready("log", "email", "--subject", "Final notice").code == 0


def test_missing_options_are_named_at_once_and_marked_in_help(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready("log", "sms")
    assert r.code == 2
    assert "log sms needs --content and --number (or --org)" in r.err
    assert "evidence-locker log sms --help" in r.err
    r = ready("--lang", "zh", "log", "email")
    assert r.code == 2 and "记录 email 还需要 --content (或 --subject)" in r.err
    assert listed(ready) == []
    help_text = " ".join(ready("log", "sms", "--help").out.split())
    assert "[required]" in help_text  # --content
    assert "[required, or --org]" in help_text  # --number
    assert (
        "[required"
        not in " ".join(ready("log", "visit", "--help").out.split()).split("--location")[0]
    )
    log_help = ready("log", "--help").out
    assert "Log an email." in log_help and "Log a email" not in log_help
    assert "Log an SMS." in log_help


PASTED = "95577\n2025/2/9 18:43\n【XX农商银行】您的贷款已逾期，请尽快还款。回复TD退订\n"


def test_log_sms_paste_takes_signature_number_and_time(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready("log", "sms", "--paste", input=PASTED)
    assert r.code == 0, r.err
    record = listed(ready)[0]
    assert record["organisation"] == "XX农商银行"
    assert record["address"] == "95577"
    assert (record["occurred_at"], record["time_known"]) == ("2025-02-09T18:43:00+08:00", True)
    assert record["content"] == "【XX农商银行】您的贷款已逾期，请尽快还款。回复TD退订"
    # not at a terminal: no question, but it says what it took
    assert "Read from the pasted text" in r.err
    assert "XX农商银行" in r.err and "95577" in r.err and "2025-02-09 18:43" in r.err


def test_content_on_stdin_with_no_options_is_a_paste(ready) -> None:  # type: ignore[no-untyped-def]
    text = (
        "发件人：+86 138 0013 8000\n"
        "您好，我是XX金融的客服，请今天之内处理欠款。【XX金融】\n"
        "昨天 下午3点\n"
    )
    r = ready("--lang", "zh", "log", "sms", input=text)
    assert r.code == 0, r.err
    record = listed(ready)[0]
    assert record["organisation"] == "XX金融" and record["address"] == "+8613800138000"
    assert record["occurred_at"][11:16] == "15:00"
    assert record["content"] == "您好，我是XX金融的客服，请今天之内处理欠款。【XX金融】"
    assert "从粘贴的文本中识别出" in r.err


def test_a_paste_without_a_time_is_now_and_options_win(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready("log", "sms", "--paste", "--org", "某催收公司", input="【XX银行】请联系 4008123456\n")
    assert r.code == 0, r.err
    record = listed(ready)[0]
    assert record["organisation"] == "某催收公司"  # typed options win over the paste
    assert record["address"] is None  # a number inside the message is not the sender
    assert "now (no time in the text" in r.err


@pytest.mark.parametrize("pasted", ["", "95577\n2025-02-09 18:43\n"])
def test_a_paste_without_a_message_is_refused(ready, pasted: str) -> None:  # type: ignore[no-untyped-def]
    r = ready("log", "sms", "--paste", input=pasted)
    assert r.code == 2 and "no message" in r.err
    assert listed(ready) == []


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    from evidence_locker import __version__

    r = cli("--version")
    assert r.code == 0 and r.out.strip() == f"evidence-locker {__version__}"


@pytest.mark.parametrize("word", ["q", "Q", ":q", "exit", "退出", ""])
def test_search_interactive_ends_on_quit_words(ready, word: str) -> None:  # type: ignore[no-untyped-def]
    assert ready("log", "sms", "--number", "95577", "--content", "逾期 overdue").code == 0
    r = ready("search", "-i", "--json", input=f"逾期\n{word}\noverdue\n")
    assert r.code == 0, r.err
    assert r.out.count('"content"') == 1  # one search, then it ended


def test_a_short_id_asks_for_four_characters(ready) -> None:  # type: ignore[no-untyped-def]
    assert ready("log", "sms", "--number", "95577", "--content", "x").code == 0
    short = listed(ready)[0]["id"][:3]
    for args in (("show", short), ("correct", short, "--content", "y", "--reason", "z")):
        r = ready(*args)
        assert r.code == 2 and "give at least 4 characters" in r.err
    r = ready("--lang", "zh", "show", short)
    assert r.code == 2 and "至少输入 4 位" in r.err


def test_init_warns_about_a_short_passphrase_from_the_environment(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("init", env={"EVIDENCE_LOCKER_PASSPHRASE": "abc123"})
    assert r.code == 0
    assert "only 6 characters" in r.err and "at least 12" in r.err


def test_list_csv_neutralises_spreadsheet_formulas(ready) -> None:  # type: ignore[no-untyped-def]
    hostile = ['=HYPERLINK("http://x.example","点击")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
    hostile += ["\tTAB", "\rCR", "普通内容 plain"]
    for text in hostile:
        assert ready("log", "sms", "--number", "95577", "--content", text).code == 0
    rows = list(csv.DictReader(io.StringIO(ready("list", "--csv").out)))
    cells = [row["content"] for row in rows]
    assert cells[:-1] == ["'" + text for text in hostile[:-1]]
    assert cells[-1] == "普通内容 plain"
    assert rows[0]["address"] == "95577"
    assert not any(
        cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values()
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("show",), 2),  # a missing argument
        (("list", "--bogus"), 2),  # an unknown option
        (("--lang", "fr", "list"), 2),
        (("log", "sms", "--number", "1", "--content", "x", "--at", "tomorrow"), 2),
        (("show", "abc"), 2),  # too short an id
        (("show", "abcdef12"), 1),  # no such record
        (("attach", "abcdef12", "/no/such/file.png"), 1),
    ],
)
def test_exit_codes_two_for_usage_one_for_failures(ready, args, code: int) -> None:  # type: ignore[no-untyped-def]
    r = ready(*args)
    assert r.code == code, r
    assert "Traceback" not in r.err


def test_a_wrong_passphrase_from_the_environment_fails_at_once(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready("list", env={"EVIDENCE_LOCKER_PASSPHRASE": "not it at all"})
    assert r.code == 1 and r.err.count("wrong passphrase") == 1


def test_search_reads_at_80_columns(ready) -> None:  # type: ignore[no-untyped-def]
    """A hit's heading and text are broken where a reader allows, as check's report
    is: no number or word cut across lines, continuation lines indented under it."""
    from rich.cells import cell_len

    content = (
        "深圳市鼎信资产管理有限公司通知：閣下的賬戶已轉交本公司追收，請致電138-0013-8000"
        "聯絡赵组长。FINAL NOTICE: pay 86015 by 2027-01-19 or we will report you."
    )
    r = ready(
        "log", "sms", "--number", "13800138000", "--org", "农商银行 / 深圳市鼎信资产管理有限公司",
        "--at", "2026-02-10 15:54", "--content", content,
    )  # fmt: skip
    assert r.code == 0, r.err
    for lang in ("en", "zh"):
        out = ready("--lang", lang, "search", "追收", env={"COLUMNS": "80"}).out
        lines = out.splitlines()
        assert all(cell_len(line) <= 80 for line in lines), out
        assert all(line == line.rstrip() for line in lines), out  # no trailing padding
        joined = "\n".join(lines)
        assert "138-0013-8000" in joined and "+8613800138000" in joined, out
        assert "2027-01-19" in joined, out
        # the heading goes on under its own text; the hit's text under its indent
        head = next(i for i, line in enumerate(lines) if "+86" in line or "农商银行" in line)
        assert lines[head + 1].startswith(" " * 10), out


def test_show_reads_at_80_columns(ready) -> None:  # type: ignore[no-untyped-def]
    """show's fields and text are broken where a reader allows, values under their
    own column, with no trailing padding (a copied id or hash pastes as it reads)."""
    from rich.cells import cell_len

    notes = "催收员说如果今天不还款12000元就会联系我的单位领导和家人，还说要上门。" * 2
    content = (
        "深圳市鼎信资产管理有限公司通知：閣下的賬戶已轉交本公司追收，"
        "請致電138-0013-8000聯絡赵组长。"
    )
    r = ready(
        "log", "sms", "--number", "13800138000", "--org", "农商银行",
        "--at", "2026-02-10 15:54", "--content", content, "--notes", notes, "--json",
    )  # fmt: skip
    record = json.loads(r.out)["record_id"]
    for lang in ("en", "zh"):
        out = ready("--lang", lang, "show", record, env={"COLUMNS": "80"}).out
        lines = out.splitlines()
        assert all(cell_len(line) <= 80 for line in lines), out
        assert all(line == line.rstrip() for line in lines), out
        assert any(line.endswith(record) for line in lines), out
        joined = "\n".join(lines)
        assert "138-0013-8000" in joined and "12000元" in joined, out
        # a value's later lines start under its first, past the labels
        at = next(i for i, line in enumerate(lines) if "催收员" in line)
        column = cell_len(lines[at][: lines[at].index("催收员")])
        assert len(lines[at + 1]) - len(lines[at + 1].lstrip(" ")) == column, out
