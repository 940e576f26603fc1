"""What an attached file is, and the metadata in it that matters as evidence.

:func:`sniff` names the type from the file's first bytes (a screenshot saved as
``.txt`` is still a PNG; the name is only a fallback), then asks a library for what
it can read: pixel size and EXIF capture time of images (Pillow), duration of audio
(mutagen; AMR, the format of many Android call recordings, is counted here frame by
frame because mutagen does not read it). A damaged or hostile file never makes it
fail: each step that fails is skipped and the rest is returned.

Only the head of the file is read for the type, and the metadata readers seek
rather than load, so a 2 GB recording costs a few kilobytes of memory here.
"""

from __future__ import annotations

import io
import mimetypes
import os
import re
import warnings
from typing import Any, BinaryIO

HEAD_SIZE = 4096

# EXIF tags (CIPA DC-008): IFD0 DateTime, Make, Model; the Exif sub-IFD pointer;
# DateTimeOriginal and its UTC offset in the Exif IFD.
_EXIF_IFD = 0x8769
_DATETIME = 0x0132
_MAKE = 0x010F
_MODEL = 0x0110
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011

# AMR storage format (RFC 4867 section 5): bytes of speech data per frame type,
# after the one-byte frame header; every frame is 20 ms.
_AMR_NB_SIZES = (12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0)
_AMR_WB_SIZES = (17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0)
_AMR_NB_MAGIC = b"#!AMR\n"
_AMR_WB_MAGIC = b"#!AMR-WB\n"

_MP4_BRANDS = {
    b"M4A ": "audio/mp4",
    b"M4B ": "audio/mp4",
    b"M4P ": "audio/mp4",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heif",
    b"qt  ": "video/quicktime",
}

_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]")
_MAIL_HEADERS = (
    b"from:",
    b"to:",
    b"subject:",
    b"date:",
    b"received:",
    b"return-path:",
    b"message-id:",
    b"mime-version:",
    b"delivered-to:",
)


def sniff(path_or_bytes: str | os.PathLike[str] | bytes, name: str) -> dict[str, Any]:
    """Type and evidence metadata of a file, as a JSON-ready dict.

    Keys (present only when known): ``mime``, ``mime_source`` ("content" or
    "name"), ``width``, ``height``, ``captured_at`` (EXIF, ISO 8601; with an offset
    only if the camera recorded one), ``captured_at_source``, ``camera``,
    ``duration_s``. ``mime`` is always present. Raises only if a path cannot be
    opened at all.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        with io.BytesIO(bytes(path_or_bytes)) as f:
            return _sniff_file(f, name)
    with open(path_or_bytes, "rb") as f:
        return _sniff_file(f, name)


def _sniff_file(f: BinaryIO, name: str) -> dict[str, Any]:
    head = f.read(HEAD_SIZE)
    out: dict[str, Any] = {}
    mime = _mime_from_content(head)
    by_name = mimetypes.guess_type(name, strict=False)[0]
    if mime is not None and by_name and _name_refines(mime, by_name):
        mime = by_name
    if mime is not None:
        out["mime"], out["mime_source"] = mime, "content"
    elif by_name:
        out["mime"], out["mime_source"] = by_name, "name"
    else:
        out["mime"] = "application/octet-stream"
    try:
        if out["mime"].startswith("image/"):
            f.seek(0)
            out.update(_image_meta(f))
        elif out["mime"] in ("audio/amr", "audio/amr-wb"):
            f.seek(0)
            out.update(_amr_meta(f))
        elif out["mime"].startswith(("audio/", "video/")):
            f.seek(0)
            out.update(_audio_meta(f))
    except Exception:  # a damaged file: keep what we already know
        pass
    return out


def _name_refines(by_content: str, by_name: str) -> bool:
    """Whether the name gives a more precise type than the content (CSV or JSON is
    text; a .docx is a zip), without letting a name contradict the bytes."""
    if by_content == "text/plain":
        return by_name.startswith("text/") or by_name in ("application/json", "application/xml")
    if by_content == "application/zip":
        return "officedocument" in by_name or by_name in (
            "application/epub+zip",
            "application/vnd.oasis.opendocument.text",
        )
    return False


def _mime_from_content(head: bytes) -> str | None:
    """The type told by magic bytes, for the formats victims of collectors send."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"BM") and len(head) > 14 and head[6:10] == b"\0\0\0\0":
        return "image/bmp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _MP4_BRANDS:
            return _MP4_BRANDS[brand]
        if brand.startswith(b"3g"):
            return "video/3gpp"  # also what many phones record calls in
        return "video/mp4"
    if head.startswith(_AMR_WB_MAGIC):
        return "audio/amr-wb"
    if head.startswith(_AMR_NB_MAGIC):
        return "audio/amr"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        if head[1] & 0x06 == 0:
            return "audio/aac"  # ADTS: layer bits are zero
        if head[2] & 0xF0 != 0xF0 and head[2] & 0x0C != 0x0C:
            return "audio/mpeg"  # a frame header with a valid bitrate and sample rate
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if _looks_like_email(head):
        return "message/rfc822"
    if _looks_like_text(head):
        return "text/plain"
    return None


def _looks_like_email(head: bytes) -> bool:
    """RFC 5322: the message starts with header fields, and mail has some of these."""
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    first = lines[0]
    if first.startswith(b"From ") and len(lines) > 1:  # mbox "From " separator line
        lines = lines[1:]
        first = lines[0]
    if not _HEADER_LINE.match(first):
        return False
    block = []
    for line in lines:
        if not line:
            break
        block.append(line.lower())
    known = sum(1 for line in block if line.startswith(_MAIL_HEADERS))
    return known >= 2


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 (or UTF-16 with a BOM, or GB 18030, common for Chinese text) with no
    control bytes other than whitespace."""
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            # The head may end inside a multi-byte character: drop up to 3 bytes.
            text = _decode_prefix(head, encoding)
        except UnicodeDecodeError:
            continue
        bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\x1b")
        return bad <= len(text) // 100
    return False


def _decode_prefix(head: bytes, encoding: str) -> str:
    for cut in range(4):
        try:
            return head[: len(head) - cut].decode(encoding)
        except UnicodeDecodeError:
            if cut == 3 or len(head) < HEAD_SIZE:
                raise
    raise UnicodeDecodeError(encoding, head, 0, 1, "undecodable")


def _exif_time(value: Any) -> str | None:
    """EXIF "YYYY:MM:DD HH:MM:SS" -> ISO 8601 "YYYY-MM-DDTHH:MM:SS"."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})\S*\s*\x00*", value)
    if not m or m.group(1) == "0000":
        return None
    y, mo, d, h, mi, s = m.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}"


def _image_meta(f: BinaryIO) -> dict[str, Any]:
    # Damaged EXIF makes Pillow warn on stderr; the caller cannot act on it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _image_meta_quiet(f)


def _image_meta_quiet(f: BinaryIO) -> dict[str, Any]:
    from PIL import Image

    out: dict[str, Any] = {}
    with Image.open(f) as img:  # reads the header only; pixels are never decoded
        out["width"], out["height"] = int(img.width), int(img.height)
        try:
            exif = img.getexif()
        except Exception:
            return out
        try:
            sub = exif.get_ifd(_EXIF_IFD)
        except Exception:
            sub = {}
        when = _exif_time(sub.get(_DATETIME_ORIGINAL))
        source = "exif:DateTimeOriginal"
        if when is None:
            when, source = _exif_time(exif.get(_DATETIME)), "exif:DateTime"
        if when is not None:
            offset = sub.get(_OFFSET_TIME_ORIGINAL) if source.endswith("Original") else None
            if isinstance(offset, str) and re.fullmatch(r"[+-]\d{2}:\d{2}", offset.strip("\x00 ")):
                when += offset.strip("\x00 ")
            out["captured_at"], out["captured_at_source"] = when, source
        camera = " ".join(
            str(v).strip("\x00 ") for v in (exif.get(_MAKE), exif.get(_MODEL)) if v
        ).strip()
        if camera:
            out["camera"] = camera[:100]
    return out


def _audio_meta(f: BinaryIO) -> dict[str, Any]:
    import mutagen

    audio = mutagen.File(f)
    length = getattr(getattr(audio, "info", None), "length", None)
    if isinstance(length, (int, float)) and length > 0:
        return {"duration_s": round(float(length), 3)}
    return {}


def _amr_meta(f: BinaryIO) -> dict[str, Any]:
    """Count AMR frames (20 ms each) block by block; stop at the first bad frame."""
    head = f.read(len(_AMR_WB_MAGIC))
    if head.startswith(_AMR_WB_MAGIC):
        sizes = _AMR_WB_SIZES
    else:
        sizes = _AMR_NB_SIZES
        f.seek(len(_AMR_NB_MAGIC))
    frames = 0
    buf = b""
    pos = 0
    while True:
        if len(buf) - pos < 64:
            more = f.read(64 * 1024)
            buf = buf[pos:] + more
            pos = 0
            if not more and not buf:
                break
        frame_type = (buf[pos] >> 3) & 0x0F
        size = sizes[frame_type]
        if size == 0 and frame_type not in (14, 15):  # 14/15: lost frame / no data
            break
        if pos + 1 + size > len(buf):
            break  # a cut-off last frame is not counted
        pos += 1 + size
        frames += 1
    return {"duration_s": round(frames * 0.02, 3)} if frames else {}
