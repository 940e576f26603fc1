"""Read the text of one image: open it safely, slice long screenshots, order the lines.

A "long screenshot" (WeChat and most phones can stitch a whole conversation into one
image, 1080 x 10000 and more) scaled to the detector's size would shrink its text to
a few pixels, so an image taller than :data:`MAX_ASPECT` times its width is read in
overlapping slices of that shape. A line is kept from the slice where its middle lies
inside the slice's own share (half the overlap each side), so no line is lost at a cut
and none is read twice.

Reading never raises for a bad image: the result then has no lines and ``error``
names the reason, so attaching a file never fails because its text could not be read.
"""

from __future__ import annotations

from evidence_locker.model import OcrLine, OcrResult
from evidence_locker.ocr.engine import Engine, get_engine
from evidence_locker.ocr.image import UnreadableImage, open_image

MAX_ASPECT = 2.4  # taller than 1080 x 2592 is read in slices
OVERLAP = 0.25  # of the width: more than two lines of chat text at any zoom


def read_image(data: bytes, name: str = "image", *, engine: Engine | None = None) -> OcrResult:
    """The text in an image's first frame, lines in reading order.

    Raises :class:`~evidence_locker.ocr.engine.OcrUnavailable` only when no engine
    is installed; a bad image gives a result with ``error`` set.
    """
    engine = engine or get_engine()
    try:
        image, notes = open_image(data, name)
    except UnreadableImage as exc:
        return OcrResult(engine.name, 0, 0, error=exc.key, params=dict(engine.params))
    width, height = image.size
    lines: list[OcrLine] = []
    cuts = slices(width, height)
    for start, end, keep_from, keep_to in cuts:
        part = image if (start, end) == (0, height) else image.crop((0, start, width, end))
        for line in engine.read(part):
            middle = start + (line.box[1] + line.box[3]) / 2
            if keep_from <= middle < keep_to and line.text.strip():
                lines.append(_shift(line, start))
    if len(cuts) > 1:
        notes.append("ocr.note.sliced")
    return OcrResult(
        engine.name,
        width,
        height,
        tuple(reading_order(lines)),
        tuple(notes),
        params=dict(engine.params),
    )


def slices(width: int, height: int) -> list[tuple[int, int, float, float]]:
    """(start, end, keep_from, keep_to) rows of each slice of a width x height image."""
    tall = int(width * MAX_ASPECT)
    if height <= tall:
        return [(0, height, 0.0, float(height))]
    overlap = int(width * OVERLAP)
    step = tall - overlap
    out = []
    start = 0
    while True:
        end = min(start + tall, height)
        keep_from = 0.0 if start == 0 else start + overlap / 2
        keep_to = float(height) if end == height else end - overlap / 2
        out.append((start, end, keep_from, keep_to))
        if end == height:
            return out
        start += step


def _shift(line: OcrLine, dy: int) -> OcrLine:
    if not dy:
        return line
    x0, y0, x1, y1 = line.box
    return OcrLine(line.text, line.confidence, (x0, y0 + dy, x1, y1 + dy), line.edges)


def reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Top to bottom; lines whose middles are within half a line height share a row."""
    if not lines:
        return []
    heights = sorted(line.box[3] - line.box[1] for line in lines)
    band = max(1, heights[len(heights) // 2] // 2)
    return sorted(lines, key=lambda ln: ((ln.box[1] + ln.box[3]) // 2 // band, ln.box[0]))
