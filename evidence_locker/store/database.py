"""Driver-level SQL that runs on either connection a locker uses: sqlite3 or SQLAlchemy.

The tables are defined once, with SQLModel (``store/tables.py``), which creates them
(``init``) and serves the dossier, backup and doctor code. But importing SQLAlchemy
and SQLModel costs about 0.4 s, more than everything else a ``log`` command does apart
from key derivation (docs/design-notes.md has the measurements). So the statements of
the ``Locker``'s own read and write transactions (unlock, ledger append, index, records,
filters, search) are plain SQL with ``?`` placeholders and bound parameters, run by the
functions below on either connection:

- a :class:`DriverConnection`, the standard library's ``sqlite3`` opened with the same
  pragmas as the SQLAlchemy engine, for a SQLite locker: no SQLAlchemy import at all;
- a SQLAlchemy ``Connection`` (PostgreSQL, or SQLite code that needs SQLAlchemy, such
  as the index rebuild's DDL): the statement goes straight to its DB-API cursor,
  placeholders rewritten to ``%s`` for psycopg.

Only the statement text is shared; one transaction always uses one connection.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    # What driver-level statements run on: the functions below take either.
    DbConn = sqlite3.Connection | Connection

BUSY_TIMEOUT_MS = 30_000
# synchronous=FULL: a committed command is on disk. secure_delete: freed pages are
# zeroed. busy_timeout: two terminals logging at once wait for each other.
SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",
    "PRAGMA foreign_keys=ON",
)


def apply_pragmas(dbapi_conn: sqlite3.Connection) -> None:
    """Put a fresh sqlite3 connection in the mode every locker connection uses."""
    dbapi_conn.isolation_level = None  # transactions are begun explicitly
    cur = dbapi_conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cur.execute(pragma)
    cur.close()


_ROW_TYPES: dict[tuple[str, ...], type] = {}
# The description of the last statement read and its row type. sqlite3 gives every row
# of one statement the same description object, so rows after the first skip rebuilding
# the names and looking them up (about 3 µs a row: 0.6 s of reading 100k records). The
# reference held here keeps that object alive, so ``is`` cannot match a new statement's.
_last_row_type: tuple[Any, Any] = (None, None)


def _row_factory(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> Any:
    """Rows with attribute access by column name, like SQLAlchemy's."""
    global _last_row_type
    description = cursor.description
    last = _last_row_type  # one read: another thread may replace it meanwhile
    if last[0] is description:
        return last[1]._make(values)
    names = tuple(d[0] for d in description)
    row_type = _ROW_TYPES.get(names)
    if row_type is None:
        row_type = _ROW_TYPES[names] = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    _last_row_type = (description, row_type)
    return row_type._make(values)


class _SQLiteDialect:
    name = "sqlite"


class DriverConnection(sqlite3.Connection):
    """A sqlite3 connection in the locker's mode, with rows readable by column name.

    ``dialect.name`` and ``exec_driver_sql`` are the two parts of SQLAlchemy's
    ``Connection`` that driver-level code uses, so such code takes either.
    """

    dialect = _SQLiteDialect()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.row_factory = _row_factory
        apply_pragmas(self)

    def exec_driver_sql(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """``execute``, or ``executemany`` for a list of parameter tuples, as SQLAlchemy."""
        if isinstance(params, list):
            return self.executemany(sql, params)
        return self.execute(sql, params)


def connect_sqlite(path: Path, *, read_only: bool = False) -> DriverConnection:
    """A connection in the locker's mode. ``read_only``: nothing is ever written to the
    folder (see :func:`read_only_uri`)."""
    target, uri = (read_only_uri(path), True) if read_only else (str(path), False)
    conn = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_MS / 1000,
        factory=DriverConnection,
        isolation_level=None,
        uri=uri,
    )
    assert isinstance(conn, DriverConnection)
    return conn


def read_only_uri(path: Path) -> str:
    """The URI that opens a locker database without writing to it.

    ``immutable=1`` reads the file as it is and creates no lock, journal or shared
    memory file: right for a write-blocked copy. But it ignores a write-ahead log, so
    when a non-empty ``-wal`` file lies beside it (a copy taken while the locker was
    open), ``mode=ro`` is used instead, which reads the log (SQLite then needs the
    ``-shm`` file, and makes it if the folder allows).
    """
    from urllib.request import pathname2url

    wal = path.with_name(path.name + "-wal")
    try:
        pending = wal.stat().st_size > 0
    except OSError:
        pending = False
    mode = "mode=ro" if pending else "immutable=1"
    return f"file:{pathname2url(str(path.resolve()))}?{mode}"


def dialect_of(conn: Any) -> str:
    if isinstance(conn, sqlite3.Connection):
        return "sqlite"
    return str(conn.dialect.name)


def _for_driver(conn: Any, sql: str) -> tuple[Any, str]:
    """The DB-API object to run ``sql`` on, and ``sql`` in its placeholder style."""
    if isinstance(conn, sqlite3.Connection):
        return conn, sql
    if conn.dialect.name == "sqlite":
        return conn, sql
    return conn, sql.replace("?", "%s")


def rows(conn: Any, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """All rows of one query, each readable by column name."""
    conn, sql = _for_driver(conn, sql)
    if isinstance(conn, sqlite3.Connection):
        return conn.execute(sql, tuple(params)).fetchall()
    return list(conn.exec_driver_sql(sql, tuple(params)))


def tuples(conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """:func:`rows` as plain tuples, for hot loops over many rows: a sqlite3 row
    by name costs about 1.5 µs more."""
    conn, sql = _for_driver(conn, sql)
    if isinstance(conn, sqlite3.Connection):
        cursor = conn.cursor()
        cursor.row_factory = None
        try:
            return cursor.execute(sql, tuple(params)).fetchall()
        finally:
            cursor.close()
    return [tuple(r) for r in conn.exec_driver_sql(sql, tuple(params))]


def stream(conn: Any, sql: str, params: Sequence[Any] = (), batch: int = 500) -> Iterator[Any]:
    """The rows of one query, fetched ``batch`` at a time, for a reader that may stop
    early (close the generator to release the cursor)."""
    conn, sql = _for_driver(conn, sql)
    if isinstance(conn, sqlite3.Connection):
        cursor = conn.execute(sql, tuple(params))
    else:
        cursor = conn.exec_driver_sql(sql, tuple(params))
    try:
        while chunk := cursor.fetchmany(batch):
            yield from chunk
    finally:
        cursor.close()


def value(conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row, or None when there is no row."""
    found = rows(conn, sql, params)
    return found[0][0] if found else None


def execute(conn: Any, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; returns the number of rows it changed."""
    conn, sql = _for_driver(conn, sql)
    if isinstance(conn, sqlite3.Connection):
        return conn.execute(sql, tuple(params)).rowcount
    return int(conn.exec_driver_sql(sql, tuple(params)).rowcount)


def execute_many(conn: Any, sql: str, params: Iterable[Sequence[Any]]) -> None:
    """Run one statement for each parameter tuple, through the driver's executemany."""
    batch = [tuple(p) for p in params]
    if not batch:
        return
    conn, sql = _for_driver(conn, sql)
    if isinstance(conn, sqlite3.Connection):
        conn.executemany(sql, batch)
    else:
        conn.exec_driver_sql(sql, batch)


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def is_database_error(exc: BaseException) -> bool:
    """An error raised by the database (either driver, or SQLAlchemy if it is loaded)."""
    if isinstance(exc, sqlite3.Error):
        return True
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError)


def error_text(exc: BaseException) -> str:
    """The driver's own message (SQLAlchemy wraps it in ``orig``)."""
    orig = getattr(exc, "orig", None)
    return str(orig) if orig is not None else str(exc)
