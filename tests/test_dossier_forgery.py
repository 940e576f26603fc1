"""Issue 13, item 1: forged dossiers must fail ``verify-dossier``.

The attack (``tests/attacks/forge_dossier.py``, written without project code): overlay
invented text on a page, drop and reorder records in the embedded proof file, delete
the dossier key endorsement, re-sign the whole file with a fresh self-signed key.
Before the fix that file verified and printed the genuine locker fingerprint.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader

from evidence_locker.crypto import Signer
from evidence_locker.crypto.pdfsign import dossier_public_key
from evidence_locker.ledger.checkpoint import fingerprint
from evidence_locker.report import PROOFS_NAME, verify_dossier
from tests.report_fixtures import (
    LEDGER_SEED,
    finish,
    make_records,
    render_signed,
)

ATTACK = Path(__file__).parent / "attacks" / "forge_dossier.py"
TZ = ZoneInfo("Asia/Shanghai")
GENUINE_KEY = fingerprint(Signer(LEDGER_SEED).public_key)


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> Path:
    records, bundle = finish(make_records(6))
    path = tmp_path_factory.mktemp("forgery") / "genuine.pdf"
    path.write_bytes(render_signed(records, bundle))
    assert verify_dossier(path.read_bytes()).ok
    return path


def forge(genuine: Path, out: Path, *extra: str) -> bytes:
    subprocess.run([sys.executable, str(ATTACK), str(genuine), str(out), *extra], check=True)
    return out.read_bytes()


def test_the_reported_forgery_fails(cli, genuine: Path, tmp_path: Path) -> None:
    forged = forge(genuine, tmp_path / "forged.pdf")
    # the forgery is well made: one signature over every byte, genuine tree head
    from pyhanko.pdf_utils.reader import PdfFileReader

    assert len(PdfFileReader(io.BytesIO(forged)).embedded_signatures) == 1
    assert PdfReader(io.BytesIO(forged)).attachments[PROOFS_NAME]
    report = verify_dossier(forged)
    assert not report.ok
    assert report.signed and not report.endorsed
    assert any("not endorsed" in m for m in report.messages), report.messages
    r = cli("verify-dossier", str(tmp_path / "forged.pdf"))
    assert r.code == 1
    assert "dossier verified" not in r.out + r.err
    assert "not endorsed" in r.err


def test_forgery_keeping_the_endorsement_fails(genuine: Path, tmp_path: Path) -> None:
    """The genuine note names the genuine dossier key, not the forger's."""
    report = verify_dossier(forge(genuine, tmp_path / "f.pdf", "--keep-note"))
    assert not report.ok and not report.endorsed
    assert any("another key" in m for m in report.messages), report.messages


def test_missing_endorsement_is_a_failure() -> None:
    records, bundle = finish(make_records(4), endorse=False)
    report = verify_dossier(render_signed(records, bundle))
    assert not report.ok and report.signed and not report.endorsed
    assert any("not endorsed" in m for m in report.messages)


def test_re_rendered_page_fails_and_names_the_record() -> None:
    """A page that shows another text than the record's proof fails, even when the
    file is signed by the endorsed key (the renderer itself is not trusted)."""
    records, bundle = finish(make_records(6))
    shown = [
        replace(r, content="INVENTED: no threat was made") if r.record_id == "rec-00003" else r
        for r in records
    ]
    report = verify_dossier(render_signed(shown, bundle))
    assert not report.ok and report.signed and report.endorsed
    assert "rec-00003" in report.failed_records
    bad = [m for m in report.messages if "rec-00003" in m]
    assert bad and "content" in bad[0] and "E-" in bad[0], report.messages


def test_page_showing_a_record_without_proof_fails() -> None:
    """Drop one record's proof from the bundle but keep its page: named."""
    records, bundle = finish(make_records(5, with_correction=False))
    thin = dict(bundle)
    thin["entries"] = [e for e in bundle["entries"] if e["header"]["record_id"] != "rec-00002"]
    pdf = render_signed(records, thin)
    report = verify_dossier(pdf)
    assert not report.ok
    assert any("rec-00002" in m for m in report.messages), report.messages


def test_content_overlaid_after_signing_fails(genuine: Path) -> None:
    """An incremental update that draws over a page is a change to signed content."""
    pdf = genuine.read_bytes()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    from pyhanko.pdf_utils import generic

    overlay = generic.StreamObject(stream_data=b"q 1 1 1 rg 40 380 520 200 re f Q")
    writer.add_stream_to_page(3, writer.add_object(overlay))
    out = io.BytesIO()
    writer.write(out)
    report = verify_dossier(out.getvalue())
    assert not report.ok
    assert any("signature" in m for m in report.messages), report.messages


def test_cover_fingerprint_is_the_one_checked(monkeypatch) -> None:
    """A forger with their own locker prints the victim's fingerprint on the cover;
    everything else is consistent with the forger's key. The cover is read back."""
    from evidence_locker.report import cover as cover_module

    forger_ledger = Signer(b"\x05" * 32)
    forger_dossier = b"\x06" * 32
    records, bundle = finish(make_records(3, with_correction=False), endorse=False)
    # re-sign the bundle's head and endorsement with the forger's ledger key
    from tests.report_fixtures import render_signed, resign_bundle

    bundle = resign_bundle(bundle, forger_ledger, dossier_public_key(forger_dossier))
    honest = verify_dossier(render_signed(records, bundle, seed=forger_dossier))
    assert honest.ok, honest.messages  # a consistent dossier of the forger's own locker
    real = fingerprint(forger_ledger.public_key)
    monkeypatch.setattr(
        cover_module,
        "fingerprint",
        lambda key: GENUINE_KEY if fingerprint(key) == real else fingerprint(key),
    )
    pdf = render_signed(records, bundle, seed=forger_dossier)
    assert GENUINE_KEY.replace(" ", "") in "".join(
        PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split()
    )
    report = verify_dossier(pdf)
    assert not report.ok
    assert report.fingerprint == real
    assert any("cover" in m for m in report.messages), report.messages


def test_expect_key_pins_the_locker(cli, genuine: Path) -> None:
    path = str(genuine)
    ok = cli("verify-dossier", path, "--expect-key", GENUINE_KEY)
    assert ok.code == 0, ok.err
    assert "matches" in ok.out and "self-consistent" not in ok.out
    # the key as people copy it: no spaces, upper case, or the full SHA-256
    full = Signer(LEDGER_SEED).public_key
    import hashlib

    assert (
        cli("verify-dossier", path, "--expect-key", GENUINE_KEY.replace(" ", "").upper()).code == 0
    )
    assert cli("verify-dossier", path, "--expect-key", hashlib.sha256(full).hexdigest()).code == 0
    other = fingerprint(Signer(b"\x09" * 32).public_key)
    wrong = cli("verify-dossier", path, "--expect-key", other)
    assert wrong.code == 1
    assert GENUINE_KEY in wrong.err and other in wrong.err
    bad = cli("verify-dossier", path, "--expect-key", "12ab")
    assert bad.code == 2 and "--expect-key" in bad.err
    js = json.loads(cli("verify-dossier", path, "--json", "--expect-key", GENUINE_KEY).out)
    assert js["ok"] and js["key_matches_expected"] is True


def test_without_expect_key_only_self_consistent(cli, genuine: Path) -> None:
    r = cli("verify-dossier", str(genuine))
    assert r.code == 0
    assert "only self-consistent" in r.out
    assert GENUINE_KEY in r.out and "--expect-key" in r.out
    zh = cli("--lang", "zh", "verify-dossier", str(genuine))
    assert zh.code == 0
    assert "仅能证明" in zh.out and GENUINE_KEY in zh.out
    js = json.loads(cli("verify-dossier", str(genuine), "--json").out)
    assert js["ok"] and js["key_matches_expected"] is None
