"""What reading an image gives: lines of text with a confidence and a box each.

A line keeps the x-edges of its characters when the engine reports them, so a
redaction can cover exactly the digits of a phone number inside a longer line; when it
does not, the edges are estimated from character widths (a CJK character is about
twice a Latin one in every font a phone uses).

``to_fields`` / ``from_fields`` are the shape sealed in the ledger (docs/file-format.md,
entry kind ``ocr``): the text as one field (what search indexes and a dossier can
reveal alone), the geometry as another.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels


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
        weights = [2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in self.text]
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
