"""Engine setup: SQLite pragmas, append-only triggers, PostgreSQL support.

SQLite connections get the pragmas of ``store/database.py`` (WAL, ``synchronous=FULL``,
``secure_delete``, a busy timeout), the same as its driver-level ones. Writes begin with
``BEGIN IMMEDIATE`` so the writer takes the lock before reading the frontier: two
writers can never compute the same sequence number.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel, create_engine

from evidence_locker.store import tables  # noqa: F401  (registers the tables)
from evidence_locker.store.database import BUSY_TIMEOUT_MS, apply_pragmas

SCHEMA_VERSION = 1

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t}
       BEGIN SELECT RAISE(ABORT, 'evidence-locker: {t} is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t}
       BEGIN SELECT RAISE(ABORT, 'evidence-locker: {t} is append-only'); END""",
]

_PG_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION evidence_locker_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$ BEGIN
         RAISE EXCEPTION 'evidence-locker: % is append-only', TG_TABLE_NAME;
       END $$""",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{t}_append_only') THEN
           CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t}
             FOR EACH ROW EXECUTE FUNCTION evidence_locker_append_only();
         END IF;
       END $$""",
]

APPEND_ONLY_TABLES = ("entry", "anchor")


def sqlite_engine(path: Path, *, read_only: bool = False) -> Engine:
    if read_only:
        from evidence_locker.store.database import read_only_uri

        engine = create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(
                read_only_uri(path), timeout=BUSY_TIMEOUT_MS / 1000, uri=True
            ),
        )
    else:
        engine = create_engine(
            f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        apply_pragmas(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.info.pop("write", False) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def url_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Create tables and the append-only triggers (idempotent)."""
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for table in APPEND_ONLY_TABLES:
                for stmt in _SQLITE_TRIGGERS:
                    conn.exec_driver_sql(stmt.format(t=table))
        elif engine.dialect.name == "postgresql":
            conn.execute(text(_PG_TRIGGERS[0]))
            for table in APPEND_ONLY_TABLES:
                conn.execute(text(_PG_TRIGGERS[1].format(t=table)))


@contextlib.contextmanager
def append_only_lifted(conn: Any) -> Iterator[None]:
    """Let the caller's write transaction update the append-only tables, then restore
    the triggers, inside that same transaction (DDL is transactional on both engines:
    a crash or an error leaves them as they were).

    Only for a key rotation (locker/rotation.py), which re-seals every entry under a new
    key without changing what any leaf hash covers.
    """
    from evidence_locker.store import database as db

    postgres = db.dialect_of(conn) == "postgresql"
    for table in APPEND_ONLY_TABLES:
        if postgres:
            db.execute(conn, f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        else:
            db.execute(conn, f"DROP TRIGGER IF EXISTS {table}_no_update")
    yield
    for table in APPEND_ONLY_TABLES:
        if postgres:
            db.execute(conn, f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        else:
            db.execute(conn, _SQLITE_TRIGGERS[0].format(t=table))


def secure_file_modes(directory: Path) -> None:
    """Owner-only modes for the locker directory and every file SQLite made in it."""
    os.chmod(directory, 0o700)
    for child in directory.iterdir():
        if child.is_file() and not child.is_symlink():  # never through a link
            os.chmod(child, 0o600)
