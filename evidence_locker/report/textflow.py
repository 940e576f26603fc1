"""Text blocks laid out the way Chinese and English readers expect.

reportlab's Paragraph breaks CJK text between any two characters, Latin words
included ("工号HX-1 / 024"), lets a line start with "，" (its kinsoku list lacks the
full-width comma and colon) or end with "（", and parses markup for every cell, which
dominates the dossier's layout time. A :class:`TextBlock` instead:

- breaks between CJK characters, never inside a run of Latin letters, digits and
  punctuation (a name, a staff number, a phone number, an amount, a URL) and only at
  spaces there; a run wider than the line is cut as a last resort, after a space
  (between the groups of a phone number) or ``/ - _ . ? & = :`` where it can be;
- never starts a line with closing punctuation or a small kana (，。、；：？！）」』 …)
  and never ends one with an opening bracket or quote (（「『《“ …): the usual rules of
  Chinese typesetting (GB/T 15834) and Japanese kinsoku;
- draws each run in the font that has its glyphs (:mod:`fonts`), so text stays
  extractable and searchable;
- splits across pages between lines, keeps a label with its first line, and puts a
  continuation mark ("E-3 · Content (continued)") in the page's header band, outside
  the body text the verifier reads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

from evidence_locker.report.fonts import plain_runs, runs, string_width

# Characters that may not start a line (closing punctuation, pauses, small kana,
# prolonged sound marks, units that follow a number) and that may not end one.
NO_LINE_START = frozenset(
    "，。、；：？！）」』】〉》〕］｝〗〙〛”’…‥—～·・％‰℃°′″"
    ",.;:?!)]}%"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶーヽヾゝゞ々〻"
)
NO_LINE_END = frozenset("（「『【〈《〔［｛〖〘〚“‘([{$£¥￥#@§")
# Where an over-long Latin run (a URL, a file name, a phone number wider than a
# narrow column) is best cut, after the character: a space between digit groups
# first of all, so "+86 170 9988 7766" breaks between groups, never inside one.
_SOFT_CUT = frozenset(" /-_.?&=:,;")


def _wide(ch: str) -> bool:
    # no assigned character below U+1100 (Hangul Jamo, the first wide block) is wide
    return ch >= "\u1100" and unicodedata.east_asian_width(ch) in ("W", "F")


@lru_cache(maxsize=65536)
def _char_width(ch: str, font: str) -> float:
    """Width of one character at size 1."""
    return pdfmetrics.stringWidth(ch, font, 1000) / 1000


class Line(NamedTuple):
    """One laid-out line: runs of (font, text), how it is set, and its width (only
    computed for centred or right-aligned lines). A tuple: thousands are made a page."""

    pieces: tuple[tuple[str, str], ...]
    width: float
    size: float
    leading: float
    color: Any
    align: int
    gap: float = 0.0  # extra space above this line (between paragraphs)


def break_lines(text: str, width: float, size: float, primary: str) -> list[list[tuple[str, str]]]:
    """``text`` broken into lines no wider than ``width`` (see the module docstring)."""
    out: list[list[tuple[str, str]]] = []
    # most cells: a time, an id, a hash, a Latin name in one font, on one line
    plain = text.isascii() and text.isprintable()  # no newline, tab or control character
    if plain and pdfmetrics.stringWidth(text, primary, size) <= width:
        return [[(primary, text)]] if text else [[]]
    for para in text.split("\n"):
        if string_width(para, size, primary) <= width:
            out.append(list(plain_runs(para, primary)) if para else [])
            continue
        out.extend(_break_paragraph(para, width, size, primary))
    return out


Unit = tuple[list[tuple[str, str]], float, float]  # (font, char) list, width, visible width
_ASCII_WORD = re.compile(r" *[^ ]+ *| +")


def _units(text: str, primary: str, size: float) -> list[Unit]:
    """The text cut at every allowed break, each unit with its width."""
    if text.isascii():  # Latin only: break at spaces, keep space-grouped digits together
        words: list[str] = []
        for word in _ASCII_WORD.findall(text):
            prev = words[-1] if words else ""
            grouped = prev[-2:-1].isdigit() and prev[-1:] == " " and word[:1].isdigit()
            if grouped:  # "415 555": one number
                words[-1] += word
            else:
                words.append(word)
        return [
            (
                [(primary, ch) for ch in w],
                pdfmetrics.stringWidth(w, primary, size),
                pdfmetrics.stringWidth(w.rstrip(" "), primary, size),
            )
            for w in words
        ]
    # one pass: group the characters between allowed breaks, adding up each group's
    # width and the width of its trailing spaces as it goes
    out: list[Unit] = []
    group: list[tuple[str, str]] = []
    used = trailing = 0.0
    before = prev = ""
    for font, piece in runs(text, primary):
        for ch in piece:
            w = _char_width(ch, font) * size
            if group and not _break_before(before, prev, ch):
                group.append((font, ch))
                used += w
            else:
                if group:
                    out.append((group, used, used - trailing))
                group, used, trailing = [(font, ch)], w, 0.0
            trailing = trailing + w if ch == " " else 0.0
            # across a run of spaces, ``before`` stays the last mark ahead of it
            before, prev = (before if ch == prev == " " else prev), ch
    if group:
        out.append((group, used, used - trailing))
    return out


def _break_before(before: str, prev: str, ch: str) -> bool:
    """May a line break fall between ``prev`` and ``ch`` (``before`` precedes both)?"""
    if ch == " ":
        return False  # spaces stay at the end of the line they follow
    if ch in NO_LINE_START or prev in NO_LINE_END:
        return False
    if prev == " ":
        if before in NO_LINE_END:
            return False  # "（ " must not end a line any more than "（" may
        # digits grouped by single spaces are one number: "+1 415 555 0137", "3 560"
        return not (ch.isdigit() and before.isdigit())
    if prev == ch and ch in "…—":
        return False  # …… and —— are one mark
    return _wide(prev) or _wide(ch)


def _break_paragraph(
    text: str, width: float, size: float, primary: str
) -> list[list[tuple[str, str]]]:
    lines: list[list[tuple[str, str]]] = []
    line: list[tuple[str, str]] = []
    used = 0.0
    for unit, w, visible in _units(text, primary, size):
        if line and used + visible > width:
            lines.append(line)
            line, used = [], 0.0
        if not line and visible > width:
            *full, last = _cut(unit, width, size)  # wider than a line: cut, softly
            lines.extend(full)
            line, used = list(last), _unit_width(last, size)
            continue
        line.extend(unit)
        used += w
    lines.append(line)
    return [_merge(_rstrip(ln)) for ln in lines]


def _unit_width(unit: Sequence[tuple[str, str]], size: float) -> float:
    return sum(_char_width(ch, font) for font, ch in unit) * size


def _cut(unit: list[tuple[str, str]], width: float, size: float) -> list[list[tuple[str, str]]]:
    """An over-long run in pieces that fit, each cut after a soft point if one fits."""
    out: list[list[tuple[str, str]]] = []
    rest = unit
    while rest:
        used, fit = 0.0, 0
        for font, ch in rest:
            used += _char_width(ch, font) * size
            if used > width and fit:
                break
            fit += 1
        if fit < len(rest):
            soft = [i + 1 for i in range(fit) if _soft_after(rest, i)]
            if soft and soft[-1] > fit // 3:
                fit = soft[-1]
        out.append(rest[:fit])
        rest = rest[fit:]
    return out


def _soft_after(chars: list[tuple[str, str]], i: int) -> bool:
    """May an over-long run be cut after ``chars[i]``? At a soft point, unless that
    leaves an opening mark at the line's end ("（ " is cut after the space) or puts a
    closing mark at the next line's start ("催 ，，，" is not cut after the space)."""
    ch = chars[i][1]
    if ch not in _SOFT_CUT:
        return False
    if i + 1 < len(chars) and chars[i + 1][1] in NO_LINE_START:
        return False
    if ch == " ":  # the mark ahead of this run of spaces must not end the line
        j = i
        while j > 0 and chars[j - 1][1] == " ":
            j -= 1
        return not (j > 0 and chars[j - 1][1] in NO_LINE_END)
    return True


def _rstrip(line: list[tuple[str, str]]) -> list[tuple[str, str]]:
    while line and line[-1][1] == " ":
        line = line[:-1]
    return line


def _merge(chars: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Neighbouring characters of one font joined into one run."""
    return [(font, "".join(ch for _, ch in group)) for font, group in groupby(chars, key=_FONT)]


_FONT = itemgetter(0)


def _width(pieces: Sequence[tuple[str, str]], size: float) -> float:
    return sum(pdfmetrics.stringWidth(t, f, size) for f, t in pieces)


def lay_out(text: str, st: ParagraphStyle, width: float, first_gap: float = 0.0) -> list[Line]:
    """``text`` in style ``st`` as lines no wider than ``width``. Short texts are
    cached: labels, channel names and dates recur on every record."""
    if len(text) <= 40:
        return list(_lay_out_cached(text, st, width, first_gap))
    return _lay_out(text, st, width, first_gap)


@lru_cache(maxsize=8192)
def _lay_out_cached(
    text: str, st: ParagraphStyle, width: float, first_gap: float
) -> tuple[Line, ...]:
    return tuple(_lay_out(text, st, width, first_gap))


def _lay_out(text: str, st: ParagraphStyle, width: float, first_gap: float) -> list[Line]:
    out = []
    inner = width - st.leftIndent - st.rightIndent
    aligned = st.alignment in (TA_CENTER, TA_RIGHT)  # only then is a line's width needed
    for i, pieces in enumerate(break_lines(text, inner, st.fontSize, st.fontName)):
        out.append(
            Line(
                tuple(pieces),
                _width(pieces, st.fontSize) if aligned else 0.0,
                st.fontSize,
                st.leading,
                st.textColor,
                st.alignment,
                first_gap if i == 0 else 0.0,
            )
        )
    return out


class TextState:
    """The font and colour a text object is set to, so they are set only on change."""

    __slots__ = ("color", "font")

    def __init__(self) -> None:
        self.color: Any = None
        self.font: tuple[str, float] | None = None


def write_lines(
    text: Any,
    lines: Sequence[Line],
    x: float,
    top: float,
    width: float,
    state: TextState | None = None,
) -> float:
    """Put ``lines`` into a PDF text object, top down from ``top``; returns the new top.
    One text object per block or table keeps the page stream small and fast to write."""
    state = state or TextState()
    for ln in lines:
        top -= ln.gap
        baseline = top - ln.size - (ln.leading - ln.size * 1.2) / 2
        top -= ln.leading
        left = x
        if ln.align == TA_CENTER:
            left += (width - ln.width) / 2
        elif ln.align == TA_RIGHT:
            left += width - ln.width
        text.setTextOrigin(left, baseline)
        if ln.color is not state.color:
            text.setFillColor(ln.color)
            state.color = ln.color
        for font, piece in ln.pieces:
            if (font, ln.size) != state.font:
                text.setFont(font, ln.size)
                state.font = (font, ln.size)
            # _textOut, not textOut: PDF advances the pen itself, and textOut would
            # measure every piece again only to track a cursor nothing here reads
            text._textOut(piece)
    return top


class TextBlock(Flowable):
    """One or more paragraphs, each with its own style, laid out as lines.

    ``parts`` are ``(text, style)`` pairs (a label and its value, say). ``keep`` is how
    many lines must stay together at the top when the block splits (the label and the
    first line of its value). ``mark`` is the continuation mark drawn in the header
    band of the page a split-off part starts on.
    """

    def __init__(
        self,
        parts: Sequence[tuple[str, ParagraphStyle]],
        *,
        keep: int = 1,
        mark: str | None = None,
        lines: list[Line] | None = None,
        continued: bool = False,
    ) -> None:
        super().__init__()
        self.parts = list(parts)
        self.keep = keep
        self.mark = mark
        self.continued = continued
        self._lines = lines
        self._for_width: float | None = None if lines is None else -1.0
        first, last = self.parts[0][1], self.parts[-1][1]
        self.spaceBefore = 0 if continued else first.spaceBefore
        self.spaceAfter = last.spaceAfter
        self.style = first
        self.width = 0.0
        self.height = 0.0

    def _layout(self, width: float) -> list[Line]:
        if self._lines is not None and (self._for_width == width or self._for_width == -1.0):
            return self._lines
        lines: list[Line] = []
        for n, (text, st) in enumerate(self.parts):
            lines += lay_out(text, st, width, st.spaceBefore if n > 0 else 0.0)
        self._lines, self._for_width = lines, width
        return lines

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        lines = self._layout(avail_w)
        self.width = avail_w
        self.height = sum(ln.gap + ln.leading for ln in lines)
        return self.width, self.height

    def split(self, avail_w: float, avail_h: float) -> list[Flowable]:
        lines = self._layout(avail_w)
        used, fit = 0.0, 0
        for ln in lines:
            used += ln.gap + ln.leading
            if used > avail_h + 1e-6:
                break
            fit += 1
        if fit >= len(lines):
            return [self]
        if fit < min(self.keep, len(lines)) or fit == 0:
            return []
        head = TextBlock(self.parts, keep=1, mark=self.mark, lines=lines[:fit])
        head.spaceBefore, head.spaceAfter = self.spaceBefore, 0
        tail_lines = [lines[fit]._replace(gap=0.0), *lines[fit + 1 :]]
        tail = TextBlock(self.parts, keep=1, mark=self.mark, lines=tail_lines, continued=True)
        return [head, tail]

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:
        if self.continued and self.mark:
            from evidence_locker.report.page import draw_continuation

            draw_continuation(canvas, self.mark)
        super().drawOn(canvas, x, y, _sW)

    def draw(self) -> None:
        canv = self.canv
        st = self.style
        if st.backColor is not None:
            pad = st.borderPadding or 0
            canv.saveState()
            canv.setFillColor(st.backColor)
            canv.rect(-pad, -pad, self.width + 2 * pad, self.height + 2 * pad, stroke=0, fill=1)
            canv.restoreState()
        text = canv.beginText()
        write_lines(text, self._lines or [], st.leftIndent, self.height, self.width)
        canv.drawText(text)
