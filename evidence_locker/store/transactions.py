"""Read and write transactions on a locker's database, on either connection kind.

A write takes the database's write lock up front (SQLite ``BEGIN IMMEDIATE``), so two
processes writing at once wait for each other instead of failing half-way. On SQLite
the statements run on a plain ``sqlite3`` connection (``store/database.py``), so a
writing command never imports SQLAlchemy; on PostgreSQL, and for the few statements
that need SQLAlchemy (DDL), it is a SQLAlchemy transaction. A database error becomes
one :class:`~evidence_locker.errors.StorageError` naming the locker: busy, full, or
the driver's own words.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import StorageError
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from evidence_locker.store.connect import Database


class Transactions:
    """Opens transactions on ``database``; ``where`` names the locker in errors."""

    def __init__(self, database: Database, where: object):
        self.database = database
        self.where = where

    @contextlib.contextmanager
    def write_sa(self) -> Iterator[Connection]:
        """A SQLAlchemy write transaction that takes the write lock up front: for the
        statements that need SQLAlchemy (DDL of the search index rebuild)."""
        from sqlalchemy.exc import OperationalError

        self.refuse_if_read_only()
        conn = self.database.engine.connect()
        conn.info["write"] = True
        try:
            try:
                tx = conn.begin()
            except OperationalError as exc:
                raise self.storage_error(exc) from exc
            try:
                yield conn
            except BaseException:
                tx.rollback()
                raise
            try:
                tx.commit()
            except OperationalError as err:
                raise self.storage_error(err) from err
        finally:
            conn.close()

    def write(self) -> AbstractContextManager[Any]:
        """A write transaction whose statements are driver-level (``store/database.py``)."""
        self.refuse_if_read_only()
        conn = self.database.driver()
        return self.write_sa() if conn is None else self._immediate(conn)

    def read(self) -> AbstractContextManager[Any]:
        """A read transaction: one snapshot for all its (driver-level) statements."""
        conn = self.database.driver()
        return self.database.engine.connect() if conn is None else _snapshot(conn)

    @contextlib.contextmanager
    def _immediate(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        with contextlib.closing(conn):
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                raise self.storage_error(exc) from exc
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    def refuse_if_read_only(self) -> None:
        """A locker opened read-only (write-blocked, or asked for) is never written."""
        if getattr(self.database, "read_only", False):
            raise StorageError("storage.read_only", path=str(self.where))

    def storage_error(self, exc: Exception) -> StorageError:
        message = db.error_text(exc)
        if "readonly" in message or "read-only" in message:
            return StorageError("storage.read_only", path=str(self.where))
        if "locked" in message or "busy" in message:
            return StorageError("storage.busy", path=str(self.where))
        if "full" in message or "disk" in message:
            return StorageError("storage.full", path=str(self.where), detail=message)
        return StorageError("storage.write", path=str(self.where), detail=message)


@contextlib.contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    with contextlib.closing(conn):
        conn.execute("BEGIN")
        yield conn
