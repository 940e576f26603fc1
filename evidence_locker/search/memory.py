"""Decrypt-once, scan-in-memory search, for a process that stays unlocked.

The blind index makes a one-shot command fast when few entries match; when a term is in
a third of all entries, every one of them must be decrypted and checked, and that costs
more than scanning texts already in memory. A long-lived process (an interactive
session, the rules engine, the dossier builder running many queries) can keep the
normalised searchable text of every entry here, built once after unlock, and answer
any query with substring tests (docs/search.md has the figures). Plaintext then lives
only in this process's memory, as it does for any decrypted record.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping

from evidence_locker.search.index import normalized_text
from evidence_locker.search.query import Query


class MemoryIndex:
    """Normalised text of every entry, newest first."""

    __slots__ = ("_keys", "_rows", "_sorted")

    def __init__(self) -> None:
        self._rows: list[tuple[int, int, str]] = []  # (-occurred_us, seq, text)
        self._keys: list[int] = []
        self._sorted = True

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, seq: int, occurred_us: int, fields: Mapping[str, str]) -> None:
        """Add one decrypted entry (its searched fields, raw)."""
        self._rows.append((-occurred_us, seq, normalized_text(fields)))
        self._sorted = False

    def search(
        self,
        query: Query,
        *,
        since_us: int | None = None,
        until_us: int | None = None,
        seqs: Collection[int] | None = None,
        limit: int | None = None,
    ) -> list[int]:
        """Seqs of matching entries, newest first; ``seqs`` restricts to those entries."""
        if not self._sorted:
            self._rows.sort()
            self._keys = [row[0] for row in self._rows]
            self._sorted = True
        # Rows are sorted by -occurred_us: the date window is one slice.
        start = 0 if until_us is None else bisect_left(self._keys, -until_us)
        stop = len(self._rows) if since_us is None else bisect_right(self._keys, -since_us)
        rows = self._rows[start:stop] if start or stop < len(self._rows) else self._rows
        if seqs is not None:
            rows = [row for row in rows if row[1] in seqs]
        terms = [t.text for t in query.terms]
        if limit is None and len(terms) == 1:
            term = terms[0]
            return [seq for _, seq, text in rows if term in text]
        out: list[int] = []
        for _, seq, text in rows:
            if all(t in text for t in terms):
                out.append(seq)
                if limit is not None and len(out) >= limit:
                    break
        return out
