"""The rule engine on constructed timelines, at the edges of every rule kind."""

from __future__ import annotations

import itertools
import textwrap
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from evidence_locker.errors import UsageError
from evidence_locker.model import Channel, Direction, Event, Outcome, Record
from evidence_locker.rules import Finding, check, live_records, parse_rule_set, shipped_rule_set

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
_ids = itertools.count(1)

HEAD = """
jurisdiction = "TEST"
name = "test"
title_en = "test"
title_zh = "测试"
"""
SRC = """
instrument = "Test instrument"
article = "art. 1"
description_en = "A test rule."
description_zh = "测试规则。"
source_url = "https://example.org/rule"
confidence = "V"
severity = "medium"
"""


def rule_set(kind: str, params: str, rid: str = "T-RULE"):
    """A one-rule set from a params snippet, parsed by the real loader."""
    text = HEAD + f'[[rules]]\nid = "{rid}"\nkind = "{kind}"\n' + SRC
    text += "[rules.params]\n" + textwrap.dedent(params)
    return parse_rule_set(text, "test.toml")


def rec(when: datetime, **kw) -> Record:
    n = next(_ids)
    kw.setdefault("channel", Channel.CALL)
    kw.setdefault("direction", Direction.INCOMING)
    kw.setdefault("organisation", "XX银行")
    kw.setdefault("address", "+8613800000001")
    rid = kw.pop("record_id", f"r{n}")
    return Record(
        id=f"v{n}", record_id=rid, seq=kw.pop("seq", n), occurred_at=when, logged_at=when, **kw
    )


def flagged(flags: list[Finding]) -> set[str]:
    return {r for f in flags for r in f.records}


def of_rule(flags: list[Finding], rule: str) -> list[Finding]:
    """The findings a rule contributed to (a finding may cite several rules)."""
    return [f for f in flags if rule in f.rules]


# --- quiet hours ----------------------------------------------------------------------

NIGHT = rule_set("quiet_hours", 'start = "22:00"\nend = "08:00"\n')


@pytest.mark.parametrize(
    ("hms", "inside"),
    [
        ((21, 59, 59), False),
        ((22, 0, 0), True),
        ((23, 59, 59), True),
        ((0, 0, 0), True),
        ((7, 59, 59), True),
        ((8, 0, 0), False),
        ((12, 0, 0), False),
    ],
)
def test_quiet_hours_window_boundaries(hms, inside):
    r = rec(datetime(2025, 2, 9, *hms, tzinfo=SH))
    flags = check([r], NIGHT, tz="Asia/Shanghai")
    assert (r.record_id in flagged(flags)) is inside
    if inside:
        f = flags[0]
        assert f.rules == ("T-RULE",) and f.kind == "quiet_hours" and f.severity == "medium"
        assert "22:00–08:00" in f.reason("en") and "possible" in f.reason("en")
        assert "可能" in f.reason("zh") and "22:00–08:00" in f.reason("zh")
        assert f.sources("en") == ["Test instrument, art. 1"]


def test_quiet_hours_converts_to_the_debtor_timezone():
    # 15:30 UTC is 23:30 in Shanghai (flagged there), 10:30 in New York (not flagged).
    r = rec(datetime(2025, 2, 9, 15, 30, tzinfo=UTC))
    assert flagged(check([r], NIGHT, tz="Asia/Shanghai")) == {r.record_id}
    assert check([r], NIGHT, tz="America/New_York") == []
    reason = check([r], NIGHT, tz="Asia/Shanghai")[0].reason("en")
    assert "2025-02-09 at 23:30 (Asia/Shanghai)" in reason


def test_quiet_hours_across_midnight_date_is_local():
    r = rec(datetime(2025, 2, 9, 16, 5, tzinfo=UTC))  # 00:05 on 2025-02-10 in Shanghai
    [f] = check([r], NIGHT, tz="Asia/Shanghai")
    assert "2025-02-10 at 00:05" in f.reason("en")


def test_quiet_hours_same_day_window_and_exclusive_start():
    us = shipped_rule_set("us")
    at_nine = rec(datetime(2025, 6, 2, 21, 0, 0, tzinfo=NY))
    just_after = rec(datetime(2025, 6, 2, 21, 0, 0, 1, tzinfo=NY))
    seven59 = rec(datetime(2025, 6, 3, 7, 59, 59, tzinfo=NY))
    eight = rec(datetime(2025, 6, 3, 8, 0, tzinfo=NY))
    flags = of_rule(check([at_nine, just_after, seven59, eight], us, tz=NY), "US-TIME")
    assert flagged(flags) == {just_after.record_id, seven59.record_id}
    lunch = rule_set("quiet_hours", 'start = "12:00"\nend = "13:30"\n')
    rs = [
        rec(datetime(2025, 6, 2, h, m, tzinfo=NY))
        for h, m in ((11, 59), (12, 0), (13, 29), (13, 30))
    ]
    assert flagged(check(rs, lunch, tz=NY)) == {rs[1].record_id, rs[2].record_id}


def test_quiet_hours_dst_spring_forward_new_york():
    # 2025-03-09: clocks go from 02:00 EST to 03:00 EDT. 12:30 UTC is 08:30 EDT (fine);
    # a fixed EST offset would wrongly say 07:30. 11:30 UTC is 07:30 EDT (inside).
    fine = rec(datetime(2025, 3, 9, 12, 30, tzinfo=UTC))
    early = rec(datetime(2025, 3, 9, 11, 30, tzinfo=UTC))
    night = rec(datetime(2025, 3, 9, 6, 30, tzinfo=UTC))  # 01:30 EST
    us = shipped_rule_set("us")
    got = {
        f.records[0]: f
        for f in of_rule(check([fine, early, night], us, tz="America/New_York"), "US-TIME")
    }
    assert set(got) == {early.record_id, night.record_id}
    assert "07:30" in got[early.record_id].reason("en")
    assert "01:30" in got[night.record_id].reason("en")


def test_quiet_hours_dst_fall_back_new_york():
    # 2025-11-02: 01:30 happens twice. 05:30 UTC = 01:30 EDT, 06:30 UTC = 01:30 EST;
    # 12:59 UTC = 07:59 EST (inside), 13:00 UTC = 08:00 EST (outside; EDT would say 09:00).
    rs = [
        rec(datetime(2025, 11, 2, h, m, tzinfo=UTC))
        for h, m in ((5, 30), (6, 30), (12, 59), (13, 0))
    ]
    flags = check(rs, NIGHT, tz="America/New_York")
    assert flagged(flags) == {rs[0].record_id, rs[1].record_id, rs[2].record_id}


def test_quiet_hours_ignores_outgoing_and_logged_events():
    mine = rec(datetime(2025, 2, 9, 23, 0, tzinfo=SH), direction=Direction.OUTGOING)
    letter = rec(
        datetime(2025, 2, 9, 23, 0, tzinfo=SH),
        channel=Channel.LETTER,
        direction=Direction.INCOMING,
        event=Event.DISPUTE,
    )
    assert check([mine, letter], NIGHT, tz="Asia/Shanghai") == []


def test_bad_timezone_is_a_usage_error():
    with pytest.raises(UsageError) as exc:
        check([], NIGHT, tz="Mars/Olympus")
    assert "Mars/Olympus" in str(exc.value)


# --- frequency ------------------------------------------------------------------------

PER_DAY = rule_set(
    "frequency",
    """
    channels = ["call"]
    outcomes = ["connected"]
    per = "debtor"
    max = 3
    label_en = "connected call"
    label_zh = "接通的电话"
    """,
)


def calls(day: datetime, n: int, **kw) -> list[Record]:
    kw.setdefault("outcome", Outcome.CONNECTED)
    return [rec(day + timedelta(minutes=10 * i), **kw) for i in range(n)]


def test_frequency_nth_call_is_fine_n_plus_first_is_flagged():
    day = datetime(2025, 2, 9, 9, 0, tzinfo=SH)
    assert check(calls(day, 3), PER_DAY, tz=SH) == []
    four = calls(day, 4)
    [f] = check(four, PER_DAY, tz=SH)
    assert f.records == tuple(r.record_id for r in four)
    assert f.reason("en").startswith("possible excessive contact: 4th connected call on 2025-02-09")
    assert "4 that day; the limit is 3 per day" in f.reason("en")
    assert "09:30" in f.reason("en")
    assert "第4次接通的电话" in f.reason("zh")
    assert f.score == pytest.approx(4 / 3)


def test_frequency_counts_only_the_given_outcomes_and_channels():
    day = datetime(2025, 2, 9, 9, 0, tzinfo=SH)
    rs = calls(day, 3) + calls(day + timedelta(hours=3), 2, outcome=Outcome.MISSED)
    rs += calls(day + timedelta(hours=5), 2, channel=Channel.SMS)
    assert check(rs, PER_DAY, tz=SH) == []


def test_frequency_calendar_day_is_the_debtor_day():
    # Four calls within 40 minutes around local midnight: 2 on each day, no flag.
    rs = calls(datetime(2025, 2, 9, 23, 40, tzinfo=SH), 4)
    assert check(rs, PER_DAY, tz=SH) == []
    # The same instants seen from New York fall on one day (10:40-11:10): flagged.
    assert len(check(rs, PER_DAY, tz=NY)) == 1


def test_frequency_per_address_groups_numbers_separately():
    per_addr = rule_set("frequency", 'outcomes = ["unanswered"]\nper = "address"\nmax = 6\n')
    day = datetime(2025, 2, 9, 9, 0, tzinfo=SH)
    a = calls(day, 6, outcome=Outcome.MISSED, address="+8613800000001")
    b = calls(day, 6, outcome=Outcome.VOICEMAIL, address="+8613800000002")
    assert check(a + b, per_addr, tz=SH) == []
    extra = rec(day + timedelta(hours=5), outcome=Outcome.REJECTED, address="+8613800000002")
    [f] = check([*a, *b, extra], per_addr, tz=SH)
    assert set(f.records) == {r.record_id for r in b} | {extra.record_id}
    assert "from +8613800000002" in f.reason("en") and "7th contact" in f.reason("en")


def test_shipped_cn_unanswered_limit_is_six_per_institution():
    cn = shipped_rule_set("cn")
    day = datetime(2026, 2, 9, 9, 0, tzinfo=SH)
    six = calls(day, 6, outcome=Outcome.MISSED)
    assert not of_rule(check(six, cn, tz=SH), "CN-CBA-FREQ")
    seven = calls(day, 7, outcome=Outcome.MISSED)
    [f] = of_rule(check(seven, cn, tz=SH), "CN-CBA-FREQ")
    assert "7th unanswered call on 2026-02-09" in f.reason("en")


def test_frequency_rolling_window_seven_in_seven_days():
    us = shipped_rule_set("us")
    start = datetime(2025, 6, 2, 10, 0, tzinfo=NY)  # a Monday
    # one missed call a day for 7 days: 7 calls in 7 days, not more than 7
    week = [rec(start + timedelta(days=d), outcome=Outcome.MISSED) for d in range(7)]
    assert not of_rule(check(week, us, tz=NY), "US-FREQ")
    # an 8th on day 7 is the 8th within 7 consecutive days
    eighth = rec(start + timedelta(days=6, hours=2), outcome=Outcome.MISSED)
    [f] = of_rule(check([*week, eighth], us, tz=NY), "US-FREQ")
    assert "8th call within 7 consecutive days (2025-06-02 to 2025-06-08)" in f.reason("en")
    assert len(f.records) == 8
    # the same 8th call on day 8 is fine: day 1 has left the window
    later = rec(start + timedelta(days=7), outcome=Outcome.MISSED)
    assert not of_rule(check([*week, later], us, tz=NY), "US-FREQ")


def test_frequency_rolling_failed_calls_do_not_count():
    us = shipped_rule_set("us")
    start = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    rs = [rec(start + timedelta(hours=h), outcome=Outcome.FAILED) for h in range(10)]
    assert not of_rule(check(rs, us, tz=NY), "US-FREQ")


def test_frequency_rolling_run_makes_one_flag_per_episode():
    rolling = rule_set("frequency", 'period = "rolling"\nwindow_days = 2\nmax = 2\n')
    t0 = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    burst1 = [rec(t0 + timedelta(hours=h)) for h in range(5)]  # 3rd, 4th, 5th exceed
    burst2 = [rec(t0 + timedelta(days=10, hours=h)) for h in range(3)]
    flags = check(burst1 + burst2, rolling, tz=NY)
    assert len(flags) == 2
    assert {len(f.records) for f in flags} == {5, 3}


def test_after_conversation_day_one_is_the_conversation_day():
    us = shipped_rule_set("us")
    conv = rec(datetime(2025, 6, 2, 10, 0, tzinfo=NY), outcome=Outcome.CONNECTED)
    day7 = rec(datetime(2025, 6, 8, 23, 59, tzinfo=NY), outcome=Outcome.MISSED)
    day8 = rec(datetime(2025, 6, 9, 0, 0, tzinfo=NY), outcome=Outcome.MISSED)
    assert of_rule(check([conv, day8], us, tz=NY), "US-FREQ-CONV") == []
    [f] = of_rule(check([conv, day7], us, tz=NY), "US-FREQ-CONV")
    assert f.records == (conv.record_id, day7.record_id)
    assert "(day 7)" in f.reason("en") and "conversation on 2025-06-02 10:00" in f.reason("en")


def test_after_conversation_user_call_counts_as_conversation_and_other_orgs_do_not():
    us = shipped_rule_set("us")
    mine = rec(
        datetime(2025, 6, 2, 10, 0, tzinfo=NY),
        direction=Direction.OUTGOING,
        outcome=Outcome.CONNECTED,
    )
    other = rec(
        datetime(2025, 6, 3, 10, 0, tzinfo=NY), organisation="Other Agency", outcome=Outcome.MISSED
    )
    same = rec(datetime(2025, 6, 3, 11, 0, tzinfo=NY), outcome=Outcome.MISSED)
    [f] = of_rule(check([mine, other, same], us, tz=NY), "US-FREQ-CONV")
    assert f.records == (mine.record_id, same.record_id)


def test_after_conversation_chain_is_one_flag():
    us = shipped_rule_set("us")
    rs = [
        rec(datetime(2025, 6, 2 + d, 10, 0, tzinfo=NY), outcome=Outcome.CONNECTED) for d in range(4)
    ]
    [f] = of_rule(check(rs, us, tz=NY), "US-FREQ-CONV")
    assert len(f.records) == 4 and "3 call(s)" in f.reason("en")


# --- after an event, third parties ---------------------------------------------------


def _letter(when: datetime, event: Event, **kw) -> Record:
    kw.setdefault("channel", Channel.LETTER)
    return rec(when, direction=Direction.OUTGOING, event=event, **kw)


def test_after_event_same_organisation_only_and_strictly_after():
    us = shipped_rule_set("us")
    t0 = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    cease = _letter(t0, Event.CEASE_REQUEST)
    before = rec(t0 - timedelta(minutes=1))
    same_time = rec(t0, record_id="r-same")
    after = rec(t0 + timedelta(days=3))
    other = rec(t0 + timedelta(days=3), organisation="Other Agency")
    flags = of_rule(check([cease, before, same_time, after, other], us, tz=NY), "US-CEASE")
    assert [f.records for f in flags] == [(after.record_id, cease.record_id)]
    assert "after your request to stop contact of 2025-06-02" in flags[0].reason("en")
    assert "要求停止联系" in flags[0].reason("zh")


def test_after_event_institution_scope_and_grace_days():
    rs = rule_set("after_event", 'events = ["attorney", "repayment_plan"]\ngrace_days = 2\n')
    t0 = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    plan = _letter(t0, Event.REPAYMENT_PLAN, channel=Channel.OTHER, organisation="ACME Collections")
    in_grace = rec(t0 + timedelta(days=2), organisation="acme  collections")
    late = rec(t0 + timedelta(days=2, seconds=1), organisation="ＡＣＭＥ Collections")
    flags = check([plan, in_grace, late], rs, tz=NY)
    assert flagged(flags) == {late.record_id, plan.record_id}


def test_after_event_period_ended_by_a_later_event():
    rs = rule_set("after_event", 'events = ["dispute"]\nended_by = ["verification"]\n')
    t0 = datetime(2025, 6, 2, 10, 0, tzinfo=NY)
    dispute = _letter(t0, Event.DISPUTE)
    during = rec(t0 + timedelta(days=5))
    verified = rec(t0 + timedelta(days=9), event=Event.VERIFICATION, channel=Channel.LETTER)
    after = rec(t0 + timedelta(days=12))
    assert flagged(check([dispute, during, verified, after], rs, tz=NY)) == {
        during.record_id,
        dispute.record_id,
    }


def test_third_party_records_make_one_finding_citing_both_sources():
    cn = shipped_rule_set("cn")
    t0 = datetime(2026, 2, 9, 10, 0, tzinfo=SH)
    mum = rec(t0, third_party="母亲")
    me = rec(t0)
    [f] = [f for f in check([mum, me], cn, tz=SH) if f.kind == "third_party"]
    assert set(f.rules) == {"CN-CBA-3P", "CN-GB-3P", "CN-PIPL-3P"}
    assert f.records == (mum.record_id,) and f.severity == "high"
    assert "由母亲反映" in f.reason("zh")


# --- phrases ---------------------------------------------------------------------------

THREATS = rule_set(
    "phrases",
    """
    category_en = "threat"
    category_zh = "威胁"
    [rules.params.phrases]
    "弄死" = 3
    "后果自负" = 2
    "征信" = 0.5
    "起诉" = 0.5
    "kill" = 3
    """,
)


def _content(text: str, **kw) -> Record:
    kw.setdefault("channel", Channel.SMS)
    when = kw.pop("when", datetime(2026, 2, 9, 10, 0, tzinfo=SH))
    return rec(when, content=text, **kw)


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("再不还钱弄死你", 3),
        ("後果自負", 2),  # Traditional script
        ("ＫＩＬＬ you", 3),  # full-width, upper case
        ("我要kill你", 3),  # English inside Chinese
        ("逾期将影响征信", None),  # a lone low-weight word is not a finding
        ("我们将起诉并上报征信", 1),  # two low words together are
        ("new skills", None),  # no match inside an English word
        ("", None),
    ],
)
def test_phrases_score_and_the_declared_severity(text, score):
    flags = check([_content(text)], THREATS, tz=SH)
    if score is None:
        assert flags == []
    else:
        [f] = flags
        # The rule declares "medium": the score orders findings, it does not change that.
        assert f.severity == "medium" and f.score == pytest.approx(score)
        assert f.reason("en").startswith("possible threat:")


def test_phrases_ignore_the_users_own_messages_and_notes():
    mine = _content("我不会被弄死", direction=Direction.OUTGOING)
    noted = rec(datetime(2026, 2, 9, 10, 0, tzinfo=SH), notes="他说弄死我")
    assert check([mine, noted], THREATS, tz=SH) == []


def test_shipped_cn_phrases_one_finding_citing_each_category():
    cn = shipped_rule_set("cn")
    r = _content("再不还款就爆通讯录，通知你单位，到时候拘留坐牢，后果自负")
    [f] = [f for f in check([r], cn, tz=SH) if f.kind == "phrases"]
    assert {"CN-CBA-CONTACTS", "CN-CBA-MISLEAD", "CN-CBA-THREAT", "CN-ADMIN"} <= set(f.rules)
    assert f.severity == "high" and "爆通讯录" in f.reason("zh")


# --- scam signs ------------------------------------------------------------------------


def test_scam_signs_unofficial_sender_links_personal_account():
    cn = shipped_rule_set("cn")
    official = {"XX银行": {"numbers": ["95588", "+86 400 820 8888"], "aliases": ["XX行"]}}
    t0 = datetime(2026, 2, 9, 10, 0, tzinfo=SH)
    genuine = rec(t0, channel=Channel.SMS, address="+8695588", content="您的账单已出")
    genuine2 = rec(
        t0, channel=Channel.SMS, address="4008208888", organisation="XX行", content="请按时还款"
    )
    fake = rec(
        t0, channel=Channel.SMS, address="+8617000000000", content="点击 http://t.cn/A6xyz 处理"
    )
    unknown_org = rec(
        t0, channel=Channel.SMS, organisation="YY贷", address="+8617000000001", content="请还款"
    )
    link = rec(t0, channel=Channel.SMS, address="95588", content="详情见 www.example-bank.com/pay")
    acct = rec(t0, channel=Channel.MESSAGE, address="95588", content="请转到我的个人支付宝")
    flags = {
        f.records[0]: f
        for f in of_rule(
            check(
                [genuine, genuine2, fake, unknown_org, link, acct],
                cn,
                tz=SH,
                official_numbers=official,
            ),
            "CN-SCAM",
        )
    }
    assert set(flags) == {fake.record_id, link.record_id, acct.record_id}
    assert flags[fake.record_id].severity == "medium"
    assert "not among the official numbers" in flags[fake.record_id].reason("en")
    assert "short link" in flags[fake.record_id].reason("en")
    assert flags[link.record_id].severity == "low"
    assert flags[acct.record_id].severity == "high"
    # Without a list of official numbers, the sender is never judged.
    no_list = of_rule(check([fake], cn, tz=SH), "CN-SCAM")
    assert "official" not in no_list[0].reason("en")


def test_official_numbers_short_numbers_do_not_match_by_suffix(tmp_path):
    from evidence_locker.rules import load_official_numbers

    path = tmp_path / "numbers.toml"
    path.write_text(
        '["Police"]\nnumbers = ["110"]\n["Bank"]\nnumbers = ["95588"]\nemails = ["bank.example"]\n',
        encoding="utf-8",
    )
    nums = load_official_numbers(path)
    police, bank = nums.for_org("police"), nums.for_org("BANK")
    assert police.is_official("110") and not police.is_official("+8613800000110")
    assert bank.is_official("+86 95588") and bank.is_official("alerts@mail.bank.example")
    assert not bank.is_official("bank.example@gmail.com")


@pytest.mark.parametrize(
    ("host", "imitated"),
    [
        ("icbc.com.cn", None),
        ("mybank.icbc.com.cn", None),
        ("icbc-pay.top", "icbc.com.cn"),
        ("1cbc.com.cn", "icbc.com.cn"),
        ("icbcc.com", "icbc.com.cn"),
        ("example.org", None),
    ],
)
def test_lookalike_domains(host, imitated):
    from evidence_locker.rules import OfficialNumbers

    bank = OfficialNumbers.from_mapping({"ICBC": {"websites": ["https://www.icbc.com.cn/"]}})
    assert bank.for_org("icbc").imitated_by(host) == imitated


# --- versions, output, order -----------------------------------------------------------


def test_live_records_drops_deleted_and_superseded_versions():
    t0 = datetime(2025, 2, 9, 23, 0, tzinfo=SH)
    night = rec(t0, record_id="c1", seq=1, superseded_by="v-c1b")
    # Corrected: the contact really happened at 21:00, outside the window.
    corrected = Record(
        id="v-c1b",
        record_id="c1",
        seq=5,
        channel=Channel.CALL,
        direction=Direction.INCOMING,
        occurred_at=t0 - timedelta(hours=2),
        logged_at=t0,
        corrects=night.id,
        organisation="XX银行",
    )
    gone = rec(t0, record_id="c2", seq=2)
    tomb = Record(
        id="v-c2b",
        record_id="c2",
        seq=6,
        channel=Channel.CALL,
        direction=Direction.INCOMING,
        occurred_at=t0,
        logged_at=t0,
        corrects=gone.id,
        deleted=True,
        delete_reason="typo",
    )
    kept = rec(t0, record_id="c3", seq=3)
    live = live_records([kept, tomb, night, gone, corrected])
    assert [r.id for r in live] == [corrected.id, kept.id]
    assert flagged(check(live, NIGHT, tz=SH)) == {"c3"}
    # Without the helper, the old versions would be judged too.
    assert flagged(check([night, gone, kept], NIGHT, tz=SH)) == {"c1", "c2", "c3"}


def test_findings_sorted_worst_first_and_json_shape():
    cn = shipped_rule_set("cn")
    t0 = datetime(2026, 2, 9, 23, 0, tzinfo=SH)
    rs = [rec(t0), _content("爆通讯录"), rec(t0 + timedelta(days=1), third_party="同事")]
    flags = check(rs, cn, tz="Asia/Shanghai")
    ranks = [{"low": 1, "medium": 2, "high": 3}[f.severity] for f in flags]
    assert ranks == sorted(ranks, reverse=True)
    js = flags[0].to_json("zh")
    assert {"id", "kind", "rules", "records", "reason", "reasons", "sources", "severity"} <= set(js)
    assert js["possible"] is True and js["reason"] == flags[0].reason("zh")
    assert js["rule"] == js["rules"][0] and js["source"] == js["sources"][0]["citation"]
    assert isinstance(js["records"], list)
    assert flags[0].to_json("en")["reason"] == flags[0].reason("en")


def test_check_accepts_a_generator_and_several_sets():
    t0 = datetime(2026, 2, 9, 23, 0, tzinfo=SH)
    gen = (rec(t0 + timedelta(minutes=i)) for i in range(3))
    flags = check(gen, [shipped_rule_set("cn"), shipped_rule_set("uk")], tz=SH)
    assert {r for f in flags for r in f.rules} >= {"CN-CBA-TIME", "CN-GB-TIME", "UK-TIME-ANALOG"}


# --- what the speed work must not change -------------------------------------------------


def test_equal_times_are_ordered_by_record_id_whatever_the_input_order():
    t0 = datetime(2025, 2, 9, 9, 0, tzinfo=SH)
    same = [rec(t0, outcome=Outcome.CONNECTED, record_id=f"c{i}") for i in (3, 1, 4, 2)]
    later = rec(t0 + timedelta(minutes=1), outcome=Outcome.CONNECTED, record_id="c0")
    for order in ([*same, later], [later, *reversed(same)]):
        [f] = check(order, PER_DAY, tz=SH)
        assert f.records == ("c1", "c2", "c3", "c4", "c0")


def test_findings_come_in_sort_key_order():
    """Findings are sorted one key at a time (cheaper than a key tuple each): the
    order must be Finding.sort_key's, ties on severity and score included."""
    t0 = datetime(2026, 2, 9, 22, 30, tzinfo=SH)
    texts = ["爆通讯录，后果自负", "通知你单位领导", "今天不还明天上门", "请尽快还款"]
    rs = [
        *(rec(t0 + timedelta(hours=h), address=f"+86138000000{h:02d}") for h in (3, 0, 2, 1)),
        *(_content(x, when=t0 - timedelta(hours=n)) for n, x in enumerate(texts * 2)),
        rec(t0 - timedelta(days=1), third_party="同事"),
    ]
    flags = check(rs, shipped_rule_set("cn"), tz=SH)
    assert len({(f.severity, f.score) for f in flags}) > 2 and len(flags) > 8
    assert flags == sorted(flags, key=Finding.sort_key)


def test_phrase_verdicts_shared_between_records_respect_each_rules_channels():
    text = HEAD + "".join(
        f'[[rules]]\nid = "T-{ch.upper()}"\nkind = "phrases"\n{SRC}'
        f'[rules.params]\nchannels = ["{ch}"]\ncategory_en = "c"\ncategory_zh = "类"\n'
        '[rules.params.phrases]\n"弄死" = 3\n'
        for ch in ("sms", "email")
    )
    rs = parse_rule_set(text, "two.toml")
    sms = _content("我弄死你")
    email = rec(datetime(2026, 2, 9, 11, 0, tzinfo=SH), channel=Channel.EMAIL, content="我弄死你")
    got = {(f.rules, f.records[0]) for f in check([sms, email], rs, tz=SH)}
    assert got == {(("T-SMS",), sms.record_id), (("T-EMAIL",), email.record_id)}


def test_a_phrase_in_both_a_phrase_rule_and_a_scam_rule_counts_for_both():
    cn = shipped_rule_set("cn")
    r = _content("请转到我的个人账户，不然弄死你")
    kinds = {f.kind: f for f in check([r], cn, tz=SH)}
    assert kinds["scam_signs"].severity == "high" and "个人账户" in kinds["scam_signs"].reason("en")
    assert kinds["phrases"].severity == "high" and "CN-CBA-THREAT" in kinds["phrases"].rules


def test_check_restores_the_garbage_collector_state():
    import gc

    r = rec(datetime(2025, 2, 9, 23, 0, tzinfo=SH))
    assert gc.isenabled()
    check([r], NIGHT, tz=SH)
    assert gc.isenabled()
    with pytest.raises(UsageError):
        check([r], NIGHT, tz="Nowhere/Zone")
    assert gc.isenabled()
    gc.disable()
    try:
        check([r], NIGHT, tz=SH)
        assert not gc.isenabled()  # a caller that paused it keeps it paused
    finally:
        gc.enable()


def test_timezone_object_is_named_by_its_key():
    r = rec(datetime(2025, 2, 9, 15, 30, tzinfo=UTC))
    [f] = check([r], NIGHT, tz=SH)
    assert "(Asia/Shanghai)" in f.reason("en")


def test_a_fixed_offset_timezone_without_a_name_works():
    # What a caller passes when the system zone has no IANA name.
    from datetime import timezone

    r = rec(datetime(2025, 2, 9, 15, 30, tzinfo=UTC))
    [f] = check([r], NIGHT, tz=timezone(timedelta(hours=8)))
    assert "2025-02-09 at 23:30 (UTC+08:00)" in f.reason("en")
