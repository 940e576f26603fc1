"""A letter as PDF, drawn exactly as the dossier draws text, and read back.

Text goes through the dossier's own paragraph function and bundled fonts
(:mod:`evidence_locker.report.context`, :mod:`evidence_locker.report.fonts`): CJK and
Latin runs each in a font that has their glyphs, embedded as subsets, extractable.
Every page's footer says the letter is not legal advice and where free help is, with
"page N of M". The letter's kind, organisation and the event sending it implies ride
along as an embedded JSON file, which ``letter sent`` reads; no personal data goes
there (the PDF's author is "evidence-locker", not the sender).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer

from evidence_locker.letters.document import Letter
from evidence_locker.locale.messages import t
from evidence_locker.report.context import RenderContext
from evidence_locker.report.fonts import (
    LATIN,
    LATIN_BOLD,
    draw_string,
    register_fonts,
    string_width,
)
from evidence_locker.report.layout import make_styles
from evidence_locker.report.page import set_timestamp
from evidence_locker.report.pdfio import read_attachment

META_NAME = "evidence-locker-letter.json"
META_FORMAT = "evidence-locker-letter/1"
_FOOT = 7.0  # footer font size
# A letter's own page: A4 with a letter's margins (the dossier's page geometry is its
# own; only its fonts, styles and paragraphs are shared)
PAGE_W = A4[0]
MARGIN = 20 * mm
BOTTOM_MARGIN = 24 * mm
_GREY = colors.Color(0.3, 0.3, 0.3)


def _styles() -> dict[str, ParagraphStyle]:
    """The dossier's styles plus the few a letter needs, each with its CJK twin."""
    styles = make_styles()
    base = styles["body"]
    body = ParagraphStyle("lbody", parent=base, fontSize=10, leading=15, spaceAfter=5)
    extra = {
        "para": body,
        "meta": ParagraphStyle("lmeta", parent=body, spaceAfter=0),
        "ltitle": ParagraphStyle(
            "ltitle", parent=body, fontName=LATIN_BOLD, fontSize=13, leading=18, spaceAfter=10
        ),
        "heading": ParagraphStyle(
            "lheading", parent=body, fontName=LATIN_BOLD, spaceBefore=8, spaceAfter=3
        ),
        "item": ParagraphStyle("litem", parent=body, leftIndent=12, firstLineIndent=-8),
        "quote": ParagraphStyle(
            "lquote", parent=body, leftIndent=18, rightIndent=6, textColor=_GREY, fontSize=9.5
        ),
        "sign": ParagraphStyle("lsign", parent=body, spaceBefore=14),
        "lnote": ParagraphStyle("lnote", parent=styles["note"], fontSize=8.5, leading=12),
    }
    for name, st in extra.items():
        styles[name] = st
        styles[name + "_cjk"] = ParagraphStyle(name + "_cjk", parent=st, wordWrap="CJK")
    return styles


_STYLE_OF = {"title": "ltitle", "note": "lnote"}


def render_pdf(letter: Letter, *, generated_at: datetime, invariant: bool = False) -> bytes:
    """The letter as PDF bytes, in memory (nothing is written to disk here)."""
    register_fonts()
    ctx = RenderContext(
        lang=letter.lang, tz=generated_at.tzinfo or UTC, redact=frozenset(), withheld={}, entries={}
    )
    ctx.styles = _styles()
    pages = _build(letter, ctx, generated_at, invariant, total=None)[1]
    pdf = _build(letter, ctx, generated_at, invariant, total=pages)[0]
    return _with_meta(pdf, letter)


def _story(letter: Letter, ctx: RenderContext) -> list[Any]:
    """The blocks as flowables. A heading stays with the block after it, and the
    closing with the name under it: neither is left alone at the foot of a page."""
    story: list[Any] = []
    blocks = letter.blocks
    heading: Any = None
    for i, b in enumerate(blocks):
        style = _STYLE_OF.get(b.style, b.style)
        if b.style == "sign":  # a closing, then the name: one line each
            first, *rest = b.text.split("\n")
            lines = [ctx.para(first, style), *(ctx.para(line, "meta") for line in rest)]
            flow: Any = KeepTogether(lines)
        else:
            flow = ctx.para(f"• {b.text}" if b.style == "item" else b.text, style)
        if b.style == "heading" and i + 1 < len(blocks):
            heading = flow
            continue
        story.append(KeepTogether([heading, flow]) if heading is not None else flow)
        heading = None
        if b.style == "meta" and (i + 1 == len(blocks) or blocks[i + 1].style != "meta"):
            story.append(Spacer(1, 3 * mm))  # the letterhead ends
    return story


def _build(
    letter: Letter, ctx: RenderContext, when: datetime, invariant: bool, total: int | None
) -> tuple[bytes, int]:
    lines = _footer_lines(letter.footer)

    def furniture(canvas: Any, doc: Any) -> None:
        if doc.page == 1:
            set_timestamp(canvas, when)
        canvas.saveState()
        canvas.setFillColor(_GREY)
        canvas.setStrokeColor(_GREY)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, 15 * mm, PAGE_W - MARGIN, 15 * mm)
        y = 11.5 * mm
        for line in lines:
            draw_string(canvas, MARGIN, y, line, _FOOT)
            y -= 3.4 * mm
        label = t("letters.page_of", letter.lang, page=doc.page, total=total or "?")
        draw_string(canvas, PAGE_W - MARGIN - string_width(label, _FOOT), 11.5 * mm, label, _FOOT)
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=letter.title,
        author="evidence-locker",
        subject=t("letters.pdf_subject", letter.lang),
        creator="evidence-locker",
        lang="zh-CN" if letter.lang == "zh" else "en",
        invariant=1 if invariant else 0,
        initialFontName=LATIN,
    )
    doc.build(_story(letter, ctx), onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue(), doc.page


def _footer_lines(text: str) -> list[str]:
    """The footer in lines that fit beside the page number: broken at a space in Latin
    text, between any two characters in CJK text."""
    room = PAGE_W - 2 * MARGIN - 30 * mm
    lines: list[str] = []
    cur = ""
    for ch in text:
        if cur and string_width(cur + ch, _FOOT) > room:
            cut = cur.rfind(" ")
            if ch != " " and cut > len(cur) // 2:  # keep the last Latin word whole
                lines.append(cur[:cut])
                cur = cur[cut + 1 :]
            else:
                lines.append(cur)
                cur = ""
            if ch == " ":
                continue
        cur += ch
    if cur.strip():
        lines.append(cur)
    return lines


def _with_meta(pdf: bytes, letter: Letter) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    meta = {"format": META_FORMAT, **letter.meta}
    writer.add_attachment(META_NAME, json.dumps(meta, ensure_ascii=False, sort_keys=True).encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def read_meta(pdf: bytes) -> dict[str, Any] | None:
    """The letter's embedded description, or None when the file is not a letter."""
    try:
        raw = read_attachment(pdf, META_NAME)
        data = json.loads(raw) if raw else None
    except Exception:  # any unreadable PDF is "not a letter", never a traceback
        return None
    if not isinstance(data, dict) or data.get("format") != META_FORMAT:
        return None
    return data
