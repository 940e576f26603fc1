"""verify_dossier on real dossiers and on tampered copies of them."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader, PdfWriter

from evidence_locker.crypto import Signer
from evidence_locker.crypto.pdfsign import dossier_public_key
from evidence_locker.report import (
    PROOFS_NAME,
    open_endorsement,
    sign_endorsement,
    verify_dossier,
)
from tests.report_fixtures import (
    DOSSIER_SEED,
    ORIGIN,
    finish,
    make_records,
    render_signed,
)

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def good() -> tuple[list, dict, bytes]:
    records, bundle = finish(make_records(6))
    return records, bundle, render_signed(records, bundle)


def _embedded(pdf: bytes) -> dict:
    return json.loads(PdfReader(io.BytesIO(pdf)).attachments[PROOFS_NAME][0])


def _reembed(pdf: bytes, data: dict) -> bytes:
    """What a forger without the dossier key can do: copy the pages, swap the data."""
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        writer.add_page(page)
    writer.add_attachment(PROOFS_NAME, json.dumps(data, ensure_ascii=False).encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_good_dossier_verifies(good) -> None:
    _, bundle, pdf = good
    report = verify_dossier(pdf)
    assert report.ok, report.messages
    assert report.signed and report.endorsed
    assert report.tree_size == bundle["tree_size"] == 8  # 7 versions and one attachment
    assert report.records_verified == 8
    assert report.originals_verified == 0  # the fixture gives no file bytes
    assert report.fingerprint and len(report.fingerprint.split()) == 8
    assert report.dossier_id and report.dossier_id.startswith("EL-")
    assert "dossier verified" in report.messages[0]
    zh = verify_dossier(pdf, lang="zh")
    assert zh.ok and "材料核验通过" in zh.messages[0]


def test_changed_record_text_is_named(good) -> None:
    _, _, pdf = good
    data = _embedded(pdf)
    target = next(e for e in data["entries"] if e["header"]["record_id"] == "rec-00003")
    target["revealed"]["content"]["value"] += " (edited)"
    report = verify_dossier(_reembed(pdf, data))
    assert not report.ok
    assert "rec-00003" in report.failed_records
    assert any("rec-00003" in m and "E-" in m for m in report.messages), report.messages
    assert any("signature" in m for m in report.messages)


def test_dropped_entry_is_named(good) -> None:
    _, _, pdf = good
    data = _embedded(pdf)
    data["entries"] = [e for e in data["entries"] if e["header"]["record_id"] != "rec-00002"]
    report = verify_dossier(_reembed(pdf, data))
    assert not report.ok
    assert "rec-00002" in report.failed_records
    assert any("rec-00002" in m and "no proof" in m for m in report.messages)


def test_any_flipped_byte_fails(good) -> None:
    _, _, pdf = good
    rng = random.Random(4)
    # the signature's own /Contents gap, its edges, the start and the end, and random bytes
    sig_at = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    sig_end = pdf.index(b">", sig_at)
    assert set(pdf[sig_end - 40 : sig_end]) == {ord("0")}  # zero padding, outside the digest
    positions = {0, 1, len(pdf) - 1, len(pdf) - 2, sig_at, sig_at + 200, sig_end - 3}
    positions |= {rng.randrange(len(pdf)) for _ in range(40)}
    for pos in sorted(p for p in positions if p < len(pdf)):
        bad = bytearray(pdf)
        bad[pos] = (bad[pos] + 1) % 256
        assert not verify_dossier(bytes(bad)).ok, f"byte {pos} changed and still verified"
    assert not verify_dossier(pdf + b"\n%extra\n").ok
    assert not verify_dossier(pdf[:-10]).ok


def test_signed_by_another_key_fails_endorsement(good) -> None:
    records, bundle, _ = good
    forged = render_signed(records, bundle, seed=b"\x07" * 32)
    report = verify_dossier(forged)
    assert not report.ok and report.signed and not report.endorsed
    assert any("another key" in m for m in report.messages)


def test_endorsement_note_roundtrip_and_rejections() -> None:
    ledger = Signer(bytes(range(32)))
    key = dossier_public_key(DOSSIER_SEED)
    note = sign_endorsement(ledger, ORIGIN, key)
    assert note.startswith("evidence-locker dossier key\n" + ORIGIN + "\n")
    assert open_endorsement(note, ORIGIN, ledger.public_key) == key
    with pytest.raises(ValueError):
        open_endorsement(note, "other-origin", ledger.public_key)
    with pytest.raises(ValueError):
        open_endorsement(note, ORIGIN, Signer(b"\x01" * 32).public_key)
    with pytest.raises(ValueError):
        open_endorsement(note.replace(ORIGIN + "\n", ORIGIN + "x\n", 1), ORIGIN, ledger.public_key)


@pytest.mark.parametrize("junk", [b"", b"%PDF-1.7\n", b"not a pdf at all" * 50])
def test_garbage_never_raises(junk: bytes) -> None:
    report = verify_dossier(junk)
    assert not report.ok and report.messages


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils not installed")
def test_poppler_validates_the_signature(good, tmp_path) -> None:
    """A standard PDF signature: an independent implementation accepts it."""
    _, _, pdf = good
    path = tmp_path / "d.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Total document signed" in out
    assert "Signature is Valid" in out
    bad = bytearray(pdf)
    bad[len(pdf) // 3] ^= 0x01
    path.write_bytes(bytes(bad))
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" not in out
