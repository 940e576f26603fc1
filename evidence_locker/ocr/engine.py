"""The OCR engine behind a small interface, and the one we ship: RapidOCR.

Why RapidOCR 3.10 on onnxruntime with its PP-OCRv6 small models is in
docs/design-notes.md ("OCR engine"): on the generated screenshot corpus it read every
Chinese character and digit, Tesseract's chi_sim read about 70%, and it fits the
speed and memory goals on two cores. Its models ship inside the wheel. RapidOCR
would download a model it does not find, so the paths are always given explicitly:
a missing model is an error here, never a download.

The engine is an optional extra (``pip install 'evidence-locker[ocr]'``): it brings
onnxruntime and OpenCV, about 300 MB, which a user who never attaches an image
should not have to install. :func:`get_engine` raises :class:`OcrUnavailable` with
that instruction when it is missing.
"""

from __future__ import annotations

import itertools
import logging
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from evidence_locker.errors import LockerError
from evidence_locker.model import OcrLine

INSTALL_HINT = "ocr.hint.install"
# Detection runs on the image scaled so its longer side is at most this: a phone
# screenshot's 46 px text becomes ~18 px, still well above what the detector needs,
# and detection costs a fifth of the default (which upscales the shorter side).
DET_MAX_SIDE = 960
_MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx"}


class OcrUnavailable(LockerError):
    """No OCR engine is installed (the ``ocr`` extra)."""

    key = "ocr.unavailable"


class Engine(Protocol):
    """What the reader needs from an engine: a name for the record, and lines."""

    name: str
    params: dict[str, Any]

    def read(self, image: Any) -> list[OcrLine]:
        """Lines of text in a PIL RGB image, boxes in its pixels, in any order."""
        ...


class RapidOcrEngine:
    """RapidOCR with the models from its own wheel, no orientation classifier.

    Screenshots are upright, so the 0/180 degree classifier only costs time.
    """

    def __init__(self) -> None:
        try:
            import rapidocr
        except ImportError as exc:
            raise OcrUnavailable(hint=INSTALL_HINT) from exc
        models = Path(rapidocr.__file__).resolve().parent / "models"
        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.return_word_box": True,
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_MAX_SIDE,
        }
        for task, file_name in _MODELS.items():
            path = models / file_name
            if not path.is_file():
                raise OcrUnavailable("ocr.model_missing", hint=INSTALL_HINT, path=str(path))
            params[f"{task}.model_path"] = str(path)
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        self._ocr = rapidocr.RapidOCR(params=params)
        version = metadata.version("rapidocr")
        self.name = f"rapidocr {version} PP-OCRv6 small"
        self.params = {"det_max_side": DET_MAX_SIDE, "cls": False}

    def read(self, image: Any) -> list[OcrLine]:
        import numpy as np

        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        out = self._ocr(bgr)
        if not out.txts:
            return []
        words = out.word_results or [()] * len(out.txts)
        lines = []
        for quad, text, score, word in zip(out.boxes, out.txts, out.scores, words, strict=False):
            xs = [float(p[0]) for p in quad]
            ys = [float(p[1]) for p in quad]
            box = (int(min(xs)), int(min(ys)), round(max(xs)), round(max(ys)))
            lines.append(OcrLine(text, float(score), box, _edges(text, word, box)))
        return lines


def _edges(text: str, words: Any, box: tuple[int, int, int, int]) -> tuple[int, ...]:
    """Character x-edges of a line from the engine's word boxes, or () if they don't fit.

    RapidOCR reports a box per CJK character and per Latin word, without the spaces;
    each box is shared out evenly over its characters, and a space sits between its
    neighbours.
    """
    spans: list[tuple[int, int]] = []
    try:
        for piece, _score, quad in words:
            x0 = min(int(p[0]) for p in quad)
            x1 = max(int(p[0]) for p in quad)
            n = len(piece)
            spans += [(x0 + (x1 - x0) * i // n, x0 + (x1 - x0) * (i + 1) // n) for i in range(n)]
    except (TypeError, ValueError):
        return ()
    if not text or len(spans) != sum(1 for ch in text if not ch.isspace()):
        return ()
    found = iter(spans)
    per_char = [None if ch.isspace() else next(found) for ch in text]
    edges = [min(box[0], spans[0][0])]
    for left, right in itertools.pairwise(per_char):
        if left is None and right is None:
            edges.append(edges[-1])
        elif left is None or right is None:
            edges.append(right[0] if left is None else left[1])  # type: ignore[index]
        else:
            edges.append((left[1] + right[0]) // 2)
    edges.append(max(box[2], spans[-1][1]))
    return tuple(edges)


@cache
def get_engine() -> Engine:
    """The installed engine, loaded once per process (loading the models takes ~1 s)."""
    return RapidOcrEngine()


def engine_installed() -> bool:
    """Whether the ``ocr`` extra is installed, without loading anything."""
    from importlib.util import find_spec

    return find_spec("rapidocr") is not None and find_spec("onnxruntime") is not None
