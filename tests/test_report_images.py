"""Exhibit images are hostile input: bounded decoding, downscaled copies, black-out."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from evidence_locker.report import render_dossier
from evidence_locker.report.images import MAX_PIXELS, MAX_SIDE, ImageRefused, black_out, prepare
from tests.report_fixtures import GENERATED, finish, make_records, png_bytes

ROOT = Path(__file__).resolve().parents[1]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 9000) -> bytes:
    """A 1-bit PNG of ``side`` x ``side`` white pixels: about 10 KB on disk, 81
    million pixels once decoded (the shape of the issue's decompression bomb)."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    z = zlib.compressobj(9)
    body = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")
    )


def test_the_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb()
    assert len(bomb) < 16 * 1024
    with pytest.raises(ImageRefused) as err:
        prepare(bomb)
    assert err.value.reason == "exhibit.too_large"
    assert err.value.params["width"] == 9000


_CHILD = """
import hashlib, json, resource, sys
from zoneinfo import ZoneInfo
from evidence_locker.report import render_dossier
from tests.report_fixtures import DOSSIER_SEED, GENERATED, finish, make_records
data = open(sys.argv[1], "rb").read()
records, bundle = finish(make_records(4, image_sha=hashlib.sha256(data).hexdigest()))
pdf = render_dossier(records, bundle, lang="en", generated_at=GENERATED,
    tz=ZoneInfo("Asia/Shanghai"), images=lambda att: data, signing_seed=DOSSIER_SEED)
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pdf": len(pdf)}))
"""


def _render_rss(image: bytes, tmp_path: Path, name: str) -> float:
    path = tmp_path / name
    path.write_bytes(image)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["rss_mb"]


def test_export_memory_stays_bounded_with_a_bomb(tmp_path: Path) -> None:
    """Issue 13 (low): a 10 KB PNG made ``export pdf`` use 1.1 GB. Peak memory of a
    render with the bomb stays within 64 MiB of a render with a small screenshot."""
    small = _render_rss(png_bytes(), tmp_path, "small.png")
    bomb = _render_rss(png_bomb(), tmp_path, "bomb.png")
    assert bomb - small < 64, (small, bomb)


def test_large_images_are_drawn_from_a_downscaled_copy() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (4000, 3000), (200, 30, 30)).save(buf, format="PNG")
    got = prepare(buf.getvalue())
    assert got.original_size == (4000, 3000)
    assert max(got.width, got.height) == MAX_SIDE
    assert Image.open(io.BytesIO(got.data)).format == "PNG"
    jpeg = io.BytesIO()
    Image.new("RGB", (6000, 4000), (30, 30, 200)).save(jpeg, format="JPEG")
    got = prepare(jpeg.getvalue())  # 24 MP: decoded in draft mode, at reduced scale
    assert got.original_size == (6000, 4000) and max(got.width, got.height) <= MAX_SIDE
    assert Image.open(io.BytesIO(got.data)).format == "JPEG"


def test_transparency_is_flattened_on_white() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 0, 0)).save(buf, format="PNG")
    got = Image.open(io.BytesIO(prepare(buf.getvalue()).data))
    assert got.mode == "RGB" and got.getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize(
    "data", [b"", b"\x89PNG\r\n\x1a\n", b"GIF89a" + b"\x00" * 20, b"not an image"]
)
def test_unreadable_images_are_refused(data: bytes) -> None:
    with pytest.raises(ImageRefused) as err:
        prepare(data)
    assert err.value.reason == "exhibit.unreadable"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_hostile_bytes_never_escape_as_another_error(tail: bytes) -> None:
    valid = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(valid, format="PNG")
    head = valid.getvalue()[:33]  # a real signature and IHDR, then anything
    for data in (head + tail, tail):
        with contextlib.suppress(ImageRefused):
            prepare(data)


def test_black_out_paints_the_boxes() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (100, 50), "white").save(buf, format="PNG")
    out = Image.open(io.BytesIO(black_out(buf.getvalue(), [(10, 10, 40, 30)])))
    assert out.getpixel((20, 20)) == (0, 0, 0)
    assert out.getpixel((60, 20)) == (255, 255, 255)
    with pytest.raises(ImageRefused):
        black_out(png_bomb(), [(0, 0, 1, 1)])
    assert MAX_PIXELS < 9000 * 9000


def _dossier(image: bytes, redact: frozenset[str] = frozenset(), **kw) -> PdfReader:  # type: ignore[no-untyped-def]
    """A four-record dossier whose third record has ``image`` attached."""
    records, bundle = finish(
        make_records(4, image_sha=hashlib.sha256(image).hexdigest()), redact=redact
    )
    pdf = render_dossier(
        records,
        bundle,
        lang="en",
        generated_at=GENERATED,
        tz=ZoneInfo("Asia/Shanghai"),
        images=lambda att: image,
        redact=redact,
        **kw,
    )
    return PdfReader(io.BytesIO(pdf))


def test_a_refused_image_is_listed_with_its_hash_and_reason() -> None:
    bomb = png_bomb()
    reader = _dossier(bomb)
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    assert hashlib.sha256(bomb).hexdigest() in text
    assert "9000×9000pixelsismorethanthe24-megapixellimit" in text


def test_a_redacted_dossier_shows_only_what_the_image_redactor_returns() -> None:
    """The seam for OCR-based image redaction: without a redactor the image is
    withheld; with one, the black-out copy is drawn and the original never is."""
    png = png_bytes()
    seen: list[bytes] = []

    def redactor(att, data: bytes) -> bytes:  # type: ignore[no-untyped-def]
        seen.append(data)
        return black_out(data, [(0, 0, 360, 240)])  # the whole picture

    def drawn(**kw) -> list:  # type: ignore[no-untyped-def]
        return [
            obj.get_object()
            for page in _dossier(png, frozenset({"numbers"}), **kw).pages
            for obj in (page.get("/Resources", {}).get("/XObject", {}) or {}).values()
            if obj.get_object().get("/Subtype") == "/Image"
        ]

    assert drawn() == []
    shown = drawn(image_redactor=redactor)
    assert seen == [png] and len(shown) == 1
    pixels = shown[0].decode_as_image()
    assert pixels.convert("L").getextrema() == (0, 0)  # all black: the copy, not the original


@pytest.mark.parametrize("junk", [b"%PDF-1.7\n" + b"\x00" * 64, b"not a pdf at all" * 50])
def test_an_unreadable_pdf_letter_is_listed_not_drawn(junk: bytes) -> None:
    """A hostile "letter": the dossier still renders, says why the pages are not
    shown, and still attaches the original so its hash can be checked."""
    from dataclasses import replace

    records = make_records(4, image_sha=hashlib.sha256(junk).hexdigest())
    records = [
        replace(
            r,
            attachments=tuple(
                replace(a, mime="application/pdf", name="letter.pdf") for a in r.attachments
            ),
        )
        if r.attachments and r.attachments[0].id == "att-2"
        else r
        for r in records
    ]
    records, bundle = finish(records)
    pdf = render_dossier(
        records,
        bundle,
        lang="en",
        generated_at=GENERATED,
        tz=ZoneInfo("Asia/Shanghai"),
        images=lambda att: junk,
    )
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    assert "letter.pdf" in text and "pagesnotshown:notaPDFthistoolcanread" in text
    attached = [d[0] for name, d in reader.attachments.items() if name.endswith("letter.pdf")]
    assert attached == [junk]
