"""A locker's database: a SQLite file (the default) or a PostgreSQL URL, and how to reach it.

Driver-level statements (``store/database.py``) run on a plain ``sqlite3`` connection
from :meth:`Database.driver`; the SQLAlchemy engine (``store/engine.py``) is built
only when something asks for it, so a command that needs neither the ORM nor
PostgreSQL never imports SQLAlchemy.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from evidence_locker.store.database import DriverConnection, connect_sqlite

READ_ONLY_ENV = "EVIDENCE_LOCKER_READ_ONLY"


def read_only_wanted() -> bool:
    """``EVIDENCE_LOCKER_READ_ONLY`` (or ``--read-only``) set to anything but 0/no."""
    return os.environ.get(READ_ONLY_ENV, "").strip().lower() not in ("", "0", "no", "false")


def looks_read_only(db_path: Path) -> bool:
    """Whether a locker's database cannot be written: on a read-only file system (a
    write-blocked mount), without write permission, or with no write bit left at all
    (a forensic copy made read-only with chmod: root could still write to it, but
    its owner meant it to stay as it is)."""
    folder = db_path.parent
    try:
        if os.statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 1):
            return True
        mode = db_path.stat().st_mode
    except (OSError, AttributeError):
        return False
    if not mode & 0o222:
        return True
    return not (os.access(db_path, os.W_OK) and os.access(folder, os.W_OK))


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class Database:
    """A locker's database: a SQLite file (the default) or a PostgreSQL URL.

    The SQLAlchemy engine is built the first time something asks for it, so a command
    that only needs driver-level statements on SQLite never imports SQLAlchemy.
    """

    def __init__(
        self, path: Path | None = None, url: str | None = None, *, read_only: bool | None = None
    ):
        """``read_only``: open a SQLite file so that nothing can be written to it, not
        even a journal; None decides from the environment and the file itself."""
        if (path is None) == (url is None):
            raise ValueError("a database is a SQLite path or a URL, not both")
        self.path = path
        self.url = url
        self._engine_built = False
        if read_only is None:
            read_only = path is not None and (read_only_wanted() or looks_read_only(path))
        self.read_only = bool(read_only) and path is not None

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
        return store_engine.sqlite_engine(self.path, read_only=self.read_only)

    def driver(self) -> DriverConnection | None:
        """A new sqlite3 connection, or None when the database is not SQLite."""
        if self.path is None:
            return None
        return connect_sqlite(self.path, read_only=self.read_only)

    def dispose(self) -> None:
        if self._engine_built:
            self.engine.dispose()
