"""Open an attached image for reading, refusing what would hurt the process.

An attachment is whatever the user (or a collector) sent, so the image is hostile
until proven otherwise: the pixel count is checked from the header before any pixel
is decoded (a 40 KB PNG can claim 50,000 x 50,000 pixels and ask for 7 GB), only
the first frame of an animated image is read (and the result says so), and HEIC/HEIF,
the format of iPhone photos, is read through pillow-heif when it is installed and
refused with a clear reason when it is not.
"""

from __future__ import annotations

import io
import warnings

from evidence_locker.errors import LockerError

# A long WeChat screenshot of 1080 x 30000 is 32 MP; nothing a phone makes comes near
# 60 MP (the limit locale/ocr.toml names). Pillow's own bomb check (89 MP warning,
# 179 MP error) is a backstop.
MAX_PIXELS = 60_000_000
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")


class UnreadableImage(LockerError):
    """The image cannot be read; ``key`` says why in words a person understands."""

    key = "ocr.unreadable"


def is_heif(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _heif_opener() -> bool:
    """Teach Pillow HEIC/HEIF if pillow-heif is installed; say whether it could."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def open_image(data: bytes, name: str = "image"):
    """Decode the first frame of ``data`` as RGB; return (image, note keys).

    Raises :class:`UnreadableImage` for anything that is not an image Pillow (or
    pillow-heif) can decode, and for images over :data:`MAX_PIXELS`.
    """
    from PIL import Image, UnidentifiedImageError

    notes: list[str] = []
    if is_heif(data) and not _heif_opener():
        raise UnreadableImage("ocr.heic_unsupported", name=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                raise UnreadableImage(
                    "ocr.too_large",
                    name=name,
                    width=width,
                    height=height,
                    limit=MAX_PIXELS // 10**6,
                )
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                image.seek(0)
                notes.append("ocr.note.first_frame")
            image.load()
            rgb = image.convert("RGB")
    except UnreadableImage:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise UnreadableImage("ocr.too_large_unknown", name=name) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnreadableImage("ocr.not_an_image", name=name) from exc
    return rgb, notes
