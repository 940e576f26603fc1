"""Contacts inside a window of the debtor's local clock, e.g. 22:00–08:00."""

from __future__ import annotations

from evidence_locker.rules.context import Context
from evidence_locker.rules.finding import Hit
from evidence_locker.rules.kinds.base import Maker, channel_names, clock, in_force_span, templates
from evidence_locker.rules.prepare import Item, Prepared
from evidence_locker.rules.ruleset import Rule


def check_quiet_hours(rule: Rule, prep: Prepared, ctx: Context) -> list[Hit]:
    """The window includes its start (unless ``start_inclusive = false``, for rules that
    say "after 9 p.m.") and excludes its end; a start later than the end means the
    window crosses midnight. Local time comes from zoneinfo, so DST is handled.

    A record whose time of day is unknown (logged as a date only) is never a night
    contact: it is left out, and the report says how many were.
    """
    p = rule.params
    start, end = p["start"], p["end"]
    s = start.hour * 3600 + start.minute * 60 + start.second
    e = end.hour * 3600 + end.minute * 60 + end.second
    incl = p["start_inclusive"]
    wraps = s > e
    s_txt, e_txt = clock(start), clock(end)
    tpl_en, tpl_zh = templates("rules.reason.quiet_hours")
    make = Maker(rule, prep)
    items, sods = prep.seconds_of_day(p["channels"], p["directions"], p["outcomes"])
    unknown = prep.time_unknown(p["channels"], p["directions"], p["outcomes"])
    if unknown:
        ctx.notes.time_unknown.update(unknown)
    start_at, end_at = in_force_span(rule, items, ctx)
    if (start_at, end_at) != (0, len(items)):
        items, sods = items[start_at:end_at], sods[start_at:end_at]
    if wraps:
        if incl:
            inside = [n for n, x in enumerate(sods) if x >= s or x < e]
        else:
            inside = [n for n, x in enumerate(sods) if x > s or x < e]
    elif incl:
        inside = [n for n, x in enumerate(sods) if s <= x < e]
    else:
        inside = [n for n, x in enumerate(sods) if s < x < e]
    # Rules with the same window word a contact alike (the Chinese sets' two night
    # rules): each contact's reasons are written once per window.
    worded: dict[Item, tuple[str, str]] = ctx.cache.setdefault(("quiet_hours", s_txt, e_txt), {})
    hits: list[Hit] = []
    for n in inside:
        it = items[n]
        got = worded.get(it)
        if got is None:
            ch_en, ch_zh = channel_names(it.channel, it.rec.app)
            date, hhmm = it.date_s, it.time_s
            tz = prep.tz_name or it.local.tzname() or ""
            got = worded[it] = (
                tpl_en.format(channel=ch_en, date=date, time=hhmm, tz=tz, start=s_txt, end=e_txt),
                tpl_zh.format(channel=ch_zh, date=date, time=hhmm, tz=tz, start=s_txt, end=e_txt),
            )
        hits.append(make.one(it, *got))
    return hits
