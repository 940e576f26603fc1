"""Tables laid out once and drawn with one text object: the dossier's grid.

reportlab's Table measures every cell again on each page split and draws each cell's
text with its own text object; for the dossier's thousand-row timeline and its
per-record field tables that was most of the rendering time. A :class:`Grid` breaks
each cell into lines once (:func:`textflow.lay_out`, the same line breaking as every
other text), splits between rows (repeating the header row), and draws all its text
in one PDF text object, cell by cell in reading order, so text extraction reads a row
as label then value.

A row can also be a :class:`Span` across the whole width (a record's heading, a
field's label, its text in chunks of a few lines): a whole record is one grid, one
flowable, which keeps reportlab's per-flowable work small. A grid split across pages
puts a continuation mark in the next page's header band ("E-3 · Content
(continued)"), and reports where it starts and ends (:class:`Marks`). A span marked
``keep_next`` (a field's label) is never the last row of a page: it goes over with the
text it labels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable

from evidence_locker.report.textflow import TextState, lay_out, write_lines

HEADER_BG = colors.Color(0.82, 0.82, 0.82)
ZEBRA_BG = colors.Color(0.95, 0.95, 0.95)
RULE = colors.Color(0.55, 0.55, 0.55)
MAX_ROW_LINES = 60  # a taller cell continues in a row of its own
SPAN_LINES = 8  # a spanning text is cut into rows this many lines high, to split finely


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


@dataclass(frozen=True, slots=True)
class Span:
    """A row of one cell across the whole grid: a heading, a label, a field's text."""

    text: str
    style: ParagraphStyle
    background: Any = None
    rule: bool = False  # a line below it
    label: str = ""  # what the row belongs to, for a continuation mark
    keep_next: bool = False  # a field's label: never the last row on a page


@dataclass(frozen=True, slots=True)
class Marks:
    """Where a grid sits in the document: ``key`` names it in ``DossierDoc.marks``
    (kinds "start" and "end"); ``outline`` is a bookmark ``(title, level)`` at its top;
    ``keep`` rows stay together at its start; ``continued`` formats a continuation mark
    from a row's label."""

    key: str | None = None
    outline: tuple[str, int] | None = None
    keep: int = 1
    continued: Callable[[str], str] | None = None  # label -> "E-3 · Content (continued)"


@dataclass
class _Row:
    cells: list[Any]  # per column: list[Line] (text) or a Flowable; one item for a span
    height: float
    header: bool = False
    background: Any = None
    rule: bool = True
    label: str = ""
    keep_next: bool = False


@dataclass
class _Part:
    first: bool = True  # holds the grid's first row
    last: bool = True  # holds its last row
    continued_label: str | None = None
    kinds: list[str] = field(default_factory=list)


class Grid(Flowable):
    """Rows of cells; a cell is ``(text, ParagraphStyle)`` or a Flowable; a row may
    be a :class:`Span` instead."""

    def __init__(
        self,
        rows: Sequence[Any],
        widths: Sequence[float],
        style: GridStyle,
        *,
        marks: Marks | None = None,
        measured: list[_Row] | None = None,
        part: _Part | None = None,
    ) -> None:
        super().__init__()
        self.widths = list(widths)
        self.gs = style
        self.marks = marks or Marks()
        self._source = list(rows)
        self._rows = measured
        self._part = part or _Part()
        self.width = sum(self.widths)
        self.height = 0.0
        # read by DossierDoc.afterFlowable: which marks this part carries
        self._el_marks = [
            (self.marks.key, kind)
            for kind, on in (("start", self._part.first), ("end", self._part.last))
            if on and self.marks.key
        ]

    def _measure(self) -> list[_Row]:
        if self._rows is not None:
            return self._rows
        left, right, top, bottom = self.gs.pad
        rows: list[_Row] = []
        for i, row in enumerate(self._source):
            if isinstance(row, Span):
                rows.extend(self._span(row, self.width - left - right, top + bottom))
                continue
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

    @staticmethod
    def _span(span: Span, inner: float, pad: float) -> list[_Row]:
        lines = lay_out(span.text, span.style, inner)
        out = []
        for start in range(0, max(len(lines), 1), SPAN_LINES):
            chunk = lines[start : start + SPAN_LINES]
            height = sum(ln.gap + ln.leading for ln in chunk) + pad
            out.append(
                _Row([chunk], height, background=span.background, rule=False, label=span.label)
            )
        out[-1].rule = span.rule
        out[-1].keep_next = span.keep_next
        return out

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        if not self.height:
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
        while fit > len(head) and rows[fit - 1].keep_next:
            fit -= 1  # a label goes over with the text it labels
        keep = self.marks.keep if self._part.first else 1
        if fit <= len(head) or fit < min(keep, len(rows)):
            return []
        first = Grid(
            [],
            self.widths,
            self.gs,
            marks=self.marks,
            measured=rows[:fit],
            part=_Part(
                first=self._part.first, last=False, continued_label=self._part.continued_label
            ),
        )
        rest = Grid(
            [],
            self.widths,
            self.gs,
            marks=self.marks,
            measured=head + rows[fit:],
            part=_Part(
                first=False,
                last=self._part.last,
                # a field that starts on the next page is not "continued" there
                continued_label="" if rows[fit].keep_next else rows[fit].label,
            ),
        )
        first.spaceBefore = getattr(self, "spaceBefore", 0)
        rest.spaceAfter = getattr(self, "spaceAfter", 0)
        return [first, rest]

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:
        label = self._part.continued_label
        if not self._part.first and label is not None and self.marks.continued:
            from evidence_locker.report.page import draw_continuation

            draw_continuation(canvas, self.marks.continued(label))
        super().drawOn(canvas, x, y, _sW)

    def draw(self) -> None:
        canv = self.canv
        rows = self._measure()
        left, right, top, _ = self.gs.pad
        total = sum(r.height for r in rows)
        if self._part.first and self.marks.outline is not None:
            title, level = self.marks.outline
            name = f"el-grid-{self.marks.key}"
            canv.bookmarkHorizontal(name, 0, total)
            canv.addOutlineEntry(title, name, level=level, closed=level == 0)
        canv.saveState()
        y = total
        body = 0
        for r in rows:  # backgrounds first, so rules and text go over them
            fill = r.background
            if fill is None and r.header:
                fill = HEADER_BG
            elif fill is None and self.gs.zebra and len(r.cells) > 1:
                fill = ZEBRA_BG if body % 2 else None
                body += 1
            if fill is not None:
                canv.setFillColor(fill)
                canv.rect(0, y - r.height, self.width, r.height, stroke=0, fill=1)
            y -= r.height
        text = canv.beginText()
        state = TextState()
        y = total
        for r in rows:
            widths = self.widths if len(r.cells) > 1 else [self.width]
            x = 0.0
            for cell, width in zip(r.cells, widths, strict=False):
                if isinstance(cell, Flowable):
                    cell.drawOn(canv, x + left, y - top - cell.height)
                else:
                    write_lines(text, cell, x + left, y - top, width - left - right, state)
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
        boxed = self.gs.rules == "grid"
        if boxed:
            lines.append((0, total, self.width, total))
        for r in rows:
            y -= r.height
            if r.rule or boxed:
                lines.append((0, y, self.width, y))
        if boxed:
            x = 0.0
            for w in [0.0, *self.widths]:
                x += w
                lines.append((x, 0, x, total))
        if lines:
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
            (c if start == 0 else [])
            if isinstance(c, Flowable)
            else c[start : start + MAX_ROW_LINES]
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
