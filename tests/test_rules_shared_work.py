"""Work the engine shares between records and rules gives what each would find alone.

A check normalises and scans each distinct message once (``Prepared.scanned``), reuses
that text for field sets whose other fields are empty (``Item.text(fields)``), finds the
scam signs no rule's settings change once per run, words a night contact once per
window, fills an after-event reason's template once per event, channel and organisation,
and tests for a negation cue with two searches. These tests compare each shortcut with
the plain computation, so a shortcut that mixes up two records, two rules or two windows
fails here. After a run, what it leaves alive goes to the oldest generation unscanned:
the collector is left as the run found it."""

from __future__ import annotations

import gc
import itertools
import re
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.model import Channel, Direction, Event, Record
from evidence_locker.rules import check, negation, parse_rule_set, shipped_rule_set
from evidence_locker.rules.context import Context
from evidence_locker.rules.engine import KIND_CHECKS
from evidence_locker.rules.finding import SEVERITY_RANK, Hit, finding_id, merge_hits
from evidence_locker.rules.kinds import after_event, scam
from evidence_locker.rules.numbers import as_official_numbers
from evidence_locker.rules.prepare import CONTENT, Prepared
from evidence_locker.rules.text import normalise
from tests.test_rules_engine import HEAD, SRC

SH = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)


def _rec(when: datetime, **kw: object) -> Record:
    n = next(_ids)
    kw.setdefault("channel", Channel.SMS)
    kw.setdefault("direction", Direction.INCOMING)
    kw.setdefault("organisation", "XX银行")
    kw.setdefault("address", "95588")
    return Record(id=f"v{n}", record_id=f"r{n}", seq=n, occurred_at=when, logged_at=when, **kw)  # type: ignore[arg-type]


# --- negation cues ----------------------------------------------------------------------

# The test as one pattern: a Chinese cue character, or an English cue as a word.
_ONE_PATTERN = re.compile(
    "["
    + negation._ZH_CUES
    + "]|\\b(?:"
    + "|".join(sorted(map(re.escape, negation._EN_CUES), key=len, reverse=True))
    + ")(?![a-z'’])"
)
_BITS = [
    *negation._EN_CUES,
    *negation._ZH_CUES,
    *("n", "know", "snot", "note", "nothingness", "anno", "cannot"),
    *("我", "你", "a", "_", "1", " ", "'", "’", ".", ",", "\n"),
]


def _one_search(text: str) -> bool:
    return _ONE_PATTERN.search(text) is not None


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(_BITS), max_size=12).map("".join))
def test_may_negate_is_one_search_for_any_cue(text: str) -> None:
    assert negation.may_negate(text) == _one_search(text)


def test_may_negate_at_word_edges_and_on_the_cue_without_an_n() -> None:
    for text in ("我not", "you will not_ be", "won’t", "without", "snot", "n", ""):
        assert negation.may_negate(text) == _one_search(text), text


# --- one text per distinct message ----------------------------------------------------


def test_repeated_messages_share_the_text_and_hits_each_would_have_alone() -> None:
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=SH)
    said = "再不還款就爆通訊錄，通知你單位"
    records = [
        _rec(t0, content=said),
        _rec(t0 + timedelta(minutes=1), content=said),  # the same message again
        _rec(t0 + timedelta(minutes=2), subject="催收", content=said),  # with a subject
        _rec(t0 + timedelta(minutes=3), subject=said),  # the words as a subject only
        _rec(t0 + timedelta(minutes=4), content=said, notes="他们还说要上门"),
        _rec(t0 + timedelta(minutes=5), content="We will not contact your employer."),
        _rec(t0 + timedelta(minutes=6), channel=Channel.CALL, notes="said they would visit"),
    ]
    rules = list(shipped_rule_set("uk").rules) + list(shipped_rule_set("cn").rules)
    prep = Prepared(records, SH, "Asia/Shanghai")
    matcher = Context(None, rules).matcher
    scanned = prep.scanned(matcher)
    assert [it.rid for it, _, _ in scanned] == [r.record_id for r in records[:6]]
    for it, text, hits in scanned:
        rec = it.rec
        alone = normalise(" ".join(x for x in (rec.subject, rec.content) if x))
        assert text == it.text() == alone
        assert hits == it.hits(matcher) == matcher.find_all(alone)
    # Another field set: the same words where the other fields are empty.
    fields = ("subject", "content", "notes")
    for it in prep.items:
        rec = it.rec
        alone = normalise(" ".join(x for x in (rec.subject, rec.content, rec.notes) if x))
        assert it.text(fields) == alone
        assert it.hits(matcher, fields) == matcher.find_all(alone)
        assert it.text(CONTENT) == normalise(" ".join(x for x in (rec.subject, rec.content) if x))


# --- one run, several rule sets ---------------------------------------------------------

# A set of its own, run after the shipped ones: a scam rule asking for a phrase that
# holds none of theirs (only its own phrases make such a message a candidate), and a
# night window no shipped rule has.
OWN = parse_rule_set(
    HEAD
    + '[[rules]]\nid = "OWN-SCAM"\nkind = "scam_signs"\n'
    + SRC
    + '[rules.params]\npersonal_account_phrases = ["pay my cousin"]\n'
    + '[[rules]]\nid = "OWN-TIME"\nkind = "quiet_hours"\n'
    + SRC
    + '[rules.params]\nstart = "20:30"\nend = "09:00"\n',
    "own.toml",
)
SETS = {"cn": shipped_rule_set("cn"), "us": shipped_rule_set("us"), "uk": shipped_rule_set("uk")}
SETS["own"] = OWN


def _many_records() -> list[Record]:
    """Messages with every scam sign and the phrases each set's scam rule looks for
    (one only it looks for where it has one), contacts at every hour, repeats, from
    official and unofficial numbers."""
    asked = [
        scam._phrase_sets(rule)
        for rs in SETS.values()
        for rule in rs.rules
        if rule.kind == "scam_signs"
    ]
    wanted: list[str] = []
    for n, (account, payment) in enumerate(asked):
        others = frozenset().union(*(a | p for k, (a, p) in enumerate(asked) if k != n))
        wanted += [max(account - others or account), max(payment)]
    texts = [
        "点击 http://t.cn/A6xyz 处理",
        "详情见 www.xxbank-pay.com/login",
        "see https://bit.ly/3abc today",
        "收款人：张三 6228 4800 1234 5678 901",
        "account name: john smith, account 1234 5678 9012 3456",
        "您的账单已出，请按时还款",
        "Your payment is overdue. Call us.",
        *wanted,  # alone: no other phrase makes the message a candidate
    ]
    t0 = datetime(2026, 3, 1, 0, 30, tzinfo=SH)
    out = []
    for n in range(300):
        when = t0 + timedelta(hours=5 * n, minutes=n % 7)
        channel = (Channel.SMS, Channel.CALL, Channel.EMAIL, Channel.MESSAGE)[n % 4]
        address = ("95588", "+8617000000000", "+8613900000001")[n % 3]
        text = texts[n % len(texts)] if channel != Channel.CALL or n % 8 == 1 else None
        out.append(_rec(when, channel=channel, address=address, content=text))
    return out


OFFICIAL = {"XX银行": {"numbers": ["95588"], "websites": ["xxbank.com"]}}


def _hits_by_rule(records: list[Record], names: list[str], kinds: set[str]) -> dict[str, list]:
    rules = [rule for name in names for rule in SETS[name].rules]
    ctx = Context(as_official_numbers(OFFICIAL), rules)
    prep = Prepared(records, SH, "Asia/Shanghai")
    return {
        rule.id: KIND_CHECKS[rule.kind](rule, prep, ctx) for rule in rules if rule.kind in kinds
    }


def test_each_rule_finds_in_a_run_of_several_sets_what_it_finds_alone() -> None:
    records = _many_records()
    kinds = {"scam_signs", "quiet_hours", "disclosure"}
    together = _hits_by_rule(records, list(SETS), kinds)
    alone: dict[str, list] = {}
    for name in SETS:
        alone.update(_hits_by_rule(records, [name], kinds))
    assert together == alone
    # The records show every sign and night contacts, so the comparison has content.
    reasons = " ".join(h.en for rid, hits in together.items() if "SCAM" in rid for h in hits)
    signs = ("short link", "official numbers", "imitates", "person's name", "pay my cousin")
    for sign in (*signs, "scammers prefer"):
        assert sign in reasons, sign
    assert all(together[rule] for rule in together if "TIME" in rule)


# --- reasons made from shared words --------------------------------------------------


def _after_event_records() -> list[Record]:
    """Events of every kind the shipped after-event rules read, each followed by
    contacts of several channels, apps and organisations (one whose name holds the mark
    ``after_event`` cuts its words at), some with the time unknown."""
    t0 = datetime(2026, 3, 1, 9, 0, tzinfo=SH)
    orgs = ("XX银行", "ACME Collections", "name \x00when\x00 mark")
    events = [Event.CEASE_REQUEST, Event.NO_CALLS, Event.NO_TEXTS, Event.ATTORNEY]
    events += [Event.DISPUTE, Event.BREATHING_SPACE, Event.NO_EMAIL, Event.WRITING_ONLY]
    out = []
    for n, org in enumerate(orgs):
        out.append(_rec(t0, channel=Channel.LETTER, organisation=org, event=events[n]))
        out.append(_rec(t0, channel=Channel.EMAIL, organisation=org, event=events[n + 3]))
    for n in range(120):
        when = t0 + timedelta(days=3 + n // 6, hours=n % 9, minutes=n % 7)
        channel = (Channel.SMS, Channel.CALL, Channel.EMAIL, Channel.MESSAGE)[n % 4]
        app = "wechat" if channel == Channel.MESSAGE and n % 8 == 3 else None
        rec = _rec(when, channel=channel, app=app, organisation=orgs[n % 3])
        if n % 10 == 4:  # the day alone
            rec = replace(rec, time_known=False)
        out.append(rec)
    return out


def test_after_event_reasons_from_shared_words_read_as_each_filled_whole(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    records = _after_event_records()
    names = ["us", "uk"]
    shared = _hits_by_rule(records, names, {"after_event"})
    monkeypatch.setattr(after_event, "_around", lambda *a: None)
    whole = _hits_by_rule(records, names, {"after_event"})
    assert shared == whole
    assert sum(map(len, shared.values())) > 100
    reasons = {h.en for hits in shared.values() for h in hits}
    assert any("mark" in r for r in reasons) and any("WeChat" in r for r in reasons)


# --- the collector after a run ---------------------------------------------------------


def test_a_run_leaves_the_collector_as_it_found_it() -> None:
    """A run pauses the cyclic collector and turns it back on only if it was on."""
    records = _many_records()
    assert gc.isenabled()
    before = check(records, [SETS["cn"]], tz="Asia/Shanghai")
    assert gc.isenabled()
    gc.disable()
    try:
        assert check(records, [SETS["cn"]], tz="Asia/Shanghai") == before
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- merging hits ------------------------------------------------------------------------

_NIGHT = [r for rs in SETS.values() for r in rs.rules if r.kind == "quiet_hours"][:4]
_hit = st.builds(
    lambda rule, anchor, recs, us, sev, score, org, words: Hit(
        rule,
        anchor,
        recs,
        us,
        f"t{us}",
        words,
        words + "。",
        sev,
        score,
        org,
    ),
    st.sampled_from(_NIGHT),
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from([("r1",), ("r1", "r2"), ("r2",), ("r3", "r1")]),
    st.integers(0, 3),
    st.sampled_from(["low", "medium", "high"]),
    st.sampled_from([1.0, 2.0, 1.5]),
    st.sampled_from([None, "", "XX银行", "ACME"]),
    st.sampled_from(["same words", "other words"]),
)


def _plain_merge(hits: list[Hit]) -> list[tuple]:
    """merge_hits as first written: each anchor's hits sorted, every field read plainly."""
    groups: dict[tuple[str, str], list[Hit]] = {}
    for h in hits:
        groups.setdefault((h.rule.kind, h.anchor), []).append(h)
    out = []
    for (kind, anchor), group in groups.items():
        group = sorted(group, key=lambda h: (-SEVERITY_RANK[h.severity], -h.score, h.rule.id))
        first = min(group, key=lambda h: h.first_us)
        records: dict[str, None] = {}
        if all(h.records == group[0].records for h in group):
            records = dict.fromkeys(group[0].records)
        else:
            for h in sorted(group, key=lambda h: h.first_us):
                records.update(dict.fromkeys(h.records))
        out.append(
            (
                finding_id(kind, anchor),
                group[0].severity,
                max(h.score for h in group),
                tuple(records),
                first.first_at,
                first.first_us,
                group[0].organisation
                if len(group) == 1
                else next((h.organisation for h in group if h.organisation), None),
                tuple(dict.fromkeys(h.en for h in group)),
                tuple(dict.fromkeys(h.zh for h in group)),
                tuple(dict.fromkeys(h.rule.id for h in group)),
            )
        )
    out.sort(key=lambda f: (-SEVERITY_RANK[f[1]], -f[2], f[5], f[0]))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(_hit, max_size=25))
def test_merged_findings_are_the_plain_merge(hits: list[Hit]) -> None:
    """Anchors alike share their cited rules, and a lead whose records and time every
    hit shares is taken as it is: the findings are those of the plain merge."""
    got = [
        (
            f.id,
            f.severity,
            f.score,
            f.records,
            f.first_at,
            f.first_us,
            f.organisation,
            f.reasons_en,
            f.reasons_zh,
            f.rules,
        )
        for f in merge_hits(hits)
    ]
    assert got == _plain_merge(hits)
