"""Fonts for the dossier, and per-character fallback between them.

reportlab draws a run of text with one font and shows an empty box for any glyph the
font lacks. So every string is split into runs, each drawn by the first font that
has all its characters: DejaVu Sans for Latin, Greek, Cyrillic, digits and symbols;
a CJK font (Droid Sans Fallback, shipped in the package, or the TrueType file named
by ``EVIDENCE_LOCKER_CJK_FONT``) for Chinese, Japanese kana and full-width
punctuation. Characters no font has (mostly emoji: the shipped fonts have outline
glyphs for most, and colour-emoji fonts are bitmaps reportlab cannot draw) and any
character outside the Basic Multilingual Plane (reportlab's ToUnicode map cannot
express those, so they would not copy or search) become a visible placeholder such as
``[emoji U+1F600]``, never an empty box.

All fonts are TrueType, so reportlab embeds them as subsets.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

CJK_ENV = "EVIDENCE_LOCKER_CJK_FONT"

LATIN = "ELSans"
LATIN_BOLD = "ELSans-Bold"
MONO = "ELMono"
CJK = "ELCJK"

# Joiners and presentation selectors shape emoji sequences; on their own they draw
# nothing, so they are dropped rather than turned into placeholders.
_INVISIBLE = {0x200D, 0xFE0E, 0xFE0F, 0x20E3} | set(range(0x1F3FB, 0x1F400))


@dataclass(frozen=True, slots=True)
class FontInfo:
    """One registered font: its role, the file it came from and its license."""

    role: str
    name: str
    path: str
    license: str


def _bundled(name: str) -> str:
    return str(resources.files("evidence_locker.report") / "fonts" / name)


@cache
def _registered() -> tuple[FontInfo, ...]:
    """Register the fonts once per process and say which files they came from."""
    infos = [
        FontInfo("latin", LATIN, _bundled("DejaVuSans.ttf"), "Bitstream Vera / DejaVu (free)"),
        FontInfo(
            "latin-bold", LATIN_BOLD, _bundled("DejaVuSans-Bold.ttf"), "Bitstream Vera / DejaVu"
        ),
        FontInfo("mono", MONO, _bundled("DejaVuSansMono.ttf"), "Bitstream Vera / DejaVu"),
    ]
    override = os.environ.get(CJK_ENV)
    if override:
        path = Path(override)
        if not path.is_file() or path.suffix.lower() not in (".ttf", ".ttc"):
            raise ValueError(f"{CJK_ENV}={override!r} is not a .ttf or .ttc file")
        infos.append(FontInfo("cjk", CJK, str(path), "system font (see its own license)"))
    else:
        infos.append(
            FontInfo("cjk", CJK, _bundled("DroidSansFallbackFull.ttf"), "Apache-2.0 (Google)")
        )
    for info in infos:
        if info.name in pdfmetrics.getRegisteredFontNames():
            continue
        if info.path.lower().endswith(".ttc"):
            font = TTFont(info.name, info.path, subfontIndex=0)
        else:
            font = TTFont(info.name, info.path)
        pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(LATIN, normal=LATIN, bold=LATIN_BOLD)
    return tuple(infos)


def register_fonts() -> None:
    _registered()


def fonts_in_use() -> list[FontInfo]:
    """Which font files the dossier draws with (the CLI prints this)."""
    return list(_registered())


@cache
def _cmap(font_name: str) -> frozenset[int]:
    register_fonts()
    font = pdfmetrics.getFont(font_name)
    return frozenset(font.face.charToGlyph)


def has_glyph(font_name: str, ch: str) -> bool:
    return ord(ch) in _cmap(font_name)


def _placeholder(cp: int) -> str:
    kind = "emoji" if _is_emoji(cp) else "char"
    return f"[{kind} U+{cp:04X}]"


def _is_emoji(cp: int) -> bool:
    return 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF


# Control characters (Unicode Cc) other than the newline, and lone surrogates (Cs).
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _clean(text: str) -> str:
    """Tabs to spaces; other control characters dropped (they draw nothing)."""
    return _CONTROL.sub("", text.replace("\t", "    "))


@cache
def _classes(primary: str) -> dict[int, str]:
    """A ``str.translate`` table from code point to the font class that draws it: L
    (the Latin font), C (the CJK font), S (space or newline: joins the open run), I
    (invisible: dropped). Anything else stays as it is and becomes a placeholder."""
    table = {cp: "C" for cp in _cmap(CJK) if cp <= 0xFFFF}
    table.update({cp: "L" for cp in _cmap(primary) if cp <= 0xFFFF})
    table.update({cp: "I" for cp in _INVISIBLE})
    table.update({0x20: "S", 0x0A: "S"})
    return table


_RUN = re.compile(r"L[LS]*|C[CS]*|S+|I+|[^LCSI]")


def runs(text: str, primary: str = LATIN) -> list[tuple[str, str]]:
    """Split ``text`` into (font name, text) runs; each run's font has every glyph.

    Characters no font has are replaced by a placeholder drawn in the Latin font, and
    so is every character outside the Basic Multilingual Plane: reportlab writes those
    into the ToUnicode map as odd-length hex, which breaks copy and search. The
    classification runs in C (``str.translate`` and a regular expression): this is
    called for every string the dossier measures or draws.
    """
    register_fonts()
    text = _clean(text)
    if text.isascii():  # every DejaVu face has all of printable ASCII
        return [(primary, text)] if text else []
    cls = text.translate(_classes(primary))
    out: list[tuple[str, str]] = []
    for m in _RUN.finditer(cls):
        kind = cls[m.start()]
        if kind == "I":
            continue
        piece = text[m.start() : m.end()]
        if kind == "L":
            font = primary
        elif kind == "C":
            font = CJK
        elif kind == "S":
            font = out[-1][0] if out else primary
        else:
            font, piece = primary, _placeholder(ord(piece))
        if out and out[-1][0] == font:
            out[-1] = (font, out[-1][1] + piece)
        else:
            out.append((font, piece))
    return out


def markup(text: str | None, primary: str = LATIN) -> str:
    """Paragraph markup for ``text``: XML-escaped, font runs wrapped, newlines kept."""
    if not text:
        return ""
    parts = []
    for font, piece in runs(text, primary):
        body = escape(piece).replace("\n", "<br/>")
        if font == primary:
            parts.append(body)
        else:
            parts.append(f'<font name="{font}">{body}</font>')
    return "".join(parts)


@lru_cache(maxsize=16384)
def plain_runs(text: str, primary: str = LATIN) -> tuple[tuple[str, str], ...]:
    """Runs for drawing directly on a canvas (headers, footers, table cells); cached,
    since labels, dates and channel names repeat on every row."""
    return tuple(runs(text.replace("\n", " "), primary))


@lru_cache(maxsize=65536)
def string_width(text: str, size: float, primary: str = LATIN) -> float:
    return sum(pdfmetrics.stringWidth(t, f, size) for f, t in plain_runs(text, primary))


def draw_string(canvas, x: float, y: float, text: str, size: float, primary: str = LATIN) -> None:  # type: ignore[no-untyped-def]
    """Draw ``text`` on a canvas, switching fonts per run."""
    for font, piece in plain_runs(text, primary):
        canvas.setFont(font, size)
        canvas.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, font, size)


def font_for(text: str) -> str:
    """One font that has every character of ``text`` (for chart labels, which take a
    single font): the Latin one if it can, else the CJK one."""
    register_fonts()
    latin = _cmap(LATIN)
    return LATIN if all(ord(ch) in latin for ch in text) else CJK


def draw_right_string(canvas, x: float, y: float, text: str, size: float) -> None:  # type: ignore[no-untyped-def]
    draw_string(canvas, x - string_width(text, size), y, text, size)
