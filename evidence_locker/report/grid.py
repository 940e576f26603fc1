"""Tables laid out once and drawn with one text object: the dossier's grid.

reportlab's Table measures every cell again on each page split and draws each cell's
text with its own text object; for the dossier's thousand-row timeline and its
per-record field tables that was most of the rendering time. A :class:`Grid` breaks
each cell into lines once (:func:`textflow.break_lines`, the same line breaking as
every other text), splits between rows (repeating the header row), and draws all its
text in one PDF text object, cell by cell in reading order, so text extraction reads a
row as label then value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable

from evidence_locker.report.textflow import lay_out, write_lines

HEADER_BG = colors.Color(0.82, 0.82, 0.82)
ZEBRA_BG = colors.Color(0.95, 0.95, 0.95)
RULE = colors.Color(0.55, 0.55, 0.55)
MAX_ROW_LINES = 60  # a taller cell continues in a row of its own


@dataclass(frozen=True, slots=True)
class GridStyle:
    """How a grid looks: ``rules`` is "grid" (every cell boxed) or "below" (a line
    under each row)."""

    header: bool = True
    zebra: bool = True
    rules: str = "grid"
    rule_width: float = 0.3
    rule_color: Any = RULE
    pad: tuple[float, float, float, float] = (3, 3, 1.5, 2)  # left, right, top, bottom


@dataclass
class _Row:
    cells: list[Any]  # list[Line] (text) or a Flowable, per column
    height: float
    header: bool = False


class Grid(Flowable):
    """Rows of cells; a cell is ``(text, ParagraphStyle)`` or a Flowable."""

    def __init__(
        self,
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float],
        style: GridStyle,
        *,
        measured: list[_Row] | None = None,
    ) -> None:
        super().__init__()
        self.widths = list(widths)
        self.gs = style
        self._source = [list(r) for r in rows]
        self._rows = measured
        self.width = sum(self.widths)
        self.height = 0.0

    def _measure(self) -> list[_Row]:
        if self._rows is not None:
            return self._rows
        left, right, top, bottom = self.gs.pad
        rows: list[_Row] = []
        for i, row in enumerate(self._source):
            header = self.gs.header and i == 0
            laid: list[Any] = []
            for cell, width in zip(row, self.widths, strict=False):
                inner = width - left - right
                if isinstance(cell, Flowable):
                    cell.wrap(inner, 10_000)
                    laid.append(cell)
                else:
                    text, st = cell
                    laid.append(lay_out(text, st, inner))
            rows.extend(_split_tall(laid, header, top + bottom))
        self._rows = rows
        return rows

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        self.height = sum(r.height for r in self._measure())
        return self.width, self.height

    def split(self, avail_w: float, avail_h: float) -> list[Flowable]:
        rows = self._measure()
        head = [r for r in rows[:1] if r.header]
        used = sum(r.height for r in head)
        fit = len(head)
        for r in rows[len(head) :]:
            if used + r.height > avail_h + 1e-6:
                break
            used += r.height
            fit += 1
        if fit >= len(rows):
            return [self]
        if fit <= len(head):
            return []
        return [
            Grid([], self.widths, self.gs, measured=rows[:fit]),
            Grid([], self.widths, self.gs, measured=head + rows[fit:]),
        ]

    def draw(self) -> None:
        canv = self.canv
        rows = self._measure()
        left, _, top, _ = self.gs.pad
        total = sum(r.height for r in rows)
        canv.saveState()
        y = total
        body = 0
        for r in rows:  # backgrounds first, so rules and text go over them
            fill = HEADER_BG if r.header else ZEBRA_BG if self.gs.zebra and body % 2 else None
            if not r.header:
                body += 1
            if fill is not None:
                canv.setFillColor(fill)
                canv.rect(0, y - r.height, self.width, r.height, stroke=0, fill=1)
            y -= r.height
        text = canv.beginText()
        y = total
        for r in rows:
            x = 0.0
            for cell, width in zip(r.cells, self.widths, strict=False):
                if isinstance(cell, Flowable):
                    cell.drawOn(canv, x + left, y - top - cell.height)
                else:
                    write_lines(text, cell, x + left, y - top, width - left - self.gs.pad[1])
                x += width
            y -= r.height
        canv.drawText(text)
        self._rules(rows, total)
        canv.restoreState()

    def _rules(self, rows: list[_Row], total: float) -> None:
        canv = self.canv
        canv.setStrokeColor(self.gs.rule_color)
        canv.setLineWidth(self.gs.rule_width)
        y = total
        lines = []
        if self.gs.rules == "grid":
            lines.append((0, total, self.width, total))
        for r in rows:
            y -= r.height
            lines.append((0, y, self.width, y))
        if self.gs.rules == "grid":
            x = 0.0
            for w in [0.0, *self.widths]:
                x += w
                lines.append((x, 0, x, total))
        canv.lines(lines)


def _split_tall(cells: list[Any], header: bool, pad: float) -> list[_Row]:
    """One row, or several when a text cell has more than MAX_ROW_LINES lines (a row
    cannot break across pages)."""
    texts = [c for c in cells if not isinstance(c, Flowable)]
    longest = max((len(c) for c in texts), default=0)
    if longest <= MAX_ROW_LINES:
        return [_Row(cells, _height(cells) + pad, header)]
    out = []
    for start in range(0, longest, MAX_ROW_LINES):
        part = [
            c
            if isinstance(c, Flowable) and start == 0
            else ([] if isinstance(c, Flowable) else c[start : start + MAX_ROW_LINES])
            for c in cells
        ]
        out.append(_Row(part, _height(part) + pad, header))
    return out


def _height(cells: list[Any]) -> float:
    best = 0.0
    for c in cells:
        if isinstance(c, Flowable):
            best = max(best, c.height)
        else:
            best = max(best, sum(ln.gap + ln.leading for ln in c))
    return best


def text_cell(text: str, style: ParagraphStyle) -> tuple[str, ParagraphStyle]:
    return (text, style)
