"""What every rule kind uses: words from the locale, hits, and the in-force window."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, time
from functools import cache, lru_cache
from operator import attrgetter
from typing import Any

from evidence_locker.locale.messages import catalog, t
from evidence_locker.locale.words import channel_label
from evidence_locker.rules.context import Context
from evidence_locker.rules.finding import Hit
from evidence_locker.rules.instants import date_text
from evidence_locker.rules.prepare import Item, Prepared
from evidence_locker.rules.ruleset import Rule


def both(key: str, **params: Any) -> tuple[str, str]:
    return t(key, "en", **params), t(key, "zh", **params)


@cache
def templates(key: str) -> tuple[str, str]:
    """The raw en and zh message templates, looked up once (findings are made in bulk)."""
    texts = catalog()[key]
    return texts["en"], texts.get("zh", texts["en"])


@cache
def channel_names(channel: str, app: str | None = None) -> tuple[str, str]:
    """A contact's channel in a finding's words: the app's own name where the record
    has one (``微信消息`` / ``WeChat message``, as ``list`` and the dossier say it),
    else the rules' word (``应用消息`` / ``app message``)."""
    if app:
        return channel_label(channel, app, "en"), channel_label(channel, app, "zh")
    return both(f"rules.channel.{channel}")


@cache
def event_names(event: str) -> tuple[str, str]:
    return both(f"rules.event.{event}")


@lru_cache(maxsize=4096)
def who(kind: str, x: str) -> tuple[str, str]:
    """`` by XX银行`` / ``XX银行的`` for the organisation or number a figure is about."""
    if not x:
        return "", ""
    return both(f"rules.who.{kind}", x=x)


def ordinal_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def clock(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def date_of(day: int) -> str:
    return date_text(day)  # made once per day


def _ordinal(d: date | None) -> int | None:
    return d.toordinal() if d is not None else None


def in_force_span(rule: Rule, items: list[Item], ctx: Context) -> tuple[int, int]:
    """The slice of ``items`` (in time order) whose day, on the debtor's clock, falls
    while the rule's source was in force; the others are counted for the report's
    note, not judged."""
    lo, hi = _ordinal(rule.in_force_from), _ordinal(rule.in_force_until)
    if lo is None and hi is None:
        return 0, len(items)
    start = bisect_left(items, lo, key=_day) if lo is not None else 0
    end = bisect_right(items, hi, key=_day) if hi is not None else len(items)
    if start or end != len(items):
        ctx.notes.skip_not_in_force(rule, items[:start] + items[end:])
    return start, end


def in_force(rule: Rule, items: list[Item], ctx: Context) -> list[Item]:
    """``items`` cut to ``in_force_span``."""
    start, end = in_force_span(rule, items, ctx)
    return items if (start, end) == (0, len(items)) else items[start:end]


def in_force_groups(
    rule: Rule,
    prep: Prepared,
    per: str,
    channels: frozenset[str],
    directions: frozenset[str],
    outcomes: frozenset[str] | None,
    ctx: Context,
) -> dict[str, list[Item]]:
    """``prep.grouped`` with each group cut to the days the rule's source was in force
    (the contacts left out are noted as ``in_force`` notes them). Groups are shared
    between rules: read only."""
    groups = prep.grouped(per, channels, directions, outcomes)
    lo, hi = _ordinal(rule.in_force_from), _ordinal(rule.in_force_until)
    if lo is None and hi is None:
        return groups
    in_force_span(rule, prep.select(channels, directions, outcomes), ctx)
    out: dict[str, list[Item]] = {}
    for key, items in groups.items():
        start = bisect_left(items, lo, key=_day) if lo is not None else 0
        end = bisect_right(items, hi, key=_day) if hi is not None else len(items)
        if start < end:
            out[key] = items if (start, end) == (0, len(items)) else items[start:end]
    return out


def day_in_force(rule: Rule, day: int) -> bool:
    lo, hi = _ordinal(rule.in_force_from), _ordinal(rule.in_force_until)
    return (lo is None or day >= lo) and (hi is None or day <= hi)


class Maker:
    """Builds one rule's hits; the rule's fixed fields are looked up once."""

    __slots__ = ("names", "prep", "rule", "severity", "shown")

    def __init__(self, rule: Rule, prep: Prepared) -> None:
        self.rule = rule
        self.prep = prep
        self.severity = rule.severity
        self.names = prep.names  # what ``prep.name`` reads, without a call per hit
        self.shown = prep.shown  # the records hits name, for the report to show

    def one(
        self,
        it: Item,
        en: str,
        zh: str,
        *,
        severity: str | None = None,
        score: float = 1.0,
        extra: Iterable[Item] = (),
    ) -> Hit:
        """A hit about one record (and, for events, the records that started it)."""
        rid = it.rid
        shown = self.shown
        shown[rid] = it.rec
        if extra:  # one or two records (an event): a plain loop costs least
            ids = [rid]
            for x in extra:
                other = x.rid
                if other != rid:
                    shown[other] = x.rec
                    ids.append(other)
            records = tuple(ids)
        else:
            records = (rid,)
        # ``Hit(...)`` without the named tuple's Python ``__new__``, inline: a check
        # makes a hundred thousand hits.
        return _tuple_new(
            Hit,
            (
                self.rule,
                rid,
                records,
                it.us,
                it._iso or it.iso,  # formatted once per record (Item.iso)
                en,
                zh,
                severity or self.severity,
                score,
                self.names.get(it.inst) if it.inst else None,
            ),
        )

    def many(
        self, items: list[Item], anchor: str, en: str, zh: str, *, score: float, org: str
    ) -> Hit:
        """A hit about a group of records (frequency rules), anchored on the group;
        ``items`` are in time order."""
        first = items[0]
        rids = list(map(_rid, items))
        self.shown.update(zip(rids, map(_rec, items), strict=True))
        return _new_hit(
            (
                self.rule,
                anchor,
                tuple(dict.fromkeys(rids)),
                first.us,
                first.iso,
                en,
                zh,
                self.severity,
                score,
                self.prep.name(org),
            )
        )


def _new_hit(fields: tuple) -> Hit:
    """``Hit(*fields)`` without the named tuple's Python ``__new__`` (a check makes tens
    of thousands)."""
    return tuple.__new__(Hit, fields)


_tuple_new = tuple.__new__
_rid = attrgetter("rid")
_rec = attrgetter("rec")
_day = attrgetter("day")
