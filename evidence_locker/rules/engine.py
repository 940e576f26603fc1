"""The rule engine: one function per rule kind, and ``check`` that runs a rule set.

Input is the latest, non-deleted version of each record (see ``live_records``). The
records are prepared once (local time in the debtor's timezone, calendar day, seconds
since local midnight, organisation key) and bucketed by channel, direction and outcome,
so each rule touches only the records it can concern. Each kind then makes one pass
over its records in time order, grouping with dicts; nothing is quadratic.

Text is normalised once per record and matched once against every phrase of every
rule in the run (phrase rules and the scam rules' personal-account phrases share one
matcher), whatever number of rule sets look at it. Strings a flag shows (dates, times,
names) are built at most once per record or per distinct value.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import cache, lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence_locker.errors import UsageError
from evidence_locker.locale.messages import catalog, t
from evidence_locker.model import Record
from evidence_locker.rules import screenshots
from evidence_locker.rules.flag import SEVERITY_RANK, Flag
from evidence_locker.rules.numbers import OfficialNumbers, as_official_numbers, org_key
from evidence_locker.rules.ruleset import Rule, RuleSet
from evidence_locker.rules.text import PhraseMatcher, find_links, link_host, normalise

# --- preparing records --------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_CONTENT = ("subject", "content")  # the fields phrase and scam rules read by default


class _Item:
    """A record with the figures every rule needs, computed once."""

    __slots__ = (
        "_date",
        "_hits",
        "_iso",
        "_links",
        "_more",
        "_text",
        "_time",
        "channel",
        "day",
        "direction",
        "local",
        "org",
        "outcome",
        "rec",
        "rid",
        "sod",
        "us",
    )

    def __init__(self, rec: Record, zone: tzinfo, org: str) -> None:
        self.rec = rec
        self.rid = rec.record_id
        occurred = rec.occurred_at
        # Exact microseconds since the epoch: aware datetimes subtract in UTC.
        self.us = (occurred - _EPOCH) // _ONE_US
        local = occurred.astimezone(zone)
        self.local = local
        self.day = local.toordinal()
        self.sod = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        self.org = org
        # The enums are StrEnums: they compare and hash as their values.
        self.channel = rec.channel
        self.direction = rec.direction
        self.outcome = rec.outcome if rec.outcome is not None else "unknown"
        self._date: str | None = None
        self._time: str | None = None
        self._iso: str | None = None
        self._text: str | None = None
        self._hits: frozenset[str] | None = None
        self._links: list[str] | None = None
        self._more: dict[tuple[str, ...], tuple[str, frozenset[str] | None]] | None = None

    # Formatting and normalising are the costly parts of a flag; each record does them
    # at most once however many rules look at it.
    @property
    def date_s(self) -> str:
        d = self._date
        if d is None:
            d = self._date = self.local.date().isoformat()
        return d

    @property
    def time_s(self) -> str:
        s = self._time
        if s is None:
            s = self._time = _hhmm(self.local)
        return s

    @property
    def iso(self) -> str:
        s = self._iso
        if s is None:
            s = self._iso = self.local.isoformat()
        return s

    def text(self, fields: tuple[str, ...] = _CONTENT) -> str:
        """The normalised text of ``fields``, computed once per record and field set."""
        if fields == _CONTENT:
            got = self._text
            if got is None:
                rec = self.rec
                s, c = rec.subject, rec.content
                raw = f"{s} {c}" if s and c else (s or c or "")
                if rec.attachments:  # text read from its screenshots (rules/screenshots.py)
                    raw = screenshots.with_read_text(raw, rec)
                got = self._text = normalise(raw) if raw else ""
            return got
        return self._other(fields, None)[0]

    def hits(self, matcher: PhraseMatcher, fields: tuple[str, ...] = _CONTENT) -> frozenset[str]:
        """The phrases of the run's one matcher found in ``fields``, found once (read only)."""
        if fields == _CONTENT:
            got = self._hits
            if got is None:
                text = self.text()
                got = self._hits = frozenset(matcher.find(text)) if text else _NONE
            return got
        found = self._other(fields, matcher)[1]
        assert found is not None
        return found

    def _other(
        self, fields: tuple[str, ...], matcher: PhraseMatcher | None
    ) -> tuple[str, frozenset[str] | None]:
        """Text and hits for a field set other than subject + content (rare)."""
        more = self._more
        if more is None:
            more = self._more = {}
        got = more.get(fields)
        if got is None:
            parts = [getattr(self.rec, f) for f in fields]
            got = more[fields] = (normalise(" ".join(x for x in parts if x)), None)
        if matcher is not None and got[1] is None:
            hits = frozenset(matcher.find(got[0])) if got[0] else _NONE
            got = more[fields] = (got[0], hits)
        return got

    def links(self) -> list[str]:
        got = self._links
        if got is None:
            got = self._links = find_links(self.text())
        return got


_NONE: frozenset[str] = frozenset()


class _Prepared:
    """All records in time order, with buckets to select a rule's records quickly."""

    def __init__(self, records: Iterable[Record], zone: tzinfo, tz_name: str) -> None:
        orgs: dict[str | None, str] = {}
        items: list[_Item] = []
        add = items.append
        for r in records:
            name = r.organisation
            org = orgs.get(name)
            if org is None:
                org = orgs[name] = org_key(name)
            add(_Item(r, zone, org))
        _sort_items(items)
        self.items = items
        self.tz_name = tz_name
        self.events: list[_Item] = []
        # Contacts the user marked as reported by someone else: few, kept apart so the
        # third-party rules need not visit every record.
        self.reported: list[_Item] = []
        buckets: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for n, it in enumerate(items):
            if it.rec.event is not None:
                # A logged event (the user's letter) is not a contact by the collector.
                self.events.append(it)
            else:
                buckets[(it.channel, it.direction, it.outcome)].append(n)
                if it.rec.third_party:
                    self.reported.append(it)
        self._buckets = dict(buckets)
        self._cache: dict[tuple, list[_Item]] = {}
        self._sods: dict[tuple, list[float]] = {}
        self._addr_keys: dict[str, str] = {}

    def address_key(self, address: str) -> str:
        """How addresses group: stripped and case-folded, computed once per address."""
        k = self._addr_keys.get(address)
        if k is None:
            k = self._addr_keys[address] = address.strip().casefold()
        return k

    def select(
        self,
        channels: frozenset[str],
        directions: frozenset[str],
        outcomes: frozenset[str] | None = None,
    ) -> list[_Item]:
        """Contact records (no events) of the given channels, directions and outcomes."""
        key = (channels, directions, outcomes)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        idx: list[int] = []
        for (c, d, o), lst in self._buckets.items():
            if c in channels and d in directions and (outcomes is None or o in outcomes):
                idx.extend(lst)
        idx.sort()
        items = self.items
        out = [items[i] for i in idx]
        self._cache[key] = out
        return out

    def seconds_of_day(
        self, channels: frozenset[str], directions: frozenset[str], outcomes: frozenset[str]
    ) -> tuple[list[_Item], list[float]]:
        """``select`` and the items' local seconds since midnight, as a plain list that
        quiet-hours rules scan in a comprehension (several rules share it)."""
        items = self.select(channels, directions, outcomes)
        key = (channels, directions, outcomes)
        sods = self._sods.get(key)
        if sods is None:
            sods = self._sods[key] = [it.sod for it in items]
        return items, sods


_US = attrgetter("us")
_RID = attrgetter("rid")


def _sort_items(items: list[_Item]) -> None:
    """Time order, and record-id order among equal times (so output never depends on
    input order). Sorting on the integer time alone and then fixing the short runs of
    equal times is about three times faster than sorting on (time, id) pairs."""
    items.sort(key=_US)
    us = [it.us for it in items]
    k, n = 1, len(us)
    while k < n:
        if us[k] != us[k - 1]:
            k += 1
            continue
        start = k - 1
        while k < n and us[k] == us[start]:
            k += 1
        items[start:k] = sorted(items[start:k], key=_RID)


# --- formatting helpers -------------------------------------------------------------


def _ordinal_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _hhmm(local: datetime) -> str:
    """HH:MM, or HH:MM:SS when the time has seconds (as strftime would, but cheaper)."""
    if local.second or local.microsecond:
        return f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    return f"{local.hour:02d}:{local.minute:02d}"


def _clock(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _both(key: str, **params: Any) -> tuple[str, str]:
    return t(key, "en", **params), t(key, "zh", **params)


@cache
def _templates(key: str) -> tuple[str, str]:
    """The raw en and zh message templates, looked up once (flags are made in bulk)."""
    texts = catalog()[key]
    return texts["en"], texts.get("zh", texts["en"])


@cache
def _channel_names(channel: str) -> tuple[str, str]:
    return _both(f"rules.channel.{channel}")


@cache
def _event_names(event: str) -> tuple[str, str]:
    return _both(f"rules.event.{event}")


@lru_cache(maxsize=4096)
def _who_text(key: str, x: str) -> tuple[str, str]:
    return _both(key, x=x)


def _who(per: str, it: _Item) -> tuple[str, str]:
    """ " from +86..." / "来自...的" for the group a frequency figure is about."""
    rec = it.rec
    if per == "address" and rec.address:
        return _who_text("rules.who.address", rec.address)
    if per in ("organisation", "address") and rec.organisation:
        return _who_text("rules.who.organisation", rec.organisation)
    return "", ""


class _Maker:
    """Builds the flags of one rule: the rule's fixed fields are looked up once."""

    __slots__ = ("confidence", "id", "kind", "severity", "source", "source_url")

    def __init__(self, rule: Rule) -> None:
        self.id = rule.id
        self.source = rule.citation
        self.severity = rule.severity
        self.kind = rule.kind
        self.source_url = rule.source_url
        self.confidence = rule.confidence

    def one(
        self,
        it: _Item,
        en: str,
        zh: str,
        severity: str | None = None,
        score: float = 1.0,
        extra: str | None = None,
    ) -> Flag:
        """A flag about one record (and, for events, the record that started it)."""
        rid = it.rec.record_id
        records = (rid,) if extra is None or extra == rid else (rid, extra)
        return Flag(
            self.id,
            records,
            en,
            zh,
            self.source,
            severity or self.severity,
            self.kind,
            score,
            self.source_url,
            self.confidence,
            it.iso,
        )

    def many(self, items: list[_Item], reasons: tuple[str, str], score: float = 1.0) -> Flag:
        """A flag about a group of records (frequency rules)."""
        first = min(items, key=_item_us) if items else None
        return Flag(
            self.id,
            tuple(dict.fromkeys(i.rec.record_id for i in items)),
            reasons[0],
            reasons[1],
            self.source,
            self.severity,
            self.kind,
            score,
            self.source_url,
            self.confidence,
            first.iso if first is not None else "",
        )


def _item_us(it: _Item) -> int:
    return it.us


def _date(day: int) -> str:
    return datetime.fromordinal(day).date().isoformat()


# --- the kinds ----------------------------------------------------------------------


def check_quiet_hours(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """Contacts inside a window of the debtor's local clock, e.g. 22:00–08:00.

    The window includes its start (unless ``start_inclusive = false``, for rules that
    say "after 9 p.m.") and excludes its end; a start later than the end means the
    window crosses midnight. Local time comes from zoneinfo, so DST is handled.
    """
    p = rule.params
    start: time = p["start"]
    end: time = p["end"]
    s = start.hour * 3600 + start.minute * 60 + start.second
    e = end.hour * 3600 + end.minute * 60 + end.second
    incl = p["start_inclusive"]
    wraps = s > e
    s_txt, e_txt = _clock(start), _clock(end)
    tpl_en, tpl_zh = _templates("rules.reason.quiet_hours")
    tz = prep.tz_name
    make = _Maker(rule)
    items, sods = prep.seconds_of_day(p["channels"], p["directions"], p["outcomes"])
    if wraps:
        if incl:
            inside = [n for n, x in enumerate(sods) if x >= s or x < e]
        else:
            inside = [n for n, x in enumerate(sods) if x > s or x < e]
    elif incl:
        inside = [n for n, x in enumerate(sods) if s <= x < e]
    else:
        inside = [n for n, x in enumerate(sods) if s < x < e]
    flags: list[Flag] = []
    for n in inside:
        it = items[n]
        ch_en, ch_zh = _channel_names(it.channel)
        date, hhmm = it.date_s, it.time_s
        en = tpl_en.format(channel=ch_en, date=date, time=hhmm, tz=tz, start=s_txt, end=e_txt)
        zh = tpl_zh.format(channel=ch_zh, date=date, time=hhmm, tz=tz, start=s_txt, end=e_txt)
        flags.append(make.one(it, en, zh))
    return flags


def _group_key(per: str, it: _Item, prep: _Prepared) -> str | None:
    if per == "debtor":
        return ""
    if per == "address":
        a = it.rec.address
        return prep.address_key(a) if a else None
    if it.org:
        return it.org
    a = it.rec.address
    return "address:" + prep.address_key(a) if a else "(unknown)"


def check_frequency(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """More than ``max`` contacts per group per day or per rolling window; or any
    contact within ``window_days`` after a conversation (the conversation's day is day 1).
    """
    p = rule.params
    if p["mode"] == "after_conversation":
        return _after_conversation(rule, prep)
    per = p["per"]
    items = prep.select(p["channels"], p["directions"], p["outcomes"])
    groups: dict[str, list[_Item]]
    if per == "debtor":
        groups = {"": items}
    else:
        groups = defaultdict(list)
        for it in items:
            key = _group_key(per, it, prep)
            if key is not None:
                groups[key].append(it)
    if p["period"] == "day":
        return _per_day(rule, groups)
    return _rolling(rule, groups)


def _per_day(rule: Rule, groups: Mapping[str, list[_Item]]) -> list[Flag]:
    p = rule.params
    limit = p["max"]
    make = _Maker(rule)
    tpl_en, tpl_zh = _templates("rules.reason.freq_day")
    flags: list[Flag] = []
    for items in groups.values():
        if len(items) <= limit:
            continue
        by_day: dict[int, list[_Item]] = defaultdict(list)
        for it in items:
            by_day[it.day].append(it)
        for day, day_items in by_day.items():
            count = len(day_items)
            if count <= limit:
                continue
            first_over = day_items[limit]
            n = limit + 1
            who = _who(p["per"], first_over)
            common = {"date": _date(day), "count": count, "max": limit, "n": n}
            at = first_over.time_s
            reasons = (
                tpl_en.format(ordinal=_ordinal_en(n), label=p["label_en"], who_en=who[0], **common)
                + f" ({at})",
                tpl_zh.format(label=p["label_zh"], who_zh=who[1], **common) + f"（{at}）",
            )
            flags.append(make.many(day_items, reasons, score=count / max(limit, 1)))
    return flags


def _rolling(rule: Rule, groups: Mapping[str, list[_Item]]) -> list[Flag]:
    """Two pointers over each group's records: the window holds the records of the
    last ``window_days`` calendar days. A run of records that each exceed the limit
    makes one flag (the first record over the limit gives the figures)."""
    p = rule.params
    limit, days = p["max"], p["window_days"]
    make = _Maker(rule)
    flags: list[Flag] = []
    for items in groups.values():
        if len(items) <= limit:
            continue
        lo = 0
        run: list[_Item] | None = None
        first: tuple[int, int, int] | None = None  # (count, window start day, day)
        for hi, it in enumerate(items):
            while items[lo].day <= it.day - days:
                lo += 1
            count = hi - lo + 1
            if count > limit:
                if run is None:
                    run = items[lo : hi + 1]
                    first = (count, it.day - days + 1, it.day)
                else:
                    run.append(it)
            elif run is not None:
                flags.append(_rolling_flag(rule, make, run, first))
                run = None
        if run is not None:
            flags.append(_rolling_flag(rule, make, run, first))
    return flags


def _rolling_flag(
    rule: Rule, make: _Maker, run: list[_Item], first: tuple[int, int, int] | None
) -> Flag:
    assert first is not None
    p = rule.params
    count, start, day = first
    who = _who(p["per"], run[0])
    common = {
        "days": p["window_days"],
        "start": _date(start),
        "end": _date(day),
        "max": p["max"],
        "n": count,
        "total": len(run),
    }
    tpl_en, tpl_zh = _templates("rules.reason.freq_window")
    reasons = (
        tpl_en.format(ordinal=_ordinal_en(count), label=p["label_en"], who_en=who[0], **common),
        tpl_zh.format(label=p["label_zh"], who_zh=who[1], **common),
    )
    return make.many(run, reasons, score=len(run) / max(p["max"], 1))


def _after_conversation(rule: Rule, prep: _Prepared) -> list[Flag]:
    p = rule.params
    per, days = p["per"], p["window_days"]
    # Conversations: connected contacts of these channels in any direction (a call the
    # debtor made counts as a conversation too). Contacts: the collector's attempts.
    all_dirs = frozenset({"incoming", "outgoing", "in_person"})
    conv_outcomes = p["conversation_outcomes"]
    directions, outcomes = p["directions"], p["outcomes"]
    merged = prep.select(p["channels"], all_dirs, None)
    # group -> (latest conversation, key of the episode it belongs to). A conversation
    # that was itself too soon restarts the clock but stays in the same episode, so a
    # chain of calls makes one flag instead of one per call.
    last_conv: dict[str, tuple[_Item, int]] = {}
    episodes: dict[int, list[_Item]] = {}
    for it in merged:
        key = id(it)
        is_conv = it.outcome in conv_outcomes
        is_contact = it.direction in directions and it.outcome in outcomes
        if not (is_conv or is_contact):
            continue
        g = _group_key(per, it, prep)
        if g is None:
            continue
        prev = last_conv.get(g)
        episode = key
        if is_contact and prev is not None:
            conv, ep_key = prev
            if it.us > conv.us and it.day - conv.day < days:
                episodes.setdefault(ep_key, [conv]).append(it)
                episode = ep_key
        if is_conv:
            last_conv[g] = (it, episode)
    make = _Maker(rule)
    tpl_en, tpl_zh = _templates("rules.reason.after_conversation")
    flags: list[Flag] = []
    for ep in episodes.values():
        conv, later = ep[0], ep[1:]
        first = later[0]
        who = _who(per, conv)
        common = {
            "count": len(later),
            "days": days,
            "conv_date": conv.date_s,
            "conv_time": conv.time_s,
            "date": first.date_s,
            "time": first.time_s,
            "day": first.day - conv.day + 1,  # the conversation's day is day 1
        }
        reasons = (
            tpl_en.format(label=p["label_en"], who_en=who[0], **common),
            tpl_zh.format(label=p["label_zh"], who_zh=who[1], **common),
        )
        flags.append(make.many(ep, reasons, score=float(len(later))))
    return flags


def check_after_event(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """Contacts by an organisation after the user logged an event about it (a cease
    request, a dispute, a lawyer's notice, a repayment plan). An event logged without
    an organisation applies to every organisation: the user did not narrow it."""
    p = rule.params
    grace_us = p["grace_days"] * 86_400_000_000
    first_event: dict[str, _Item] = {}
    for ev in prep.events:
        if ev.rec.event is not None and ev.rec.event in p["events"]:
            first_event.setdefault(ev.org, ev)  # events are in time order: keep the earliest
    if not first_event:
        return []
    global_ev = first_event.get("")
    # Per organisation: the event that applies to it and when the grace period ends.
    applies: dict[str, tuple[_Item, int, str, str] | None] = {}
    make = _Maker(rule)
    tpl_en, tpl_zh = _templates("rules.reason.after_event")
    flags: list[Flag] = []
    for it in prep.select(p["channels"], p["directions"], None):
        org = it.org
        if org in applies:
            found = applies[org]
        else:
            ev = first_event.get(org) if org else None
            if global_ev is not None and (ev is None or global_ev.us < ev.us):
                ev = global_ev
            if ev is None:
                found = None
            else:
                assert ev.rec.event is not None
                ev_en, ev_zh = _event_names(ev.rec.event)
                found = (ev, ev.us + grace_us, ev_en, ev_zh)
            applies[org] = found
        if found is None or it.us <= found[1]:
            continue
        ev, _, ev_en, ev_zh = found
        ch_en, ch_zh = _channel_names(it.channel)
        who = _who("organisation", it)
        ev_date, date, hhmm = ev.date_s, it.date_s, it.time_s
        en = tpl_en.format(
            event=ev_en, channel=ch_en, who_en=who[0], event_date=ev_date, date=date, time=hhmm
        )
        zh = tpl_zh.format(
            event=ev_zh, channel=ch_zh, who_zh=who[1], event_date=ev_date, date=date, time=hhmm
        )
        # The event record is evidence too: list it after the contact.
        flags.append(make.one(it, en, zh, extra=ev.rec.record_id))
    return flags


def check_third_party(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """Records the user marked as reported by someone else (family, employer...)."""
    p = rule.params
    make = _Maker(rule)
    tpl_en, tpl_zh = _templates("rules.reason.third_party")
    flags: list[Flag] = []
    chans, dirs = p["channels"], p["directions"]
    for it in prep.reported:
        if it.channel not in chans or it.direction not in dirs:
            continue
        who = it.rec.third_party
        ch_en, ch_zh = _channel_names(it.channel)
        date = it.date_s
        en = tpl_en.format(channel=ch_en, date=date, who=who)
        zh = tpl_zh.format(channel=ch_zh, date=date, who=who)
        flags.append(make.one(it, en, zh))
    return flags


def _severity_for(score: float, thresholds: Mapping[str, float]) -> str | None:
    for sev in ("high", "medium", "low"):
        if score >= thresholds[sev]:
            return sev
    return None


def check_phrases(rules: list[Rule], prep: _Prepared, ctx: _Context) -> list[Flag]:
    """All phrase rules together: the run's one matcher, one pass per record.

    A rule's score is the sum of the weights of its distinct phrases found; the score
    picks the severity through the rule's thresholds, and below ``low`` nothing is
    flagged (so a lone low-weight word such as 征信 is not a flag by itself).
    """
    if not rules:
        return []
    table = ctx.phrase_table(rules)
    matcher = ctx.matcher
    makers = [_Maker(r) for r in rules]
    tpl_en, tpl_zh = _templates("rules.reason.phrases")
    by_fields: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for n, r in enumerate(rules):
        by_fields[r.params["fields"]].append(n)
    flags: list[Flag] = []
    for fields, rule_idx in by_fields.items():
        chans = frozenset().union(*(rules[n].params["channels"] for n in rule_idx))
        dirs = frozenset().union(*(rules[n].params["directions"] for n in rule_idx))
        wanted = set(rule_idx)
        # Template messages repeat: the verdicts depend only on the set of phrases found,
        # so each distinct set is scored once.
        verdicts: dict[frozenset[str], list[tuple[Rule, _Maker, str, str, str, float]]] = {}
        for it in prep.select(chans, dirs, None):
            hits = it.hits(matcher, fields)
            if not hits:
                continue
            found = verdicts.get(hits)
            if found is None:
                found = verdicts[hits] = _phrase_verdicts(
                    hits, table, wanted, rules, makers, (tpl_en, tpl_zh)
                )
            for rule, make, en, zh, sev, score in found:
                rp = rule.params
                if it.channel in rp["channels"] and it.direction in rp["directions"]:
                    flag = make.one(it, en, zh, sev, score)
                    if it.rec.attachments and fields == _CONTENT:
                        mine = [p for p in hits if any(rules[n] is rule for n, _ in table[p])]
                        flag = _mark_screenshot(flag, it, mine, matcher)
                    flags.append(flag)
    return flags


def _mark_screenshot(flag: Flag, it: _Item, phrases: list[str], matcher: Any) -> Flag:
    """Name the screenshots a flag's phrases were read from (rules/screenshots.py)."""
    rec = it.rec
    typed = " ".join(x for x in (rec.subject, rec.content) if x)
    return screenshots.mark(flag, rec, phrases, typed, lambda text: matcher.find(normalise(text)))


def _phrase_verdicts(
    hits: frozenset[str],
    table: Mapping[str, list[tuple[int, float]]],
    wanted: set[int],
    rules: list[Rule],
    makers: list[_Maker],
    templates: tuple[str, str],
) -> list[tuple[Rule, _Maker, str, str, str, float]]:
    """For one set of phrases found: each rule that scores enough, with its reasons,
    severity and score, in rule order."""
    found: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for phrase in hits:
        for n, w in table.get(phrase, ()):
            if n in wanted:
                found[n].append((phrase, w))
    out = []
    for n in sorted(found):
        pairs = found[n]
        rp = rules[n].params
        score = sum(w for _, w in pairs)
        sev = _severity_for(score, rp["thresholds"])
        if sev is None:
            continue
        pairs.sort(key=lambda pw: (-pw[1], pw[0]))
        shown = "、".join(f"“{ph}”" for ph, _ in pairs)
        shown_en = ", ".join(f"“{ph}”" for ph, _ in pairs)
        en = templates[0].format(category=rp["category_en"], phrases=shown_en, score=f"{score:g}")
        zh = templates[1].format(category=rp["category_zh"], phrases=shown, score=f"{score:g}")
        out.append((rules[n], makers[n], en, zh, sev, score))
    return out


_SCAM_SEVERITY = {
    "unofficial_sender": "medium",
    "links": "low",
    "short_links": "medium",
    "personal_account": "high",
}
_SCAM_SCORE = {"unofficial_sender": 2.0, "links": 1.0, "short_links": 2.0, "personal_account": 3.0}


@lru_cache(maxsize=8192)
def _scam_sign_text(kind: str, params: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """One sign's words in en and zh; signs repeat (same sender, same link) across records."""
    return _both(f"rules.scam.{kind}", **dict(params))


def check_scam_signs(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """Signs the public guides name: a sender that is not an official number of the
    organisation (only when the user listed that organisation's numbers), links,
    short links, and demands to pay into a personal account."""
    p = rule.params
    checks = p["checks"]
    short = set(p["short_domains"])
    want_sender = "unofficial_sender" in checks
    want_links, want_short = "links" in checks, "short_links" in checks
    acct = (
        frozenset(normalise(x) for x in p["personal_account_phrases"]) - {""}
        if "personal_account" in checks
        else _NONE
    )
    make = _Maker(rule)
    tpl_en, tpl_zh = _templates("rules.reason.scam")
    # The same sender or link recurs across records: each combination is worded once.
    verdicts = ctx.scam_verdicts
    flags: list[Flag] = []
    for it, unofficial, links, found in ctx.scam_candidates(prep, p["channels"], p["directions"]):
        signs: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        if unofficial and want_sender:
            rec = it.rec
            org = rec.organisation or ""
            signs.append(("unofficial_sender", (("address", rec.address or ""), ("org", org))))
        if links and (want_links or want_short):
            shorts = [x for x in links if link_host(x) in short]
            if shorts and want_short:
                signs.append(("short_links", (("link", shorts[0]),)))
            elif want_links:
                signs.append(("links", (("link", links[0]),)))
        if found and acct:
            hits = found & acct
            if hits:
                signs.append(("personal_account", (("phrases", ", ".join(sorted(hits))),)))
        if not signs:
            continue
        key = tuple(signs)
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = _scam_verdict(signs, tpl_en, tpl_zh)
        flags.append(make.one(it, *verdict))
    return flags


def _scam_verdict(
    signs: list[tuple[str, tuple[tuple[str, str], ...]]], tpl_en: str, tpl_zh: str
) -> tuple[str, str, str, float]:
    """Reasons, severity and score for one combination of signs."""
    en_parts, zh_parts = [], []
    sev, score = "low", 0.0
    for kind, params in signs:
        en, zh = _scam_sign_text(kind, params)
        en_parts.append(en)
        zh_parts.append(zh)
        if SEVERITY_RANK[_SCAM_SEVERITY[kind]] > SEVERITY_RANK[sev]:
            sev = _SCAM_SEVERITY[kind]
        score += _SCAM_SCORE[kind]
    en = tpl_en.format(signs="; ".join(en_parts))
    zh = tpl_zh.format(signs="；".join(zh_parts))
    return en, zh, sev, score


KIND_CHECKS: dict[str, Callable[[Rule, _Prepared, _Context], list[Flag]]] = {
    "quiet_hours": check_quiet_hours,
    "frequency": check_frequency,
    "after_event": check_after_event,
    "third_party": check_third_party,
    "scam_signs": check_scam_signs,
}


# --- running a check ----------------------------------------------------------------

_MATCHER_CACHE: dict[frozenset[str], PhraseMatcher] = {}
_MATCHER_CACHE_MAX = 16  # compiled matchers kept between runs (user rule files vary)


def _matcher_for(phrases: frozenset[str]) -> PhraseMatcher:
    m = _MATCHER_CACHE.get(phrases)
    if m is None:
        if len(_MATCHER_CACHE) >= _MATCHER_CACHE_MAX:
            _MATCHER_CACHE.pop(next(iter(_MATCHER_CACHE)))
        m = _MATCHER_CACHE[phrases] = PhraseMatcher(phrases)
    return m


class _Context:
    """What a check run shares between rules: official numbers, the one phrase matcher
    (every phrase of every phrase and scam rule in the run), and sender verdicts."""

    def __init__(self, official: OfficialNumbers | None, rules: Iterable[Rule]) -> None:
        self.official = official
        phrases: set[str] = set()
        for rule in rules:
            if rule.kind == "phrases":
                phrases.update(normalise(x) for x in rule.params["phrases"])
            elif rule.kind == "scam_signs" and "personal_account" in rule.params["checks"]:
                phrases.update(normalise(x) for x in rule.params["personal_account_phrases"])
        phrases.discard("")
        self.matcher = _matcher_for(frozenset(phrases))
        self.account_phrases = frozenset(
            normalise(x)
            for rule in rules
            if rule.kind == "scam_signs"
            for x in rule.params["personal_account_phrases"]
        ) - {""}
        self._senders: dict[tuple[str, str], bool] = {}
        self.scam_verdicts: dict[tuple, tuple[str, str, str, float]] = {}
        self._scam: dict[tuple, list[tuple[_Item, bool, list[str], frozenset[str]]]] = {}

    def scam_candidates(
        self, prep: _Prepared, channels: frozenset[str], directions: frozenset[str]
    ) -> list[tuple[_Item, bool, list[str], frozenset[str]]]:
        """The records that show any scam sign for any scam rule of the run, with the
        signs (unofficial sender, links, personal-account phrases): found once, then
        each scam rule (one per rule set) keeps what its own checks ask for."""
        key = (channels, directions)
        got = self._scam.get(key)
        if got is not None:
            return got
        got = []
        official, matcher, acct = self.official, self.matcher, self.account_phrases
        senders = self._senders
        for it in prep.select(channels, directions, None):
            rec = it.rec
            unofficial = False
            if official is not None and rec.address:
                ok = senders.get((it.org, rec.address))
                unofficial = not (self.is_official(it) if ok is None else ok)
            links: list[str] = []
            found = _NONE
            if rec.content or rec.subject:
                text = it.text()
                if text:
                    if "." in text:
                        links = it.links()
                    if acct:
                        hits = it.hits(matcher)
                        if hits and not acct.isdisjoint(hits):
                            found = acct.intersection(hits)
            if unofficial or links or found:
                got.append((it, unofficial, links, found))
        self._scam[key] = got
        return got

    def is_official(self, it: _Item) -> bool:
        """Whether the sender is fine: an official number of its organisation, or an
        organisation the user listed no numbers for (nothing to compare against)."""
        address = it.rec.address or ""
        key = (it.org, address)
        got = self._senders.get(key)
        if got is None:
            entry = self.official.for_key(it.org) if self.official and it.org else None
            got = self._senders[key] = entry is None or entry.is_official(address)
        return got

    @staticmethod
    def phrase_table(rules: list[Rule]) -> dict[str, list[tuple[int, float]]]:
        """Normalised phrase -> [(rule index, weight)] for the phrase rules of the run."""
        table: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for n, rule in enumerate(rules):
            for phrase, weight in rule.params["phrases"].items():
                norm = normalise(phrase)
                # The same phrase listed twice in one rule counts once, at its top weight.
                prev = [x for x in table[norm] if x[0] == n]
                if prev:
                    if prev[0][1] < weight:
                        table[norm].remove(prev[0])
                        table[norm].append((n, weight))
                    continue
                table[norm].append((n, weight))
        return dict(table)


def _zone(tz: str | tzinfo) -> tuple[tzinfo, str]:
    """The zone and the name reasons show. A ``ZoneInfo`` object is named by its key."""
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz), tz
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError("rules.bad_timezone", tz=tz) from None
    return tz, getattr(tz, "key", None) or str(tz)


def check(
    records: Iterable[Record],
    rule_sets: RuleSet | Iterable[RuleSet],
    *,
    tz: str | tzinfo,
    official_numbers: OfficialNumbers | Mapping[str, Any] | str | Path | None = None,
    include_unverified: bool = True,
) -> list[Flag]:
    """Run the rule sets over ``records`` (latest, non-deleted versions) and return the
    flags, worst first.

    ``tz`` is the debtor's timezone, an IANA name or a tzinfo: every record's time is
    judged on that clock. ``official_numbers`` (object, dict or TOML path) enables the
    unofficial-sender sign. ``include_unverified=False`` skips rules whose only
    confidence is "U".
    """
    zone, tz_name = _zone(tz)
    sets = [rule_sets] if isinstance(rule_sets, RuleSet) else list(rule_sets)
    rules = [
        rule for rs in sets for rule in rs.rules if include_unverified or rule.confidence != "U"
    ]
    ctx = _Context(as_official_numbers(official_numbers), rules)
    # A run allocates a few objects per record and per flag and makes no reference
    # cycles; the cyclic collector would still rescan the whole live heap (all records
    # included) many times over, about a quarter of the run time at 100k records.
    # Reference counting frees everything as usual while it is paused.
    paused = gc.isenabled()
    gc.disable()
    try:
        prep = _Prepared(records, zone, tz_name)
        flags: list[Flag] = []
        phrase_rules: list[Rule] = []
        for rule in rules:
            if rule.kind == "phrases":
                phrase_rules.append(rule)
            else:
                flags.extend(KIND_CHECKS[rule.kind](rule, prep, ctx))
        flags.extend(check_phrases(phrase_rules, prep, ctx))
        Flag.sort_worst_first(flags)
    finally:
        if paused:
            gc.enable()
    return flags
