"""doctor: names what is damaged and what is intact; the intact records can be exported."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.care.doctor import diagnose
from evidence_locker.locker import Locker
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft

from .conftest import PASSPHRASE, SHANGHAI

PAGE = 4096


def build(path: Path, n: int = 300) -> dict[str, str]:
    """A locker with n records of ~600 bytes (many database pages) and two files."""
    contents = {}
    locker, _ = Locker.create(path, PASSPHRASE)
    with locker:
        drafts = [
            ContactDraft(
                channel=Channel.SMS,
                occurred_at=datetime(2025, 1, 1, tzinfo=SHANGHAI) + timedelta(hours=i),
                address="95577",
                content=f"第{i}条 您的账户已逾期 overdue notice {i} " + "x" * 500,
                attachments=[AttachmentDraft(name=f"{i}.jpg", data=bytes([i]) * 5000)]
                if i in (5, 250)
                else [],
            )
            for i in range(n)
        ]
        result = locker.log_batch(drafts)
        for rid, d in zip(result.added, drafts, strict=True):
            contents[rid] = d.content or ""
    assert not (path / "locker.db-wal").exists() or (path / "locker.db-wal").stat().st_size == 0
    return contents


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("doctor") / "locker"
    return path, build(path)


@pytest.fixture
def damaged_copy(pristine, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    src, contents = pristine
    dst = tmp_path / "locker"
    shutil.copytree(src, dst)
    return dst, contents


def keys(report) -> list[tuple[str, str]]:
    return [(f.status, f.key) for f in report.findings]


def test_healthy_locker_is_all_ok(damaged_copy, cli, monkeypatch) -> None:
    path, _ = damaged_copy
    report = diagnose(path, passphrase=PASSPHRASE)
    assert not report.damaged, report.findings
    assert ("ok", "doctor.db_ok") in keys(report) and ("ok", "doctor.blobs_ok") in keys(report)
    monkeypatch.setenv("EVIDENCE_LOCKER_DIR", str(path))
    r = cli("doctor")
    assert r.code == 0 and "all" not in r.err and "[ok] ledger: 302 entries" in r.out


def salvaged(path: Path, out: Path) -> dict[str, str]:
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["locker_id"]
    return {e["id"]: e["fields"]["content"] for e in data["entries"] if e["kind"] == "record"}


@pytest.mark.parametrize("damage", ["truncated", "zeroed_page"])
def test_damaged_database_is_named_and_intact_records_are_exported(
    damaged_copy, tmp_path: Path, damage: str, cli, monkeypatch
) -> None:
    path, contents = damaged_copy
    db = path / "locker.db"
    size = db.stat().st_size
    if damage == "truncated":
        with open(db, "r+b") as f:
            f.truncate(size * 6 // 10 // PAGE * PAGE)
    else:
        page = size // PAGE // 2  # a data page in the middle of the entries
        with open(db, "r+b") as f:
            f.seek(page * PAGE)
            f.write(b"\0" * PAGE)
    out = tmp_path / "salvage.json"
    report = diagnose(path, passphrase=PASSPHRASE, salvage_to=out)
    assert report.damaged
    assert ("damaged", "doctor.db_bad") in keys(report)
    assert report.damaged_seqs  # it names which entries are gone
    assert 0 < report.entries_intact < report.entries_total
    rescued = salvaged(path, out)
    assert len(rescued) >= len(contents) // 3
    for rid, content in rescued.items():  # what comes out is exactly what went in
        assert contents[rid] == content
    assert len(rescued) + len(report.damaged_seqs) >= len(contents)
    # the CLI says the same, in both languages, and exits 1
    monkeypatch.setenv("EVIDENCE_LOCKER_DIR", str(path))
    r = cli("doctor")
    assert r.code == 1 and "[DAMAGED] database" in r.out and "Traceback" not in r.err
    r = cli("--lang", "zh", "doctor")
    assert r.code == 1 and "[已损坏] 数据库" in r.out and "--salvage" in r.err


def test_missing_blob_and_foreign_blob_are_named(damaged_copy, tmp_path: Path) -> None:
    path, _ = damaged_copy
    with Locker.open(path, passphrase=PASSPHRASE) as locker:
        files = [a for r in locker.records() for a in r.attachments]
    assert len(files) == 2
    gone, swapped = files
    locker.blobs.path(gone.id).unlink()
    # a blob from another locker put in under this locker's attachment id, and one
    # copied in under its own id
    other, _ = Locker.create(tmp_path / "other", "another passphrase")
    with other:
        rec = other.log(
            ContactDraft(
                channel=Channel.CALL,
                occurred_at=datetime(2025, 1, 1, tzinfo=SHANGHAI),
                address="10086",
                attachments=[AttachmentDraft(name="call.m4a", data=b"\1" * 5000)],
            )
        )
        foreign = other.blobs.path(rec.attachments[0].id)
        shutil.copy(foreign, locker.blobs.path(swapped.id))
        shutil.copy(foreign, path / "blobs" / foreign.name)
    report = diagnose(path, passphrase=PASSPHRASE)
    assert report.damaged
    bad = {
        f.params["attachment"]: f.params["what"]
        for f in report.findings
        if f.key == "doctor.blob_bad"
    }
    assert bad == {
        gone.id[:8]: "attachments.blob_missing",
        swapped.id[:8]: "attachments.corrupted",
    }
    assert ("ok", "doctor.ledger_ok") in keys(report)  # the records themselves are fine
    orphan = next(f for f in report.findings if f.key == "doctor.orphan")
    assert orphan.status == "warning" and rec.attachments[0].id[:8] in orphan.params["ids"]


def test_leftover_temp_files_are_noted(damaged_copy) -> None:
    path, _ = damaged_copy
    (path / "blobs" / ".tmp-0123456789abcdef.part").write_bytes(b"ciphertext")
    (path / ".elb-0123456789abcdef.db.part").write_bytes(b"snapshot")
    report = diagnose(path, passphrase=PASSPHRASE)
    assert not report.damaged
    temp = next(f for f in report.findings if f.key == "doctor.temp")
    assert temp.status == "warning" and temp.params["n"] == 2


def test_unreadable_key_slots_are_damage_not_a_crash(damaged_copy) -> None:
    path, _ = damaged_copy
    (path / "locker.db").write_bytes(b"\0" * 8192)
    report = diagnose(path, passphrase=PASSPHRASE)
    assert report.damaged
    assert ("damaged", "doctor.unlock_failed") in keys(report)
