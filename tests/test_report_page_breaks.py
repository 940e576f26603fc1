"""No heading or field label is the last thing on a page (review 7, item 11: an
English dossier's page 6 ended with the label "Content" of E-4, its text on page 7)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from reportlab.lib.styles import ParagraphStyle

from evidence_locker.report.grid import Grid, Span
from evidence_locker.report.layout import LIST, make_styles
from tests.report_fixtures import finish, make_records, render_signed

LABELS = {"Content", "Notes", "Subject", "内容", "备注", "主题"}
FOOTER = ("Dossier EL-", "材料编号", "Page ", "第 ")


@cache
def _dossier(lang: str) -> bytes:
    """Twelve records whose texts grow by steps: with these lengths, before the fix,
    pages 6, 9 and 10 of the English dossier ended with a field's label."""
    recs = make_records(12, with_correction=False)
    recs = [
        replace(
            r, content=(r.content or "") + " word" * (i * 53 % 160), notes="note " * (i * 7 % 30)
        )
        for i, r in enumerate(recs)
    ]
    return render_signed(*finish(recs), lang=lang)


def _last_lines(pdf: bytes, tmp: Path) -> list[tuple[int, str]]:
    """Each page's last line above the footer, as pdftotext lays it out."""
    path = tmp / "d.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out = []
    for n, page in enumerate(text.split("\f")[:-1], 1):
        lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
        body = [ln for ln in lines if not ln.startswith(FOOTER) and "EL-" not in ln]
        if body:
            out.append((n, body[-1]))
    return out


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_page_ends_with_a_field_label(lang: str, tmp_path: Path) -> None:
    last = _last_lines(_dossier(lang), tmp_path)
    assert len(last) > 8
    stranded = [(n, line) for n, line in last if line in LABELS]
    assert not stranded, stranded


def test_a_grid_split_never_leaves_a_label_as_its_last_row() -> None:
    styles = make_styles()
    body: ParagraphStyle = styles["body"]
    rows = [
        Span("E-1 · heading", styles["rec"]),
        [("Channel", styles["cellb"]), ("SMS", styles["cell"])],
        Span("Content", styles["label"], label="Content", keep_next=True),
        Span("line\n" * 20, body, label="Content"),
    ]
    grid = Grid(rows, [100, 300], LIST)
    grid.wrap(400, 10_000)
    measured = grid._measure()
    up_to_label = sum(r.height for r in measured[:3])
    first, rest = grid.split(400, up_to_label + 1)  # room for the label, not its text
    assert [r.keep_next for r in first._rows] == [False, False]
    assert rest._rows[0].keep_next  # the label opens the next page, with its text
    assert rest._part.continued_label == ""  # "E-1 (continued)", not "Content (continued)"
    # with room for the label and a chunk of its text, they stay on this page together
    first, rest = grid.split(400, up_to_label + measured[3].height + 1)
    assert len(first._rows) == 4 and rest._part.continued_label == "Content"


def _pages_of(story: list, tmp: Path) -> list[str]:  # type: ignore[type-arg]
    """``story`` laid out by the dossier's document template; each page's text."""
    import io

    from pypdf import PdfReader
    from reportlab.lib.pagesizes import A4

    from evidence_locker.report.fonts import register_fonts
    from evidence_locker.report.page import DossierDoc

    register_fonts()
    buf = io.BytesIO()
    DossierDoc(None, 0, buf, pagesize=A4).build(story)
    return [p.extract_text() for p in PdfReader(io.BytesIO(buf.getvalue())).pages]


def test_a_heading_goes_over_with_what_it_heads() -> None:
    """Room below the heading for one line, and what follows keeps five together."""
    from reportlab.platypus import Spacer

    from evidence_locker.report.textflow import TextBlock

    styles = make_styles()
    frame_h = 841.89 - 2 * 72  # SimpleDocTemplate's default margins
    heading = TextBlock([("Keys", styles["h2"])])
    body = TextBlock([("\n".join(f"line {i}" for i in range(12)), styles["body"])], keep=5)
    heading_h = heading.wrap(400, 1000)[1] + styles["h2"].spaceBefore + styles["h2"].spaceAfter
    room = 1.5 * styles["body"].leading
    pages = _pages_of([Spacer(1, frame_h - 12 - heading_h - room), heading, body], Path())
    assert "Keys" not in pages[0] and "Keys" in pages[1] and "line 0" in pages[1]


def test_a_heading_stays_with_the_start_of_a_long_text() -> None:
    """Room for the heading and a few lines: no page break, the text splits under it."""
    from reportlab.platypus import Spacer

    from evidence_locker.report.textflow import TextBlock

    styles = make_styles()
    frame_h = 841.89 - 2 * 72
    heading = TextBlock([("Keys", styles["h2"])])
    body = TextBlock([("\n".join(f"line {i}" for i in range(80)), styles["body"])])
    pages = _pages_of([Spacer(1, frame_h - 12 - 120), heading, body], Path())
    assert "Keys" in pages[0] and "line 0" in pages[0] and "line 79" in pages[-1]
