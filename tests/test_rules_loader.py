"""Rule-set files: the shipped ones load, and every malformed file names file, rule, field."""

from __future__ import annotations

import pytest

from evidence_locker.errors import FormatError, UsageError
from evidence_locker.rules import (
    OfficialNumbers,
    choose_rule_sets,
    load_official_numbers,
    load_rule_file,
    resolve_rule_sets,
    shipped_names,
    shipped_rule_set,
)

GOOD = """
jurisdiction = "XX"
name = "mine"
title_en = "my rules"
title_zh = "我的规则"

[[rules]]
id = "MY-NIGHT"
kind = "quiet_hours"
instrument = "My instrument"
article = "s. 1"
description_en = "Night."
description_zh = "夜间。"
source_url = "https://example.org/a"
confidence = "S"
severity = "low"
[rules.params]
start = "21:30"
end = "07:00"
"""


def test_shipped_sets_load_with_sources():
    assert shipped_names() == ("cn", "uk", "us")
    for name in shipped_names():
        rs = shipped_rule_set(name)
        assert rs.rules, name
        for rule in rs.rules:
            assert rule.source_url.startswith("https://")
            assert rule.description_en and rule.description_zh and rule.instrument
            assert rule.confidence in ("V", "S", "V/S", "S/U", "V/U")


def test_shipped_rule_ids_follow_the_sources_table():
    ids = {r.id for name in shipped_names() for r in shipped_rule_set(name).rules}
    assert {
        "CN-CBA-TIME",
        "CN-CBA-FREQ",
        "CN-GB-FREQ",
        "CN-CBA-3P",
        "US-TIME",
        "US-FREQ",
        "US-3P",
        "US-ATTY",
        "US-CEASE",
        "UK-3P",
        "UK-CRIM",
    } <= ids
    refs = {r.id for name in shipped_names() for r in shipped_rule_set(name).references}
    assert {"CN-CRIM-293", "CN-CC-68", "US-RING", "UK-TIME"} <= refs
    cc68 = next(r for r in shipped_rule_set("cn").references if r.id == "CN-CC-68")
    assert "U" in cc68.confidence  # unverified parts are marked as such


def test_user_file_loads(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(GOOD, encoding="utf-8")
    rs = load_rule_file(p)
    assert rs.name == "mine" and rs.rules[0].params["start"].hour == 21
    both = resolve_rule_sets(["CN"], [p])
    assert [s.name for s in both] == ["cn", "mine"]


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


BAD_CASES = [
    # (text, rule named in the error, field named in the error)
    (_replace('start = "21:30"', 'start = "25:00"'), "MY-NIGHT", "params.start"),
    (_replace('start = "21:30"\n', ""), "MY-NIGHT", "params.start"),
    (_replace('end = "07:00"', 'end = "07:00"\nstrat = "x"'), "MY-NIGHT", "params.strat"),
    (_replace('kind = "quiet_hours"', 'kind = "moon_phase"'), "MY-NIGHT", "kind"),
    (_replace('severity = "low"', 'severity = "critical"'), "MY-NIGHT", "severity"),
    (_replace('confidence = "S"', 'confidence = "maybe"'), "MY-NIGHT", "confidence"),
    (
        _replace('source_url = "https://example.org/a"', 'source_url = "example.org"'),
        "MY-NIGHT",
        "source_url",
    ),
    (_replace('description_zh = "夜间。"\n', ""), "MY-NIGHT", "description_zh"),
    (_replace('id = "MY-NIGHT"', 'id = "my night"'), "rules[0]", "id"),
    (_replace("[rules.params]", 'see_also = ["NOPE"]\n[rules.params]'), "MY-NIGHT", "see_also"),
    (_replace("[rules.params]", 'colour = "red"\n[rules.params]'), "MY-NIGHT", "colour"),
    (
        _replace('end = "07:00"', 'end = "07:00"\nchannels = ["pigeon"]'),
        "MY-NIGHT",
        "params.channels",
    ),
    (_replace('end = "07:00"', 'end = "07:00"\nchannels = "call"'), "MY-NIGHT", "params.channels"),
    (GOOD + GOOD[GOOD.index("[[rules]]") :], "MY-NIGHT", "id"),  # duplicate id
    (_replace('name = "mine"\n', ""), "-", "name"),
    (_replace("[[rules]]", "[[rulez]]"), "-", "rulez"),
    (
        GOOD
        + "\n[[rules]]\nid = 'X-FREQ'\nkind = 'frequency'\n"
        + GOOD[GOOD.index("instrument") : GOOD.index("[rules.params]")]
        + "[rules.params]\nper = 'debtor'\n",
        "X-FREQ",
        "params.max",
    ),
    (
        GOOD
        + "\n[[rules]]\nid = 'X-PH'\nkind = 'phrases'\n"
        + GOOD[GOOD.index("instrument") : GOOD.index("[rules.params]")]
        + "[rules.params]\ncategory_en='a'\ncategory_zh='b'\n[rules.params.phrases]\n'弄死' = -1\n",
        "X-PH",
        "params.phrases.弄死",
    ),
    (
        GOOD
        + "\n[[rules]]\nid = 'X-PH'\nkind = 'phrases'\n"
        + GOOD[GOOD.index("instrument") : GOOD.index("[rules.params]")]
        + "[rules.params]\ncategory_en='a'\ncategory_zh='b'\nphrases={'x'=1}\n"
        + "thresholds={low=3,medium=2,high=1}\n",
        "X-PH",
        "params.thresholds",
    ),
    ("this is [not toml", "-", "-"),
]


@pytest.mark.parametrize(("text", "rule", "field"), BAD_CASES)
def test_malformed_file_names_file_rule_and_field(tmp_path, text, rule, field):
    p = tmp_path / "broken-rules.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError) as exc:
        load_rule_file(p)
    err = exc.value
    assert (
        err.params["file"] == str(p) and err.params["rule"] == rule and err.params["field"] == field
    )
    msg = str(err)
    assert str(p) in msg and f"rule {rule}" in msg and f"field {field}" in msg
    zh = err.render("zh")
    assert "规则文件" in zh and rule in zh and field in zh


def test_missing_file_and_unknown_set(tmp_path):
    with pytest.raises(FormatError) as exc:
        load_rule_file(tmp_path / "nope.toml")
    assert "nope.toml" in str(exc.value)
    with pytest.raises(UsageError) as exc2:
        shipped_rule_set("mars")
    assert "cn, uk, us" in str(exc2.value)


@pytest.mark.parametrize(
    ("text", "org", "field"),
    [
        ('["Bank"]\nnumbers = "95588"\n', "Bank", "numbers"),
        ('["Bank"]\nnumbers = ["abc"]\n', "Bank", "numbers"),
        ('["Bank"]\nphones = ["95588"]\n', "Bank", "phones"),
        ('["Bank"]\nnumbers = []\n', "Bank", "numbers"),
        ("Bank = 3\n", "Bank", "-"),
    ],
)
def test_malformed_official_numbers(tmp_path, text, org, field):
    p = tmp_path / "numbers.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError) as exc:
        load_official_numbers(p)
    assert exc.value.params == {
        "file": str(p),
        "org": org,
        "field": field,
        "detail": exc.value.params["detail"],
    }
    assert str(p) in str(exc.value)


def test_official_numbers_from_plain_dict():
    nums = OfficialNumbers.from_mapping({"XX银行": ["95588"]})
    assert nums.for_org("ＸＸ银行") is not None and nums.for_org("YY") is None


def _rec(n: int, **kw):  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta, timezone

    from evidence_locker.model import Channel, Direction, Record

    when = datetime(2025, 3, 1, 10, tzinfo=timezone(timedelta(hours=kw.pop("offset", 8))))
    return Record(
        id=f"v{n}",
        record_id=f"r{n}",
        seq=n,
        channel=Channel.SMS,
        direction=Direction.INCOMING,
        occurred_at=when,
        logged_at=when,
        **kw,
    )


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([_rec(1, address="+8613800138000", content="请还款")], "cn"),
        ([_rec(1, address="+12025550100", content="Pay now", offset=-5)], "us"),
        ([_rec(1, address="+447700900123", content="Pay now", offset=0)], "uk"),
        # A Chinese speaker in New York: US numbers and offsets outweigh the language.
        (
            [_rec(n, address="+12025550100", content="请尽快还款", offset=-5) for n in range(3)],
            "us",
        ),
        ([], "cn"),  # nothing to go on: the fallback, and the report says so
    ],
)
def test_rule_set_chosen_from_the_records_not_the_language(records, expected):
    choice = choose_rule_sets(records)
    assert [rs.name for rs in choice.sets] == [expected]
    assert choice.source == ("records" if records else "fallback")
    assert choice.describe("zh") and choice.describe("en")


def test_rule_set_setting_and_names_win_over_the_records():
    cn = [_rec(1, address="+8613800138000", content="请还款")]
    assert choose_rule_sets(cn, setting="us").source == "locker"
    assert [rs.name for rs in choose_rule_sets(cn, setting="us,uk").sets] == ["us", "uk"]
    assert [rs.name for rs in choose_rule_sets(cn, names=["uk"], setting="us").sets] == ["uk"]
