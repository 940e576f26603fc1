"""``evidence-locker import`` end to end: idempotent, provable, all or nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from .conftest import SHARED, records

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def test_sms_backup_twice_and_overlapping_adds_nothing_new(ready) -> None:  # type: ignore[no-untyped-def]
    first = json.loads(ready("import", str(FIXTURES / "sms_backup_zh.xml"), "--json").out)
    assert first["format"] == "sms-backup" and first["read"] == 13
    assert first["imported"] == 11 and len(first["rejected"]) == 2
    count = len(records(ready))
    again = json.loads(ready("import", str(FIXTURES / "sms_backup_zh.xml"), "--json").out)
    assert again["imported"] == 0 and again["duplicates"] == 11
    overlap = json.loads(ready("import", str(FIXTURES / "sms_backup_overlap.xml"), "--json").out)
    assert overlap["duplicates"] >= 1 and overlap["imported"] == 3 - overlap["duplicates"]
    assert len(records(ready)) == count + overlap["imported"]
    assert ready("verify").code == 0


def test_provenance_names_the_file_its_hash_and_the_entry(ready) -> None:  # type: ignore[no-untyped-def]
    path = FIXTURES / "calls_zh.xml"
    assert ready("import", str(path), "--org", "XX农商银行").code == 0
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    data = records(ready)
    assert len(data) == 9
    for r in data:
        assert r["organisation"] == "XX农商银行"
        assert r["source"]["file_sha256"] == digest and r["source"]["file_name"] == path.name
        assert r["source"]["entry"] and r["source"]["fingerprint"]
        assert r["channel"] == "call"
    assert {r["outcome"] for r in data} >= {"connected", "missed"}


def test_dry_run_writes_nothing(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready("import", str(FIXTURES / "calls_zh.xml"), "--dry-run")
    assert r.code == 0 and "would import 9" in r.out
    assert records(ready) == []


def test_filters_count_what_they_skip(ready) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(
        ready("import", str(FIXTURES / "calls_zh.xml"), "--only-from", "95577", "--json").out
    )
    assert out["imported"] >= 1 and out["filtered"] == 9 - out["imported"]
    assert {r["address"] for r in records(ready)} == {"95577"}


def test_email_attachments_are_kept_and_extractable(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(ready("import", str(FIXTURES / "mailbox.mbox"), "--json").out)
    assert out["imported"] == 3 and out["attachments"] >= 3
    with_files = [r for r in records(ready) if r["attachments"]]
    assert with_files
    rid = with_files[0]["id"]
    assert ready("extract", rid[:8], "--to", str(tmp_path / "x")).code == 0
    extracted = {p.name: p.read_bytes() for p in (tmp_path / "x").iterdir()}
    for att in with_files[0]["attachments"]:
        name = att["name"].split("/")[-1]
        assert hashlib.sha256(extracted[name]).hexdigest() == att["sha256"]


def test_csv_with_a_column_map(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready(
        "import",
        str(FIXTURES / "sms_export_utf8bom.csv"),
        "--format",
        "csv",
        "--map",
        "时间=occurred_at,对方号码=address,联系人=counterpart,内容=content,类型=direction",
        "--channel",
        "sms",
        "--json",
    )
    assert r.code == 0, r.err
    data = records(ready)
    assert any(d["content"] == "再不还钱\n我们就去你老家" for d in data)


def test_missing_mapped_column_is_a_clear_error(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready(
        "import",
        str(FIXTURES / "sms_export_utf8bom.csv"),
        "--format",
        "csv",
        "--map",
        "不存在的列=occurred_at,对方号码=address",
    )
    assert r.code in (1, 2) and "sms_export_utf8bom.csv" in r.err and "不存在的列" in r.err
    assert records(ready) == []


def test_truncated_backup_imports_nothing_and_names_the_line(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    whole = (FIXTURES / "sms_backup_zh.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole[: int(len(whole) * 0.8)])
    r = ready("import", str(cut))
    assert r.code == 1 and "cut.xml" in r.err and "line" in r.err
    assert "Traceback" not in r.err
    assert records(ready) == []
    assert ready("verify").code == 0


@pytest.mark.parametrize("junk", [b"", b"\x00\x01\x02binary", b"just some text\n"])
def test_a_non_export_file_is_refused(ready, tmp_path: Path, junk: bytes) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "notes.txt"
    f.write_bytes(junk)
    r = ready("import", str(f))
    assert r.code in (1, 2) and "notes.txt" in r.err
    assert ready("import", str(tmp_path / "missing.xml")).code == 1


@pytest.mark.skipif(not (SHARED / "real-exports").is_dir(), reason="../shared not present")
def test_real_exports_import_and_verify(ready) -> None:  # type: ignore[no-untyped-def]
    real = SHARED / "real-exports"
    total = 0
    for path in sorted(real.iterdir()):
        if path.suffix in (".md",):
            continue
        r = ready("import", str(path), "--json")
        if "TRUNCATED" in path.name:
            assert r.code == 1 and "line" in r.err
            continue
        assert r.code == 0, (path.name, r.err)
        total += json.loads(r.out)["imported"]
    assert len(records(ready)) == total
    assert ready("verify").code == 0
