"""Reading SQLite databases that someone else wrote (iPhone backups), read-only and bounded.

The database file is opened ``immutable`` (SQLite then takes no lock and writes no
journal or WAL next to it: the user's backup folder is never touched), with
``trusted_schema`` off (a crafted schema cannot make SQLite run functions from views
or triggers) and ``query_only`` on. A decrypted database never touches the disk: it is
loaded from memory with :meth:`sqlite3.Connection.deserialize`. Long values are cut in
SQL (``CASE WHEN length(x) > limit``), so a hostile row cannot make one fetch allocate
more than the bound.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from evidence_locker.errors import FormatError
from evidence_locker.model import ContactDraft

from ._common import Importer, Rejected

SQLITE_MAGIC = b"SQLite format 3\x00"


def open_file(path: Path, label: str) -> sqlite3.Connection:
    """``path`` opened read-only and immutable; ``label`` names it in errors."""
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise FormatError("import.bad_sqlite", file=label, detail=str(exc)) from exc
    return _harden(conn, label)


def open_bytes(data: bytes, label: str) -> sqlite3.Connection:
    """A database held in memory (a decrypted file), never written anywhere."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        conn.deserialize(data)
    except sqlite3.Error as exc:
        conn.close()
        raise FormatError("import.bad_sqlite", file=label, detail=str(exc)) from exc
    return _harden(conn, label)


def _harden(conn: sqlite3.Connection, label: str) -> sqlite3.Connection:
    try:
        conn.execute("PRAGMA trusted_schema=OFF")
        conn.execute("PRAGMA query_only=ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise FormatError("import.bad_sqlite", file=label, detail=str(exc)) from exc
    return conn


def tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    return {str(r[0]) for r in rows}


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns ``table`` has (the schema differs between iOS versions)."""
    return {str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')}


def pick(
    have: Iterable[str], wanted: Iterable[tuple[str, str]], alias: str, prefix: str = ""
) -> list[str]:
    """SELECT items for ``wanted`` (column, kind) that exist, NULL for the others.

    Each comes out named ``prefix + column``. Kinds "text" and "blob" are cut at the
    ``:limit`` parameter (NULL beyond it), and their real length comes alongside as
    ``<name>_len``, so the caller can reject what it did not receive.
    """
    present = set(have)
    out: list[str] = []
    for column, kind in wanted:
        ref, name = f"{alias}.{column}", prefix + column
        bounded = kind in ("text", "blob")
        if column not in present:
            out.append(f"NULL AS {name}")
            if bounded:
                out.append(f"0 AS {name}_len")
        elif bounded:
            out.append(f"CASE WHEN length({ref}) > :limit THEN NULL ELSE {ref} END AS {name}")
            out.append(f"length({ref}) AS {name}_len")
        else:
            out.append(f"{ref} AS {name}")
    return out


class DatabaseFileImporter(Importer):
    """One database of a phone given on its own, as a file: ``reader`` reads its rows
    (the same reader an iPhone backup uses, without a backup to find attachments in)."""

    reader: ClassVar[Any] = None

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        conn = open_file(self.path, self.file_name)
        try:
            yield from self.reader(self, conn, None).entries()
        finally:
            conn.close()
