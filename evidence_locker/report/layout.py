"""Paragraph styles and tables shared by every dossier section (the page geometry is
:mod:`evidence_locker.report.geometry`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle

from evidence_locker.report.fonts import LATIN, LATIN_BOLD, MONO
from evidence_locker.report.grid import Grid, GridStyle

RULE_LIGHT = colors.Color(0.7, 0.7, 0.7)


class TableContext(Protocol):
    """What a table needs of the render context (report/context.py): its paragraph
    styles and its label lookup. Named here so the context may build on this module."""

    styles: dict[str, ParagraphStyle]

    def L(self, key: str) -> str: ...


def make_styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=LATIN, fontSize=9, leading=12.5)
    styles = {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "cellb": ParagraphStyle(
            "cellb", parent=base, fontName=LATIN_BOLD, fontSize=7.5, leading=9.5
        ),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=6.5, leading=8.2),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=LATIN_BOLD,
            fontSize=22,
            leading=30,
            alignment=TA_CENTER,
            spaceAfter=10,
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            keepWithNext=1,  # never the last line of a page (report/page.py)
            fontName=LATIN_BOLD,
            fontSize=15,
            leading=20,
            spaceBefore=6,
            spaceAfter=8,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            keepWithNext=1,  # never the last line of a page (report/page.py)
            fontName=LATIN_BOLD,
            fontSize=11,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "rec": ParagraphStyle(
            "rec",
            parent=base,
            fontName=LATIN_BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=3,
            borderPadding=2,
            backColor=colors.Color(0.9, 0.9, 0.9),
        ),
        "label": ParagraphStyle(
            "label", parent=base, fontName=LATIN_BOLD, fontSize=8, leading=11, spaceBefore=3
        ),
        "note": ParagraphStyle(
            "note", parent=base, fontSize=7.5, leading=10, textColor=colors.Color(0.25, 0.25, 0.25)
        ),
    }
    return styles


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell's text; becomes a cheap one-line flowable or a text block once the
    column width is known."""

    text: str
    style: str = "cell"


def table(
    ctx: TableContext,
    rows: list[list[Any]],
    widths: list[float],
    header: bool = True,
    zebra: bool = True,
    style: GridStyle | None = None,
) -> Iterator[Grid]:
    """A grid of ``rows`` (cells are :class:`Cell`, plain text or flowables); the
    header row repeats on every page the grid spans."""
    gs = style or GridStyle(header=header, zebra=zebra and len(rows) > 3)
    cells = [[_grid_cell(ctx, v) for v in row] for row in rows]
    yield Grid(cells, widths, gs)


def _grid_cell(ctx: TableContext, value: Any) -> Any:
    if isinstance(value, Cell):
        return (value.text, ctx.styles[value.style])
    if isinstance(value, str):
        return (value, ctx.styles["cell"])
    return value


LIST = GridStyle(
    header=False, zebra=False, rules="below", rule_color=RULE_LIGHT, pad=(2, 3, 1, 1.5)
)


def header_cells(ctx: TableContext, *keys: str) -> list[Cell]:
    return [Cell(ctx.L(k), "cellb") for k in keys]


def cell(text: str | None, style: str = "cell") -> Cell:
    return Cell(text or "", style)
