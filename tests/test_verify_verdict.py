"""``verify`` says OK only when everything passed (issue 13, low item).

It used to print "OK" while attachment checks failed, show a literal ``{attachment}``
in their message, and crash with a traceback on crafted bytes in the database. Now the
verdict covers the ledger, the attachments and the settings; each problem is one line
naming what failed; and any value of any type in any column is a failure, not a crash.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from evidence_locker.locker import Locker
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft

from .conftest import SHANGHAI


@pytest.fixture
def with_file(locker: Locker, locker_dir: Path, tmp_path: Path) -> tuple[Path, str]:
    shot = tmp_path / "收据.txt"
    shot.write_bytes("转账记录 13912345678".encode() * 50)
    record = locker.log(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=datetime(2025, 2, 1, 9, 0, tzinfo=SHANGHAI),
            address="95577",
            content="还款提醒",
            attachments=(AttachmentDraft(name=shot.name, path=str(shot)),),
        )
    )
    (info,) = record.attachments
    locker.close()
    return locker_dir, info.id


def flipped(data: bytes) -> bytes:
    return data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1 :]


BLOB_DAMAGE = {
    "bit flipped": flipped,
    "emptied": lambda data: b"",
    "cut short": lambda data: data[:10],
    "header only": lambda data: data[:40],
    "garbage appended": lambda data: data + b"\x00" * 4096,
    "crafted header": lambda data: data[:1] + b"\xff" * 64 + data[65:],
    "random bytes": lambda data: bytes(range(256)) * 64,
}


@pytest.mark.parametrize("damage", BLOB_DAMAGE)
def test_a_damaged_attachment_is_not_ok_and_is_named(  # type: ignore[no-untyped-def]
    with_file: tuple[Path, str], cli, damage: str
) -> None:
    locker_dir, attachment_id = with_file
    (blob,) = [p for p in (locker_dir / "blobs").rglob("*") if p.is_file()]
    blob.write_bytes(BLOB_DAMAGE[damage](blob.read_bytes()))
    r = cli("verify")
    assert r.code == 1
    assert "OK" not in r.out and "{" not in r.out + r.err
    assert attachment_id[:8] in r.err and "收据.txt" in r.err


# Values of every type SQLite takes, put where the program writes something else
ODD_VALUES = [None, b"\x02", "谁", 12.5, 2**62]
COLUMNS = ["seq", "kind", "occurred_at", "sealed", "leaf", "root"]


@pytest.mark.parametrize("column", COLUMNS)
def test_crafted_values_fail_cleanly(with_file: tuple[Path, str], cli, column: str) -> None:  # type: ignore[no-untyped-def]
    locker_dir, _ = with_file
    original = locker_dir.parent / "original.db"
    original.write_bytes((locker_dir / "locker.db").read_bytes())
    for value in ODD_VALUES:
        (locker_dir / "locker.db").write_bytes(original.read_bytes())
        con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
        con.execute("DROP TRIGGER IF EXISTS entry_no_update")
        try:
            con.execute(f"UPDATE entry SET {column} = ? WHERE seq = 0", (value,))
        except sqlite3.IntegrityError:
            continue  # the schema refuses it: no attacker can store it either
        finally:
            con.close()
        r = cli("verify")
        assert r.code == 1, (column, value, r.out, r.err)
        assert "Traceback" not in r.err and "OK" not in r.out, (column, value, r.err)


@pytest.mark.parametrize("key", ["head", "frontier", "sealed_meta", "public_key"])
def test_crafted_settings_fail_cleanly(with_file: tuple[Path, str], cli, key: str) -> None:  # type: ignore[no-untyped-def]
    locker_dir, _ = with_file
    original = locker_dir.parent / "original.db"
    original.write_bytes((locker_dir / "locker.db").read_bytes())
    for value in [b"\xff\xfe", "[1, 2]", "not a note\n\n— x y"]:
        (locker_dir / "locker.db").write_bytes(original.read_bytes())
        con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
        con.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
        con.close()
        r = cli("verify")
        assert r.code == 1, (key, value, r.out, r.err)
        assert "Traceback" not in r.err and "OK" not in r.out, (key, value, r.err)
