"""Per-character font fallback: every glyph drawn by a font that has it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from evidence_locker.report.fonts import CJK, LATIN, has_glyph, markup, runs

SAMPLES = "中文繁體字Latin ÄÖü 0123 ，。「」！ＡＢＣ１２３ 😀🔪 €→① <&> \t控制"
ALPHABET = st.sampled_from([*SAMPLES, "\n", " ", "\u200d", "\ufe0f", "\x07", "𠀀"])


def test_mixed_runs_pick_a_font_that_has_each_glyph() -> None:
    got = runs("催收 call 今天ＡＢ１，😀!")
    assert got[0] == (CJK, "催收 ")
    fonts = [f for f, _ in got]
    assert LATIN in fonts and CJK in fonts
    joined = "".join(t for _, t in got)
    assert "[emoji U+1F600]" in joined
    for font, text in got:
        if font == CJK:
            assert all(has_glyph(CJK, ch) or ch in " \n" for ch in text)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_every_run_is_drawable(text: str) -> None:
    for font, piece in runs(text):
        for ch in piece:
            assert ch in " \n" or has_glyph(font, ch), (font, ch)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_markup_always_parses(text: str) -> None:
    style = ParagraphStyle("t", fontName=LATIN, fontSize=9, wordWrap="CJK")
    para = Paragraph(markup(text), style)
    para.wrap(300, 1000)  # raises on malformed markup or a missing font


def test_escapes_markup_characters() -> None:
    assert markup("<b>&") == "&lt;b&gt;&amp;"
    assert markup("a\nb") == "a<br/>b"
    assert markup(None) == ""


def test_system_cjk_font_override(tmp_path: Path) -> None:
    """EVIDENCE_LOCKER_CJK_FONT selects another TrueType file (own process: fonts are
    registered once per process); a bad path is a clear error."""
    droid = Path(__file__).parents[1] / "evidence_locker/report/fonts/DroidSansFallbackFull.ttf"
    copy = tmp_path / "MyCJK.ttf"
    copy.write_bytes(droid.read_bytes())
    code = (
        "from evidence_locker.report import fonts_in_use;"
        "print([f.path for f in fonts_in_use() if f.role == 'cjk'][0])"
    )
    env = {**os.environ, "EVIDENCE_LOCKER_CJK_FONT": str(copy)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(copy)
    env["EVIDENCE_LOCKER_CJK_FONT"] = str(tmp_path / "missing.otf")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "EVIDENCE_LOCKER_CJK_FONT" in out.stderr
