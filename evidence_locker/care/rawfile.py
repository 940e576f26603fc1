"""Reading a locker's database as it lies on disk, without opening it as a Locker.

``doctor`` needs this when the normal open gives up: a damaged file (SQLite stops at
the first bad page, so the ledger is read in small ranges and then entry by entry
around the bad pages), a write-blocked copy (opened so that nothing at all is
written: no journal, no shared-memory file) or a disk too full for SQLite's working
files (said as such, never as damage).
"""

from __future__ import annotations

import contextvars
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from evidence_locker import crypto
from evidence_locker.errors import FormatError
from evidence_locker.ledger.canonical import commitment, entry_leaf_hash
from evidence_locker.ledger.log import header_of

SCAN_BATCH = 256

# set by diagnose(read_only=True) for its own run (``doctor --read-only``)
READ_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("read_only", default=False)


def is_read_only(db: Path) -> bool:
    """Whether ``db`` is to be read without writing: asked for, or write-blocked."""
    from evidence_locker.store.connect import looks_read_only, read_only_wanted

    return READ_ONLY.get() or read_only_wanted() or looks_read_only(db)


def open_file(db: Path) -> sqlite3.Connection:
    """A connection to the file; on a read-only copy, one that writes nothing at all
    (no journal, no shared-memory file: store/database.py ``read_only_uri``)."""
    from evidence_locker.store.database import read_only_uri

    if is_read_only(db):
        return sqlite3.connect(read_only_uri(db), timeout=30, uri=True)
    return sqlite3.connect(db, timeout=30)


def connect_raw(db: Path) -> sqlite3.Connection:
    """A read-only connection that still reads a file shorter than its header says.

    SQLite refuses a truncated file outright unless ``writable_schema`` is on; with
    it, only the pages that are really gone fail. ``query_only`` keeps doctor from
    ever writing.
    """
    conn = open_file(db)
    conn.execute("PRAGMA query_only=ON")
    conn.execute("PRAGMA writable_schema=ON")
    return conn


def unlock_raw(
    db: Path, passphrase: str | None, recovery_key: str | None
) -> SimpleNamespace | None:
    """Unlock from the key slots read directly, when the normal open gave up."""
    from evidence_locker.care.backup.format import BackupHeader, unlock_header
    from evidence_locker.ledger.log import Ledger

    try:
        conn = connect_raw(db)
        try:
            locker_id = conn.execute("SELECT value FROM meta WHERE key = 'locker_id'").fetchone()
            rows = conn.execute("SELECT kind, kdf, wrapped FROM keyslot").fetchall()
        finally:
            conn.close()
        slots = {k: {"kdf": json.loads(kdf), "wrapped": bytes(w)} for k, kdf, w in rows}
    except (sqlite3.DatabaseError, ValueError, TypeError):
        return None
    if locker_id is None:
        return None
    header = BackupHeader(raw=b"", locker_id=locker_id[0], created_at="", slots=slots)
    try:
        keyring = unlock_header(header, passphrase=passphrase, recovery_key=recovery_key)
    except FormatError:
        return None
    origin = f"evidence-locker/{locker_id[0]}"
    return SimpleNamespace(
        keyring=keyring, ledger=Ledger(keyring, origin), locker_id=locker_id[0], engine=None
    )


def storage_problem(problems: list[str]) -> bool:
    """SQLite's refusal to open the file for a reason of the disk or the mount (full,
    read-only, no shared memory), which says nothing about the locker's state."""
    text = " ".join(problems).lower()
    words = ("disk is full", "disk i/o error", "readonly", "read-only", "unable to open")
    return any(w in text for w in words)


def check_database(db: Path, *, quick: bool = False) -> list[str]:
    """SQLite's own verdict on the file: an empty list when it is sound."""
    try:
        conn = open_file(db)
        try:
            pragma = "quick_check" if quick else "integrity_check"
            rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}(50)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def _rows(conn: sqlite3.Connection, upper: int) -> Iterator[tuple[int, Any]]:
    """``(seq, row or None)`` for seq 0..upper, reading around unreadable pages."""
    for start in range(0, upper + 1, SCAN_BATCH):
        stop = min(start + SCAN_BATCH, upper + 1)
        try:
            got = {
                r["seq"]: r
                for r in conn.execute(
                    "SELECT * FROM entry WHERE seq >= ? AND seq < ? ORDER BY seq", (start, stop)
                )
            }
        except sqlite3.DatabaseError:
            got = {}
            for seq in range(start, stop):
                try:
                    row = conn.execute("SELECT * FROM entry WHERE seq = ?", (seq,)).fetchone()
                except sqlite3.DatabaseError:
                    row = None
                if row is not None:
                    got[seq] = row
        for seq in range(start, stop):
            yield seq, got.get(seq)


def _upper_seq(conn: sqlite3.Connection) -> int:
    """The last sequence number, from whichever of two places can still be read."""
    best = -1
    try:
        value = conn.execute("SELECT max(seq) FROM entry").fetchone()[0]
        best = max(best, int(value) if value is not None else -1)
    except sqlite3.DatabaseError:
        pass
    try:
        raw = conn.execute("SELECT value FROM meta WHERE key = 'frontier'").fetchone()[0]
        best = max(best, int(json.loads(raw)["size"]) - 1)
    except (sqlite3.DatabaseError, TypeError, ValueError, KeyError):
        pass
    return best


def scan_entries(db: Path, ledger: Any) -> Iterator[tuple[int, Any, Any]]:
    """Every entry position with its row and decoded fields; (seq, None, None) when lost.

    An entry counts as intact only if it decrypts AND its leaf hash matches its
    header and sealed fields, so a row that SQLite returns half-overwritten is not
    mistaken for evidence.
    """
    conn = connect_raw(db)
    conn.row_factory = sqlite3.Row
    try:
        for seq, row in _rows(conn, _upper_seq(conn)):
            if row is None:
                yield seq, None, None
                continue
            try:
                ns = SimpleNamespace(**dict(row))
                decoded = ledger.decode(ns)
                commits = {k: commitment(s, v) for k, (s, v) in decoded.fields.items()}
                if entry_leaf_hash(header_of(ns), commits) != ns.leaf:
                    raise crypto.DecryptionFailed
            except (crypto.DecryptionFailed, TypeError, ValueError, AttributeError):
                yield seq, None, None
                continue
            yield seq, ns, decoded
    finally:
        conn.close()
