"""Reading the text in image attachments (screenshots), fully offline.

- :mod:`~evidence_locker.ocr.image` opens an attachment's bytes safely (pixel cap,
  first frame of an animation, HEIC through pillow-heif).
- :mod:`~evidence_locker.ocr.engine` hides the engine (RapidOCR on onnxruntime, an
  optional extra) behind :class:`Engine`.
- :mod:`~evidence_locker.ocr.reader` turns one image into an :class:`OcrResult`:
  lines with text, confidence and boxes, in reading order.
- :mod:`~evidence_locker.ocr.sensitive` finds numbers, ID numbers, addresses and
  names in the read text and gives their boxes, for redacting images.

Nothing here touches the locker; the locker seals and indexes what this returns.
"""

from evidence_locker.model import Box, OcrLine, OcrResult
from evidence_locker.ocr.engine import Engine, OcrUnavailable, engine_installed, get_engine
from evidence_locker.ocr.image import MAX_PIXELS, UnreadableImage
from evidence_locker.ocr.reader import read_image

__all__ = [
    "MAX_PIXELS",
    "Box",
    "Engine",
    "OcrLine",
    "OcrResult",
    "OcrUnavailable",
    "UnreadableImage",
    "engine_installed",
    "get_engine",
    "read_image",
]
