"""What restore checks in one pass, and what only the full check (``verify``) sees.

A backup is a faithful, authenticated copy of the locker as it was; these tests damage
the LOCKER before the backup (the backup then carries the damage under a valid key)
and show which check names it: the quick one that restore runs, or the full one that
``backup --verify`` runs and ``restore`` runs with ``full_verify``.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.care import backup
from evidence_locker.errors import IntegrityError
from evidence_locker.locker import Locker
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft

from .conftest import PASSPHRASE, SHANGHAI

WHEN = datetime(2025, 2, 1, 9, 30, tzinfo=SHANGHAI)


def fill(locker: Locker, n: int, files: int = 0) -> None:
    """``n`` records; the first ``files`` of them carry one small attachment each."""
    locker.log_batch(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=WHEN + timedelta(minutes=i),
            address="95577",
            content=f"第{i}条 催收 message {i}",
            attachments=[AttachmentDraft(name=f"p{i}.jpg", data=os.urandom(3000 + i))]
            if i < files
            else [],
        )
        for i in range(n)
    )


def tamper(path: Path, sql: str) -> None:
    """Change the database as an attacker or a bad disk would: the append-only
    triggers are dropped for the change and put back."""
    conn = sqlite3.connect(path / "locker.db")
    with conn:
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        saved = triggers.fetchall()
        for name, _ in saved:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute(sql)
        for _, create in saved:
            conn.execute(create)
    conn.close()


def backup_of(path: Path, dest: Path) -> Path:
    with Locker.open(path, passphrase=PASSPHRASE) as locker:
        backup.create_backup(locker, dest)
    return dest


def test_many_blobs_restore_with_quick_and_full_checks(locker: Locker, tmp_path: Path) -> None:
    fill(locker, 60, files=45)  # more files than the fsync worker keeps open at once
    head = locker.head()
    file = tmp_path / "b.elb"
    backup.create_backup(locker, file)
    quick = backup.verify_backup(file, passphrase=PASSPHRASE, full=False)
    full = backup.verify_backup(file, passphrase=PASSPHRASE)
    assert quick.ok and full.ok and quick.blobs == full.blobs == 45
    for i, full_verify in enumerate((False, True)):
        target = tmp_path / f"r{i}"
        info = backup.restore_backup(file, target, passphrase=PASSPHRASE, full_verify=full_verify)
        assert info.ok and info.head == head and info.blobs == 45
        with Locker.open(target, passphrase=PASSPHRASE) as copy:
            assert copy.head() == head and copy.verify().ok and copy.verify_blobs() == []
            assert sorted(copy.blobs.ids()) == sorted(locker.blobs.ids())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".elb-")]


@pytest.mark.parametrize(
    "sql, what",
    [
        # a stored leaf changed: the tree no longer gives the signed root
        ("UPDATE entry SET leaf = zeroblob(32) WHERE seq = 3", "verify.head_mismatch"),
        # an attachment entry's sealed fields replaced by another entry's
        (
            "UPDATE entry SET sealed = (SELECT sealed FROM entry WHERE seq = 0)"
            " WHERE seq = (SELECT min(seq) FROM entry WHERE kind = 'attachment')",
            "verify.tampered",
        ),
        # the signed head replaced by something unsigned
        ("UPDATE meta SET value = 'not a note' WHERE key = 'head'", "verify.head_signature"),
        # an entry gone
        ("DELETE FROM entry WHERE seq = 2", "verify.missing"),
    ],
)
def test_restore_refuses_a_backup_of_a_damaged_ledger(
    locker: Locker, tmp_path: Path, sql: str, what: str
) -> None:
    fill(locker, 6, files=2)
    locker.close()
    tamper(locker.path, sql)
    file = backup_of(locker.path, tmp_path / "b.elb")
    report = backup.verify_backup(file, passphrase=PASSPHRASE, full=False)
    assert what in [w for w, _ in report.problems]
    with pytest.raises(IntegrityError) as err:
        backup.restore_backup(file, tmp_path / "target", passphrase=PASSPHRASE)
    assert err.value.key == "backup.damaged"
    assert not (tmp_path / "target").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".elb-")]


def test_damage_only_the_full_check_sees(locker: Locker, tmp_path: Path) -> None:
    """A record's sealed fields swapped for another's, in the locker, before the backup:
    the tree and the signed head are intact, so only recomputing that leaf finds it."""
    fill(locker, 6)
    locker.close()
    tamper(
        locker.path,
        "UPDATE entry SET sealed = (SELECT sealed FROM entry WHERE seq = 1) WHERE seq = 4",
    )
    with Locker.open(locker.path, passphrase=PASSPHRASE) as original:
        damaged = [(p.seq, p.what) for p in original.verify().problems]
    assert damaged == [(4, "verify.tampered")]
    file = backup_of(locker.path, tmp_path / "b.elb")

    full = backup.verify_backup(file, passphrase=PASSPHRASE)  # backup --verify: full
    assert [w for w, _ in full.problems] == ["verify.tampered"]
    with pytest.raises(IntegrityError):
        backup.restore_backup(file, tmp_path / "strict", passphrase=PASSPHRASE, full_verify=True)
    assert not (tmp_path / "strict").exists()

    # The quick restore copies the locker as it was, damage included, and no worse.
    backup.restore_backup(file, tmp_path / "copy", passphrase=PASSPHRASE)
    with Locker.open(tmp_path / "copy", passphrase=PASSPHRASE) as copy:
        assert [(p.seq, p.what) for p in copy.verify().problems] == damaged


def test_a_damaged_blob_in_the_locker_is_named_by_restore(locker: Locker, tmp_path: Path) -> None:
    fill(locker, 3, files=2)
    blob_id = sorted(locker.blobs.ids())[0]
    path = locker.blobs.path(blob_id)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x40
    path.write_bytes(bytes(data))
    file = tmp_path / "b.elb"
    backup.create_backup(locker, file)  # the backup copies what is there
    report = backup.verify_backup(file, passphrase=PASSPHRASE, full=False)
    assert report.problems == [("backup.blob_bad", {"attachment": blob_id[:8]})]
    assert report.blobs == 2  # the next blob was still read and checked
    with pytest.raises(IntegrityError):
        backup.restore_backup(file, tmp_path / "target", passphrase=PASSPHRASE)
    assert not (tmp_path / "target").exists()


def test_cli_restore_full_verify(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    cli("log", "sms", "--number", "95577", "--content", "备份前的记录")
    target = tmp_path / "b.elb"
    assert cli("backup", str(target)).code == 0
    r = cli("restore", str(target), "--locker", str(tmp_path / "restored"), "--full-verify")
    assert r.code == 0, r.err
    again = cli("--locker", str(tmp_path / "restored"), "list", "--json")
    assert "备份前的记录" in again.out
