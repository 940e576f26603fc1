"""What every part of an unlocked locker shares: its database, keys, ledger and clock.

The parts (keys, cases, records, attachments, writing, and the search index kept by
``search/``) each hold the one :class:`Session` of their :class:`~.facade.Locker`.
Two hooks let the search index follow every write without this package's writing
code knowing about it: :attr:`Session.before_write` runs before each write
transaction begins and :attr:`Session.after_append` after each ledger append, inside
the same transaction. The facade connects them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_locker import crypto
from evidence_locker.errors import IntegrityError
from evidence_locker.ledger.log import FORMAT as LEDGER_FORMAT
from evidence_locker.ledger.log import DecodedEntry, Ledger, PendingEntry
from evidence_locker.locker.newest_head import HeadMemory
from evidence_locker.model import micros
from evidence_locker.store.transactions import Transactions

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from evidence_locker.store.connect import Database
    from evidence_locker.store.database import DbConn

DB_NAME = "locker.db"
BLOB_DIR = "blobs"
FORMAT = LEDGER_FORMAT  # what a new locker is created in (ledger/log.py)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def _nothing() -> None:
    return None


def _no_index(conn: DbConn, pendings: Sequence[PendingEntry], seqs: Sequence[int]) -> None:
    return None


class Session:
    """An unlocked locker's shared state and its transactions."""

    def __init__(
        self,
        database: Database,
        keyring: crypto.KeyRing,
        *,
        path: Path | None,
        locker_id: str,
        clock: Clock = utc_now,
        region: str = "CN",
    ):
        self.database = database
        self.keyring = keyring
        self.path = path
        self.locker_id = locker_id
        self.origin = f"evidence-locker/{locker_id}"
        self.ledger = Ledger(keyring, self.origin)
        self.memory = HeadMemory(self)  # the newest head, also kept outside the locker
        self.clock = clock
        self.region = region
        self.tx = Transactions(database, path)
        self.wrote = False  # a write committed since the locker was opened (or last stamped)
        self.before_write: Callable[[], None] = _nothing
        self.after_append: Callable[[DbConn, Sequence[PendingEntry], Sequence[int]], None] = (
            _no_index
        )

    def now_us(self) -> int:
        return micros(self.clock())

    # -- transactions ------------------------------------------------------------------

    def read(self) -> AbstractContextManager[Any]:
        return self.tx.read()

    @contextlib.contextmanager
    def write(self) -> Iterator[Any]:
        """A write transaction (driver-level statements), after :attr:`before_write`;
        :attr:`wrote` says one committed (trusted time auto-stamps at close). A head
        signed by it is remembered outside the locker once committed (:attr:`memory`)."""
        self.before_write()
        self.ledger.last_note = None
        with self.tx.write() as conn:
            yield conn
        self.wrote = True
        note, self.ledger.last_note = self.ledger.last_note, None
        if note is not None:
            self.memory.remember(note)

    def write_sa(self) -> AbstractContextManager[Connection]:
        return self.tx.write_sa()

    def driver(self) -> Any:
        """A new sqlite3 connection of this locker, or None on PostgreSQL."""
        return self.database.driver()

    def append(self, conn: DbConn, pendings: Sequence[PendingEntry]) -> list[int]:
        """Append to the ledger and keep the search index in step, in one transaction."""
        seqs = self.ledger.append(conn, pendings)
        if seqs:
            self.after_append(conn, pendings, seqs)
        return seqs

    # -- opening entries ---------------------------------------------------------------

    def decode(self, row: Any) -> DecodedEntry:
        try:
            return self.ledger.decode(row)
        except crypto.DecryptionFailed:
            raise _tampered(row) from None

    def decode_values(self, row: Any) -> dict[str, Any]:
        try:
            return self.ledger.open_values(row)
        except crypto.DecryptionFailed:
            raise _tampered(row) from None

    def ledger_rows(self, conn: DbConn) -> Iterator[Any]:
        return self.ledger.rows(conn)


def _tampered(row: Any) -> IntegrityError:
    return IntegrityError("error.record_tampered", id=row.id[:8], seq=row.seq, hint="hint.verify")
