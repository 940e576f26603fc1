"""Exhibit images made safe to draw: bounded decoding, downscaled copies, black-out.

An attached image is hostile input: a 10 KB PNG can declare 80 million pixels and
take a gigabyte to decode. So the header is read first (Pillow reads only the size
until asked for pixels), anything above :data:`MAX_PIXELS` is refused before a single
pixel is decoded, JPEGs are decoded at reduced scale (the decoder's own draft mode),
and what is drawn is a copy at most :data:`MAX_SIDE` pixels on its long side (enough
for 200 dpi across the page). The original bytes stay as they are; the dossier prints
and embeds their SHA-256, not the copy's.

:func:`black_out` is the seam for image redaction: given boxes (from OCR, which
another part builds), it returns a copy with those areas painted black.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

MAX_PIXELS = 24_000_000  # decoded pixels accepted (a 4:3 24-megapixel photo)
MAX_SIDE = 2000  # pixels on the long side of the copy that is drawn


@dataclass(frozen=True, slots=True)
class Prepared:
    """A downscaled copy to draw, and the original's size in pixels."""

    data: bytes
    width: int  # of the copy
    height: int
    original_size: tuple[int, int]


class ImageRefused(ValueError):
    """Not drawn: unreadable, or more pixels than :data:`MAX_PIXELS`. ``reason`` is a
    message key of the report locale, ``params`` its values."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def prepare(data: bytes) -> Prepared:
    """A copy of an image that is safe and cheap to draw; ImageRefused otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))  # reads the header only
            original = img.size
            if img.format == "JPEG":
                img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8 scale
            w, h = img.size
            if w <= 0 or h <= 0 or w * h > MAX_PIXELS:
                raise ImageRefused(
                    "exhibit.too_large",
                    width=original[0],
                    height=original[1],
                    limit=MAX_PIXELS // 1_000_000,
                )
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            return _encode(img, original)
    except ImageRefused:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, MemoryError):
        raise ImageRefused("exhibit.unreadable") from None


def _encode(img: Image.Image, original: tuple[int, int]) -> Prepared:
    """PNG for screenshots (sharp text), JPEG for photos (small); alpha on white."""
    photo = img.format == "JPEG"
    if img.mode in ("RGBA", "LA", "P", "PA"):
        img = img.convert("RGBA")
        flat = Image.new("RGB", img.size, "white")
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    elif img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    out = io.BytesIO()
    if photo:
        img.save(out, format="JPEG", quality=88)
    else:
        img.save(out, format="PNG", optimize=False)
    return Prepared(out.getvalue(), img.width, img.height, original)


def black_out(data: bytes, boxes: Sequence[tuple[int, int, int, int]]) -> bytes:
    """A PNG copy of ``data`` with each box ``(left, top, right, bottom)``, in the
    original's pixels, painted black. For image redaction: an OCR step finds where the
    numbers and addresses are and passes the boxes here. Bounded like :func:`prepare`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
        if img.size[0] * img.size[1] > MAX_PIXELS:
            raise ImageRefused(
                "exhibit.too_large",
                width=img.size[0],
                height=img.size[1],
                limit=MAX_PIXELS // 1_000_000,
            )
        img = img.convert("RGB")
    draw = ImageDraw.Draw(img)
    for left, top, right, bottom in boxes:
        draw.rectangle((left, top, right, bottom), fill="black")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()
