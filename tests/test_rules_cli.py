"""The check and rules commands end to end: a real locker, the CLI run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def _flags(result) -> list[dict]:  # type: ignore[no-untyped-def]
    assert result.code == 0, result.err
    return json.loads(result.out)


def _logged(result) -> str:  # type: ignore[no-untyped-def]
    """The record id of ``log ... --json``."""
    assert result.code == 0, result.err
    return json.loads(result.out)["record_id"]


def _by_rule(flags: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in flags:
        out.setdefault(f["rule"], []).append(f)
    return out


def test_check_flags_night_calls_floods_third_parties_and_scam_signs(cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    night = _logged(
        cli(
            "log", "call", "--number", "13800138000", "--org", "XX银行",
            "--at", "2025-02-09 22:47", "--content", "还款提醒", "--json",
        )
    )  # fmt: skip
    flood = [
        _logged(
            cli(
                "log", "call", "--number", "13800138001", "--outcome", "missed",
                "--at", f"2025-02-10 09:{i:02d}", "--json",
            )
        )
        for i in range(7)
    ]  # fmt: skip
    mum = _logged(
        cli(
            "log", "sms", "--number", "10690000", "--at", "2025-02-10 12:30",
            "--content", "请转告你儿子尽快还款", "--third-party", "母亲", "--json",
        )
    )  # fmt: skip

    flags = _flags(cli("check", "--rules", "cn", "--json"))
    rules = _by_rule(flags)
    assert all({"rule", "records", "reason", "source", "severity"} <= set(f) for f in flags)
    assert all(f["possible"] is True for f in flags)
    [time_flag] = rules["CN-CBA-TIME"]
    assert time_flag["records"] == [night]
    assert "22:47" in time_flag["reason"] and "22:00–08:00" in time_flag["reason"]
    assert time_flag["severity"] == "medium" and "China Banking Association" in time_flag["source"]
    [freq] = rules["CN-CBA-FREQ"]
    assert freq["records"] == flood and "7th unanswered call on 2025-02-10" in freq["reason"]
    assert {f["records"][0] for f in rules["CN-CBA-3P"]} == {mum}
    assert "母亲" in rules["CN-CBA-3P"][0]["reason"]
    assert "MY-LUNCH" not in rules  # only the named set
    # Six calls would not have been a flag: the 7th is what the rule counts.
    assert all(r in flood for r in freq["records"])

    # No --rules: the default set from the timezone (Asia/Shanghai, set by the fixture).
    human = cli("check")
    assert human.code == 0
    first_line = human.out.splitlines()[0]
    assert "Possible issues" in first_line and "not a legal conclusion" in first_line
    assert "CN-CBA-TIME" in human.out and night[:8] in human.out
    zh = cli("--lang", "zh", "check")
    assert "可能" in zh.out and "不构成法律结论" in zh.out and "22:47" in zh.out

    # --since narrows what is shown: the night call of the 9th is gone, the flood stays.
    since = _by_rule(_flags(cli("check", "--rules", "cn", "--since", "2025-02-10", "--json")))
    assert "CN-CBA-TIME" not in since and "CN-CBA-FREQ" in since

    # A rule file alone: only its rules. The SMS at 12:30 is inside its lunch window.
    mine = tmp_path / "mine.toml"
    mine.write_text(MY_RULES, encoding="utf-8")
    own = _flags(cli("check", "--rules-file", str(mine), "--json"))
    assert [(f["rule"], f["records"]) for f in own] == [("MY-LUNCH", [mum])]

    # Official numbers: a call "from XX银行" on a mobile number is a possible scam sign.
    numbers = tmp_path / "numbers.toml"
    numbers.write_text('["XX银行"]\nnumbers = ["95588"]\n', encoding="utf-8")
    scam = _by_rule(_flags(cli("check", "--rules", "cn,uk", "--numbers", str(numbers), "--json")))
    assert [f["records"] for f in scam["CN-CBA-SCAM"]] == [[night]]
    assert "not among the official numbers" in scam["CN-CBA-SCAM"][0]["reason"]
    assert "UK-TIME-ANALOG" in scam  # the comma list named two sets


def test_deleted_and_corrected_records_are_judged_by_their_latest_version(cli):  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    gone = _logged(
        cli("log", "call", "--number", "13800138000", "--at", "2025-02-09 23:00", "--json")
    )
    moved = _logged(
        cli("log", "call", "--number", "13800138000", "--at", "2025-02-09 23:30", "--json")
    )
    before = _by_rule(_flags(cli("check", "--rules", "cn", "--json")))
    assert {f["records"][0] for f in before["CN-CBA-TIME"]} == {gone, moved}

    assert cli("delete", gone, "--reason", "logged twice").code == 0
    corrected = cli("correct", moved, "--at", "2025-02-09 10:00", "--reason", "wrong time")
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
    assert _flags(cli("check", "--rules", "us", "--org", "Other Agency", "--json")) == []


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
