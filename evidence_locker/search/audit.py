"""Is the blind index the one the ledger implies? (``doctor``, ``verify --deep``)

The index is derived data, outside the ledger's proofs: deleting posting rows makes
``search`` answer "no records match" while every other check passes (issue 13). So the
index is rebuilt in memory (:meth:`IndexUpkeep.expected`) and compared with the
stored postings, entry by entry, without holding either whole:

- each entry's stored tokens are read as a set (posting rows are read in token
  order, one token's list at a time, so a token added twice to an entry by two writes
  counts once) and folded into a digest: the count of its tokens and the sum of a
  keyed 128-bit hash of each, the key drawn fresh for every audit, so nobody can
  prepare postings whose digest matches the ledger's without matching it;
- the same digest is computed from the tokens the ledger implies;
- entries whose digests differ are stale or tampered; entries in the index that are
  no record version are strays; rows whose packed list cannot be read are malformed.

Memory holds one small digest per entry; time is about that of a rebuild.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evidence_locker.search.index import unpack_seqs
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.search.upkeep import IndexUpkeep
    from evidence_locker.store.database import DbConn

MAX_LISTED = 20


@dataclass
class IndexAudit:
    """What :func:`audit_index` found. ``wrong``: seqs whose tokens differ."""

    entries: int = 0
    wrong: list[int] = field(default_factory=list)
    strays: list[int] = field(default_factory=list)
    malformed: int = 0
    missing_table: bool = False  # no posting table yet: rebuilt before the next search

    @property
    def ok(self) -> bool:
        return not (self.wrong or self.strays or self.malformed)


class _Digests:
    """Per entry: how many distinct tokens, and the sum of their keyed hashes."""

    def __init__(self, key: bytes):
        self._key = key
        self._memo: dict[bytes, int] = {}
        self.count: dict[int, int] = {}
        self.total: dict[int, int] = {}

    def value(self, token: bytes) -> int:
        found = self._memo.get(token)
        if found is None:
            digest = hashlib.blake2b(token, key=self._key, digest_size=16).digest()
            found = self._memo[token] = int.from_bytes(digest, "little")
            if len(self._memo) > 1 << 20:  # a bound: recomputing is cheap
                self._memo.clear()
        return found

    def add_many(self, seqs: set[int], token: bytes) -> None:
        """One token, held by each of ``seqs``."""
        v = self.value(token)
        count, total = self.count, self.total
        for seq in seqs:
            count[seq] = count.get(seq, 0) + 1
            total[seq] = total.get(seq, 0) + v


def audit_index(upkeep: IndexUpkeep, conn: DbConn) -> IndexAudit:
    """Compare the stored index with the one the ledger implies (one read snapshot)."""
    report = IndexAudit()
    from evidence_locker.search.upkeep import has_postings

    if not has_postings(conn):
        report.missing_table = True
        return report
    key = os.urandom(32)
    stored, expected = _Digests(key), _Digests(key)
    current: bytes | None = None
    seqs: set[int] = set()
    sql = "SELECT token, chunk, seqs FROM search_posting ORDER BY token, chunk"
    for token, chunk, blob in db.stream(conn, sql):
        token = bytes(token)
        if token != current:
            if current is not None:
                stored.add_many(seqs, current)
            current, seqs = token, set()
        try:
            seqs.update(unpack_seqs(int(chunk), bytes(blob)))
        except (ValueError, TypeError):
            report.malformed += 1
    if current is not None:
        stored.add_many(seqs, current)
    for seq, tokens in upkeep.expected(conn):
        report.entries += 1
        expected.count[seq] = len(tokens)
        expected.total[seq] = sum(map(expected.value, tokens))
    for seq in expected.count:
        if (stored.count.get(seq, 0), stored.total.get(seq, 0)) != (
            expected.count[seq],
            expected.total[seq],
        ):
            report.wrong.append(seq)
    report.strays = sorted(set(stored.count) - set(expected.count))
    report.wrong.sort()
    return report
