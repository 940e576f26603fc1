"""Page geometry, paragraph styles and tables shared by every dossier section.

Geometry lives here because two readers depend on it: the page furniture (footer,
header) is drawn outside the body band, and the verifier reads only the body band
of each page (:mod:`evidence_locker.report.pagetext`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from evidence_locker.report.fonts import LATIN, LATIN_BOLD, MONO, draw_string, string_width

if TYPE_CHECKING:
    from evidence_locker.report.context import RenderContext

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
BOTTOM_MARGIN = 20 * mm
FRAME_W = PAGE_W - 2 * MARGIN
# Page furniture (header, footer, Bates number) is drawn outside this band; the
# records are drawn inside it. The verifier reads only text inside it.
BODY_BOTTOM = 16 * mm
BODY_TOP = PAGE_H - 15 * mm
GRID = colors.Color(0.55, 0.55, 0.55)


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
            fontName=LATIN_BOLD,
            fontSize=15,
            leading=20,
            spaceBefore=6,
            spaceAfter=8,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
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
    # CJK wrapping breaks between any two CJK characters but keeps Latin words whole.
    for name, st in list(styles.items()):
        styles[name + "_cjk"] = ParagraphStyle(name + "_cjk", parent=st, wordWrap="CJK")
    return styles


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell's text; becomes a cheap one-line flowable or a Paragraph once the
    column width is known (Paragraph layout dominates rendering time)."""

    text: str
    style: str = "cell"


class OneLine(Flowable):
    """One line of text drawn run by run, for cells that need no wrapping."""

    def __init__(self, text: str, size: float, leading: float, font: str, width: float):
        super().__init__()
        self.text, self.size, self.leading, self.font, self.width = (
            text,
            size,
            leading,
            font,
            width,
        )
        self.height = leading

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        draw_string(self.canv, 0, self.leading - self.size, self.text, self.size, self.font)


def realise(ctx: RenderContext, value: Any, width: float) -> Any:
    if not isinstance(value, Cell):
        return value
    st = ctx.styles[value.style]
    text = value.text
    if "\n" not in text:
        w = string_width(text, st.fontSize, st.fontName)
        if w <= width - 6:
            return OneLine(text, st.fontSize, st.leading, st.fontName, w)
    return ctx.para(text, value.style)


CHUNK = 40  # rows per Table: reportlab re-measures a long table on every page split


def table(
    ctx: RenderContext,
    rows: list[list[Any]],
    widths: list[float],
    header: bool = True,
    zebra: bool = True,
    style: list[Any] | None = None,
) -> Iterator[Table]:
    """Tables of at most ``CHUNK`` rows each, stacked, the header repeated on each;
    a generator, so a long table's cells are laid out only when its turn comes."""
    if style is None:
        style = [
            ("GRID", (0, 0), (-1, -1), 0.3, GRID),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), LATIN),  # tables default to Helvetica (unembedded)
        *style,
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.82, 0.82, 0.82)))
    if zebra and len(rows) > 3:
        style.append(
            (
                "ROWBACKGROUNDS",
                (0, 1 if header else 0),
                (-1, -1),
                [colors.white, colors.Color(0.95, 0.95, 0.95)],
            )
        )
    head, body = (rows[:1], rows[1:]) if header else ([], rows)
    for i in range(0, max(len(body), 1), CHUNK):
        chunk = [
            [realise(ctx, v, w) for v, w in zip(row, widths, strict=False)]
            for row in head + body[i : i + CHUNK]
        ]
        tbl = Table(chunk, colWidths=widths, repeatRows=1 if header else 0)
        tbl.setStyle(TableStyle(style))
        yield tbl


def header_cells(ctx: RenderContext, *keys: str) -> list[Cell]:
    return [Cell(ctx.L(k), "cellb") for k in keys]


def cell(text: str | None, style: str = "cell") -> Cell:
    return Cell(text or "", style)
