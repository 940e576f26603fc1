"""A labelled corpus: Chinese, US and UK collection histories logged through the public
API (``Locker``), each record with the rules expected to name it written beside it.

Each history mixes the cases issue 15 reported (night calls read on the wrong clock,
calls with a duration, rotating numbers, agencies of one creditor, negated words,
threats worded differently, over-wide flags, rules before their source took effect)
with their clean counterparts, which must stay clean. The check must name every
record with exactly its expected rules: no false positive, no false negative. It runs
with this process's zone set to UTC and to two others: the machine's clock must not
change a single finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft, Direction, Event, Outcome
from evidence_locker.rules import resolve_rule_sets
from tests.conftest import PASSPHRASE

SH, NY, LDN = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
CALL, SMS, VISIT, LETTER = Channel.CALL, Channel.SMS, Channel.VISIT, Channel.LETTER
OUT, IN_PERSON = Direction.OUTGOING, Direction.IN_PERSON
MISSED, FAILED = Outcome.MISSED, Outcome.FAILED
NIGHT_CN = {"CN-CBA-TIME", "CN-GB-TIME"}
CONTACTS_CN = {"CN-CBA-CONTACTS", "CN-PIPL-CONTACTS"}
THIRD_CN = {"CN-CBA-3P", "CN-GB-3P", "CN-PIPL-3P"}
DISCLOSED = " This is a communication from a debt collector."

# (when, draft fields, expected rules). ``case`` names a case of the history; the
# history's default organisation applies unless ``organisation`` says otherwise.
Entry = tuple[datetime, dict, set[str]]


def _cn(t: str) -> datetime:
    return datetime.fromisoformat(t).replace(tzinfo=SH)


BANK, AGENCY = "XX银行", "某某资产管理"
CN_HISTORY: list[Entry] = [
    # the clock: daytime is day, the real night contacts are night (Beijing time)
    (_cn("2026-02-09 09:30"), {"channel": CALL, "address": "95588", "duration_s": 120}, set()),
    (_cn("2026-02-09 22:05"), {"channel": CALL, "address": "95588"}, NIGHT_CN),
    (
        _cn("2026-02-09 22:30"),
        {
            "channel": VISIT,
            "direction": IN_PERSON,
            "organisation": AGENCY,
            "location": "家门口",
            "case": "card",
        },
        NIGHT_CN,
    ),
    (
        _cn("2026-02-09 23:10"),
        {"channel": CALL, "organisation": AGENCY, "address": "+8617012345678", "case": "card"},
        NIGHT_CN,
    ),
    # seven unanswered calls from seven numbers: one collector, one contact
    *[
        (
            _cn(f"2026-02-10 09:0{i}"),
            {
                "channel": CALL,
                "organisation": AGENCY,
                "address": f"+86170123456{i:02d}",
                "outcome": MISSED,
                "case": "card",
            },
            {"CN-CBA-FREQ"},
        )
        for i in range(7)
    ],
    # four answered calls (a duration, no outcome) by the bank and its agency together
    *[
        (
            _cn(f"2026-02-11 1{i}:00"),
            {
                "channel": CALL,
                "organisation": org,
                "address": "95588" if org == BANK else "+8617012345678",
                "duration_s": 60,
                "case": "card",
            },
            {"CN-GB-FREQ"},
        )
        for i, org in enumerate((BANK, AGENCY, BANK, AGENCY))
    ],
    # ... while three a day is the limit
    *[
        (_cn(f"2026-02-12 1{i}:00"), {"channel": CALL, "address": "95588", "duration_s": 60}, set())
        for i in range(3)
    ],
    # threats worded differently
    (
        _cn("2026-02-13 10:00"),
        {
            "channel": SMS,
            "organisation": AGENCY,
            "address": "+8617012345678",
            "content": "通知你老婆和你公司老板，打爆你亲戚的电话",
        },
        CONTACTS_CN,
    ),
    (
        _cn("2026-02-13 10:05"),
        {
            "channel": SMS,
            "organisation": AGENCY,
            "address": "+8617012345678",
            "content": "已经发给了你的同事和亲戚……下一步发业主群……等着社会性死亡",
        },
        CONTACTS_CN | {"CN-CBA-SHAME", "CN-PRIVACY"},
    ),
    (
        _cn("2026-02-13 10:10"),
        {
            "channel": SMS,
            "organisation": AGENCY,
            "address": "+8617012345678",
            "content": "再不还钱就弄死你全家",
        },
        {"CN-CBA-THREAT", "CN-ADMIN"},
    ),
    (
        _cn("2026-02-13 10:15"),
        {
            "channel": SMS,
            "organisation": AGENCY,
            "address": "+8617012345678",
            "content": "法院传票：你已被立案，72小时内不处理将拘留",
        },
        {"CN-CBA-OFFICIAL", "CN-ADMIN-IMPERSONATE", "CN-CBA-MISLEAD"},
    ),
    # their clean counterparts: a reassurance, an ordinary reminder
    (
        _cn("2026-02-13 11:00"),
        {
            "channel": SMS,
            "address": "95588",
            "content": "我们不会联系您的紧急联系人，请放心并注意安全",
        },
        set(),
    ),
    (
        _cn("2026-02-13 11:05"),
        {"channel": SMS, "address": "95588", "content": "您的账单已出，请按时还款，逾期将影响征信"},
        set(),
    ),
    # a bank-looking SMS from a mobile number, paying a named person at a look-alike site
    (
        _cn("2026-02-14 10:00"),
        {
            "channel": SMS,
            "address": "+8617000000000",
            "content": "【XX银行】您的贷款已逾期，请于今日转入指定账户："
            "张三 6228 4800 1234 5678 901，详见 xxbank-pay.top",
        },
        {"CN-SCAM"},
    ),
    # a third party, and a day without a time (not a midnight call)
    (
        _cn("2026-02-14 12:30"),
        {
            "channel": SMS,
            "organisation": None,
            "address": "10690000",
            "content": "请转告你儿子尽快还款",
            "third_party": "母亲",
        },
        THIRD_CN,
    ),
    (_cn("2026-02-15 00:00"), {"channel": CALL, "address": "95588", "time_known": False}, set()),
    # harassment whatever the outcome: eleven attempts that never rang, by another lender
    *[
        (
            _cn(f"2026-02-16 1{i // 6}:{i % 6}0"),
            {
                "channel": CALL,
                "organisation": "YY贷",
                "address": "+8617099999999",
                "outcome": FAILED,
            },
            {"CN-HARASS"},
        )
        for i in range(11)
    ],
    *[
        (
            _cn(f"2026-02-17 1{i // 6}:{i % 6}0"),
            {
                "channel": CALL,
                "organisation": "ZZ贷",
                "address": "+8617088888888",
                "outcome": FAILED,
            },
            set(),
        )
        for i in range(10)
    ],
    # before the sources took effect: nothing before 2025-02-28, only GB/T until 2026-01-30
    (_cn("2025-02-20 23:00"), {"channel": CALL, "address": "95588"}, set()),
    (_cn("2025-03-05 23:00"), {"channel": CALL, "address": "95588"}, {"CN-GB-TIME"}),
    (
        _cn("2025-06-01 10:00"),
        {
            "channel": SMS,
            "organisation": AGENCY,
            "address": "+8617012345678",
            "content": "不还钱弄死你",
        },
        {"CN-ADMIN-2012"},
    ),
    # threats in the borrower's own words (first person, reported speech): the same
    # rules as "你单位"; each on its own day, by a lender with no other contact
    *[
        (_cn(f"2026-03-0{d} 10:00"), {"channel": ch, "organisation": "WW贷", **f}, rules)
        for d, (ch, f, rules) in enumerate(
            [
                (CALL, {"content": "说要通知我单位"}, CONTACTS_CN),
                (CALL, {"content": "说明天去我单位"}, CONTACTS_CN | {"CN-CBA-VISIT"}),
                (CALL, {"content": "打电话给我妈说我欠钱"}, CONTACTS_CN),
                (SMS, {"content": "再不还就告诉你邻居"}, CONTACTS_CN),
                (CALL, {"content": "说已经告诉我邻居我欠钱了"}, CONTACTS_CN),
                (CALL, {"content": "他们说不会通知我单位"}, set()),
                (CALL, {"content": "我在单位加班，没接到电话", "outcome": MISSED}, set()),
                (CALL, {"content": "我公司今天放假，我妈问我吃饭没有"}, set()),
            ],
            start=1,
        )
    ],
    *[
        (
            _cn(f"2026-03-1{d} 10:00"),
            {"channel": VISIT, "direction": IN_PERSON, "organisation": "WW贷", **f},
            rules,
        )
        for d, (f, rules) in enumerate(
            [
                ({"content": "到我公司前台找我，告诉前台同事我欠钱不还"}, CONTACTS_CN),
                # a visit that happened is not an announced one; who they said they were is
                ({"content": "两名男子上门，说是来核实地址"}, set()),
                ({"content": "两名自称律师的人上门"}, {"CN-ADMIN-IMPERSONATE"}),
                ({"content": "两个自称警察的人上门"}, {"CN-CBA-OFFICIAL", "CN-ADMIN-IMPERSONATE"}),
            ]
        )
    ],
    # an announced visit in a message is
    (
        _cn("2026-03-20 10:00"),
        {"channel": SMS, "organisation": "WW贷", "content": "明天上门"},
        {"CN-CBA-VISIT"},
    ),
]


def _us(t: str) -> datetime:
    return datetime.fromisoformat(t).replace(tzinfo=NY)


ACME = "ACME Collections"
US_HISTORY: list[Entry] = [
    # 9 p.m. is the limit, 8 a.m. the start
    (_us("2025-06-02 20:30"), {"channel": CALL, "address": "+12025550100"}, set()),
    (_us("2025-06-02 21:30"), {"channel": CALL, "address": "+12025550100"}, {"US-TIME"}),
    (_us("2025-06-03 07:59"), {"channel": CALL, "address": "+12025550100"}, {"US-TIME"}),
    # eight calls in seven days about one debt; four about another debt the same week
    *[
        (
            _us(f"2025-06-{9 + d:02d} 10:00"),
            {"channel": CALL, "address": "+12025550100", "outcome": MISSED, "case": "visa"},
            {"US-FREQ"},
        )
        for d in range(7)
    ],
    (
        _us("2025-06-15 15:00"),
        {"channel": CALL, "address": "+12025550100", "outcome": MISSED, "case": "visa"},
        {"US-FREQ"},
    ),
    *[
        (
            _us(f"2025-06-{9 + d:02d} 12:00"),
            {"channel": CALL, "address": "+12025550101", "outcome": MISSED, "case": "loan"},
            set(),
        )
        for d in range(4)
    ],
    # a conversation (a duration) and a call three days later; the clean one on day 11
    (
        _us("2025-06-20 10:00"),
        {"channel": CALL, "address": "+12025550100", "duration_s": 300, "case": "visa"},
        {"US-FREQ-CONV"},
    ),
    (
        _us("2025-06-23 10:00"),
        {"channel": CALL, "address": "+12025550100", "outcome": MISSED, "case": "visa"},
        {"US-FREQ-CONV"},
    ),
    (
        _us("2025-07-01 10:00"),
        {"channel": CALL, "address": "+12025550100", "outcome": MISSED, "case": "visa"},
        set(),
    ),
    # words: a reassurance (clean), payment red flags, arrest, government, telling others
    (
        _us("2025-06-24 10:00"),
        {
            "channel": SMS,
            "address": "+12025550100",
            "content": "This is not a criminal matter and you will not be arrested." + DISCLOSED,
        },
        set(),
    ),
    (
        _us("2025-06-24 10:05"),
        {
            "channel": SMS,
            "address": "+12025550100",
            "content": "Pay by Zelle, Western Union, wire or bitcoin today." + DISCLOSED,
        },
        {"US-SCAM"},
    ),
    (
        _us("2025-06-24 10:10"),
        {
            "channel": SMS,
            "address": "+12025550100",
            "content": "You will be arrested unless you pay today." + DISCLOSED,
        },
        {"US-FALSE"},
    ),
    (
        _us("2025-06-24 10:15"),
        {
            "channel": SMS,
            "address": "+12025550100",
            "content": "This is the sheriff's office: a warrant has been issued." + DISCLOSED,
        },
        {"US-GOV", "US-FALSE"},
    ),
    (
        _us("2025-06-24 10:20"),
        {
            "channel": SMS,
            "address": "+12025550100",
            "content": "We will tell your employer and your family about this debt." + DISCLOSED,
        },
        {"US-3P-THREAT"},
    ),
    (
        _us("2025-06-24 10:25"),
        {
            "channel": SMS,
            "address": "+12025550100",
            "content": "Your payment is overdue. Call us today.",
        },
        {"US-DISCLOSE"},
    ),
    # third parties: the spouse is the consumer; one location call is allowed
    (
        _us("2025-06-25 10:00"),
        {"channel": CALL, "address": "+12025550100", "third_party": "wife"},
        set(),
    ),
    (
        _us("2025-06-25 11:00"),
        {
            "channel": CALL,
            "address": "+12025550100",
            "third_party": "neighbour",
            "content": "asked where I live now",
        },
        set(),
    ),
    (
        _us("2025-06-27 11:00"),
        {"channel": CALL, "address": "+12025550100", "third_party": "neighbour"},
        {"US-3P"},
    ),
    (
        _us("2025-06-27 12:00"),
        {
            "channel": CALL,
            "address": "+12025550100",
            "third_party": "brother",
            "content": "told him I owe a debt",
        },
        {"US-3P"},
    ),
    # a written dispute stops collection until verification is mailed
    (
        _us("2025-07-10 09:00"),
        {"channel": LETTER, "direction": OUT, "event": Event.DISPUTE, "case": "visa"},
        {"US-DISPUTE"},
    ),
    (
        _us("2025-07-12 10:00"),
        {"channel": CALL, "address": "+12025550100", "outcome": MISSED, "case": "visa"},
        {"US-DISPUTE"},
    ),
    (
        _us("2025-07-20 09:00"),
        {"channel": LETTER, "event": Event.VERIFICATION, "case": "visa"},
        set(),
    ),
    (
        _us("2025-07-25 10:00"),
        {"channel": CALL, "address": "+12025550100", "outcome": MISSED, "case": "visa"},
        set(),
    ),
    # a written stop request: the letter confirming it stops is allowed, a call is not
    (
        _us("2025-08-01 09:00"),
        {"channel": LETTER, "direction": OUT, "event": Event.CEASE_REQUEST},
        {"US-CEASE"},
    ),
    (
        _us("2025-08-05 09:00"),
        {
            "channel": LETTER,
            "content": "As requested, our further efforts are being terminated." + DISCLOSED,
        },
        set(),
    ),
    (
        _us("2025-08-06 10:00"),
        {"channel": CALL, "address": "+12025550100", "outcome": MISSED},
        {"US-CEASE"},
    ),
    # an oral stop request, and one naming no organisation: notes, not findings
    (
        _us("2025-08-01 10:00"),
        {
            "channel": CALL,
            "direction": OUT,
            "organisation": "Other Agency",
            "address": "+12025550199",
            "event": Event.CEASE_REQUEST,
        },
        set(),
    ),
    (
        _us("2025-08-03 10:00"),
        {
            "channel": CALL,
            "organisation": "Other Agency",
            "address": "+12025550199",
            "outcome": MISSED,
        },
        set(),
    ),
    (
        _us("2025-08-10 09:00"),
        {"channel": LETTER, "direction": OUT, "organisation": None, "event": Event.CEASE_REQUEST},
        set(),
    ),
    (
        _us("2025-08-11 10:00"),
        {
            "channel": CALL,
            "organisation": "Third Agency",
            "address": "+12025550198",
            "outcome": MISSED,
        },
        set(),
    ),
    # the borrower's own words: reported speech about third parties, and a clean note
    *[
        (
            _us(f"2025-09-0{d} 10:00"),
            {"channel": CALL, "organisation": "Word Collections", "content": text},
            rules,
        )
        for d, (text, rules) in enumerate(
            [
                ("Said they would call my boss.", {"US-3P-THREAT"}),
                ("He told my neighbour I owe money.", {"US-3P-THREAT"}),
                ("Said they will not tell my family.", set()),
                ("My boss called about work, so I missed this call.", set()),
                ("She claimed to be an attorney.", {"US-FALSE"}),
            ],
            start=1,
        )
    ],
]


def _uk(t: str) -> datetime:
    return datetime.fromisoformat(t).replace(tzinfo=LDN)


LENDER, FIELD = "Lender Ltd", "Field Agents Ltd"
UK_HISTORY: list[Entry] = [
    (_uk("2025-06-02 20:30"), {"channel": CALL, "address": "+447700900123"}, set()),
    (_uk("2025-06-02 21:30"), {"channel": CALL, "address": "+447700900123"}, {"UK-TIME-ANALOG"}),
    (
        _uk("2025-06-03 10:00"),
        {
            "channel": SMS,
            "address": "+447700900123",
            "content": "NOTICE OF ENFORCEMENT – County Court. Pay now.",
        },
        {"UK-MISREP", "UK-CRIM"},
    ),
    (
        _uk("2025-06-03 10:05"),
        {
            "channel": SMS,
            "address": "+447700900123",
            "content": "We will apply for a charging order on your home.",
        },
        {"UK-PRESSURE"},
    ),
    (
        _uk("2025-06-03 10:10"),
        {
            "channel": SMS,
            "address": "+447700900123",
            "content": "We will tell your employer and your neighbours.",
        },
        {"UK-3P-THREAT"},
    ),
    (
        _uk("2025-06-03 10:15"),
        {
            "channel": SMS,
            "address": "+447700900123",
            "content": "Your statement is ready. Please call us to discuss a plan.",
        },
        set(),
    ),
    *[
        (
            _uk(f"2025-06-04 1{i}:00"),
            {"channel": CALL, "address": "+447700900123", "outcome": MISSED},
            {"UK-FREQ"},
        )
        for i in range(4)
    ],
    *[
        (
            _uk(f"2025-06-05 1{i}:00"),
            {"channel": CALL, "address": "+447700900123", "outcome": MISSED},
            set(),
        )
        for i in range(3)
    ],
    # "writing only": the default notice the law requires is allowed, a call is not
    (
        _uk("2025-07-01 09:00"),
        {"channel": LETTER, "direction": OUT, "event": Event.WRITING_ONLY},
        {"UK-MEDIUM-CALLS"},
    ),
    (
        _uk("2025-07-03 09:00"),
        {
            "channel": LETTER,
            "content": "Default notice served under section 87 of the Consumer Credit Act 1974.",
        },
        set(),
    ),
    (
        _uk("2025-07-04 10:00"),
        {"channel": CALL, "address": "+447700900123", "outcome": MISSED},
        {"UK-MEDIUM-CALLS"},
    ),
    # a breathing space covers every creditor for 60 days
    (
        _uk("2025-08-01 09:00"),
        {"channel": LETTER, "organisation": None, "event": Event.BREATHING_SPACE},
        {"UK-BREATHING"},
    ),
    (
        _uk("2025-08-15 10:00"),
        {
            "channel": SMS,
            "organisation": "Debt Recovery Co",
            "address": "+447700900555",
            "content": "Please pay your balance today.",
        },
        {"UK-BREATHING"},
    ),
    (
        _uk("2025-10-05 10:00"),
        {
            "channel": SMS,
            "organisation": "Debt Recovery Co",
            "address": "+447700900555",
            "content": "Please pay your balance today.",
        },
        set(),
    ),
    # a doorstep visit that went too far; a neighbour's report (by another firm: the
    # lender's own calls and visits after "writing only" are flagged above)
    (
        _uk("2025-10-06 11:00"),
        {
            "channel": VISIT,
            "direction": IN_PERSON,
            "organisation": FIELD,
            "location": "home",
            "notes": "He refused to leave when I asked.",
        },
        {"UK-VISIT"},
    ),
    (
        _uk("2025-10-07 11:00"),
        {
            "channel": VISIT,
            "direction": IN_PERSON,
            "organisation": FIELD,
            "location": "home",
            "notes": "Explained the visit and left when asked.",
        },
        set(),
    ),
    (
        _uk("2025-10-08 11:00"),
        {
            "channel": CALL,
            "organisation": FIELD,
            "address": "+447700900777",
            "third_party": "neighbour",
        },
        {"UK-3P"},
    ),
    # the borrower's own words
    *[
        (
            _uk(f"2025-11-0{d} 10:00"),
            {"channel": CALL, "organisation": "Other Firm Ltd", "content": text},
            rules,
        )
        for d, (text, rules) in enumerate(
            [
                ("Said they would call my boss.", {"UK-3P-THREAT"}),
                ("Told my neighbours I owe money.", {"UK-3P-THREAT"}),
                ("My boss called about work.", set()),
            ],
            start=1,
        )
    ],
]

HISTORIES = {
    "cn": (CN_HISTORY, BANK, {"card": BANK}),
    "us": (US_HISTORY, ACME, {"visa": "Big Bank", "loan": "Small Bank"}),
    "uk": (UK_HISTORY, LENDER, {}),
}
NUMBERS = {BANK: {"numbers": ["95588"], "websites": ["xxbank.com.cn"]}}


@pytest.fixture(params=["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def machine_zone(request, machine_tz) -> str:  # type: ignore[no-untyped-def]
    """This process's zone, as a machine set to that zone would have it."""
    machine_tz(request.param)
    return request.param


@pytest.fixture(scope="module")
def lockers(tmp_path_factory) -> Iterator[dict[str, tuple[Locker, dict[str, set[str]]]]]:  # type: ignore[no-untyped-def]
    """One locker per history, logged once: record id -> expected rules."""
    out = {}
    for name, (history, default_org, cases) in HISTORIES.items():
        locker, _ = Locker.create(Path(tmp_path_factory.mktemp(name)) / "locker", PASSPHRASE)
        case_ids = {
            key: locker.add_case(key, creditor=creditor).id for key, creditor in cases.items()
        }
        expected: dict[str, set[str]] = {}
        for when, fields, rules in history:
            fields = {"organisation": default_org, **fields}
            if "case" in fields:
                fields["case"] = case_ids[fields["case"]]
            record = locker.log(ContactDraft(occurred_at=when, **fields))
            expected[record.record_id] = rules
        out[name] = (locker, expected)
    yield out
    for locker, _ in out.values():
        locker.close()


@pytest.mark.parametrize("name", ["cn", "us", "uk"])
def test_every_record_is_named_by_exactly_its_expected_rules(lockers, machine_zone, name):  # type: ignore[no-untyped-def]
    locker, expected = lockers[name]
    report = locker.check(rule_sets=resolve_rule_sets([name]), official_numbers=NUMBERS)
    got: dict[str, set[str]] = {rid: set() for rid in expected}
    for f in report.findings:
        for rid in f.records:
            got[rid].update(f.rules)
    wrong = {
        rid: {"expected": sorted(expected[rid]), "got": sorted(got[rid])}
        for rid in expected
        if got[rid] != expected[rid]
    }
    assert not wrong, wrong
    # One finding per record and kind: no record appears twice in findings of one kind.
    pairs = [(f.kind, r) for f in report.findings for r in f.records if f.kind != "frequency"]
    assert len(pairs) == len(set(pairs))


def test_the_reports_say_which_clock_and_what_was_left_out(lockers, machine_zone):  # type: ignore[no-untyped-def]
    cn = lockers["cn"][0].check(rule_sets=resolve_rule_sets(["cn"]))
    assert (cn.zone.name, cn.zone.source) == ("Asia/Shanghai", "rule_set")
    kinds = {n.kind for n in cn.notes}
    assert {"time_unknown", "not_yet_in_force", "no_longer_in_force"} <= kinds
    assert "offsets" not in kinds  # every record was logged on Beijing time
    us = lockers["us"][0].check(rule_sets=resolve_rule_sets(["us"]))
    assert us.zone.source == "records"  # the US set has no zone: the records' own offsets
    assert {"oral_request", "event_without_org"} <= {n.kind for n in us.notes}
    # Chosen from the records: the region each history points to, whatever the machine.
    for name in ("cn", "us", "uk"):
        chosen = lockers[name][0].check()
        assert [rs.name for rs in chosen.rule_sets] == [name]
        assert chosen.choice.source == "records"
