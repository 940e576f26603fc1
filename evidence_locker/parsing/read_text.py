"""Text read from an image attachment (OCR): lines with a confidence and a box each.

The shape the ledger seals (``ocr`` entries, docs/file-format.md) and every reader of
it uses: the locker, search, the rules, the dossier. :mod:`evidence_locker.ocr` makes
these; it lives here, below the domain model, because ``AttachmentInfo`` carries one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels


def _is_wide(ch: str) -> bool:
    """CJK characters and full-width forms: about twice a Latin letter's width."""
    return unicodedata.east_asian_width(ch) in "WF"


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line of read text. ``edges`` has len(text) + 1 x positions, or is empty."""

    text: str
    confidence: float
    box: Box
    edges: tuple[int, ...] = ()

    def char_edges(self) -> tuple[int, ...]:
        """x positions before each character and after the last one."""
        if len(self.edges) == len(self.text) + 1:
            return self.edges
        weights = [2 if _is_wide(ch) else 1 for ch in self.text]
        total = sum(weights) or 1
        x0, x1 = self.box[0], self.box[2]
        out, run = [x0], 0
        for w in weights:
            run += w
            out.append(x0 + round((x1 - x0) * run / total))
        return tuple(out)

    def span_box(self, start: int, end: int, pad: int = 0) -> Box:
        """The box of characters ``start:end`` of this line, grown by ``pad`` pixels."""
        edges = self.char_edges()
        x0, y0, x1, y1 = edges[start], self.box[1], edges[end], self.box[3]
        return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


@dataclass(frozen=True, slots=True)
class OcrResult:
    """The text read from one image, in reading order.

    ``notes`` are message keys saying what the reader did that a person should know
    (only the first frame of an animated image was read; a long screenshot was read in
    slices). ``error`` is a message key when the image could not be read at all; the
    lines are then empty.
    """

    engine: str
    width: int
    height: int
    lines: tuple[OcrLine, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def flowing_text(self) -> str:
        """The lines joined as a reader reads them, for search and the rules.

        A chat bubble wraps "再不还款我们就爆通" / "讯录" wherever the line is full, so
        two CJK characters across a break are joined directly, anything else by a space.
        """
        out = ""
        for line in self.lines:
            text = line.text.strip()
            if out and text:
                cjk_join = _is_wide(out[-1]) and _is_wide(text[0])
                out += "" if cjk_join else " "
            out += text
        return out

    def to_fields(self) -> dict[str, Any]:
        """The sealed fields of an ``ocr`` ledger entry."""
        fields: dict[str, Any] = {
            "engine": self.engine,
            "size": [self.width, self.height],
            "text": self.text,
            "lines": [
                {
                    "box": list(line.box),
                    "conf": round(line.confidence, 4),
                    "edges": list(line.edges),
                }
                for line in self.lines
            ],
        }
        if self.notes:
            fields["notes"] = list(self.notes)
        if self.error:
            fields["error"] = self.error
        if self.params:
            fields["params"] = self.params
        return fields

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> OcrResult:
        texts = fields.get("text", "").split("\n") if fields.get("lines") else []
        geometry: Sequence[dict[str, Any]] = fields.get("lines") or []
        lines = tuple(
            OcrLine(text, float(g.get("conf", 0.0)), tuple(g["box"]), tuple(g.get("edges", ())))
            for text, g in zip(texts, geometry, strict=False)
        )
        width, height = fields.get("size") or (0, 0)
        return cls(
            engine=fields.get("engine", ""),
            width=int(width),
            height=int(height),
            lines=lines,
            notes=tuple(fields.get("notes", ())),
            error=fields.get("error"),
            params=dict(fields.get("params", {})),
        )
