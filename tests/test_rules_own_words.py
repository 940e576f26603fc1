"""Threats in the borrower's own words (review 7, item 2): a group's ``own_words``
("说要通知我单位", "said they would call my boss") count in the borrower's account of
a call or a visit, not in a message's own text (where "我" is the sender), not after
"我"/"I" (the borrower's own act), not negated, and once when nested.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from evidence_locker.errors import FormatError
from evidence_locker.model import Channel, Direction, Record
from evidence_locker.rules import check, parse_rule_set, shipped_rule_set
from evidence_locker.rules.phrasebook import said_by_borrower, shipped_groups
from tests.test_rules_engine import HEAD, SRC

SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 2, 10, 0, tzinfo=SH)
_ids = itertools.count(1)

RULES = (
    HEAD
    + """
[groups.boss]
label_en = "your employer"
label_zh = "单位"
[groups.boss.phrases]
"通知" = 1
"你单位" = 1
[groups.boss.own_words]
"通知我单位" = 2
"我单位领导" = 1

[[rules]]
id = "T-BOSS"
kind = "phrases"
"""
    + SRC
    + """[rules.params]
groups = ["boss"]
min_score = 2
"""
)


def rec(content: str, channel: Channel = Channel.CALL, days: int = 0) -> Record:
    n = next(_ids)
    when = DAY + timedelta(days=days)
    direction = Direction.IN_PERSON if channel == Channel.VISIT else Direction.INCOMING
    return Record(
        id=f"v{n}",
        record_id=f"r{n}",
        seq=n,
        occurred_at=when,
        logged_at=when,
        channel=channel,
        direction=direction,
        organisation=f"机构{n}",
        content=content,
    )


def scores(records: list[Record], rules, rule_id: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """record id -> the score of the rule's finding on it."""
    return {
        r: f.score
        for f in check(records, rules, tz="Asia/Shanghai")
        if rule_id in f.rules
        for r in f.records
    }


@pytest.mark.parametrize(
    ("content", "channel", "score"),
    [
        ("说要通知我单位", Channel.CALL, 2),  # the own words of a call
        ("到单位找我，说要通知我单位", Channel.VISIT, 2),
        ("说要通知我单位", Channel.SMS, None),  # a message's "我" is its sender
        ("请通知我单位财务部", Channel.LETTER, None),
        ("通知你单位", Channel.SMS, 2),  # the second person counts everywhere
        ("我通知我单位请假了", Channel.CALL, None),  # the borrower's own act
        ("他们说不会通知我单位", Channel.CALL, None),  # negated
        ("说要通知我单位领导", Channel.CALL, 3),  # 通知 inside 通知我单位 counts once
    ],
)
def test_own_words_count_only_in_the_borrowers_account(content, channel, score):  # type: ignore[no-untyped-def]
    rules = parse_rule_set(RULES, "test.toml")
    r = rec(content, channel)
    assert scores([r], rules, "T-BOSS").get(r.record_id) == score


def test_a_bad_own_words_table_names_the_group_and_field():
    text = RULES.replace('"我单位领导" = 1', '"我单位领导" = "many"')
    with pytest.raises(FormatError) as exc:
        parse_rule_set(text, "test.toml")
    assert exc.value.params["rule"] == "groups.boss"
    assert exc.value.params["field"] == "own_words.我单位领导"


SHIPPED = {
    "cn": {
        "employer": "CN-CBA-CONTACTS",
        "family": "CN-CBA-CONTACTS",
        "community": "CN-CBA-CONTACTS",
    },
    "us": {"employer": "US-3P-THREAT", "family": "US-3P-THREAT", "community": "US-3P-THREAT"},
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_own_wording_is_flagged_in_a_call_and_not_after_i(name):
    """Each wording alone is enough in a call; in an SMS, or said by the borrower
    ("我告诉我妈"), it does not count (the plain words inside it still may: 通知 and
    邻居 are a threat in any text)."""
    rules = shipped_rule_set(name)
    call, other = [], []
    for gid, rule_id in SHIPPED[name].items():
        for i, phrase in enumerate(shipped_groups()[gid].own_words):
            words = f"they said they would {phrase}" if phrase.isascii() else f"说要{phrase}"
            call.append((rec(words, days=i % 20), rule_id, phrase))
            other.append((rec(words, Channel.SMS, days=i % 20), rule_id, phrase))
            other.append((rec(said_by_borrower(phrase), days=i % 20), rule_id, phrase))
    found = check([r for r, _, _ in call + other], rules, tz="Asia/Shanghai")
    reasons = {(r, rule): f.reason("en") for f in found for rule in f.rules for r in f.records}
    assert [p for r, rule, p in call if f"“{p}”" not in reasons.get((r.record_id, rule), "")] == []
    assert [p for r, rule, p in other if f"“{p}”" in reasons.get((r.record_id, rule), "")] == []


def test_shipped_own_words_are_not_also_plain_phrases_of_their_group():
    """A wording listed twice would count in messages too, against the own-words rule."""
    for gid, group in shipped_groups().items():
        assert not set(group.own_words) & set(group.phrases), gid


def test_the_shipped_sets_read_the_new_groups():
    """The first-person wordings reach the same rules as the second-person ones."""
    cn = {r.id: r for r in shipped_rule_set("cn").rules}
    assert {"employer", "family", "community"} <= set(cn["CN-CBA-CONTACTS"].params["groups"])
    assert "lawyer" in cn["CN-ADMIN-IMPERSONATE"].params["groups"]
    assert "visit" not in cn["CN-CBA-VISIT"].params["channels"]
    us = {r.id: r for r in shipped_rule_set("us").rules}
    assert "lawyer" in us["US-FALSE"].params["groups"] and "1692e(3)" in us["US-FALSE"].instrument


def test_an_announced_visit_is_its_own_kind_not_threatening_words():
    """Review 7 item 14: "明天上门" showed under "threatening or abusive words". An
    announced visit is a low finding of its own kind; a threat in the same message is
    still a finding of threatening words."""
    cn = shipped_rule_set("cn")
    visit, both = rec("明天上门", Channel.SMS), rec("明天上门，弄死你", Channel.SMS, days=1)
    found = check([visit, both], cn, tz="Asia/Shanghai")
    kinds = {(r, f.kind): f for f in found for r in f.records}
    announced = kinds[visit.record_id, "announced_visit"]
    assert announced.rules == ("CN-CBA-VISIT",) and announced.severity == "low"
    label = announced.to_json("en")["kind_label"]
    assert label.startswith("announced visit") and "threat" not in label
    assert announced.to_json("zh")["kind_label"].startswith("预告上门")
    assert (visit.record_id, "phrases") not in kinds
    assert {(both.record_id, "announced_visit"), (both.record_id, "phrases")} <= set(kinds)


@pytest.mark.parametrize(
    ("content", "channel", "flagged"),
    [
        ("两名男子找上门，在门口站了半小时", Channel.VISIT, False),  # the visit itself
        ("说再不还就找上门", Channel.CALL, True),  # a threat of one
        ("再不还钱就找上门", Channel.SMS, True),
        ("两名男子找上门，说要打断腿", Channel.VISIT, True),  # a threat made at the door
    ],
)
def test_a_visit_record_saying_they_came_to_the_door_is_no_threat(content, channel, flagged):
    """找上门 ("come to your door") threatens in a message or call; in a visit record the
    borrower logged, it says what happened."""
    r = rec(content, channel)
    found = check([r], shipped_rule_set("cn"), tz="Asia/Shanghai")
    assert ("CN-CBA-THREAT" in {x for f in found for x in f.rules}) is flagged


def test_visit_itself_must_name_a_phrase_of_its_group():
    text = RULES.replace(
        "[groups.boss.phrases]", 'visit_itself = ["找上门"]\n[groups.boss.phrases]', 1
    )
    with pytest.raises(FormatError) as exc:
        parse_rule_set(text, "test.toml")
    assert (exc.value.params["rule"], exc.value.params["field"]) == ("groups.boss", "visit_itself")


@pytest.mark.parametrize(
    ("content", "flagged"),
    [
        ("I called the police after this call.", False),  # the borrower's own step
        ("我去公安局报案了", False),
        ("This is the police. Pay today.", True),
        ("【公安局】你已涉嫌诈骗", True),
    ],
)
def test_reporting_to_the_police_is_not_posing_as_them(content, flagged):
    r = rec(content)
    found = check([r], shipped_rule_set("cn"), tz="Asia/Shanghai")
    assert ("CN-CBA-OFFICIAL" in {x for f in found for x in f.rules}) is flagged
