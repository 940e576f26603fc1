"""A locker's database: a SQLite file (the default) or a PostgreSQL URL, and how to reach it.

Driver-level statements (``store/database.py``) run on a plain ``sqlite3`` connection
from :meth:`Database.driver`; the SQLAlchemy engine (``store/engine.py``) is built
only when something asks for it, so a command that needs neither the ORM nor
PostgreSQL never imports SQLAlchemy.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from evidence_locker.store.database import DriverConnection, connect_sqlite

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class Database:
    """A locker's database: a SQLite file (the default) or a PostgreSQL URL.

    The SQLAlchemy engine is built the first time something asks for it, so a command
    that only needs driver-level statements on SQLite never imports SQLAlchemy.
    """

    def __init__(self, path: Path | None = None, url: str | None = None):
        if (path is None) == (url is None):
            raise ValueError("a database is a SQLite path or a URL, not both")
        self.path = path
        self.url = url
        self._engine_built = False

    @property
    def dialect(self) -> str:
        if self.url is None:
            return "sqlite"
        return "postgresql" if self.url.startswith("postgres") else self.engine.dialect.name

    @cached_property
    def engine(self) -> Engine:
        from evidence_locker.store import engine as store_engine

        self._engine_built = True
        if self.url is not None:
            return store_engine.url_engine(self.url)
        assert self.path is not None
        return store_engine.sqlite_engine(self.path)

    def driver(self) -> DriverConnection | None:
        """A new sqlite3 connection, or None when the database is not SQLite."""
        return connect_sqlite(self.path) if self.path is not None else None

    def dispose(self) -> None:
        if self._engine_built:
            self.engine.dispose()
