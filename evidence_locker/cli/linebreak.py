"""Line breaking for terminal text that mixes Chinese and English.

rich breaks lines only at spaces, so a Chinese sentence (no spaces) is pushed whole to
the next line and then cut anywhere, and a line may start with "，" or end with "“".
The Unicode line-breaking algorithm (UAX #14, from ``uniseg``) gives the places where
a line may break in any script, with punctuation kept on the right side; lines are
filled to a width in terminal cells (CJK characters take two).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rich.cells import cell_len


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` cells (its own newlines kept)."""
    from uniseg.linebreak import line_break_units

    width = max(width, 4)
    out: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for unit in _units(line_break_units(paragraph)):
            size = cell_len(unit)
            if used + cell_len(unit.rstrip()) > width and line:
                out.append(line.rstrip())
                line, used = "", 0
            while size > width:  # a word longer than a line: cut it by cells
                cut = _fit(unit, width - used)
                out.append((line + cut).rstrip())
                unit, line, used = unit[len(cut) :], "", 0
                size = cell_len(unit)
            line += unit
            used += size
        out.append(line.rstrip())
    return out


def _units(units: Iterable[str]) -> Iterator[str]:
    """UAX #14 units, except that a Latin word is not broken after a hyphen: ids,
    dates and domains (CN-CBA-TIME, 2026-01-30, icbc-pay.top) stay whole; nor is a
    number broken from the Chinese unit after it (15天, 12000元, 3次)."""
    held = ""
    for unit in units:
        joined = held.endswith("-") and unit[:1].isascii() and unit[:1].isalnum()
        if joined or (held[-1:].isdigit() and _ideograph(unit[:1])):
            held += unit
            continue
        if held:
            yield held
        held = unit
    if held:
        yield held


def _ideograph(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _fit(text: str, width: int) -> str:
    """The longest start of ``text`` that fits in ``width`` cells (at least one char)."""
    used = 0
    for i, ch in enumerate(text):
        used += cell_len(ch)
        if used > width:
            return text[: max(i, 1)]
    return text
