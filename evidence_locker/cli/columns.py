"""Fitting a table of mixed Chinese and English text to the terminal's width.

rich shares a narrow terminal among a table's columns and then breaks a cell at spaces
or, failing that, anywhere: ``+86138001380`` / ``00``, ``逾期1`` / ``5天``, a line
beginning with "，". Here the short columns (an id, a time, a channel) keep their
natural width, the columns of free text share the rest, and each cell is broken by
:func:`evidence_locker.cli.linebreak.wrap` (Unicode line breaking: never inside a
number, a word or a no-break-spaced phone number, never before closing punctuation)
before rich sees it, so rich has nothing left to break.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from rich.cells import cell_len

# A table with rich's default box: one rule between columns and at each edge, and one
# space of padding on either side of every cell.
_RULE, _PADDING = 1, 2
# A free-text column narrower than this reads as a column of fragments.
FREE_MIN = 10
# The longest unbroken run a free-text column insists on keeping whole.
FREE_UNIT_MAX = 18
# A column that gives this much narrows to its widest word whenever the text is cramped.
EAGER = 2


@dataclass(frozen=True)
class Column:
    header: str
    cells: Sequence[str]
    free: bool = False  # free text: shares what the other columns leave
    # A short column that may give up cells when the free text has too few, narrowing
    # to its widest unbreakable run (``WeChat`` / ``message``); the higher gives first,
    # and EAGER gives whenever the free text is narrower than it would like.
    gives: int = 0
    # A free-text column's claim on the room the free columns share when it is short:
    # None, its longest line; else its weight against the others' (``check`` weighs how
    # much text a row holds in it, cli/checktable.py). Never wider than its longest
    # line nor narrower than its least.
    weight: float | None = None

    @cached_property
    def longest_unit(self) -> int:
        """``_longest_unit``, measured once: ``list`` lays its table out twice."""
        return _longest_unit(self)


def widths(columns: Sequence[Column], total: int) -> list[int] | None:
    """Each column's width in cells for a table ``total`` cells wide, or None when even
    the narrowest layout does not fit (rich then does its best)."""
    out = [max(_longest_line(c.header), *(_longest_line(x) for x in c.cells)) for c in columns]
    free = [i for i, c in enumerate(columns) if c.free]
    least = {
        i: min(out[i], max(FREE_MIN, min(FREE_UNIT_MAX, c.longest_unit)))
        for i, c in enumerate(columns)
        if c.free
    }
    room = total - _RULE - len(columns) * (_RULE + _PADDING)
    room -= sum(n for i, n in enumerate(out) if i not in least)
    for i in sorted((i for i, c in enumerate(columns) if c.gives), key=lambda i: -columns[i].gives):
        short = sum(least.values()) - room
        if short <= 0:
            break
        give = min(short, out[i] - _longest_word(columns[i]))
        if give > 0:
            out[i] -= give
            room += give
    if room < sum(least.values()):
        return None
    for i, c in enumerate(columns):  # a label that breaks at a space gives cramped text room
        if c.gives >= EAGER and sum(out[i] for i in free) > room:
            give = out[i] - _longest_word(c)
            out[i] -= give
            room += give
    wanted = sum(out[i] for i in free)
    if wanted > room and any(columns[i].weight is not None for i in free):
        weights = {i: max(1e-3, columns[i].weight or out[i]) for i in free}
        for i, width in _by_weight({i: out[i] for i in free}, least, weights, room).items():
            out[i] = width
    elif wanted > room:  # the free columns share the room by their widths, none below its least
        for i in free:
            out[i] = max(least[i], out[i] * room // wanted)
        out[free[-1]] += room - sum(out[i] for i in free)  # the last takes the rounding
        for i in reversed(free[:-1]):  # and the others give back what it lacks
            lacking = least[free[-1]] - out[free[-1]]
            if lacking <= 0:
                break
            give = min(lacking, out[i] - least[i])
            out[i] -= give
            out[free[-1]] += give
    return out


def _by_weight(
    natural: dict[int, int], least: dict[int, int], weights: dict[int, float], room: int
) -> dict[int, int]:
    """Widths summing to ``room`` (less than the natural widths' sum, at least the
    leasts'): each its weight times one scale, kept between its least and its natural
    width; the scale is the largest that fits, found by halving, and the cells the
    rounding leaves go to the last columns that still want them."""

    def at(scale: float) -> dict[int, int]:
        return {i: min(natural[i], max(least[i], int(weights[i] * scale))) for i in natural}

    low, high = 0.0, max(natural[i] / weights[i] for i in natural) + 1.0
    for _ in range(40):
        mid = (low + high) / 2
        if sum(at(mid).values()) <= room:
            low = mid
        else:
            high = mid
    out = at(low)
    spare = room - sum(out.values())
    for i in reversed(natural):
        give = min(spare, natural[i] - out[i])
        out[i] += give
        spare -= give
    return out


def roomy(columns: Sequence[Column], fitted: Sequence[int] | None) -> bool:
    """Whether every free-text column got all the width its longest line wants."""
    return fitted is not None and all(
        fitted[i] >= max(_longest_line(x) for x in (c.header, *c.cells))
        for i, c in enumerate(columns)
        if c.free
    )


def wrapped(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` cells where a reader allows."""
    from evidence_locker.cli.linebreak import wrap

    return "\n".join(wrap(text, width))


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in text.split("\n")), default=0)


def _longest_word(column: Column) -> int:
    """The widest run between spaces in ``column``: a short column's label or time is
    broken only at a space (``WeChat`` / ``message``; never ``微信`` / ``消息``)."""
    texts = (column.header, *column.cells)
    return max((cell_len(w) for text in texts for w in text.split()), default=0)


def _longest_unit(column: Column, enough: int = FREE_UNIT_MAX) -> int:
    """The widest run of text in ``column`` (its header too) that no line may break, or
    any width from ``enough`` up once one that wide is found (all ``widths`` asks).
    Each distinct text is broken once, and only if it is wider than the widest run
    found so far: a long ``list`` would otherwise break every cell here once more."""
    from evidence_locker.cli.linebreak import widest_unit

    best = 0
    for text in {column.header: None, **dict.fromkeys(column.cells)}:
        if best >= enough:
            break
        if cell_len(text) <= best:  # no run in it is wider
            continue
        best = max(best, widest_unit(text))
    return best
