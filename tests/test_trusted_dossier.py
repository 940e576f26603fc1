"""Trusted time in the dossier: tokens and a document time-stamp, read back, verified
offline, checked with OpenSSL alone exactly as docs/dossier.md says, and broken."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import shared_cli
from tests.tsa_server import Behaviour, unused_port

ROOT = Path(__file__).resolve().parents[1]


def _log(cli, n: int, day: int = 9) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        r = cli(
            "log", "sms", "--at", f"2025-02-{day:02d} 18:4{i}", "--from", "95577",
            "--content", f"还款通知 {i} pay now",
        )  # fmt: skip
        assert r.code == 0, r.err


@pytest.fixture
def with_tsa(cli, tsa, tsa_pki):  # type: ignore[no-untyped-def]
    """A new locker with the local TSA added as "freetsa"; returns the server."""
    assert cli("init").code == 0
    assert cli("tsa", "add", "freetsa", tsa.url, "--root", str(tsa_pki.root_path)).code == 0
    return tsa


@pytest.fixture(scope="module")
def dossier(tsa_pki, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """Two stamps (entries 1-2, then 1-3 at export) and a document time-stamp. Built
    once for this module: its tests only read it, or change a copy."""
    from tests.tsa_server import TsaServer

    work = tmp_path_factory.mktemp("trusted-dossier")
    with TsaServer(tsa_pki) as tsa, shared_cli(work) as cli:
        assert cli("init").code == 0
        assert cli("tsa", "add", "freetsa", tsa.url, "--root", str(tsa_pki.root_path)).code == 0
        _log(cli, 2)
        assert cli("stamp").code == 0
        _log(cli, 1, day=10)
        out = work / "dossier.pdf"
        r = cli("export", "pdf", "-o", str(out))
    assert r.code == 0, r.err
    assert "warning" not in r.err
    return out


def test_the_dossier_carries_tokens_and_a_document_timestamp(dossier: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from evidence_locker.crypto.pdf_timestamp import document_timestamps
    from evidence_locker.report.pdfio import PROOFS_NAME, read_attachment

    pdf = dossier.read_bytes()
    bundle = json.loads(read_attachment(pdf, PROOFS_NAME) or b"{}")
    stamps = bundle["timestamps"]
    assert [s["size"] for s in stamps] == [2, 3]
    assert stamps[-1]["checkpoint"] == bundle["checkpoint"]  # the dossier's own head
    assert list(bundle["tsa_roots"]) == ["freetsa"]
    [doc] = document_timestamps(pdf)
    assert doc.whole_file
    text = subprocess.run(["pdftotext", str(dossier), "-"], capture_output=True, text=True).stdout
    assert "Trusted time" in text
    assert re.search(r"ledger entries 1-2 existed no later than", text)
    assert re.search(r"ledger entry 3 existed no later than", text)
    assert text.count("any backdating is at most that") == 3
    sig = subprocess.run(["pdfsig", str(dossier)], capture_output=True, text=True).stdout
    assert "EvidenceLockerDossier" in sig and "EvidenceLockerTimestamp" in sig
    assert "Total document signed" in sig
    r = cli("verify-dossier", str(dossier))
    assert r.code == 0, r.err
    assert re.search(r"entries 1-2 existed no later than .* UTC \(freetsa; TSA root SHA-256", r.out)
    assert "entry 3 existed no later than" in r.out
    assert "the signed PDF was time-stamped at" in r.out
    assert "roots above are the ones the dossier lists" in r.out
    data = json.loads(cli("verify-dossier", str(dossier), "--json").out)
    assert data["ok"] and data["trusted_time"]["ok"]
    assert [x["last"] for x in data["trusted_time"]["ranges"]] == [2, 3]


def _expert_lines() -> list[str]:
    doc = (ROOT / "docs" / "dossier.md").read_text(encoding="utf-8")
    block = doc.split("<!-- expert-check")[1].split("<!-- /expert-check -->")[0]
    body = block.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in body.splitlines() if line.strip()]


def test_an_expert_checks_a_token_with_openssl_alone(dossier: Path, tmp_path: Path) -> None:
    """The commands of docs/dossier.md, run as they are written."""
    work = tmp_path / "expert"
    work.mkdir()
    shutil.copy(dossier, work / "dossier.pdf")
    lines = _expert_lines()
    assert lines[0].startswith("pdfdetach") and lines[-1].startswith("openssl ts -verify")
    outputs = []
    for line in lines:
        proc = subprocess.run(line, shell=True, cwd=work, capture_output=True, text=True)
        assert proc.returncode == 0, (line, proc.stderr)
        outputs.append(proc.stdout)
    assert "Time stamp:" in outputs[1]
    assert "Verification: OK" in outputs[-1]
    # and the same command refuses a checkpoint that was changed by one character
    checkpoint = work / "stamp-1-freetsa-checkpoint.txt"
    checkpoint.write_text(checkpoint.read_text().replace("\n2\n", "\n3\n"))
    proc = subprocess.run(lines[-1], shell=True, cwd=work, capture_output=True, text=True)
    assert proc.returncode != 0 and "Verification: OK" not in proc.stdout


def test_pinned_roots_decide_and_a_stranger_root_fails(dossier: Path, cli, tsa_pki) -> None:  # type: ignore[no-untyped-def]
    r = cli("verify-dossier", str(dossier), "--tsa-root", str(tsa_pki.root_path))
    assert r.code == 0 and "checked against the roots you gave" in r.out
    stranger = tsa_pki.directory / "stranger-root.pem"
    r = cli("verify-dossier", str(dossier), "--tsa-root", str(stranger))
    assert r.code == 1 and "not trusted" in r.err


def test_a_change_after_the_document_timestamp_fails(dossier: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An incremental update appended after the time-stamp (not a time-stamp itself)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(dossier.read_bytes()), strict=False)
    writer.root["/Lang"] = generic.TextStringObject("fr")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(out.getvalue())
    r = cli("verify-dossier", str(edited))
    assert r.code == 1 and "does not cover the whole file" in r.err


def test_export_with_an_unreachable_tsa_warns_and_still_writes(  # type: ignore[no-untyped-def]
    cli, with_tsa, tsa_pki, tmp_path: Path
) -> None:
    _log(cli, 2)
    assert cli("stamp").code == 0
    cli("tsa", "remove", "freetsa")
    url = f"http://127.0.0.1:{unused_port()}/tsr"
    cli("tsa", "add", "gone", url, "--root", str(tsa_pki.root_path))
    out = tmp_path / "d.pdf"
    r = cli("export", "pdf", "-o", str(out))
    assert r.code == 0 and out.exists()
    assert "warning: trusted time: cannot reach" in r.err
    v = cli("verify-dossier", str(out))
    assert v.code == 0, v.err
    assert "entries 1-2 existed no later than" in v.out and "time-stamped at" not in v.out


def test_a_dossier_without_tsas_says_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    _log(cli, 1)
    out = tmp_path / "d.pdf"
    assert cli("export", "pdf", "-o", str(out)).code == 0
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "No RFC 3161 time-stamp covers these records" in " ".join(text.split())
    v = cli("verify-dossier", str(out))
    assert v.code == 0 and "no trusted time-stamp" in v.out


def test_a_tsa_answering_badly_at_export_adds_nothing_untrusted(  # type: ignore[no-untyped-def]
    cli, with_tsa, tmp_path: Path
) -> None:
    _log(cli, 1)
    with_tsa.behaviour = Behaviour.OTHER_SIGNER
    out = tmp_path / "d.pdf"
    r = cli("export", "pdf", "-o", str(out))
    assert r.code == 0 and r.err.count("warning: trusted time") == 2  # stamp, then document
    from evidence_locker.crypto.pdf_timestamp import document_timestamps

    assert document_timestamps(out.read_bytes()) == []
    assert cli("verify-dossier", str(out)).code == 0


EDITS = [
    (lambda s: s.update(time="2020-01-01T00:00:00+00:00"), "report.trusted.time_mismatch"),
    (lambda s: s.update(consistency=[]), "report.trusted.inconsistent"),
    (
        lambda s: s.update(checkpoint=s["checkpoint"].replace("\n2\n", "\n1\n")),
        "stamp.note_signature",
    ),
    (lambda s: s.update(token=s["token"][:40]), "tsa.token.malformed"),
    (lambda s: s.update(tsa="unlisted"), "tsa.token.untrusted"),
]


def test_each_altered_stamp_in_a_bundle_is_named(dossier: Path) -> None:
    """What the signature keeps out is checked anyway: a bundle edited by the keys'
    holder (who could re-sign) still cannot carry a stamp that does not hold."""
    from evidence_locker.report.pdfio import PROOFS_NAME, read_attachment
    from evidence_locker.report.trusted_time import check_trusted_time

    pdf = dossier.read_bytes()
    original = read_attachment(pdf, PROOFS_NAME) or b"{}"
    assert check_trusted_time(json.loads(original), pdf).ok
    for edit, problem in EDITS:
        data = json.loads(original)
        edit(data["timestamps"][0])
        report = check_trusted_time(data, pdf)
        assert not report.ok and report.stamps[0].problem == problem, problem
        assert [c.size for c in report.covers] == [3]  # the intact stamp still counts


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def test_hostile_stamp_items_never_raise_and_never_count(dossier: Path) -> None:
    """Any JSON in place of a stamp's field, a whole stamp, the roots or the entries: a
    finding, not an exception, and never a trusted time the intact tokens do not give."""
    from evidence_locker.report.pdfio import PROOFS_NAME, read_attachment
    from evidence_locker.report.trusted_time import check_trusted_time

    pdf = dossier.read_bytes()
    original = json.loads(read_attachment(pdf, PROOFS_NAME) or b"{}")
    intact = {(c.size, c.attested_at) for c in check_trusted_time(original, pdf).covers}

    @settings(max_examples=40, deadline=None)
    @example(where="list", key="kind", value=5)  # not a list at all
    @example(where="list", key="kind", value="abc")
    @example(where="roots", key="kind", value=[1])
    @given(
        where=st.sampled_from(["field", "item", "list", "roots", "entries", "header"]),
        key=st.sampled_from(["kind", "tsa", "checkpoint", "size", "time", "token", "consistency"]),
        value=_JSON,
    )
    def attack(where: str, key: str, value: object) -> None:
        data = json.loads(json.dumps(original))
        if where == "field":
            data["timestamps"][0][key] = value
        elif where == "item":
            data["timestamps"][0] = value
        elif where == "list":
            data["timestamps"] = value
        elif where == "entries":
            data["entries"] = value
        elif where == "header":
            data["entries"][0]["header"] = value
        else:
            data["tsa_roots"] = value
        report = check_trusted_time(data, pdf)
        assert {(c.size, c.attested_at) for c in report.covers} <= intact
        garbled = where == "item" or (where == "list" and value)  # empty: no stamps
        if garbled and value != original["timestamps"]:
            assert not report.ok  # a garbled stamp list is a finding, never silence

    attack()
