"""Records' times as integers: the instant, the order, and the debtor's wall clock.

A check compares times of 100k records many ways; ``datetime`` arithmetic on aware
values asks each value's tzinfo for its offset, by method name, every time, which made
converting the times the largest part of preparing the records. Here each record's
instant is read once as microseconds since the epoch, from its fields and its tzinfo's
offset (found once per tzinfo object: records read back share one per offset), and its
wall clock on the debtor's zone is that instant plus the zone's offset, found once per
UTC day. ``tests/test_rules_prepare_clock.py`` compares every figure with
``astimezone`` across DST changes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from itertools import compress, repeat
from operator import add, eq, ne
from typing import Any

from evidence_locker.model import Record

DAY_US = 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = EPOCH.toordinal()
_UNSEEN: Any = object()


def offset_us(moment: datetime) -> int:
    """A datetime's UTC offset in microseconds (records always carry one)."""
    off = moment.utcoffset()
    assert off is not None, "records carry the offset they were logged with"
    return (off.days * 86400 + off.seconds) * 1_000_000 + off.microseconds


def fixed_offset_us(tz: tzinfo | None) -> int | None:
    """The offset of a fixed-offset tzinfo in microseconds; None when it varies."""
    if isinstance(tz, timezone):
        return offset_us(datetime(2000, 1, 1, tzinfo=tz))
    return None


def instants(records: Sequence[Record]) -> tuple[list[int], list[int]]:
    """Each record's instant (microseconds since the epoch) and the offset it was
    logged with (microseconds), in the records' order.

    The same figures as ``occurred_at - EPOCH`` and ``occurred_at.utcoffset()``, from
    the wall-clock fields and one offset per tzinfo object.
    """
    fixed: dict[tzinfo | None, int | None] = {}
    times: list[int] = []
    owns: list[int] = []
    for rec in records:
        at = rec.occurred_at
        tz = at.tzinfo
        own = fixed.get(tz, _UNSEEN)
        if own is _UNSEEN:
            own = fixed[tz] = fixed_offset_us(tz)
        if own is None:  # a zone whose offset varies (or a fold): ask it
            own = offset_us(at)
        wall = (
            (at.toordinal() - EPOCH_ORDINAL) * 86400 + at.hour * 3600 + at.minute * 60 + at.second
        ) * 1_000_000 + at.microsecond
        times.append(wall - own)
        owns.append(own)
    return times, owns


def time_order(records: list[Record]) -> tuple[list[Record], list[int], list[int]]:
    """The records in time order, and record-id order among equal times (so output
    never depends on input order), with their instants and own offsets in that order.

    Sorting on the integer time alone and then fixing the short runs of equal times is
    about three times faster than sorting on (time, id) pairs.
    """
    us, owns = instants(records)
    order = sorted(range(len(us)), key=us.__getitem__)
    times = list(map(us.__getitem__, order))
    # Positions equal in time to the one before (found in C); most lockers have few.
    end = 0
    for k in compress(range(1, len(times)), map(eq, times[1:], times)):
        if k < end:
            continue
        start, end = k - 1, k + 1
        while end < len(times) and times[end] == times[start]:
            end += 1
        order[start:end] = sorted(order[start:end], key=lambda i: records[i].record_id)
    return list(map(records.__getitem__, order)), times, list(map(owns.__getitem__, order))


def wall_clock(
    records: Sequence[Record], times: Sequence[int], owns: Sequence[int], zone: tzinfo | None
) -> tuple[list[int], Sequence[int], list[int]]:
    """Each record's wall clock on ``zone`` (microseconds since the epoch, as if UTC),
    its offset there (the wall clock less the instant), and the positions of the
    records whose own offset shows another hour or minute.

    Without a zone a record is read on its own offset. A UTC day whose start and end
    have the same offset in ``zone`` has it throughout (zones change offset at most
    once a day); a day with a change is converted record by record. ``records`` and
    ``times`` are in time order (``time_order``).
    """
    if zone is None:
        return list(map(add, times, owns)), owns, []
    fixed = fixed_offset_us(zone)
    if fixed is not None:
        walls = list(map(add, times, repeat(fixed)))
        offsets: Sequence[int] = [fixed] * len(times)
    else:
        # The records are in time order: each UTC day is one run of them.
        walls, offsets = [], []
        lo, n = 0, len(times)
        while lo < n:
            day = times[lo] // DAY_US
            hi = bisect_left(times, (day + 1) * DAY_US, lo)
            off = _day_offset(zone, day)
            if off is None:
                offs = [offset_us(r.occurred_at.astimezone(zone)) for r in records[lo:hi]]
            else:
                offs = [off] * (hi - lo)
            walls.extend(map(add, times[lo:hi], offs))
            offsets.extend(offs)
            lo = hi
    odd = []
    for n in compress(range(len(times)), map(ne, owns, offsets)):
        at = records[n].occurred_at
        there = at.astimezone(zone)
        if there.hour != at.hour or there.minute != at.minute:
            odd.append(n)
    return walls, offsets, odd


def _day_offset(zone: tzinfo, day: int) -> int | None:
    """The zone's offset throughout one UTC day (None: it changes that day)."""
    start = EPOCH + timedelta(days=day)
    first = offset_us(start.astimezone(zone))
    last = offset_us((start + timedelta(microseconds=DAY_US - 1)).astimezone(zone))
    return first if first == last else None


# --- the wall clock as text --------------------------------------------------------------
# A finding shows its records' times; formatting them from the integers, with the
# pieces made once (a minute of the day, a day, an offset), costs a fraction of
# ``astimezone`` and ``isoformat`` per record. The property tests compare them.
_HHMM = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]
_SS = [f":{s:02d}" for s in range(60)]
_DAYS: dict[int, str] = {}
_OFFSETS: dict[int, str] = {}


def date_text(day: int) -> str:
    """``date.fromordinal(day).isoformat()``, made once per day."""
    got = _DAYS.get(day)
    if got is None:
        got = _DAYS[day] = date.fromordinal(day).isoformat()
    return got


def time_text(wall: int) -> str:
    """A wall clock's time of day as findings show it: ``HH:MM``, or ``HH:MM:SS`` when
    the seconds (or microseconds, never shown) are not zero."""
    seconds, micro = divmod(wall % DAY_US, 1_000_000)
    minute, second = divmod(seconds, 60)
    return _HHMM[minute] + _SS[second] if second or micro else _HHMM[minute]


def offset_text(off: int) -> str:
    """An offset (µs) as ``datetime.isoformat`` writes it: ``+08:00``, with seconds and
    microseconds only where they are not zero (old local mean times)."""
    got = _OFFSETS.get(off)
    if got is None:
        seconds, micro = divmod(abs(off), 1_000_000)
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        got = f"{'-' if off < 0 else '+'}{hours:02d}:{minutes:02d}"
        if secs or micro:
            got += f":{secs:02d}" + (f".{micro:06d}" if micro else "")
        _OFFSETS[off] = got
    return got


def iso_text(wall: int, off: int) -> str:
    """``isoformat()`` of the aware datetime whose wall clock is ``wall`` and whose
    offset is ``off`` (both µs)."""
    day, of_day = divmod(wall, DAY_US)
    seconds, micro = divmod(of_day, 1_000_000)
    minute, second = divmod(seconds, 60)
    text = f"{date_text(day + EPOCH_ORDINAL)}T{_HHMM[minute]}{_SS[second]}"
    if micro:
        text += f".{micro:06d}"
    return text + offset_text(off)
