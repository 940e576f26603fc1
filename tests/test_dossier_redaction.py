"""Issue 13, item 8: a redacted dossier leaks no redacted value anywhere (claim C12).

A real locker, through the CLI, with a secret in every place one can hide: the
content, the notes, the counterpart, an attachment's file name and caption, the case
name and account, a correction reason, the source of an imported record, and the
pixels of a screenshot. The redacted dossier is then searched as a recipient could:
its page text (pypdf and pdftotext), every embedded file, the raw bytes and every
decompressed PDF object, in UTF-8 and UTF-16.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from tests.conftest import shared_cli

PHONE = "13912345678"
CARD = "6222021234567890123"
ID_NO = "11010519491231002X"
EMAIL = "zhang.san.secret@example.com"
STREET = "世纪大道100号"
# every value, and a long middle slice of each number (a partial leak counts)
SECRETS = [PHONE, "391234567", CARD, "2202123456789", ID_NO, "010519491231", "zhang.san.secret"]
SECRETS_TEXT = [*SECRETS, STREET]


@pytest.fixture(scope="module")
def redacted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The redacted dossier, built once for the module: its tests only read it."""
    tmp_path = tmp_path_factory.mktemp("redacted")
    with shared_cli(tmp_path) as cli:
        return _redacted(cli, tmp_path)


def _redacted(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    from PIL import Image, ImageDraw

    assert cli("init").code == 0
    shot = tmp_path / f"scr_{PHONE}.png"
    img = Image.new("RGB", (480, 160), "white")
    ImageDraw.Draw(img).text((10, 60), f"call {PHONE} id {ID_NO}", fill="black")
    img.save(shot)
    assert cli("case", "add", f"card-{CARD}", "--creditor", "XX银行", "--account", CARD).code == 0
    r = cli(
        "log",
        "call",
        "--org",
        "某催收公司",
        "--counterpart",
        f"王经理 {PHONE}",
        "--number",
        PHONE,
        "--at",
        "2025-02-09 22:47",
        "--content",
        f"身份证 {ID_NO}，卡号 {CARD}，发邮件到 {EMAIL}，地址上海市浦东新区{STREET}5楼",
        "--notes",
        f"回拨 {PHONE}",
        "--case",
        f"card-{CARD}",
        "--json",
    )
    assert r.code == 0, r.err
    rid = json.loads(r.out)["id"]
    assert cli("attach", rid[:8], str(shot), "--caption", f"来电 {PHONE} 截图").code == 0
    assert (
        cli("correct", rid[:8], "--duration", "65m", "--reason", f"核对 {PHONE} 的通话时长").code
        == 0
    )
    csv = tmp_path / f"export_{PHONE}.csv"
    csv.write_text(f"date,number,content\n2025-02-10 09:00,{PHONE},还款提醒\n", encoding="utf-8")
    cli("import", str(csv), "--channel", "sms")
    out = tmp_path / "redacted.pdf"
    r = cli("export", "pdf", "-o", str(out), "--redact", "numbers,addresses,ids", "--no-flags")
    assert r.code == 0, r.err
    return out


def _everything(pdf: bytes) -> list[tuple[str, bytes]]:
    """Every place a value could hide: raw bytes, each object decompressed, each
    embedded file."""
    reader = PdfReader(io.BytesIO(pdf))
    places = [("raw", pdf)]
    for num in range(1, len(reader.xref_objStm) + 1 + max(reader.trailer["/Size"], 1)):
        try:
            obj = IndirectObject(num, 0, reader).get_object()
        except Exception:
            continue
        if isinstance(obj, StreamObject):
            try:
                places.append((f"stream {num}", obj.get_data()))
            except Exception:
                continue
        elif obj is not None:
            places.append((f"object {num}", repr(obj).encode("utf-8", "replace")))
    for name, files in reader.attachments.items():
        for data in files:
            places.append((f"embedded {name}", data))
        places.append(("embedded name", name.encode()))
    return places


def _encodings(secret: str) -> list[bytes]:
    return [secret.encode(enc) for enc in ("utf-8", "utf-16-be", "utf-16-le", "gb18030")]


def test_no_redacted_value_anywhere(redacted: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = redacted
    pdf = out.read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    for secret in SECRETS_TEXT:
        assert "".join(secret.split()) not in text, secret
    if shutil.which("pdftotext"):
        layout = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, text=True
        ).stdout
        flat = "".join(layout.split())
        for secret in SECRETS_TEXT:
            assert secret not in flat, secret
    for where, data in _everything(pdf):
        for secret in SECRETS_TEXT:
            for needle in _encodings(secret):
                assert needle not in data, f"{secret!r} in {where}"
    # the masked forms are there (last four kept), and the dossier still verifies
    assert "*******5678" in text
    assert cli("verify-dossier", str(out)).code == 0


def test_redacted_dossier_says_so_and_blacks_out_or_withholds_images(redacted: Path) -> None:
    from evidence_locker.ocr import engine_installed

    out = redacted
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    cover = "".join(reader.pages[0].extract_text().split())
    assert "Redacted" in cover and "phonenumbers" in cover
    images = [image for page in reader.pages for image in page.images]
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    if not engine_installed():  # never read, so never shown
        assert images == [], "an image was drawn in a redacted dossier"
        assert "Withheldexhibits" in text or "withheld" in text.lower()
    else:  # read when attached: shown only as a blacked-out copy (issue 19)
        from evidence_locker.ocr import read_image

        assert len(images) == 1 and "Redactedcopy" in text
        shown = "".join(read_image(images[0].data).text.split())
        for secret in SECRETS:
            assert secret not in shown, secret
    proofs = json.loads(reader.attachments["evidence-locker-proofs.json"][0])
    sha = next(
        e["revealed"]["sha256"]["value"]
        for e in proofs["entries"]
        if e["header"]["kind"] == "attachment"
    )
    assert sha in text  # the withheld image is listed with its hash
