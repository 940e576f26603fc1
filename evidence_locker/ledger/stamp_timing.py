"""Logged time against trusted time: what the stamps say about each entry's ``logged_at``.

An entry's trusted time T (the earliest stamp covering it, ``anchors.earliest_covers``)
bounds its logged time L from one side only, because the entry existed by T:

- L later than T (beyond the usual skew between a computer and a TSA) means the
  computer's clock was ahead when the entry was logged: its logged time is wrong,
  not merely unproven;
- L much earlier than T means the entry could have been written (backdated) at any
  moment up to T: the stamp bounds backdating to T - L and no better.

``verify`` reports both, as runs of entry numbers with the largest gap in each run.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from evidence_locker.ledger.anchors import Cover

# a record logged this much after the trusted time that covers it had a fast clock;
# smaller gaps are the usual skew between a computer and a TSA
CLOCK_TOLERANCE = timedelta(seconds=60)
# a stamp this long after the logged time bounds backdating so loosely that verify
# says so (stamp more often, or add a TSA with --auto)
LONG_LAG = timedelta(days=1)


class Timing(enum.Enum):
    CLOCK_AHEAD = "clock_ahead"  # logged after its trusted time
    LONG_LAG = "long_lag"  # logged long before its trusted time


@dataclass(frozen=True, slots=True)
class TimingRun:
    """Entries ``first``..``last`` (1-based, as verify numbers them) share ``timing``;
    ``worst_us`` is the largest gap between logged and trusted time among them."""

    timing: Timing
    first: int
    last: int
    worst_us: int


def classify(logged_us: int, trusted_us: int) -> Timing | None:
    """How a logged time stands against the trusted time covering it."""
    gap = trusted_us - logged_us
    if gap < -_us(CLOCK_TOLERANCE):
        return Timing.CLOCK_AHEAD
    if gap > _us(LONG_LAG):
        return Timing.LONG_LAG
    return None


def timing_runs(logged: Iterable[tuple[int, int]], steps: Sequence[Cover]) -> list[TimingRun]:
    """Runs of consecutive entries whose logged time stands out against their trusted
    time. ``logged`` is ``(seq, logged_at µs)`` in increasing seq order; uncovered
    entries are skipped (they have no trusted time to stand against)."""
    runs: list[TimingRun] = []
    step = 0  # entries come in seq order, so the covering step only moves forward
    for seq, logged_us in logged:
        while step < len(steps) and steps[step].size <= seq:
            step += 1
        if step == len(steps):
            break
        cover = steps[step]
        timing = classify(logged_us, cover.attested_at)
        if timing is None:
            continue
        gap = abs(cover.attested_at - logged_us)
        last = runs[-1] if runs else None
        if last is not None and last.timing is timing and last.last == seq:
            runs[-1] = TimingRun(timing, last.first, seq + 1, max(last.worst_us, gap))
        else:
            runs.append(TimingRun(timing, seq + 1, seq + 1, gap))
    return runs


def _us(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1_000_000)


def capped(runs: Sequence[TimingRun], per_kind: int) -> tuple[list[TimingRun], dict[Timing, int]]:
    """The first ``per_kind`` runs of each kind, in order, and how many of each were
    left out (what a terminal shows; the JSON lists every run)."""
    shown: list[TimingRun] = []
    seen: dict[Timing, int] = {}
    for run in runs:
        seen[run.timing] = seen.get(run.timing, 0) + 1
        if seen[run.timing] <= per_kind:
            shown.append(run)
    return shown, {kind: n - per_kind for kind, n in seen.items() if n > per_kind}
