"""Line breaking for terminal text that mixes Chinese and English.

rich breaks lines only at spaces, so a Chinese sentence (no spaces) is pushed whole to
the next line and then cut anywhere, and a line may start with "，" or end with "“".
The Unicode line-breaking algorithm (UAX #14, from ``uniseg``) gives the places where
a line may break in any script, with punctuation kept on the right side; lines are
filled to a width in terminal cells (CJK characters take two).

``uniseg`` follows the current rules exactly but costs about 65 µs a character (a
2,000-record ``list`` took 41 s, nearly all of it here). So a paragraph is first cut at
places where the rules always allow a break whatever comes before or after (between two
ideographs; after a single space that follows a letter, digit, ideograph or ordinary
punctuation, before a letter, digit or ideograph), and each piece, short and recurring
("还", "your "), is broken once and remembered. A piece is remembered by its line-breaking
classes, not its letters: every ASCII letter breaks as "a" does, every digit as "0", every
ideograph as "一", so "Recovery " and "Partners ", "18,310元" and "12,000元" are one
lookup, and a 20,000-record ``list`` meets a few thousand pieces, not a million. The
units are the same as breaking the whole paragraph (tests/test_cli_linebreak.py checks
this against ``uniseg``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff"
_IDEOGRAPH_CHAR = re.compile(f"[{_IDEOGRAPH}]")
_ALNUM = "A-Za-z0-9"
# Places where UAX #14 decides the same whatever the text around, and where cutting
# changes no decision inside the pieces (no rule looks across them):
# - ideograph ÷ ideograph (LB31: no earlier rule names ID on both sides);
# - space ÷ letter, digit or ideograph (LB18), when the space follows a character that
#   no earlier rule carries across spaces (LB8 ZW, LB14 OP, LB15a QU, LB17 B2 are kept
#   out; LB16 needs NS after).
_CUT = re.compile(
    f"(?<=[{_IDEOGRAPH}])(?=[{_IDEOGRAPH}])"
    f"|(?<=[{_ALNUM}{_IDEOGRAPH},.;:!?，。、] )(?=[{_ALNUM}{_IDEOGRAPH}])"
)
# Characters whose breaks depend on their class alone, and a stand-in for each class:
# ASCII letters are AL, digits NU, the ideographs of these blocks ID (UAX #14 tables).
_STAND_INS = ((_ALNUM[:6], "a"), ("0-9", "0"), (_IDEOGRAPH, "\u4e00"))
# Widths of recurring units ("your ", "还"): a dict beats rich's own cache; emptied
# when full, so a long run's memory stays bounded.
_WIDTHS: dict[str, int] = {}
_WIDTHS_MAX = 1 << 16


def cell_width(text: str) -> int:
    """``text``'s width in terminal cells (``rich.cells.cell_len``), remembered."""
    found = _WIDTHS.get(text)
    if found is None:
        if len(_WIDTHS) >= _WIDTHS_MAX:
            _WIDTHS.clear()
        found = _WIDTHS[text] = cell_len(text)
    return found


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` cells (its own newlines kept)."""
    return list(_wrapped(text, width))


@lru_cache(maxsize=4096)
def _wrapped(text: str, width: int) -> tuple[str, ...]:
    """``wrap``, remembered: a long report repeats its reasons and sources."""
    width = max(width, 4)
    out: list[str] = []
    for paragraph in text.split("\n"):
        if cell_len(paragraph) <= width:  # fits: no break is taken, so none is sought
            out.append(paragraph.rstrip())
            continue
        line, used = "", 0
        for unit in _units(break_units(paragraph)):
            size = cell_width(unit)
            if used + cell_width(unit.rstrip()) > width and line:
                out.append(line.rstrip())
                line, used = "", 0
            while cell_width(unit.rstrip()) > width:  # a word longer than a line: cut it
                cut = _fit(unit, width - used)
                out.append((line + cut).rstrip())
                unit, line, used = unit[len(cut) :], "", 0
                size = cell_width(unit)
            line += unit
            used += size
        out.append(line.rstrip())
    return tuple(out)


def break_units(paragraph: str) -> Iterator[str]:
    """The UAX #14 units of ``paragraph`` (text up to a break opportunity), as
    ``uniseg.linebreak.line_break_units`` gives them, piece by remembered piece."""
    at = 0
    for piece in _CUT.split(paragraph.translate(_classes())):  # cut as the text would be
        for size in _piece_sizes(piece):
            yield paragraph[at : at + size]
            at += size


def widest_unit(paragraph: str) -> int:
    """The width in cells of the widest unit of ``paragraph``, its trailing spaces left
    out: the narrowest a column of it can be without cutting a word. Measured on the
    stand-ins, which are as wide as what they stand for (a letter or digit one cell,
    an ideograph two), so each piece is measured once per run."""
    pieces = _CUT.split(paragraph.translate(_classes()))
    return max([0, *(_piece_widest(piece) for piece in pieces)])


@lru_cache(maxsize=1)
def _classes() -> dict[int, str]:
    """The translation to each character's stand-in (see ``_STAND_INS``)."""
    table: dict[int, str] = {}
    for ranges, stand_in in _STAND_INS:
        for first, last in re.findall("(.)-(.)", ranges):
            table.update(dict.fromkeys(range(ord(first), ord(last) + 1), stand_in))
    return table


@lru_cache(maxsize=1 << 16)
def _piece_widest(piece: str) -> int:
    at, widest = 0, 0
    for size in _piece_sizes(piece):
        widest = max(widest, cell_len(piece[at : at + size].rstrip()))
        at += size
    return widest


@lru_cache(maxsize=1 << 16)
def _piece_sizes(piece: str) -> tuple[int, ...]:
    """The lengths of a piece's units (a piece of stand-ins: see ``_classes``)."""
    from uniseg.linebreak import line_break_units

    return tuple(len(unit) for unit in line_break_units(piece))


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
    return _IDEOGRAPH_CHAR.fullmatch(ch) is not None


def _fit(text: str, width: int) -> str:
    """The longest start of ``text`` that fits in ``width`` cells (at least one char),
    ended where a reader expects an address to be cut if there is such a place in its
    second half: after "@" or "/", before "." (``collections@`` / ``anyihua.example``)."""
    used = 0
    for i, ch in enumerate(text):
        used += cell_len(ch)
        if used > width:
            fits = text[: max(i, 1)]
            at = max(fits.rfind("@") + 1, fits.rfind("/") + 1, fits.rfind(".", 1))
            return fits[:at] if at > len(fits) // 2 else fits
    return text


def wrap_styled(text: Text, width: int) -> list[Text]:
    """A styled one-line ``text`` (search's highlighted matches) broken as ``wrap``
    breaks its plain string, each line keeping its part of the styles."""
    plain, out, at = text.plain, [], 0
    for line in wrap(plain, width):
        start = plain.find(line, at) if line else at
        out.append(text[start : start + len(line)])
        at = start + len(line)
    return out


def labelled_lines(
    rows: Iterable[tuple[str, str]], width: int, *, indent: int, style: str, gap: int = 1
) -> list[list[tuple[str, str | None]]]:
    """Label and value lines as (text, style) parts, for cli/direct.py to write: the
    labels in a column as wide as the widest (an empty value's label too), each value
    broken where a reader allows under its own column, and no trailing padding, so a
    copied value pastes as it reads."""
    rows = list(rows)
    label_w = max((cell_len(label) for label, _ in rows), default=0)
    margin = " " * indent
    lines: list[list[tuple[str, str | None]]] = []
    for label, value in rows:
        if not value:
            continue
        for i, line in enumerate(wrap(value, width - indent - label_w - gap)):
            shown = label if i == 0 else ""
            if line:
                pad = " " * (label_w - cell_len(shown) + gap)
                lines.append(
                    [(margin, None), (shown + pad, style), (line.replace("\u00a0", " "), None)]
                )
            elif shown:  # a value that starts with an empty line
                lines.append([(margin, None), (shown, style)])
            else:
                lines.append([])
    return lines


def say(console: Console, text: str, style: str | None = None) -> None:
    """Print a paragraph on ``console`` broken where Chinese and English may break
    (rich alone breaks only at spaces and leaves the space at the line's end)."""
    for line in wrap(text, console.width):
        console.print(line, markup=False, style=style, no_wrap=True, overflow="ignore")
