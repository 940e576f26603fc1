"""Backups: one encrypted file, verified alone, restored identical, merged without loss."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.care import backup
from evidence_locker.errors import (
    FormatError,
    IntegrityError,
    LockerExists,
    UsageError,
    WrongPassphrase,
)
from evidence_locker.locker import Locker
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft, RecordFilter

from .conftest import PASSPHRASE, SHANGHAI

WHEN = datetime(2025, 2, 1, 9, 30, tzinfo=SHANGHAI)


def draft(i: int, *, files: int = 0, size: int = 0) -> ContactDraft:
    return ContactDraft(
        channel=Channel.SMS,
        occurred_at=WHEN + timedelta(minutes=i),
        address="95577",
        content=f"第{i}条 催收短信 message {i}",
        attachments=[
            AttachmentDraft(name=f"shot-{i}-{k}.png", data=os.urandom(size)) for k in range(files)
        ],
    )


def fill(locker: Locker, n: int, start: int = 0) -> list[str]:
    return [
        locker.log(draft(start + i, files=1 if i % 3 == 0 else 0, size=70_000)).id for i in range(n)
    ]


def state(locker: Locker) -> dict[str, tuple]:
    """Every record version with its content and its files' hashes, by id."""
    out = {}
    for r in locker.records(RecordFilter(all_versions=True, include_deleted=True)):
        out[r.id] = (r.content, r.deleted, tuple(sorted(a.sha256 for a in r.attachments)))
    return out


def test_backup_verify_restore_round_trip(locker: Locker, tmp_path: Path, created) -> None:
    _, recovery = created
    fill(locker, 7)
    head = locker.head()
    file = tmp_path / "usb" / "locker.elb"
    file.parent.mkdir()
    info = backup.create_backup(locker, file)
    assert info.ok and info.size == locker.count() and info.blobs == 3
    assert [p.name for p in file.parent.iterdir()] == ["locker.elb"]  # no temp file left
    assert not [p for p in locker.path.iterdir() if p.name.startswith(".elb-")]
    raw = file.read_bytes()
    assert b"95577" not in raw and "催收".encode() not in raw  # nothing readable

    checked = backup.verify_backup(file, recovery_key=recovery)  # the file and a key, no locker
    assert checked.ok and checked.head == head and checked.blobs == 3

    target = tmp_path / "restored"
    restored = backup.restore_backup(file, target, passphrase=PASSPHRASE)
    assert restored.head == head
    with Locker.open(target, passphrase=PASSPHRASE) as copy:
        assert copy.head() == head
        assert copy.verify().ok and copy.verify_blobs() == []
        assert state(copy) == state(locker)
        rec = next(r for r in copy.records() if r.attachments)
        out = copy.extract(rec.id, tmp_path / "out")
        assert out[0].read_bytes() == locker.read_attachment(rec.attachments[0])


def test_restore_refuses_an_existing_locker_and_a_non_empty_folder(
    locker: Locker, tmp_path: Path
) -> None:
    fill(locker, 2)
    file = tmp_path / "b.elb"
    backup.create_backup(locker, file)
    with pytest.raises(LockerExists):
        backup.restore_backup(file, locker.path, passphrase=PASSPHRASE)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "note.txt").write_text("mine")
    with pytest.raises(UsageError):
        backup.restore_backup(file, busy, passphrase=PASSPHRASE)
    assert [p.name for p in busy.iterdir()] == ["note.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    backup.restore_backup(file, empty, passphrase=PASSPHRASE)
    assert Locker.exists(empty)


def test_existing_backup_is_not_replaced_without_force(locker: Locker, tmp_path: Path) -> None:
    file = tmp_path / "b.elb"
    file.write_bytes(b"older backup")
    with pytest.raises(UsageError):
        backup.create_backup(locker, file)
    assert file.read_bytes() == b"older backup"
    backup.create_backup(locker, file, force=True)
    assert file.read_bytes().startswith(backup.MAGIC)


def test_wrong_keys_and_damaged_files_give_documented_errors(
    locker: Locker, tmp_path: Path, created
) -> None:
    fill(locker, 4)
    file = tmp_path / "b.elb"
    backup.create_backup(locker, file)
    with pytest.raises(WrongPassphrase):
        backup.verify_backup(file, passphrase="not it")
    with pytest.raises(WrongPassphrase):
        backup.verify_backup(file, recovery_key="AAAA-" * 7 + "AAAA")
    data = file.read_bytes()
    key = created[1]
    bad = tmp_path / "bad.elb"
    for mutated, error in [
        (data[: len(data) // 2], IntegrityError),  # an interrupted copy
        (data[:-1], IntegrityError),
        (data + b"\0", IntegrityError),
        (data[:-200] + bytes([data[-200] ^ 1]) + data[-199:], IntegrityError),
        (b"PK\x03\x04" + data[4:], FormatError),
        (data[:10], IntegrityError),
    ]:
        bad.write_bytes(mutated)
        with pytest.raises(error):
            backup.verify_backup(bad, recovery_key=key)
        with pytest.raises(error):
            backup.restore_backup(bad, tmp_path / "never", recovery_key=key)
        assert not (tmp_path / "never").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".elb-")]


def test_header_cannot_be_edited_without_the_payload_failing(
    locker: Locker, tmp_path: Path, created
) -> None:
    file = tmp_path / "b.elb"
    backup.create_backup(locker, file)
    data = file.read_bytes()
    # change the creation date in the clear header: still unlocks, payload must fail
    year = data.index(b'"created_at":"') + len(b'"created_at":"')
    edited = data[:year] + b"1999" + data[year + 4 :]
    (tmp_path / "e.elb").write_bytes(edited)
    with pytest.raises(IntegrityError):
        backup.verify_backup(tmp_path / "e.elb", recovery_key=created[1])


def test_restore_older_then_merge_newer_keeps_everything(locker: Locker, tmp_path: Path) -> None:
    fill(locker, 3)
    old = tmp_path / "old.elb"
    backup.create_backup(locker, old)
    fill(locker, 4, start=10)
    victim = locker.records()[0]
    locker.correct(victim.id, reason="typo", changes={"content": "corrected 更正"})
    locker.delete(locker.records()[1].id, reason="duplicate")
    new = tmp_path / "new.elb"
    backup.create_backup(locker, new)

    target = tmp_path / "phone-2"
    backup.restore_backup(old, target, passphrase=PASSPHRASE)
    with Locker.open(target, passphrase=PASSPHRASE) as copy:
        result = backup.merge_backup(copy, new)
        assert result.records == 4 and result.merge_entry
        assert copy.verify().ok and copy.verify_blobs() == []
        assert state(copy) == state(locker)
        assert copy.get(victim.id).latest.content == "corrected 更正"
        again = backup.merge_backup(copy, new)  # idempotent: nothing twice, no empty merge
        assert again.added == 0 and again.merge_entry is None


def test_merge_of_two_diverged_copies_is_a_union(locker: Locker, tmp_path: Path) -> None:
    first = fill(locker, 4)
    snap = tmp_path / "snap.elb"
    backup.create_backup(locker, snap)
    other_dir = tmp_path / "laptop"
    backup.restore_backup(snap, other_dir, passphrase=PASSPHRASE)

    here_new = fill(locker, 3, start=100)  # this side moves on
    locker.correct(first[0], reason="wrong number", changes={"address": "95588"})
    with Locker.open(other_dir, passphrase=PASSPHRASE) as other:  # so does the other
        there_new = fill(other, 2, start=200)
        other.delete(first[1], reason="logged twice")
        target = other.add_case("招商银行 credit card")
        fixed = other.correct(first[2], reason="case", changes={"case": target.id})
        there = tmp_path / "there.elb"
        backup.create_backup(other, there)
        there_state = state(other)

    here_state = state(locker)
    result = backup.merge_backup(locker, there)
    assert result.records == 2 and result.blobs_added == 1
    merged = state(locker)
    assert set(here_state) | set(there_state) == set(merged)  # no record lost, either side
    assert merged[first[1]][1] is True  # the other side's tombstone applies here
    assert locker.get(first[2]).latest.id == fixed.id
    assert locker.get(first[2]).latest.case == "招商银行 credit card"
    assert locker.get(first[0]).latest.address is not None
    assert {*here_new, *there_new} <= set(merged)
    report = locker.verify()
    assert report.ok and locker.verify_blobs() == []
    # the ledger says what was merged: the last entry is the merge, with the backup's head
    with locker.engine.connect() as conn:
        last = list(locker.ledger.rows(conn))[-1]
        assert last.kind == "merge"
        assert locker.ledger.decode(last).value("backup_head").startswith("evidence-locker/")
    # corrections and tombstones still work on merged records afterwards
    locker.correct(there_new[0], reason="after merge", changes={"content": "again 再次"})
    locker.delete(there_new[1], reason="after merge")
    assert locker.verify().ok


def test_merge_refuses_another_lockers_backup(locker: Locker, tmp_path: Path) -> None:
    stranger, _ = Locker.create(tmp_path / "stranger", "other pass")
    with stranger:
        file = tmp_path / "s.elb"
        backup.create_backup(stranger, file)
    before = locker.head()
    with pytest.raises(UsageError):
        backup.merge_backup(locker, file)
    assert locker.head() == before


def test_merge_puts_back_a_missing_blob(locker: Locker, tmp_path: Path) -> None:
    fill(locker, 3)
    file = tmp_path / "b.elb"
    backup.create_backup(locker, file)
    info = next(r for r in locker.records() if r.attachments).attachments[0]
    locker.blobs.path(info.id).unlink()
    assert locker.verify_blobs()
    result = backup.merge_backup(locker, file)
    assert result.blobs_repaired == 1 and result.added == 0
    assert locker.verify_blobs() == []


def test_cli_backup_verify_restore_merge(cli, locker: Locker, tmp_path: Path) -> None:
    fill(locker, 2)
    locker.close()
    file = tmp_path / "b.elb"
    r = cli("backup", str(file))
    assert r.code == 0 and "backup written" in r.out, r
    r = cli("backup", "--verify", str(file))
    assert r.code == 0 and "backup OK" in r.out and "root" in r.out
    r = cli("--lang", "zh", "backup", str(file))
    assert r.code == 2 and "已存在" in r.err and "--force" in r.err
    r = cli("restore", str(file))
    assert r.code == 1 and "--merge" in r.err
    r = cli("restore", str(file), "--locker", str(tmp_path / "new"))
    assert r.code == 0 and "same as at backup time" in r.out
    r = cli("restore", str(file), "--merge")
    assert r.code == 0 and "nothing to merge" in r.out
    (tmp_path / "junk.elb").write_bytes(b"hello")
    r = cli("--lang", "zh", "backup", "--verify", str(tmp_path / "junk.elb"))
    assert r.code == 1 and "不是证据库备份文件" in r.err and "Traceback" not in r.err
    r = cli("backup", "--verify", str(file), env={"EVIDENCE_LOCKER_PASSPHRASE": "nope"})
    assert r.code == 1 and "wrong passphrase" in r.err
