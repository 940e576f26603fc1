"""Screenshots in a redacted dossier: blacked out where the reading found numbers, and
nothing of the original left in the PDF (pixels read back, metadata, other images)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from tests.conftest import shared_cli
from tests.ocr_corpus import screenshot
from tests.test_dossier_redaction import _encodings, _everything

ID_NUMBER = "110101199003074578"
PHONE = "13800138000"
THREAT = "再不还款就爆通讯录"


@pytest.fixture(scope="module")
def dossier(ocr_engine, tmp_path_factory: pytest.TempPathFactory):
    """A screenshot with an ID and a phone number, whose PNG also hides the ID in a text
    chunk and an EXIF comment, in a record exported with --redact numbers,ids. Built
    once for the module: its tests only read the PDF and the shot."""
    tmp_path = tmp_path_factory.mktemp("ocr-redaction")
    with shared_cli(tmp_path) as cli:
        return _redacted_dossier(cli, tmp_path)


def _redacted_dossier(cli, tmp_path: Path) -> tuple[Path, Path]:
    assert cli("init").code == 0
    image = screenshot(
        3,
        (720, 900),
        kind="sms",
        dark=True,
        messages=[THREAT, f"身份证{ID_NUMBER}", f"call {PHONE}"],
    ).image
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", f"id {ID_NUMBER}")
    exif = Image.Exif()
    exif[0x010E] = f"ImageDescription {ID_NUMBER}"  # IFD0 ImageDescription
    shot = tmp_path / "shot.png"
    image.save(shot, "PNG", pnginfo=info, exif=exif)
    out = cli("log", "message", "--app", "wechat", "--attach", str(shot), "--json")
    assert out.code == 0, out.err
    pdf = tmp_path / "redacted.pdf"
    done = cli("export", "pdf", "-o", str(pdf), "--redact", "numbers,ids", "--no-flags")
    assert done.code == 0, done.err
    return pdf, shot


def test_the_screenshot_is_shown_blacked_out_and_says_so(dossier, cli):
    from evidence_locker.ocr import read_image

    pdf, shot = dossier
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    assert "Redactedcopy" in text
    reread = "".join(read_image(images[0].data).text.split())
    assert "爆通讯录" in reread  # what is not sensitive stays readable
    for i in range(0, len(ID_NUMBER) - 5):
        assert ID_NUMBER[i : i + 6] not in reread
    assert PHONE[3:9] not in reread
    # The original's hash stays in the proofs, and the dossier still verifies.
    proofs = json.loads(reader.attachments["evidence-locker-proofs.json"][0])
    import hashlib

    original = hashlib.sha256(shot.read_bytes()).hexdigest()
    revealed = [e["revealed"].get("sha256", {}).get("value") for e in proofs["entries"]]
    assert original in revealed
    assert cli("verify-dossier", str(pdf)).code == 0


def test_nothing_of_the_original_hides_in_the_pdf(dossier):
    pdf, shot = dossier
    data = pdf.read_bytes()
    original = shot.read_bytes()
    # One image object in the whole file (no hidden original, no soft mask of it).
    reader = PdfReader(io.BytesIO(data))
    found = []
    for num in range(1, int(reader.trailer["/Size"])):
        try:
            obj = IndirectObject(num, 0, reader).get_object()
        except Exception:
            continue
        if isinstance(obj, StreamObject) and obj.get("/Subtype") == "/Image":
            found.append((num, obj.get("/SMask")))
    assert len(found) == 1 and found[0][1] is None, found
    for where, blob in _everything(data):
        assert original[:4096] not in blob, where
        for needle in _encodings(ID_NUMBER):  # text chunk and EXIF of the original
            assert needle not in blob, where


def test_an_image_never_read_is_withheld(cli, tmp_path: Path, monkeypatch):
    import evidence_locker.ocr as ocr
    from evidence_locker.ocr import OcrUnavailable

    def missing():
        raise OcrUnavailable(hint="ocr.hint.install")

    monkeypatch.setattr(ocr, "get_engine", missing)
    assert cli("init").code == 0
    shot = tmp_path / "shot.png"
    screenshot(4, (720, 700), kind="chat", messages=[f"call {PHONE}"]).image.save(shot)
    assert cli("log", "message", "--app", "wechat", "--attach", str(shot)).code == 0
    pdf = tmp_path / "redacted.pdf"
    assert cli("export", "pdf", "-o", str(pdf), "--redact", "numbers", "--no-flags").code == 0
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    assert [image for page in reader.pages for image in page.images] == []
