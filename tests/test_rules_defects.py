"""Each defect reported in issue 15, reproduced on the library API.

Written against the first version of ``check`` (a list of objects with ``records``)
so that each test failed before the fix: run them with the old engine on the path to
see it. ``rules_of`` reads either a finding's ``rules`` or an old flag's ``rule``.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from evidence_locker.model import Case, Channel, Direction, Event, Outcome, Record
from evidence_locker.rules import check, shipped_rule_set

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
LDN = ZoneInfo("Europe/London")
CN, US, UK = (shipped_rule_set(n) for n in ("cn", "us", "uk"))
_ids = itertools.count(1)


def rec(when: datetime, **kw) -> Record:
    n = next(_ids)
    kw.setdefault("channel", Channel.CALL)
    kw.setdefault("direction", Direction.INCOMING)
    kw.setdefault("organisation", "XX银行")
    kw.setdefault("address", "+8613800000001")
    kw.setdefault("logged_at", when)
    return Record(id=f"v{n}", record_id=f"r{n}", seq=n, occurred_at=when, **kw)


def rules_of(f) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return getattr(f, "rules", None) or (f.rule,)


def about(flags, record: Record, rule: str | None = None) -> list:  # type: ignore[no-untyped-def]
    return [
        f for f in flags if record.record_id in f.records and (rule is None or rule in rules_of(f))
    ]


# --- 1. whose clock -------------------------------------------------------------------------


def test_without_a_zone_the_rule_sets_default_is_the_clock(machine_tz):
    """A machine set to UTC must not judge Beijing-time records on UTC."""
    machine_tz("UTC")
    day = datetime(2026, 2, 9, 9, 0, tzinfo=SH)
    daytime = [rec(day + timedelta(hours=h)) for h in range(0, 12, 3)]  # 09:00-18:00
    late = rec(datetime(2026, 2, 9, 22, 5, tzinfo=SH))
    flags = check([*daytime, late], CN)
    assert {r for f in flags if f.kind == "quiet_hours" for r in f.records} == {late.record_id}


def test_us_records_without_a_zone_are_read_on_their_own_offsets(machine_tz):
    machine_tz("Asia/Shanghai")
    evening = rec(datetime(2025, 6, 2, 20, 30, tzinfo=NY), organisation="ACME", address="+1202")
    night = rec(datetime(2025, 6, 2, 21, 30, tzinfo=NY), organisation="ACME", address="+1202")
    flags = check([evening, night], US)
    assert about(flags, night, "US-TIME") and not about(flags, evening)


# --- 2. a call with a duration was answered; a day without a time ---------------------------


def test_calls_with_a_duration_are_connected_calls():
    day = datetime(2026, 2, 9, 9, 0, tzinfo=SH)
    four = [rec(day + timedelta(hours=h), duration_s=300) for h in range(4)]
    [f] = [f for f in check(four, CN, tz=SH) if "CN-GB-FREQ" in rules_of(f)]
    assert set(f.records) == {r.record_id for r in four}
    # ... unless an outcome says otherwise
    missed = [
        rec(day + timedelta(hours=h), duration_s=300, outcome=Outcome.MISSED) for h in range(4)
    ]
    assert not [f for f in check(missed, CN, tz=SH) if "CN-GB-FREQ" in rules_of(f)]


def test_us_conversation_by_duration_starts_the_seven_day_wait():
    talk = rec(datetime(2025, 6, 2, 10, 0, tzinfo=NY), duration_s=120, organisation="ACME")
    again = rec(datetime(2025, 6, 4, 10, 0, tzinfo=NY), organisation="ACME")
    assert about(check([talk, again], US, tz=NY), again, "US-FREQ-CONV")


def test_a_day_without_a_time_is_not_a_night_contact():
    midnight = datetime(2026, 2, 9, 0, 0, tzinfo=SH)
    dated = rec(midnight, time_known=False)
    timed = rec(midnight)
    flags = check([dated, timed], CN, tz=SH)
    assert about(flags, timed) and not about(flags, dated)


# --- 3. who is counted ----------------------------------------------------------------------


def test_rotating_numbers_are_one_collector():
    day = datetime(2026, 2, 9, 9, 0, tzinfo=SH)
    calls = [
        rec(day + timedelta(minutes=i), outcome=Outcome.MISSED, address=f"+861700000000{i}")
        for i in range(7)
    ]
    assert [f for f in check(calls, CN, tz=SH) if "CN-CBA-FREQ" in rules_of(f)]


def test_an_institution_and_its_agencies_count_together_and_lenders_apart():
    from evidence_locker.rules import evaluate

    day = datetime(2026, 2, 9, 9, 0, tzinfo=SH)
    cases = {"c1": Case(id="c1", name="card", creditor="XX银行")}
    bank = [rec(day + timedelta(hours=h), outcome=Outcome.CONNECTED, case_id="c1") for h in (0, 1)]
    agency = [
        rec(
            day + timedelta(hours=h),
            outcome=Outcome.CONNECTED,
            organisation="某某资产管理",
            case_id="c1",
        )
        for h in (2, 3)
    ]
    other = [
        rec(day + timedelta(hours=h), outcome=Outcome.CONNECTED, organisation="YY贷")
        for h in (4, 5)
    ]
    flags = evaluate([*bank, *agency, *other], CN, tz=SH, cases=cases).findings
    [f] = [f for f in flags if "CN-GB-FREQ" in f.rules]
    assert set(f.records) == {r.record_id for r in bank + agency}
    # Four lenders calling once each are not one institution calling four times.
    lenders = [
        rec(day + timedelta(hours=h), outcome=Outcome.CONNECTED, organisation=f"L{h}")
        for h in range(4)
    ]
    assert not [f for f in check(lenders, CN, tz=SH) if "CN-GB-FREQ" in rules_of(f)]


def test_us_frequency_is_per_debt():
    from evidence_locker.rules import evaluate

    start = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    cases = {
        "a": Case(id="a", name="card", creditor="Bank A"),
        "b": Case(id="b", name="loan", creditor="Bank B"),
    }
    # One agency, two debts, 4 calls each in a week: 8 calls, but 4 per debt.
    calls = [
        rec(start + timedelta(days=d), organisation="ACME", outcome=Outcome.MISSED, case_id=c)
        for d in range(4)
        for c in ("a", "b")
    ]
    flags = evaluate(calls, US, tz=NY, cases=cases).findings
    assert not [f for f in flags if "US-FREQ" in f.rules]


# --- 4. negation, nesting, declared severities -------------------------------------------------


def test_negated_threats_are_not_threats():
    reassure_en = rec(
        datetime(2025, 6, 2, 10, 0, tzinfo=NY),
        channel=Channel.SMS,
        organisation="ACME",
        content="This is not a criminal matter and you will not be arrested.",
    )
    reassure_zh = rec(
        datetime(2026, 2, 9, 10, 0, tzinfo=SH),
        channel=Channel.SMS,
        content="我们不会联系您的紧急联系人，请放心并注意安全",
    )
    assert not check([reassure_en], US, tz=NY)
    assert not [f for f in check([reassure_zh], CN, tz=SH) if f.kind == "phrases"]


def test_a_phrase_inside_a_longer_one_counts_once():
    blast = rec(datetime(2026, 2, 9, 10, 0, tzinfo=SH), channel=Channel.SMS, content="爆通讯录")
    [f] = [f for f in check([blast], CN, tz=SH) if f.kind == "phrases"]
    assert f.score == pytest.approx(3)  # 爆通讯录 (3), not + 通讯录 (1)
    crime = rec(datetime(2026, 2, 9, 10, 0, tzinfo=SH), channel=Channel.SMS, content="追究刑事责任")
    [g] = [f for f in check([crime], CN, tz=SH) if f.kind == "phrases"]
    assert g.score == pytest.approx(1.5)  # 刑事责任 (1.5), not + 刑事 (1)


def test_the_severity_a_phrase_rule_declares_is_used():
    words = rec(
        datetime(2025, 6, 2, 10, 0, tzinfo=NY),
        channel=Channel.SMS,
        organisation="ACME",
        content="You will be arrested on criminal charges.",
    )
    [f] = [f for f in check([words], US, tz=NY) if "US-FALSE" in rules_of(f)]
    assert f.severity == "medium"  # US-FALSE declares medium; the score once made it high


# --- 5. threats worded differently ---------------------------------------------------------------

MISSED_THREATS = [
    (CN, SH, "发给了你的同事和亲戚……业主群……社会性死亡"),
    (CN, SH, "通知你老婆和你公司老板，打爆你亲戚的电话"),
    (US, NY, "Pay by Zelle, Western Union, wire or bitcoin today."),
    (UK, LDN, "NOTICE OF ENFORCEMENT – County Court. Pay now."),
    (UK, LDN, "We will apply for a charging order on your home."),
]


@pytest.mark.parametrize(("rules", "zone", "text"), MISSED_THREATS)
def test_threats_worded_differently_are_found(rules, zone, text):
    sms = rec(datetime(2026, 2, 9, 10, 0, tzinfo=zone), channel=Channel.SMS, content=text)
    assert check([sms], rules, tz=zone)


def test_a_bank_looking_sms_paying_a_named_person_at_a_lookalike_domain():
    sms = rec(
        datetime(2026, 2, 9, 10, 0, tzinfo=SH),
        channel=Channel.SMS,
        organisation="工商银行",
        address="+8617000000000",
        content="【工商银行】您的贷款已逾期，请于今日转入指定账户：张三 6228 4800 1234 5678 901，"
        "详见 icbc-pay.top",
    )
    official = {"工商银行": {"numbers": ["95588"], "websites": ["icbc.com.cn"]}}
    [f] = [f for f in check([sms], CN, tz=SH, official_numbers=official) if f.kind == "scam_signs"]
    assert f.severity == "high"
    assert "张三" in f.reason("en") and "icbc-pay.top" in f.reason("en")


# --- 6. over-wide flags -----------------------------------------------------------------


def test_a_call_the_spouse_reports_is_the_consumer_under_us_law():
    wife = rec(datetime(2025, 6, 2, 10, 0, tzinfo=NY), organisation="ACME", third_party="wife")
    assert not [f for f in check([wife], US, tz=NY) if f.kind == "third_party"]
    # Chinese rules count the spouse as a third party.
    wife_cn = rec(datetime(2026, 2, 9, 10, 0, tzinfo=SH), third_party="老婆")
    assert [f for f in check([wife_cn], CN, tz=SH) if f.kind == "third_party"]


def test_one_location_call_to_a_neighbour_is_allowed_unless_repeated_or_about_the_debt():
    t0 = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    first = rec(t0, organisation="ACME", third_party="neighbour", content="asked where I live now")
    again = rec(t0 + timedelta(days=3), organisation="ACME", third_party="neighbour")
    debt = rec(t0, organisation="ACME", third_party="brother", content="said I owe a debt")
    flags = check([first, again, debt], US, tz=NY)
    assert not about(flags, first, "US-3P")
    assert about(flags, again, "US-3P") and about(flags, debt, "US-3P")


def test_the_collectors_letter_confirming_it_stops_is_allowed():
    t0 = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    cease = rec(
        t0,
        channel=Channel.LETTER,
        direction=Direction.OUTGOING,
        organisation="ACME",
        event=Event.CEASE_REQUEST,
    )
    closing = rec(
        t0 + timedelta(days=5),
        channel=Channel.LETTER,
        organisation="ACME",
        content="As requested, our further efforts are being terminated.",
    )
    call = rec(t0 + timedelta(days=6), organisation="ACME")
    flags = check([cease, closing, call], US, tz=NY)
    assert not about(flags, closing, "US-CEASE") and about(flags, call, "US-CEASE")


def test_a_stop_request_without_an_organisation_applies_to_none():
    from evidence_locker.rules import evaluate

    t0 = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    cease = rec(
        t0,
        channel=Channel.LETTER,
        direction=Direction.OUTGOING,
        organisation=None,
        address=None,
        event=Event.CEASE_REQUEST,
    )
    calls = [rec(t0 + timedelta(days=1), organisation=o) for o in ("ACME", "Other")]
    report = evaluate([cease, *calls], US, tz=NY)
    assert not [f for f in report.findings if "US-CEASE" in f.rules]
    assert [
        n for n in report.notes if n.kind == "event_without_org" and cease.record_id in n.records
    ]


def test_an_oral_stop_request_is_not_a_written_one():
    from evidence_locker.rules import evaluate

    t0 = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    oral = rec(t0, direction=Direction.OUTGOING, organisation="ACME", event=Event.CEASE_REQUEST)
    later = rec(t0 + timedelta(days=2), organisation="ACME")
    report = evaluate([oral, later], US, tz=NY)
    assert not [f for f in report.findings if "US-CEASE" in f.rules]
    [note] = [n for n in report.notes if n.kind == "oral_request"]
    assert "oral" in note.en and "口头" in note.zh


def test_a_statutory_notice_after_a_request_is_allowed():
    t0 = datetime(2025, 6, 2, 10, 0, tzinfo=LDN)
    ask = rec(
        t0,
        channel=Channel.LETTER,
        direction=Direction.OUTGOING,
        organisation="Lender",
        event=Event.WRITING_ONLY,
    )
    notice = rec(
        t0 + timedelta(days=3),
        channel=Channel.LETTER,
        organisation="Lender",
        content="Default notice under section 87",
    )
    call = rec(t0 + timedelta(days=4), organisation="Lender")
    flags = check([ask, notice, call], UK, tz=LDN)
    assert not about(flags, notice) and about(flags, call, "UK-MEDIUM-CALLS")


def test_rules_are_not_applied_before_their_source_took_effect():
    from evidence_locker.rules import evaluate

    before = rec(datetime(2025, 2, 20, 23, 0, tzinfo=SH))  # GB/T 45251-2025: from 2025-02-28
    after = rec(datetime(2025, 3, 1, 23, 0, tzinfo=SH))
    report = evaluate([before, after], CN, tz=SH)
    assert not about(report.findings, before) and about(report.findings, after, "CN-GB-TIME")
    [note] = [n for n in report.notes if n.kind == "not_yet_in_force" and "CN-GB-TIME" in n.en]
    assert "2025-02-28" in note.en and before.record_id in note.records


# --- 7. one finding per record and kind --------------------------------------------------


def test_one_finding_per_record_and_kind_citing_every_source():
    t0 = datetime(2026, 2, 9, 23, 0, tzinfo=SH)
    night = rec(t0)
    reported = rec(t0 - timedelta(hours=12), third_party="母亲")
    court = rec(
        t0 - timedelta(hours=11),
        channel=Channel.SMS,
        content="法院传票：你已被立案，72小时内不处理将拘留",
    )
    flags = check([night, reported, court], CN, tz=SH)
    per_kind = [(f.kind, r) for f in flags for r in f.records]
    assert len(per_kind) == len(set(per_kind))
    [n] = about(flags, night)
    assert {"CN-CBA-TIME", "CN-GB-TIME"} <= set(rules_of(n))
    [c] = [f for f in about(flags, court) if f.kind == "phrases"]
    assert {"CN-CBA-OFFICIAL", "CN-ADMIN-IMPERSONATE", "CN-CBA-MISLEAD"} <= set(rules_of(c))


def test_offsets_that_disagree_with_the_zone_are_reported():
    from evidence_locker.rules import evaluate

    # Typed the next morning on a UTC computer as "22:05": really 06:05 Beijing. (A time
    # the clock gave when logging is never named: tests/test_rules_offset_clock.py.)
    typed_on_utc = rec(
        datetime(2026, 2, 9, 22, 5, tzinfo=UTC), logged_at=datetime(2026, 2, 10, 1, tzinfo=UTC)
    )
    beijing = rec(datetime(2026, 2, 9, 22, 5, tzinfo=SH))
    report = evaluate([typed_on_utc, beijing], CN)
    assert report.zone.name == "Asia/Shanghai" and report.zone.source == "rule_set"
    [note] = [n for n in report.notes if n.kind == "offsets"]
    assert note.records == (typed_on_utc.record_id,) and "+00:00" in note.en


# Wordings quoted in public reports of collection messages (羊城晚报 on 爆通讯录 and fake
# court calls; a 2026 3·15 article on private-number collection; reporting on fake
# court texts; the FTC's and CFPB's examples of fake-collector threats). Each must be
# found, with the kind of finding a reader would expect.
REPORTED = [
    (CN, SH, "明天下午3点，法院将到你家强制执行，若反抗，直接拘留15天。", "phrases"),
    (CN, SH, "诉讼材料已提交法院，72小时后你将收到传票，成为失信被执行人。", "phrases"),
    (CN, SH, "今天下午三点，工作人员将上门核实你的经济情况，请做好准备。", "announced_visit"),
    (CN, SH, "再不还钱，让你孩子在学校抬不起头", "phrases"),
    (CN, SH, "要让你全家都知道你欠钱不还，让你在公司待不下去", "phrases"),
    (CN, SH, "已P图群发你的通讯录，明天给你家送花圈", "phrases"),
    (CN, SH, "您涉嫌洗钱，请将资金转到安全账户验资", "scam_signs"),
    (US, NY, "Failure to respond will result in a warrant for your arrest.", "phrases"),
    (US, NY, "We will garnish your wages and you are being served today.", "phrases"),
    (US, NY, "Buy Google Play cards and send us the numbers to settle this debt.", "scam_signs"),
]


@pytest.mark.parametrize(("rules", "zone", "text", "kind"), REPORTED)
def test_reported_collection_wordings_are_found(rules, zone, text, kind):
    sms = rec(
        datetime(2026, 2, 9, 10, 0, tzinfo=zone),
        channel=Channel.SMS,
        organisation="X",
        content=text,
    )
    assert kind in {f.kind for f in check([sms], rules, tz=zone)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("【法院】您已被列为被执行人，将追究刑事责任，请立即还款", {"CN-CBA-OFFICIAL"}),
        ("你家人都会知道的", {"CN-CBA-CONTACTS"}),
        ("你家人不会知道的，放心", set()),
    ],
)
def test_a_court_signature_and_a_family_will_know_threat(text, expected):
    """An SMS signed 【法院】 poses as a court; "your family will all know" threatens to
    tell them (its negation does not)."""
    sms = rec(datetime(2026, 2, 9, 10, 0, tzinfo=SH), channel=Channel.SMS, content=text)
    named = {r for f in check([sms], CN, tz=SH) for r in rules_of(f)}
    assert expected <= named and (expected or not named)


_NOTE_SCRIPT = """
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
from evidence_locker.model import Channel, Direction, Record
from evidence_locker.rules import evaluate, shipped_rule_set

sh = ZoneInfo("Asia/Shanghai")
t0 = datetime(2025, 1, 10, 23, 0, tzinfo=sh)  # before GB/T 45251-2025 (2025-02-28)
recs = [
    Record(id=f"v{n}", record_id=f"r{n}", seq=n, channel=Channel.CALL,
           direction=Direction.INCOMING, occurred_at=t0 + timedelta(hours=n),
           logged_at=t0, organisation="XX银行", address="+8613800000001",
           time_known=n % 3 != 0)
    for n in range(40, 0, -1)
]
report = evaluate(recs, [shipped_rule_set("cn")], tz="Asia/Shanghai")
print(json.dumps([n.to_json("en") for n in report.notes], ensure_ascii=False))
"""


def test_notes_list_their_records_in_time_order_whatever_the_hash_seed():
    """The not-yet-in-force and time-unknown notes listed their records in set order,
    so the same check printed a different list from one run to the next."""
    import json
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", _NOTE_SCRIPT], env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    notes = {n["kind"]: n["records"] for n in json.loads(outputs[0])}
    # Records r1..r40 are one hour apart in that order (given newest first).
    for kind in ("not_yet_in_force", "time_unknown"):
        ids = notes[kind]
        assert len(ids) > 10 and ids == sorted(ids, key=lambda r: int(r[1:])), kind


def test_a_not_yet_in_force_note_names_the_law_whole() -> None:
    """A threat sent in 2025 under the revised public-order law (in force 2026): the
    note once read "..., as revised 2025), in force applies from 2026-01-01"
    (tests/test_rules_source_title.py checks every shipped title)."""
    threat = rec(
        datetime(2025, 3, 10, 10, 0, tzinfo=SH),
        channel=Channel.SMS,
        content="再不还款就爆通讯录，通知你单位领导，后果自负！",
    )
    from evidence_locker.rules import evaluate

    texts = [n.en for n in evaluate([threat], CN, tz=SH).notes if n.kind == "not_yet_in_force"]
    law = "(Public Security Administration Punishments Law, as revised 2025)"
    assert any(f"{law} applies from 2026-01-01" in t for t in texts), texts
    assert not any("in force applies" in t for t in texts), texts


def test_a_time_the_clock_gave_is_not_reported_as_off() -> None:
    """No --at: the record's time is the moment it was logged, exact whatever its offset
    (tests/test_rules_offset_clock.py follows the README on a UTC computer)."""
    from evidence_locker.rules import evaluate

    now = datetime(2026, 12, 2, 7, 2, 30, tzinfo=UTC)
    clock = rec(now - timedelta(seconds=20), logged_at=now)  # no --at: the moment of logging
    # Typed on the UTC computer as "22:05", meaning Beijing's 22:05, logged the next day.
    typed = rec(
        datetime(2026, 2, 9, 22, 5, tzinfo=UTC), logged_at=datetime(2026, 2, 10, 9, tzinfo=UTC)
    )
    beijing = rec(datetime(2026, 2, 9, 22, 5, tzinfo=SH), logged_at=now)
    report = evaluate([clock, typed, beijing], CN, tz="Asia/Shanghai")
    [note] = [n for n in report.notes if n.kind == "offsets"]
    assert note.records == (typed.record_id,)
    assert note.en.startswith("1 of 3 records"), note.en
    alone = evaluate([clock, beijing], CN, tz="Asia/Shanghai")
    assert "offsets" not in {n.kind for n in alone.notes}
