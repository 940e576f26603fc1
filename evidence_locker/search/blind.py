"""Searching the ledger through the blind index: candidates by key, then decrypt and confirm.

The index narrows the candidates; each is then decrypted and matched exactly (so the
index's truncated tokens cause no false hits). Two plans (docs/search.md): few
candidates, or every hit wanted, are looked up by key and sorted by time; many
candidates and one page wanted, the time index is walked newest first and each entry
tested against the candidate set, stopping once the page is full.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from itertools import islice
from typing import TYPE_CHECKING, Any

from evidence_locker.model import RecordFilter, text_filter
from evidence_locker.search.hit import SearchHit
from evidence_locker.search.source import RecordSource
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.search.upkeep import IndexUpkeep
    from evidence_locker.store.database import DbConn


class _OpenedValues:
    """Decrypted field values in the shape ``RecordSource.build`` takes (``.values()``)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]):
        self._values = values

    def values(self) -> dict[str, Any]:
        return self._values


class BlindSearch:
    # At most this many index candidates are fetched by key and sorted by time for one
    # page; with more, walking the time index newest first fills a page sooner.
    KEYED_PLAN_MAX = 2000

    def __init__(self, records: RecordSource, upkeep: IndexUpkeep):
        self.records = records
        self.upkeep = upkeep

    def search(self, query: Any, flt: RecordFilter, limit: int | None) -> list[SearchHit]:
        """Hits for a parsed ``query`` among the records ``flt`` selects, newest first."""
        from evidence_locker.search.index import candidate_seqs

        self.upkeep.ensure()
        hits: list[SearchHit] = []
        with self.records.read() as conn:
            candidates = (
                candidate_seqs(conn, query, self.upkeep.spaces) if self.upkeep.usable else None
            )
            if candidates is not None and not candidates:
                return hits
            keyed = candidates is not None and len(candidates) <= self.KEYED_PLAN_MAX
            if candidates is not None and limit is None and not keyed:
                # every hit wanted: by key unless the candidates are so many (an eighth
                # of the log) that walking the time index costs less than the lookups
                last = db.value(conn, "SELECT max(seq) FROM entry") or 0
                keyed = len(candidates) * 8 <= last + 1
            if candidates is not None and keyed:
                # few candidates: look them up by key and order them here, rather
                # than walk the whole time index
                wanted = sorted(candidates)
                pairs: list[Any] = []
                sql, params = self.records.record_rows_sql(conn, flt, "seq, occurred_at")
                for i in range(0, len(wanted), 900):
                    part = wanted[i : i + 900]
                    in_part = f" AND seq IN ({db.placeholders(len(part))})"
                    pairs += db.rows(conn, sql + in_part, [*params, *part])
                pairs.sort(key=lambda p: (p[1], p[0]), reverse=True)
                ordered: Iterable[int] = (p[0] for p in pairs)
                self._confirm(conn, query, flt, ordered, limit, hits)
                return hits
            sql, params = self.records.record_rows_sql(conn, flt, "seq")
            sql += " ORDER BY occurred_at DESC, seq DESC"
            # streamed: reading stops early when the page is full
            with contextlib.closing(db.stream(conn, sql, params)) as stream:
                walked: Iterable[int] = (r.seq for r in stream)
                if candidates is not None:
                    walked = (s for s in walked if s in candidates)
                self._confirm(conn, query, flt, walked, limit, hits)
        return hits

    def _confirm(
        self,
        conn: DbConn,
        query: Any,
        flt: RecordFilter,
        seqs: Iterable[int],
        limit: int | None,
        hits: list[SearchHit],
    ) -> None:
        """Decrypt and confirm ``seqs`` (newest first) batch by batch, appending hits.

        Only field values are opened (no salts), the filters and the match are checked
        on them, and Records are built only for the entries that matched. The first
        batch is about one page: index candidates nearly all match.
        """
        from evidence_locker.search.index import confirm_text, normalized_text, searchable_fields

        with_files: set[str] | None = None
        text_ok = text_filter(flt)
        step = max(limit or 0, 16) + 8
        it = iter(seqs)
        while True:
            batch = list(islice(it, step))
            if not batch:
                return
            step = min(step * 2, 2000)
            rows = {r.seq: r for r in self.records.entries_by_seq(conn, batch)}
            matched: list[tuple[Any, dict[str, str]]] = []
            opened: dict[str, Any] = {}
            for seq in batch:
                row = rows[seq]
                values = self.records.decode_values(row)
                if text_ok and not text_ok(
                    values.get("organisation"), values.get("counterpart"), values.get("address")
                ):
                    continue
                fields = searchable_fields(values)
                found = confirm_text(query, normalized_text(fields))
                if not found:
                    if with_files is None:
                        sql = "SELECT record_id FROM entry WHERE kind = 'attachment'"
                        with_files = {r.record_id for r in db.rows(conn, sql)}
                    if row.record_id in with_files:
                        files = self.records.file_texts(conn, row.record_id)
                        fields = searchable_fields(values, *files)
                        found = confirm_text(query, normalized_text(fields))
                if found:
                    matched.append((row, fields))
                    opened[row.id] = _OpenedValues(values)
                    if limit is not None and len(hits) + len(matched) >= limit:
                        break
            if matched:
                built = self.records.build(conn, [m[0] for m in matched], opened)
                records = {r.id: r for r in built}
                hits.extend(SearchHit(records[row.id], query, fields) for row, fields in matched)
            if limit is not None and len(hits) >= limit:
                return
