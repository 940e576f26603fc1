"""Contacts after a logged event that should have stopped them.

A request to stop, a dispute until verification, notice of a lawyer, a breathing space
for its 60 days: each opens a period during which contacts are flagged. What the event
concerns is the rule's ``scope``: the organisation it names, that organisation's
institution (creditor with its agencies), the debt, or everyone (a moratorium). A
request that names no organisation is not applied to all of them: the report asks
which. A rule that needs a written request reports an oral one as a note instead.
Contacts whose content shows they are what the source still allows (a letter
confirming that collection stops, a statutory notice) are not flagged.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from operator import attrgetter
from typing import Any

from evidence_locker.rules.context import Context, group_phrases
from evidence_locker.rules.finding import Hit
from evidence_locker.rules.instants import DAY_US
from evidence_locker.rules.kinds.base import (
    Maker,
    channel_names,
    event_names,
    in_force_groups,
    templates,
    who,
)
from evidence_locker.rules.prepare import Item, Prepared
from evidence_locker.rules.ruleset import Rule

_ALL = "*"
_UNSEEN: Any = object()
_us = attrgetter("us")


class _Period:
    __slots__ = ("end", "ev", "start")

    def __init__(self, ev: Item, start: int, end: int | None) -> None:
        self.ev, self.start, self.end = ev, start, end

    def covers(self, it: Item) -> bool:
        if not (it.time_known and self.ev.time_known):
            # Only the day is known on one side: judge by days, the same day is unclear.
            if it.day <= self.ev.day:
                return False
            return self.end is None or it.us <= self.end
        return it.us > self.start and (self.end is None or it.us <= self.end)


def _scope_key(scope: str, it: Item) -> str:
    if scope == "all":
        return _ALL
    if scope == "organisation":
        return it.org
    if scope == "debt":
        return it.debt
    return it.inst


def _covering(periods: list[_Period] | None, it: Item) -> _Period | None:
    """The first of ``periods`` that covers ``it``."""
    if periods:
        for pr in periods:
            if pr.covers(it):
                return pr
    return None


def _earliest(periods: list[_Period]) -> float:
    """A time (µs) no contact with a known time at or before can be covered by these
    periods: their earliest start, or -inf when an event's time is unknown (those
    periods are judged by day)."""
    if not all(pr.ev.time_known for pr in periods):
        return float("-inf")
    return min(pr.start for pr in periods)


def _candidates(items: list[Item], periods: list[_Period]) -> list[Item]:
    """The contacts of ``items`` (one scope key's, in time order) that ``periods`` may
    cover: those after the earliest period starts (found by bisection: most contacts
    come before any event), and those whose time is unknown (judged by day)."""
    first = _earliest(periods)
    if first == float("-inf"):
        return items
    cut = bisect_right(items, first, key=_us)
    if not cut:
        return items
    return [it for it in items[:cut] if not it.time_known] + items[cut:]


def _periods(rule: Rule, prep: Prepared, ctx: Context) -> dict[str, list[_Period]]:
    """Per scope key, the periods the rule's events open (in time order)."""
    p = rule.params
    scope, grace = p["scope"], p["grace_days"] * DAY_US
    lasts = p["lasts_days"] * DAY_US if p["lasts_days"] else None
    starts, ends = p["events"], p["ended_by"]
    periods: dict[str, list[_Period]] = defaultdict(list)
    for ev in prep.events:
        kind = ev.rec.event
        if kind not in starts and kind not in ends:
            continue
        key = _scope_key(scope, ev)
        if not key:
            if kind in starts:
                ctx.notes.no_org[ev.rid] = (event_names(kind), ev.date_s)
            continue
        open_ = periods[key][-1] if periods[key] else None
        if kind in ends:
            if open_ is not None and (open_.end is None or open_.end > ev.us):
                open_.end = ev.us
            continue
        if p["written"] and not ev.written:
            ctx.notes.oral[ev.rid] = (rule, channel_names(ev.channel, ev.rec.app), ev.date_s)
            continue
        if open_ is not None and (open_.end is None or open_.end > ev.us):
            continue  # already stopped: the first request counts
        end = ev.us + lasts if lasts is not None else None
        periods[key].append(_Period(ev, ev.us + grace, end))
    return periods


_WHEN = "\x00when\x00"  # a mark for where the contact's time goes


def _reason(
    prep: Prepared, ev: Item, it: Item, words: tuple[str, str, str, str], when: str
) -> tuple[str, str]:
    """The reason for one contact after ``ev`` in en and zh (``words``: the templates
    and the "until" sentences)."""
    assert ev.rec.event is not None
    tpl_en, tpl_zh, until_en, until_zh = words
    ev_en, ev_zh = event_names(ev.rec.event)
    ch_en, ch_zh = channel_names(it.channel, it.rec.app)
    who_en, who_zh = who("organisation", prep.name(it.org) or "")
    args = {"event_date": ev.date_s, "when": when}
    en = tpl_en.format(event=ev_en, channel=ch_en, who_en=who_en, **args) + until_en
    zh = tpl_zh.format(event=ev_zh, channel=ch_zh, who_zh=who_zh, **args) + until_zh
    return en, zh


def _around(
    prep: Prepared, ev: Item, it: Item, words: tuple[str, str, str, str]
) -> tuple[str, str, str, str] | None:
    """The reason's words before and after the contact's time, in en and zh: every
    contact of one event, channel and organisation shares them, so the template is
    filled once, with a mark where the time goes, and cut there. None when a name
    holds the mark (then each contact's reason is filled whole)."""
    en, zh = _reason(prep, ev, it, words, _WHEN)
    if en.count(_WHEN) != 1 or zh.count(_WHEN) != 1:
        return None
    en_head, _, en_tail = en.partition(_WHEN)
    zh_head, _, zh_tail = zh.partition(_WHEN)
    return en_head, en_tail, zh_head, zh_tail


def check_after_event(rule: Rule, prep: Prepared, ctx: Context) -> list[Hit]:
    p = rule.params
    periods = _periods(rule, prep, ctx)
    if not periods:
        return []
    allowed = group_phrases(rule.groups[g] for g in p["allowed_groups"])
    make = Maker(rule, prep)
    tpl_en, tpl_zh = templates("rules.reason.after_event")
    until_en = until_zh = ""  # "(until it ends)": the same words for every contact
    if p["ended_by"]:
        end_en, end_zh = event_names(min(p["ended_by"]))
        until_tpl_en, until_tpl_zh = templates("rules.reason.until")
        until_en, until_zh = until_tpl_en.format(until=end_en), until_tpl_zh.format(until=end_zh)
    words = (tpl_en, tpl_zh, until_en, until_zh)
    hits: list[Hit] = []
    # Per event, channel and organisation: the reason's words around the time.
    around: dict[tuple, tuple[str, str, str, str] | None] = {}
    # Contacts grouped by the scope's key (scope "all": one group, the "debtor"'s):
    # only the groups an event concerns are visited (most records: none).
    per = "debtor" if p["scope"] == "all" else p["scope"]
    groups = in_force_groups(rule, prep, per, p["channels"], p["directions"], None, ctx)
    for key, own in periods.items():
        if not own:
            continue  # only events that end a period were logged here
        for it in _candidates(groups.get("" if key == _ALL else key, []), own):
            found = _covering(own, it)
            if found is None:
                continue
            has_text = allowed and (it.rec.content or it.rec.subject)
            if has_text and not allowed.isdisjoint(ctx.other_found(it.text())):
                continue  # a notice the source allows after the event
            ev = found.ev
            at = (ev, it.channel, it.rec.app, it.org)
            cut = around.get(at, _UNSEEN)
            if cut is _UNSEEN:
                cut = around[at] = _around(prep, ev, it, words)
            when = it.when_s
            if cut is not None:
                en_head, en_tail, zh_head, zh_tail = cut
                en, zh = en_head + when + en_tail, zh_head + when + zh_tail
            else:
                en, zh = _reason(prep, ev, it, words, when)
            # The event record is evidence too: list it after the contact.
            hits.append(make.one(it, en, zh, extra=(ev,)))
    return hits
