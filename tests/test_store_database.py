"""Driver-level SQL (store/database.py): one statement text for sqlite3 and SQLAlchemy."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from evidence_locker.ledger.log import ENTRY_COLUMNS
from evidence_locker.store import database as db
from evidence_locker.store.connect import Database


def test_driver_connection_has_the_lockers_pragmas_and_named_rows(tmp_path: Path) -> None:
    conn = db.connect_sqlite(tmp_path / "x.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
        db.execute(conn, 'CREATE TABLE t (a INTEGER, b TEXT, "offset" INTEGER)')
        db.execute_many(conn, "INSERT INTO t VALUES (?, ?, ?)", [(1, "上门", 480), (2, "x", 0)])
        found = db.rows(conn, 'SELECT a, b, "offset" FROM t ORDER BY a')
        assert [(r.a, r.b, r.offset) for r in found] == [(1, "上门", 480), (2, "x", 0)]
        assert db.value(conn, "SELECT b FROM t WHERE a = ?", (2,)) == "x"
        assert db.value(conn, "SELECT b FROM t WHERE a = ?", (9,)) is None
        assert db.execute(conn, "UPDATE t SET b = ? WHERE a > ?", ("y", 0)) == 2
        assert conn.dialect.name == "sqlite"
    finally:
        conn.close()


def test_rows_keep_their_own_column_names_when_statements_interleave(tmp_path: Path) -> None:
    """The row type is remembered per statement (the last description read): two
    cursors fetched in turn, and a statement naming the same columns in another order,
    still get rows named as their own statement says."""
    conn = db.connect_sqlite(tmp_path / "x.db")
    try:
        db.execute(conn, "CREATE TABLE t (a INTEGER, b TEXT)")
        db.execute_many(conn, "INSERT INTO t VALUES (?, ?)", [(i, f"v{i}") for i in range(6)])
        ab = conn.execute("SELECT a, b FROM t ORDER BY a")
        ba = conn.execute("SELECT b, a FROM t ORDER BY a")
        seen = []
        for _ in range(3):
            for cursor in (ab, ba, ab, ba):
                row = cursor.fetchone()
                seen.append((row._fields, row.a, row.b))
        assert seen == [
            (("a", "b"), i, f"v{i}") if n % 2 == 0 else (("b", "a"), i, f"v{i}")
            for n, i in enumerate(j for j in range(6) for _ in (0, 1))
        ]
        # the same statement run again: a new description, the same names
        again = [tuple(r) for r in db.rows(conn, "SELECT b, a FROM t WHERE a < 2 ORDER BY a")]
        assert again == [("v0", 0), ("v1", 1)]
        assert db.rows(conn, "SELECT a AS x FROM t WHERE a = 3")[0].x == 3
    finally:
        conn.close()


class _FakePostgres:
    """Stands in for a SQLAlchemy Connection to PostgreSQL: records what it is given."""

    class dialect:  # mirrors SQLAlchemy's attribute
        name = "postgresql"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def exec_driver_sql(self, sql: str, params: Any) -> list[Any]:
        self.calls.append((sql, params))
        return []


def test_placeholders_become_psycopg_style_on_postgresql() -> None:
    fake = _FakePostgres()
    db.rows(fake, "SELECT id FROM entry WHERE seq > ? AND kind = ?", (3, "record"))
    db.execute_many(fake, "INSERT INTO meta (key, value) VALUES (?, ?)", [("a", "1"), ("b", "2")])
    assert fake.calls == [
        ("SELECT id FROM entry WHERE seq > %s AND kind = %s", (3, "record")),
        ("INSERT INTO meta (key, value) VALUES (%s, %s)", [("a", "1"), ("b", "2")]),
    ]


def test_statement_columns_match_the_sqlmodel_table() -> None:
    """The ledger's INSERT lists every column of ``entry``: a new column fails here."""
    from evidence_locker.store.tables import Entry

    assert set(ENTRY_COLUMNS) == {c.name for c in Entry.__table__.columns}


def test_database_errors_are_recognised_from_either_driver() -> None:
    assert db.is_database_error(sqlite3.OperationalError("database is locked"))
    assert not db.is_database_error(ValueError("no"))
    from sqlalchemy.exc import OperationalError

    wrapped = OperationalError("INSERT", {}, sqlite3.OperationalError("disk is full"))
    assert db.is_database_error(wrapped)
    assert db.error_text(wrapped) == "disk is full"


def test_a_database_is_a_path_or_a_url() -> None:
    with pytest.raises(ValueError):
        Database()
    with pytest.raises(ValueError):
        Database(Path("x.db"), "postgresql://h/db")
    assert Database(url="postgresql+psycopg://h/db").driver() is None
