"""One locker's search: the blind index it keeps, and the decrypted view when asked for.

:meth:`Searcher.search` answers from the decrypted view after
:meth:`Searcher.keep_decrypted` (the same results, faster when searching many times),
else through the blind index. The locker connects :attr:`Searcher.upkeep` to its
writes so the index follows every append.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from evidence_locker.model import RecordFilter, check_range
from evidence_locker.search.blind import BlindSearch
from evidence_locker.search.hit import SearchHit
from evidence_locker.search.kept import KeptView
from evidence_locker.search.source import RecordSource
from evidence_locker.search.upkeep import IndexUpkeep

if TYPE_CHECKING:
    from evidence_locker.search.audit import IndexAudit


class Searcher:
    """``driver`` opens a new sqlite3 connection of the locker (None on PostgreSQL)."""

    def __init__(self, records: RecordSource, upkeep: IndexUpkeep, driver: Callable[[], Any]):
        self.upkeep = upkeep
        self.blind = BlindSearch(records, self.upkeep)
        self.kept = KeptView(records, self.upkeep, driver)

    def search(self, text: str, flt: RecordFilter | None, limit: int | None) -> list[SearchHit]:
        from evidence_locker.search.query import parse_query

        query = parse_query(text)
        flt = flt or RecordFilter()
        check_range(flt)  # here too: the decrypted view never builds the SQL
        if self.kept.active:
            return self.kept.search(query, flt, limit)
        return self.blind.search(query, flt, limit)

    def keep_decrypted(self, progress: Callable[[int, int], None] | None = None) -> int:
        return self.kept.keep(progress)

    def forget_decrypted(self) -> None:
        self.kept.forget()

    def check_index(self) -> IndexAudit:
        """The stored index against the one the ledger implies (search/audit.py)."""
        from evidence_locker.search.audit import audit_index

        with self.upkeep.records.read() as conn:
            return audit_index(self.upkeep, conn)
