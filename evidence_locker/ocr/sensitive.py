"""Boxes over the sensitive parts of a screenshot, for a redacted dossier.

The read text is searched with the same patterns the dossier masks typed text with
(:mod:`evidence_locker.parsing.sensitive`), and each match is turned back into pixel
boxes through the characters' x-edges on their line. A number wrapped over two lines
of a chat bubble ("账户3674" / "6910 1437 4370") is found by searching the lines
joined without a break as well, and gets a box on each line.
"""

from __future__ import annotations

from collections.abc import Iterable

from evidence_locker.model import Box, OcrResult
from evidence_locker.parsing.sensitive import CATEGORIES, find_spans

# Grow every box by this share of its line's height: glyphs overhang their cells, and
# a redaction that leaves the top of a digit readable is no redaction.
PAD = 0.15


def sensitive_boxes(result: OcrResult, categories: Iterable[str]) -> list[tuple[str, Box]]:
    """(category, box) for every sensitive run in the read text, clipped to the image."""
    cats = set(categories) & CATEGORIES
    if not cats or not result.lines:
        return []
    found: set[tuple[str, int, int, int]] = set()  # (category, line, start, end)
    for joiner in ("\n", ""):
        text, owner = _joined(result, joiner)
        for category, start, end in find_spans(text, cats):
            for index, a, b in _split(owner, start, end):
                found.add((category, index, a, b))
    out = []
    for category, index, a, b in sorted(found, key=lambda f: (f[1], f[2], f[0])):
        line = result.lines[index]
        pad = round((line.box[3] - line.box[1]) * PAD)
        x0, y0, x1, y1 = line.span_box(a, b, pad)
        box = (max(0, x0), max(0, y0), min(result.width, x1), min(result.height, y1))
        out.append((category, box))
    return out


def _joined(result: OcrResult, joiner: str) -> tuple[str, list[tuple[int, int] | None]]:
    """The lines joined; for each character, (line index, offset in line) or None."""
    parts: list[str] = []
    owner: list[tuple[int, int] | None] = []
    for index, line in enumerate(result.lines):
        if index:
            parts.append(joiner)
            owner += [None] * len(joiner)
        parts.append(line.text)
        owner += [(index, i) for i in range(len(line.text))]
    return "".join(parts), owner


def _split(owner: list[tuple[int, int] | None], start: int, end: int) -> list[tuple[int, int, int]]:
    """A span of the joined text as (line, start, end) pieces, one per line it touches."""
    pieces: dict[int, list[int]] = {}
    for place in owner[start:end]:
        if place is not None:
            pieces.setdefault(place[0], []).append(place[1])
    return [(index, min(at), max(at) + 1) for index, at in pieces.items()]
