"""The check and rules commands end to end: a real locker, the CLI run in-process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from evidence_locker.locale.messages import t
from evidence_locker.rules.ruleset import CONFIDENCES

MY_RULES = """
jurisdiction = "MINE"
name = "mine"
title_en = "my rules"
title_zh = "我的规则"

[[rules]]
id = "MY-LUNCH"
kind = "quiet_hours"
instrument = "My agreement with the bank"
article = "clause 3"
description_en = "No calls at lunch."
description_zh = "午饭时间不打电话。"
source_url = "https://example.org/agreement"
confidence = "V"
severity = "low"
[rules.params]
start = "12:00"
end = "13:00"
"""


def _report(result) -> dict:  # type: ignore[no-untyped-def]
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["format"] == "evidence-locker/check" and data["version"] == 2
    return data


def _flags(result) -> list[dict]:  # type: ignore[no-untyped-def]
    return _report(result)["findings"]


def _logged(result) -> str:  # type: ignore[no-untyped-def]
    """The record id of ``log ... --json``."""
    assert result.code == 0, result.err
    return json.loads(result.out)["record_id"]


def _by_rule(flags: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in flags:
        for rule in f["rules"]:
            out.setdefault(rule, []).append(f)
    return out


def _history(locker_dir: Path) -> dict[str, object]:
    """A night call, seven unanswered calls from rotating numbers, a report by mother:
    logged through the library in one unlocking (the CLI would unlock nine times)."""
    from datetime import datetime

    from evidence_locker.locker import Locker
    from evidence_locker.model import Channel, ContactDraft, Outcome
    from tests.conftest import PASSPHRASE, SHANGHAI

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)

    locker, _ = Locker.create(locker_dir, PASSPHRASE)
    with locker:
        night = locker.log(
            ContactDraft(
                Channel.CALL,
                at("2026-02-09 22:47"),
                organisation="XX银行",
                address="+8613800138000",
                content="还款提醒",
                duration_s=330,
            )
        ).record_id
        flood = [
            locker.log(
                ContactDraft(
                    Channel.CALL,
                    at(f"2026-02-10 09:{i:02d}"),
                    organisation="XX银行",
                    address=f"+86138001381{i:02d}",
                    outcome=Outcome.MISSED,
                )
            ).record_id
            for i in range(7)
        ]
        mum = locker.log(
            ContactDraft(
                Channel.SMS,
                at("2026-02-10 12:30"),
                address="10690000",
                content="请转告你儿子尽快还款",
                third_party="母亲",
            )
        ).record_id
    return {"night": night, "flood": flood, "mum": mum}


def test_check_json_is_one_finding_per_record_and_kind(cli, locker_dir, tmp_path: Path):  # type: ignore[no-untyped-def]
    h = _history(locker_dir)
    night, flood, mum = h["night"], h["flood"], h["mum"]
    report = _report(cli("check", "--rules", "cn", "--json"))
    assert report["time_zone"] == {
        "name": "Asia/Shanghai",
        "source": "option",
        "text": report["time_zone"]["text"],
    }
    assert (
        report["rule_sets"][0]["name"] == "cn" and report["rule_sets_chosen"]["source"] == "option"
    )
    flags = report["findings"]
    rules = _by_rule(flags)
    keys = {"id", "kind", "rules", "records", "reason", "reasons", "sources", "severity"}
    assert all(keys <= set(f) and f["possible"] is True for f in flags)
    [time_flag] = rules["CN-CBA-TIME"]
    assert time_flag["records"] == [night] and time_flag["rules"] == ["CN-CBA-TIME", "CN-GB-TIME"]
    assert "22:47" in time_flag["reason"] and "22:00–08:00" in time_flag["reason"]
    assert time_flag["severity"] == "medium"
    assert [s["confidence"] for s in time_flag["sources"]] == ["S", "S"]
    assert "China Banking Association" in time_flag["sources"][0]["citation"]
    [freq] = rules["CN-CBA-FREQ"]
    assert freq["records"] == flood and "7th unanswered call on 2026-02-10" in freq["reason"]
    assert "from 7 numbers" in freq["reason"]  # one collector, seven numbers
    [third] = rules["CN-CBA-3P"]
    assert third["records"] == [mum] and "母亲" in third["reason"]
    assert "MY-LUNCH" not in rules  # only the named set
    # In Chinese, the sources are Chinese too (the instrument keeps its original title).
    zh = _report(cli("--lang", "zh", "check", "--rules", "cn", "--json"))
    [zh_time] = _by_rule(zh["findings"])["CN-CBA-TIME"]
    assert zh_time["sources"][0]["citation"].startswith(
        "中国银行业协会《金融机构个人消费类贷款催收"
    )
    assert "已核对原文" not in zh_time["sources"][0]["confidence_text"]
    assert zh_time["kind_label"] == "夜间或不便时间联系"

    # --since narrows what is shown: the night call of the 9th is gone, the flood stays.
    since = _by_rule(_flags(cli("check", "--rules", "cn", "--since", "2026-02-10", "--json")))
    assert "CN-CBA-TIME" not in since and "CN-CBA-FREQ" in since

    # A rule file alone: only its rules. The SMS at 12:30 is inside its lunch window.
    mine = tmp_path / "mine.toml"
    mine.write_text(MY_RULES, encoding="utf-8")
    own = _flags(cli("check", "--rules-file", str(mine), "--json"))
    assert [(f["rules"], f["records"]) for f in own] == [(["MY-LUNCH"], [mum])]

    # Official numbers: a call "from XX银行" on a mobile number is a possible scam sign.
    numbers = tmp_path / "numbers.toml"
    numbers.write_text('["XX银行"]\nnumbers = ["95588"]\n', encoding="utf-8")
    scam = _by_rule(_flags(cli("check", "--rules", "cn,uk", "--numbers", str(numbers), "--json")))
    assert night in [r for f in scam["CN-SCAM"] for r in f["records"]]
    assert "not among the official numbers" in scam["CN-SCAM"][0]["reason"]
    assert "UK-TIME-ANALOG" in scam  # the comma list named two sets


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_check_report_reads_at_80_columns(cli, locker_dir, lang):  # type: ignore[no-untyped-def]
    h = _history(locker_dir)
    out = cli("--lang", lang, "check", env={"COLUMNS": "80"})
    assert out.code == 0, out.err
    lines = out.out.splitlines()
    # Columns as a terminal counts them (a Chinese character takes two); no padding.
    assert max(cell_len(line) for line in lines) <= 80
    assert not [line for line in lines if line != line.rstrip()]
    assert not [line for line in lines if line.endswith(("(score", "（评分"))]
    text = out.out
    # Which law and whose clock, how to read the marks, then blocks by group.
    if lang == "en":
        assert "chosen from the records" in text and "Asia/Shanghai" in text
        assert "[V] read in the primary text" in text and "score" in text
        assert "Why it may breach" in text and "Sources" in text and "[S] China Banking" in text
        assert "XX银行 · too many contacts · 1 finding(s)" in text
        assert "(lasted 5 min 30 s)" in text  # a duration, never a bare "5:30"
    else:
        assert "根据记录选择" in text and "Asia/Shanghai" in text
        assert "[V] 已核对原文" in text and "评分" in text
        assert "可能违规的原因" in text and "依据" in text and "中国银行业协会《" in text
        assert "XX银行 · 联系过于频繁 · 1 项" in text
        assert "（通话5分30秒）" in text
        assert "possible" not in text and "Possible" not in text
    # Worst first: the high third-party finding before the medium night call.
    assert text.index(h["mum"][:8]) < text.index(h["night"][:8])
    # The caller's number in groups, as list and the dossier print it.
    assert "+86 138 0013 8000" in text and "+8613800138000" not in text


def test_check_report_uses_a_table_on_a_wide_terminal(cli, locker_dir):  # type: ignore[no-untyped-def]
    _history(locker_dir)
    wide = cli("check", env={"COLUMNS": "160"})
    assert wide.code == 0 and "┃" in wide.out and "Why it may breach" in wide.out
    assert max(len(line) for line in wide.out.splitlines()) <= 160


def test_deleted_and_corrected_records_are_judged_by_their_latest_version(cli):  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    gone = _logged(
        cli("log", "call", "--number", "13800138000", "--at", "2026-02-09 23:00", "--json")
    )
    moved = _logged(
        cli("log", "call", "--number", "13800138000", "--at", "2026-02-09 23:30", "--json")
    )
    before = _by_rule(_flags(cli("check", "--rules", "cn", "--json")))
    assert {f["records"][0] for f in before["CN-CBA-TIME"]} == {gone, moved}

    assert cli("delete", gone, "--reason", "logged twice").code == 0
    corrected = cli("correct", moved, "--at", "2026-02-09 10:00", "--reason", "wrong time")
    assert corrected.code == 0, corrected.err

    assert _flags(cli("check", "--rules", "cn", "--json")) == []
    human = cli("check", "--rules", "cn")
    assert human.code == 0
    assert "No possible issues found in 1 record(s)" in human.out


def test_an_event_before_the_selection_still_counts(cli):  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    letter = _logged(
        cli(
            "log", "letter", "--direction", "outgoing", "--event", "cease_request",
            "--org", "ACME Collections", "--at", "2025-06-01 10:00", "--json",
        )
    )  # fmt: skip
    call = _logged(
        cli(
            "log", "call", "--number", "+1 202 555 0100", "--org", "ACME Collections",
            "--at", "2025-06-10 10:00", "--json",
        )
    )  # fmt: skip
    shown = _by_rule(_flags(cli("check", "--rules", "us", "--since", "2025-06-05", "--json")))
    assert [f["records"] for f in shown["US-CEASE"]] == [[call, letter]]
    assert "2025-06-01" in shown["US-CEASE"][0]["reason"]
    # The header counts the selection only: the letter before --since is not "about".
    human = cli("check", "--rules", "us", "--since", "2025-06-05", env={"COLUMNS": "200"})
    assert "1 finding(s) about 1 of 1 record(s)" in human.out, human.out
    assert _flags(cli("check", "--rules", "us", "--org", "Other Agency", "--json")) == []


def test_us_law_on_chinese_records_is_said_so(cli, locker_dir):  # type: ignore[no-untyped-def]
    _history(locker_dir)
    report = _report(cli("check", "--rules", "us", "--json"))
    [note] = [n for n in report["notes"] if n["kind"] == "region_mismatch"]
    assert "from China" in note["text"] and "--rules cn" in note["text"]
    human = cli("check", "--rules", "us", env={"COLUMNS": "80"})
    assert "not the law of China" in " ".join(human.out.split())
    zh = "".join(cli("--lang", "zh", "check", "--rules", "us", env={"COLUMNS": "80"}).out.split())
    assert "并非中国的规定" in zh and "个中国电话号码" in zh
    # export pdf says it too, with the rule sets and the clock its findings rest on.
    exported = cli("export", "pdf", "-o", str(locker_dir.parent / "d.pdf"), "--rules", "us")
    said = " ".join(exported.err.split())
    assert exported.code == 0, exported.err
    assert "not the law of China" in said and "rule sets us" in said and "Asia/Shanghai" in said
    # ... and so does the PDF itself, on its findings pages, in the dossier's language.
    text = _pdf_text(locker_dir.parent / "d.pdf")
    assert "Rule sets applied: us" in text and "look like records from China" in text
    assert text.count("look like records from China") == 2  # the summary and the appendix
    assert "Findings" in text  # the summary table's column header, on one line
    zh_pdf = locker_dir.parent / "d-zh.pdf"
    exported = cli("export", "pdf", "-o", str(zh_pdf), "--rules", "us", "--lang", "zh")
    assert exported.code == 0, exported.err
    text = _pdf_text(zh_pdf)
    assert "所用规则集：us" in text and "这些记录看起来来自中国" in text
    assert "look like" not in text


def _pdf_text(path: Path) -> str:
    """The PDF's text as a reader would copy it, lines joined (English words by a space)."""
    from pypdf import PdfReader

    pages = "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)
    return re.sub(
        r"(?<=[\u4e00-\u9fff，、：（）])\s+|\s+(?=[\u4e00-\u9fff，、：（）])",
        "",
        " ".join(pages.split()),
    )


def test_a_malformed_rule_file_is_one_line_naming_file_rule_and_field(cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text(MY_RULES.replace('severity = "low"', 'severity = "urgent"'), encoding="utf-8")
    result = cli("check", "--rules-file", str(bad))
    assert result.code in (1, 2)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert str(bad) in lines[0] and "MY-LUNCH" in lines[0] and "severity" in lines[0]
    assert "Traceback" not in result.err

    missing = cli("check", "--rules-file", str(tmp_path / "nope.toml"))
    assert missing.code in (1, 2) and "nope.toml" in missing.err and "does not exist" in missing.err
    unknown = cli("check", "--rules", "fr")
    assert unknown.code == 2 and "fr" in unknown.err and "cn, uk, us" in unknown.err


def test_rules_list(cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    listed = json.loads(cli("rules", "list", "--json").out)
    assert [s["name"] for s in listed] == ["cn", "uk", "us"]
    for rule_set in listed:
        assert rule_set["rules"]
        for rule in rule_set["rules"]:
            assert rule["source"] and rule["source_url"].startswith("http")
            assert rule["confidence"] in CONFIDENCES
    ids = {r["id"] for s in listed for r in s["rules"]}
    assert {"CN-CBA-TIME", "US-TIME", "UK-TIME-ANALOG"} <= ids

    human = cli("rules", "list")
    assert human.code == 0 and "CN-CBA-TIME" in human.out and "Confidence: V" in human.out
    zh = cli("--lang", "zh", "rules", "list")
    assert "可信度" in zh.out and "行业指引" in zh.out

    mine = tmp_path / "mine.toml"
    mine.write_text(MY_RULES, encoding="utf-8")
    with_mine = json.loads(cli("rules", "list", "--rules-file", str(mine), "--json").out)
    assert with_mine[-1]["name"] == "mine" and with_mine[-1]["rules"][0]["id"] == "MY-LUNCH"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_confidence_has_words(lang: str) -> None:
    for c in CONFIDENCES:
        assert t(f"rules.confidence.{c}", lang) != f"rules.confidence.{c}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_event_and_kind_has_words(lang: str) -> None:
    from evidence_locker.model import Event
    from evidence_locker.rules.schema import KINDS

    for e in Event:
        for prefix in ("rules.event", "event"):
            assert t(f"{prefix}.{e.value}", lang) != f"{prefix}.{e.value}"
    for kind in KINDS:
        assert t(f"rules.kind.{kind}", lang) != f"rules.kind.{kind}"


def test_a_long_summary_line_wraps_under_its_own_text(ready) -> None:  # type: ignore[no-untyped-def]
    """At 80 columns a summary line too long for one line goes on under its text,
    never back at the margin and never with a space left at a line's end."""
    logged = ready("log", "message", "--app", "wechat", "--counterpart", "催收员A",
                   "--content", "再不还就曝光", "--at", "2026-02-10 23:05")  # fmt: skip
    assert logged.code == 0, logged.err
    out = ready("check", "--rules", "cn", env={"COLUMNS": "80"})
    assert out.code == 0, out.err
    lines = out.out.splitlines()
    assert not [line for line in lines if line != line.rstrip()]
    start = lines.index("Summary, worst first:") + 1
    summary = lines[start : lines.index("", start)]
    first = next(line for line in summary if "contact at night" in line)
    indent = first.index("organisation not logged")
    after = summary[summary.index(first) + 1]
    assert after.startswith(" " * indent) and after.strip() == "hours", summary


def test_what_points_to_a_region_reads_right_for_one_record() -> None:
    from collections import Counter

    from evidence_locker.rules.region import Evidence

    one = Counter({"CN": 1})
    text = Evidence("CN", {"phones": one, "offsets": one, "chinese": one}).describe("en")
    assert "1 phone numbers" not in text and "1 records" not in text, text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_visits_known_only_by_day_are_never_shown_at_midnight(ready, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Two visits logged with a day alone and no organisation: the review found them
    shown as "2 contacts, 2026-11-30 00:00 to 2026-11-30 00:00" and called "numbers"."""
    for where in ("家门口", "单位前台"):
        assert ready("log", "visit", "--location", where, "--at", "2026-11-30").code == 0
    got = ready("--lang", lang, "check", "--rules", "cn", env={"COLUMNS": "80"})
    assert got.code == 0, got.err
    text = " ".join(got.out.split())
    unknown = t("rules.cli.time_unknown", lang)
    assert "00:00" not in text, text
    assert "2026-11-30 (" + unknown + ")" in text or "2026-11-30（" + unknown + "）" in text, text
    assert "号码" not in text and "numbers with no organisation" not in text, text
