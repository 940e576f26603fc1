"""Whose clock the rules read: quiet hours and "per day" are the debtor's local time.

In order: the zone given for this run (``--tz``), the zone the user set for the locker
(``evidence-locker config tz Asia/Shanghai``), the rule set's ``default_timezone``, and
otherwise each record's own UTC offset, the clock it was logged on (the US set has no
default: the country has several zones). This computer's zone is never used: a
machine set to UTC judging Beijing-time records turned daytime calls into night calls.
Every report says which clock it used. When the records' own offsets disagree with
the zone used (or, read on their own offsets, with each other by more than a DST
shift), the report says so, since then either the zone or some records are wrong; a
record whose time the computer's clock gave (none was typed) has the right instant
whatever its offset, and is not named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence_locker.errors import UsageError
from evidence_locker.locale.messages import t
from evidence_locker.rules.context import Note
from evidence_locker.rules.instants import EPOCH
from evidence_locker.rules.prepare import Item
from evidence_locker.rules.ruleset import RuleSet

SOURCES = ("option", "locker", "rule_set", "records")
_DST_SHIFT = timedelta(hours=1)
_ONE_US = timedelta(microseconds=1)
# A time the clock gave is at most this far from the moment the record was written
# (the passphrase is asked in between); a typed time on the wrong clock is hours off.
_CLOCK_SLACK_US = 10 * 60 * 1_000_000


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """The zone a check reads times in, and where that choice came from. ``zone`` is
    None for "each record on its own offset"."""

    zone: tzinfo | None
    name: str
    source: str  # one of SOURCES
    other_defaults: tuple[str, ...] = ()  # defaults of other sets that were not used

    def describe(self, lang: str = "en") -> str:
        return t(f"rules.zone.{self.source}", lang, tz=self.name)


def zone_of(tz: str | tzinfo) -> tuple[tzinfo, str]:
    """The zone and the name reasons show. A ``ZoneInfo`` object is named by its key."""
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz), tz
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError("rules.bad_timezone", tz=tz) from None
    return tz, getattr(tz, "key", None) or str(tz)


def resolve_zone(
    *,
    explicit: str | tzinfo | None = None,
    locker: str | None = None,
    rule_sets: Sequence[RuleSet] = (),
) -> ZoneChoice:
    """The zone for a check, in the order the module docstring gives."""
    if explicit is not None:
        return ZoneChoice(*zone_of(explicit), "option")
    if locker:
        return ZoneChoice(*zone_of(locker), "locker")
    defaults = list(dict.fromkeys(rs.default_timezone for rs in rule_sets if rs.default_timezone))
    if defaults:
        return ZoneChoice(*zone_of(defaults[0]), "rule_set", tuple(defaults[1:]))
    return ZoneChoice(None, "", "records")


def _offset_text(off: timedelta | None) -> str:
    if off is None:
        return "?"
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def offset_note(items: Iterable[Item], odd: Iterable[Item], choice: ZoneChoice) -> Note | None:
    """A warning when records were logged with offsets other than the zone's at that
    time (or, read on their own offsets, spread wider than a DST shift): the sign of a
    zone set wrongly, or of records typed on a computer whose clock was set wrongly.
    ``odd``: the items whose own offset shows another wall clock than the zone does
    (``Prepared.odd``)."""
    if choice.zone is None:
        return _spread_note(items)
    items = items if isinstance(items, list) else list(items)
    odd = [it for it in odd if it.time_known and not _from_clock(it)]
    if not odd:
        return None
    # Records read back share one tzinfo object per offset: count those, then name them.
    by_zone = Counter(it.rec.occurred_at.tzinfo for it in odd)
    wrong: Counter[timedelta | None] = Counter()
    sample = {it.rec.occurred_at.tzinfo: it.rec.occurred_at for it in odd}
    for tz, n in by_zone.items():
        wrong[sample[tz].utcoffset()] += n
    ids = [it.rid for it in odd]
    total = sum(1 for it in items if it.time_known)
    offsets = ", ".join(f"{_offset_text(off)} ({n})" for off, n in wrong.most_common(3))
    params = {"n": len(ids), "total": total, "offsets": offsets, "tz": choice.name}
    return Note(
        "offsets",
        t("rules.note.offsets", "en", **params),
        t("rules.note.offsets", "zh", **params),
        tuple(ids),
    )


def _from_clock(it: Item) -> bool:
    """Whether the record's time is the moment it was logged (no time was typed): the
    computer's clock gave the instant, so its offset only says which clock that was,
    and read on the debtor's zone the time is right. Nothing to correct."""
    logged = it.rec.logged_at
    return abs((logged - EPOCH) // _ONE_US - it.us) <= _CLOCK_SLACK_US


def _spread_note(items: Iterable[Item]) -> Note | None:
    seen: Counter[timedelta | None] = Counter()
    for it in items:
        if it.time_known:
            seen[it.rec.occurred_at.utcoffset()] += 1
    known = [o for o in seen if o is not None]
    if len(known) < 2 or max(known) - min(known) <= _DST_SHIFT:
        return None
    offsets = ", ".join(f"{_offset_text(o)} ({n})" for o, n in seen.most_common(4))
    return Note(
        "offset_spread",
        t("rules.note.offset_spread", "en", offsets=offsets),
        t("rules.note.offset_spread", "zh", offsets=offsets),
    )
