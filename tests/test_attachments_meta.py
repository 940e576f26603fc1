"""sniff(): type by content, EXIF capture time, pixel size, audio duration; never fails."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from evidence_locker.locker.attachments_meta import sniff


def jpeg_with_exif(offset: str | None = "+08:00") -> bytes:
    img = Image.new("RGB", (320, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"
    exif[0x0110] = "Redmi Note 12"
    exif[0x0132] = "2024:03:02 08:00:00"  # file modified: not the capture time
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2024:03:01 21:14:05"
    if offset:
        sub[0x9011] = offset
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, fmt)
    return out.getvalue()


def wav(seconds: float, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(int(seconds * rate) * 2))
    return out.getvalue()


def mp3(frames: int) -> bytes:
    """MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417-byte frames of 1152 samples."""
    return (bytes([0xFF, 0xFB, 0x90, 0x64]) + bytes(413)) * frames


def amr(frames: int) -> bytes:
    """AMR-NB 12.2 kbit/s frames (type 7: 1 header byte + 31 bytes), 20 ms each."""
    return b"#!AMR\n" + (bytes([0x3C]) + bytes(31)) * frames


EMAIL = (
    "Return-Path: <collect@agency.example>\r\n"
    "From: 催收中心 <collect@agency.example>\r\n"
    "To: me@example.org\r\n"
    "Subject: =?UTF-8?B?5pyA5ZCO6YCa55+l?=\r\n"
    "Date: Fri, 1 Mar 2024 21:14:05 +0800\r\n"
    "\r\n"
    "Pay today or we visit your employer.\r\n"
).encode()


def test_jpeg_exif_capture_time_size_and_camera(tmp_path: Path) -> None:
    path = tmp_path / "门上的通知.jpg"
    path.write_bytes(jpeg_with_exif())
    meta = sniff(path, path.name)
    assert meta == {
        "mime": "image/jpeg",
        "mime_source": "content",
        "width": 320,
        "height": 200,
        "captured_at": "2024-03-01T21:14:05+08:00",
        "captured_at_source": "exif:DateTimeOriginal",
        "camera": "Xiaomi Redmi Note 12",
    }
    json.dumps(meta)  # ready for AttachmentInfo.metadata
    no_offset = sniff(jpeg_with_exif(offset=None), "a.jpg")
    assert no_offset["captured_at"] == "2024-03-01T21:14:05"  # camera local time, as recorded


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp"), ("BMP", "image/bmp")],
)
def test_images_by_magic_even_with_a_wrong_name(fmt: str, mime: str) -> None:
    meta = sniff(image(fmt), "screenshot.txt")
    assert meta["mime"] == mime and meta["mime_source"] == "content"
    assert (meta["width"], meta["height"]) == (64, 48)
    assert "captured_at" not in meta


def test_wav_duration(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    path.write_bytes(wav(1.5))
    meta = sniff(path, "call.wav")
    assert meta["mime"] == "audio/wav" and meta["duration_s"] == 1.5


def test_mp3_duration() -> None:
    meta = sniff(mp3(100), "voicemail.mp3")
    assert meta["mime"] == "audio/mpeg"
    assert meta["duration_s"] == pytest.approx(100 * 1152 / 44100, abs=0.05)
    assert sniff(b"ID3\x04\x00\x00\x00\x00\x00\x00", "x")["mime"] == "audio/mpeg"


def test_amr_duration_counted_by_frames() -> None:
    meta = sniff(amr(250), "通话录音.amr")
    assert meta == {"mime": "audio/amr", "mime_source": "content", "duration_s": 5.0}
    cut = sniff(amr(250)[:-10], "x.amr")  # the last frame cut off is not counted
    assert cut["duration_s"] == 4.98
    wb = sniff(b"#!AMR-WB\n" + (bytes([0x44]) + bytes(60)) * 100, "x.awb")
    assert wb["mime"] == "audio/amr-wb" and wb["duration_s"] == 2.0


@pytest.mark.parametrize(
    ("data", "name", "mime"),
    [
        (b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom", "rec.m4a", "audio/mp4"),
        (b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00isom3gp4", "rec.3gp", "video/3gpp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "IMG_0001.HEIC", "image/heic"),
        (b"OggS\x00\x02" + bytes(40), "voice.ogg", "audio/ogg"),
        (b"fLaC\x00\x00\x00\x22" + bytes(40), "a.flac", "audio/flac"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "letter.pdf", "application/pdf"),
        (EMAIL, "message.eml", "message/rfc822"),
        (b"From MAILER-DAEMON Fri Mar  1 21:14:05 2024\n" + EMAIL, "mbox", "message/rfc822"),
        ("催收员说今天必须还款\nthe collector said pay today\n".encode(), "note.txt", "text/plain"),
        ("催收员说今天必须还款\n".encode("gb18030"), "note", "text/plain"),
        (b"a,b\n1,2\n", "calls.csv", "text/csv"),
        (b"PK\x03\x04" + bytes(40), "archive.zip", "application/zip"),
    ],
)
def test_type_by_content(data: bytes, name: str, mime: str) -> None:
    meta = sniff(data, name)
    assert meta["mime"] == mime
    assert meta["mime_source"] == "content"


def test_fallback_to_name_and_unknown() -> None:
    assert sniff(bytes(range(256)), "photo.jpg") == {"mime": "image/jpeg", "mime_source": "name"}
    assert sniff(b"", "empty") == {"mime": "application/octet-stream"}
    assert sniff(b"\x00\x01\x02garbage", "x.unknownext") == {"mime": "application/octet-stream"}


def test_corrupt_files_return_what_could_be_read() -> None:
    truncated = jpeg_with_exif()[:200]
    assert sniff(truncated, "a.jpg") == {"mime": "image/jpeg", "mime_source": "content"}
    bad_wav = wav(1.0)[:30]
    assert sniff(bad_wav, "a.wav") == {"mime": "audio/wav", "mime_source": "content"}
    png = bytearray(image("PNG"))
    png[20] ^= 0xFF  # the IHDR width, under its CRC
    assert sniff(bytes(png), "a.png")["mime"] == "image/png"


SAMPLES = [jpeg_with_exif(), image("PNG"), image("GIF"), wav(0.2), mp3(5), amr(10), EMAIL]


@settings(max_examples=150, deadline=None)
@given(
    sample=st.sampled_from(SAMPLES),
    cut=st.integers(0, 4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(1, 255)), max_size=4),
    name=st.sampled_from(["a.jpg", "b.png", "c.wav", "d.mp3", "e.amr", "f.eml", "g", "短信.txt"]),
)
def test_never_fails_on_damaged_input(sample: bytes, cut: int, flips, name: str) -> None:
    data = bytearray(sample[: len(sample) - cut] if cut < len(sample) else sample[:1])
    for pos, mask in flips:
        if data:
            data[pos % len(data)] ^= mask
    meta = sniff(bytes(data), name)
    assert isinstance(meta["mime"], str) and "/" in meta["mime"]
    json.dumps(meta)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=600), name=st.text(max_size=20))
def test_never_fails_on_arbitrary_bytes(data: bytes, name: str) -> None:
    assert "mime" in sniff(data, name)
