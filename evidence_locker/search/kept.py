"""The decrypted view a locker keeps on request, brought up to date before each search.

:class:`~evidence_locker.search.memory.DecryptedView` is the data structure; this
fills it with every record version, and before each search rebuilds the records that
entries appended since (by this process or another) add, correct, delete or attach
files to. The plaintext lives only in this process's memory until :meth:`forget`
(docs/threat-model.md).
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from evidence_locker.ledger.log import ENTRY_SELECT
from evidence_locker.model import Record, RecordFilter
from evidence_locker.search.hit import SearchHit
from evidence_locker.search.source import RecordSource
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.search.memory import DecryptedView
    from evidence_locker.search.upkeep import IndexUpkeep
    from evidence_locker.store.database import DbConn

# Entries that change how a record reads: its versions, its tombstone, its files.
VIEW_KINDS = ("record", "correction", "tombstone", "attachment", "ocr")


class KeptView:
    """``driver`` opens a new sqlite3 connection of the locker (None on PostgreSQL)."""

    def __init__(
        self, records: RecordSource, upkeep: IndexUpkeep, driver: Callable[[], Any]
    ) -> None:
        self.records = records
        self.upkeep = upkeep
        self._driver = driver
        self.view: DecryptedView | None = None
        self.conn: sqlite3.Connection | None = None
        self._conn_thread = 0
        self._lock = threading.Lock()  # one refresh-and-scan at a time

    @property
    def active(self) -> bool:
        return self.view is not None

    def keep(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Decrypt every record version into memory. Returns how many."""
        from evidence_locker.search.memory import DecryptedView

        self.upkeep.ensure()  # view searches use the index for rare terms
        view = DecryptedView()
        records: list[Record] = []
        with self.records.read() as conn:
            last = int(db.value(conn, "SELECT max(seq) FROM entry") or 0)
            sql = "SELECT seq FROM entry WHERE kind IN ('record', 'correction') ORDER BY seq"
            seqs = [r.seq for r in db.rows(conn, sql)]
            for start in range(0, len(seqs), 2000):
                chunk = seqs[start : start + 2000]
                records += self.records.build(conn, self.records.entries_by_seq(conn, chunk))
                if progress:
                    progress(len(records), len(seqs))
        view.replace((), records)
        view.last_seq = last
        self.forget()
        self.view = view
        return len(view)

    def forget(self) -> None:
        """Drop the decrypted view (if any): searches go back to the blind index."""
        self.view = None
        if self.conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
            self.conn = None

    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        """A read transaction for view searches, on a connection kept open with the
        view: opening one costs more (0.4 ms) than a whole search in memory."""
        thread = threading.get_ident()
        if self.conn is None:
            self.conn = self._driver()
            self._conn_thread = thread
        conn = self.conn
        if conn is None or thread != self._conn_thread:
            with self.records.read() as other:
                yield other
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")

    def _refresh(self, conn: DbConn, view: DecryptedView) -> None:
        """Bring the view up to the ledger's last entry: rebuild the records that the
        entries after ``view.last_seq`` add, correct, delete or attach files to."""
        last = int(db.value(conn, "SELECT max(seq) FROM entry") or 0)
        if last == view.last_seq:
            return
        newer = db.rows(
            conn,
            "SELECT kind, record_id FROM entry WHERE seq > ? AND seq <= ?",
            (view.last_seq, last),
        )
        if any(r.kind == "case" for r in newer):
            self.records.forget_cases()  # records of a new case show its name
        touched = sorted({r.record_id for r in newer if r.kind in VIEW_KINDS})
        rows: list[Any] = []
        for start in range(0, len(touched), 500):
            chunk = touched[start : start + 500]
            sql = (
                f"SELECT {ENTRY_SELECT} FROM entry WHERE kind IN ('record', 'correction')"
                f" AND record_id IN ({db.placeholders(len(chunk))}) AND seq <= ?"
            )
            rows += db.rows(conn, sql, [*chunk, last])
        view.replace(touched, self.records.build(conn, rows))
        view.last_seq = last

    def search(self, query: Any, flt: RecordFilter, limit: int | None) -> list[SearchHit]:
        view = self.view
        assert view is not None
        from evidence_locker.search.index import candidate_seqs

        with self._lock, self._read() as conn:
            self._refresh(conn, view)
            case_id = self.records.resolve_case(conn, flt.case) if flt.case else None
            # The blind index when its list is short, else a scan of memory. A scan
            # for a page reads about limit * n / count items, the index about count
            # entries, at a similar cost each (docs/search.md has the measurements).
            n = view.count_in_range(flt)
            at_most = n // 4 if limit is None else math.isqrt(limit * n)
            candidates = (
                candidate_seqs(conn, query, self.upkeep.spaces, at_most=at_most)
                if self.upkeep.usable
                else None
            )
            found = view.search(query.texts, flt, case_id, limit, candidates)
        return [SearchHit(r, query) for r in found]
