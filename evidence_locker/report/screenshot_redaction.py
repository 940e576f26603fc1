"""Screenshots in a redacted dossier: the read text says where, black boxes cover it.

The dossier's seam (``render_dossier(image_redactor=...)``) asks, for each image,
for a copy safe to show. This answers from the image's latest reading (OCR): the
numbers, ID numbers, addresses and names found in the read text
(:mod:`evidence_locker.ocr.sensitive`) are painted over by
:func:`~evidence_locker.report.images.black_out`, which re-encodes the pixels alone,
so no metadata, text chunk, alpha channel or later frame of the original survives.
An image that was never read, could not be read, or does not match its reading is
withheld (listed with its hash), never shown unredacted.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable

from PIL import Image

from evidence_locker.model import AttachmentInfo
from evidence_locker.ocr.sensitive import sensitive_boxes
from evidence_locker.report.exhibits import ImageRedactor
from evidence_locker.report.images import ImageRefused, black_out


def reading_redactor(categories: Iterable[str]) -> ImageRedactor:
    """An ``image_redactor`` that blacks out ``categories`` where the reading found them."""
    wanted = frozenset(categories)

    def redact(att: AttachmentInfo, data: bytes) -> bytes | None:
        reading = att.ocr
        if reading is None or reading.error:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                size = Image.open(io.BytesIO(data)).size  # the header only
            if size != (reading.width, reading.height):
                return None
            return black_out(data, [box for _, box in sensitive_boxes(reading, wanted)])
        except (ImageRefused, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None

    return redact
