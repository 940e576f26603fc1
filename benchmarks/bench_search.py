"""Search speed: blind index + confirmation vs decrypt-and-scan vs plaintext SQLite FTS5.

Builds, in a temporary directory, a locker-like SQLite database from
:func:`benchmarks.synth.generate`: one row per entry (``seq``, id, occurred time in
clear, channel, and the sensitive fields as AES-GCM-SIV-sealed JSON bound to the entry
id) plus the ``search_posting`` blind index; and, beside it, a plain FTS5 table (trigram
tokenizer) over the same texts as the baseline. Then it times a query set in one
process after "unlock" and prints one JSON object per line::

    {"name": ..., "value": ..., "unit": ..., "baseline": ..., "ratio": ..., "goal": ...}

Strategies timed per query:

- ``index``: candidates from the blind index, those rows fetched, decrypted, confirmed.
- ``memory``: every entry decrypted and normalised once after unlock (time and memory
  reported), each query a substring scan over those texts.
- ``scan``: every entry decrypted and checked at each query (no index, no cache).
- ``fts5``: the plaintext baseline, ``MATCH`` for terms of 3+ characters and ``LIKE``
  for shorter ones (FTS5's trigram index cannot look those up, so SQLite scans).

Usage: ``python benchmarks/bench_search.py [--quick] [--sizes 10000,100000] [--seed 7]``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonline

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine
from sqlmodel import SQLModel

from benchmarks.procmem import peak_rss_mib, rss_mib
from benchmarks.synth import generate
from evidence_locker.crypto import KeyRing
from evidence_locker.model import micros
from evidence_locker.search.index import (
    SearchPosting,
    Tokenizer,
    candidate_seqs,
    confirm_text,
    normalized_text,
    posting_rows,
    searchable_fields,
    tokens_for,
)
from evidence_locker.search.query import Query, parse_query

AD_PREFIX = b"evidence-locker/v1/entry/"
GOAL_P50_MS = 50.0
GOAL_RATIO = 10.0
GOAL_RSS_MB = 300.0
PAGE = 50  # a first page of results, newest first
TZ = timezone(timedelta(hours=8))
# A quarter of the generated period.
DATE_FILTER = (
    micros(datetime(2025, 4, 1, tzinfo=TZ)),
    micros(datetime(2025, 9, 30, 23, 59, 59, tzinfo=TZ)),
)


def emit(name: str, value: float, unit: str, baseline: float | None = None, goal: str = "") -> None:
    jsonline.emit(name, value, unit, baseline, goal, ratio_digits=2)


def build(folder: Path, n: int, seed: int, keys: KeyRing, tok: Tokenizer) -> dict[str, float]:
    """Create locker.db (sealed rows + blind index) and fts.db (plaintext baseline)."""
    engine = create_engine(f"sqlite:///{folder / 'locker.db'}")
    SQLModel.metadata.create_all(engine, tables=[SearchPosting.__table__])
    engine.dispose()
    db = sqlite3.connect(folder / "locker.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE entry (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, channel TEXT NOT NULL,"
        " occurred_us INTEGER NOT NULL, sealed BLOB NOT NULL)"
    )
    db.execute("CREATE INDEX entry_occurred ON entry (occurred_us)")
    fts = sqlite3.connect(folder / "fts.db")
    fts.execute("CREATE VIRTUAL TABLE doc USING fts5(body, tokenize='trigram')")
    fts.execute("CREATE TABLE meta (seq INTEGER PRIMARY KEY, occurred_us INTEGER NOT NULL)")
    fts.execute("CREATE INDEX meta_occurred ON meta (occurred_us)")
    t0 = time.perf_counter()
    entries: list[tuple[int, str, str, int, bytes]] = []
    tokens: list[tuple[int, set[bytes]]] = []
    docs: list[tuple[int, str]] = []
    metas: list[tuple[int, int]] = []
    index_s = 0.0
    for seq, draft in enumerate(generate(n, seed), start=1):
        entry_id = f"{seed:04x}{seq:028x}"
        values = draft.sensitive_values()
        sealed = keys.fields.seal(
            json.dumps(values, ensure_ascii=False).encode(), AD_PREFIX + entry_id.encode()
        )
        occurred = micros(draft.occurred_at)
        entries.append((seq, entry_id, draft.channel.value, occurred, sealed))
        fields = searchable_fields(values)
        t1 = time.perf_counter()
        tokens.append((seq, tokens_for(fields, tok)))
        index_s += time.perf_counter() - t1
        docs.append((seq, "\n".join(fields.values())))
        metas.append((seq, occurred))
        if len(entries) >= 5000:
            _flush(db, fts, entries, tokens, docs, metas)
    _flush(db, fts, entries, tokens, docs, metas)
    db.commit()
    fts.commit()
    build_s = time.perf_counter() - t0
    sizes = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    fts_sizes = dict(fts.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    db.close()
    fts.close()
    return {
        "build_s": build_s,
        "index_s": index_s,
        "index_bytes": sizes.get("search_posting", 0),
        "sealed_bytes": sizes.get("entry", 0),
        # FTS5's index proper (doc_data, doc_idx); doc_content is the text itself.
        "fts_bytes": fts_sizes.get("doc_data", 0) + fts_sizes.get("doc_idx", 0),
    }


def _flush(db, fts, entries, tokens, docs, metas) -> None:  # type: ignore[no-untyped-def]
    db.executemany("INSERT INTO entry VALUES (?, ?, ?, ?, ?)", entries)
    if tokens:  # one posting chunk per token per flush, as an import writes them
        rows = posting_rows(tokens[0][0], tokens)
        db.executemany("INSERT INTO search_posting (token, chunk, seqs) VALUES (?, ?, ?)", rows)
    fts.executemany("INSERT INTO doc (rowid, body) VALUES (?, ?)", docs)
    fts.executemany("INSERT INTO meta VALUES (?, ?)", metas)
    for batch in (entries, tokens, docs, metas):
        batch.clear()


class MemoryIndex:
    """The ``memory`` strategy: normalised text of every entry, newest first.

    (The product's version, which also keeps the Records, is
    ``evidence_locker.search.memory.DecryptedView``.)
    """

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


class Locker:
    """Just enough of an unlocked locker to run the three search strategies."""

    def __init__(self, path: Path, keys: KeyRing, tok: Tokenizer):
        self.db = sqlite3.connect(path)
        self.keys = keys
        self.tok = tok
        self.memory: MemoryIndex | None = None
        self.count = self.db.execute("SELECT count(*) FROM entry").fetchone()[0]

    def _open(self, entry_id: str, sealed: bytes) -> dict[str, str]:
        plain = self.keys.fields.open(sealed, AD_PREFIX + entry_id.encode())
        return searchable_fields(json.loads(plain))

    def _rows(
        self, seqs: set[int] | None, window: tuple[int, int] | None, stream_share: float = 0.25
    ) -> Iterator[tuple[int, str, int, bytes]]:
        """Entry rows, newest first: the candidates only, or all if ``seqs`` is None.

        Candidates are looked up by key, unless they are more than ``stream_share`` of
        all entries: then they are picked out while streaming the table in date order
        (which also lets a first page stop early).
        """
        sql = "SELECT seq, id, occurred_us, sealed FROM entry"
        where: list[str] = []
        params: list[object] = []
        by_key = seqs is not None and len(seqs) <= stream_share * self.count
        if by_key:
            where.append("seq IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(sorted(seqs)))  # type: ignore[arg-type]
        if window is not None:
            where.append("occurred_us BETWEEN ? AND ?")
            params.extend(window)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY occurred_us DESC"
        rows = self.db.execute(sql, params)
        if seqs is None or by_key:
            yield from rows
        else:
            yield from (row for row in rows if row[0] in seqs)

    def search_index(self, query: Query, window: tuple[int, int] | None) -> list[int]:
        seqs = candidate_seqs(self.db, query, self.tok)
        return [
            seq
            for seq, entry_id, _occurred, sealed in self._rows(seqs, window)
            if confirm_text(query, normalized_text(self._open(entry_id, sealed)))
        ]

    def search_scan(self, query: Query, window: tuple[int, int] | None) -> list[int]:
        return [
            seq
            for seq, entry_id, _occurred, sealed in self._rows(None, window)
            if confirm_text(query, normalized_text(self._open(entry_id, sealed)))
        ]

    def load_memory(self) -> None:
        self.memory = MemoryIndex()
        for seq, entry_id, occurred, sealed in self.db.execute(
            "SELECT seq, id, occurred_us, sealed FROM entry"
        ):
            self.memory.add(seq, occurred, self._open(entry_id, sealed))
        self.memory.search(parse_query("warm-up"))

    def search_memory(self, query: Query, window: tuple[int, int] | None) -> list[int]:
        assert self.memory is not None
        since, until = window if window else (None, None)
        return self.memory.search(query, since_us=since, until_us=until)

    def search_index_first(
        self, query: Query, window: tuple[int, int] | None, limit: int
    ) -> list[int]:
        """The first page: newest ``limit`` hits, decrypting candidates newest first."""
        hits: list[int] = []
        seqs = candidate_seqs(self.db, query, self.tok)
        for seq, entry_id, _occurred, sealed in self._rows(seqs, window, stream_share=0.01):
            if confirm_text(query, normalized_text(self._open(entry_id, sealed))):
                hits.append(seq)
                if len(hits) >= limit:
                    break
        return hits


class Fts:
    """The plaintext baseline: what an unencrypted app would do with SQLite FTS5."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path)

    def search(
        self, words: Sequence[str], window: tuple[int, int] | None, limit: int | None = None
    ) -> list[int]:
        """Matching rows with their text (a real app shows them), newest first."""
        where: list[str] = []
        params: list[object] = []
        long_words = [w for w in words if len(w) >= 3]
        if long_words:
            where.append("doc MATCH ?")
            params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long_words))
        for w in words:
            # The trigram index cannot look up 1-2 characters; SQLite scans. (Its LIKE
            # finds nothing for a 2-character CJK pattern, so instr() is used for those.)
            if len(w) < 3:
                where.append("doc.body LIKE ?" if w.isascii() else "instr(doc.body, ?) > 0")
                params.append(f"%{w}%" if w.isascii() else w)
        sql = "SELECT doc.rowid, doc.body FROM doc JOIN meta ON meta.seq = doc.rowid WHERE "
        sql += " AND ".join(where)
        if window is not None:
            sql += " AND meta.occurred_us BETWEEN ? AND ?"
            params.extend(window)
        sql += " ORDER BY meta.occurred_us DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [row[0] for row in self.db.execute(sql, params)]


def timed(fn: Callable[[], list[int]], repeat: int) -> tuple[list[float], list[int]]:
    result: list[int] = []
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times, result


def pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def queries_for(n: int, seed: int) -> list[tuple[str, str, list[str]]]:
    """(label, query as typed, words for FTS5). The number is one the generator uses."""
    first = next(iter(generate(1, seed)))
    number = (first.address or "+8613800138000").removeprefix("+86")
    return [
        ("rare", "仲裁委员会", ["仲裁委员会"]),
        ("common", "还款", ["还款"]),
        ("two_terms", "逾期 起诉", ["逾期", "起诉"]),
        ("phrase", '"file a lawsuit"', ["file a lawsuit"]),
        ("english", "Lawsuit", ["lawsuit"]),
        ("number", number, [number]),
        ("case_ref", "AJ-2025-0042", ["AJ-2025-0042"]),
    ]


def run(n: int, seed: int, repeat: int, scan_repeat: int) -> None:
    keys = KeyRing(bytes(range(32)))
    tok = Tokenizer(keys.index_token)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        folder = Path(tmp)
        stats = build(folder, n, seed, keys, tok)
        pre = f"search.{n}"
        emit(f"{pre}.build_time", stats["build_s"], "s")
        emit(f"{pre}.index_tokenize_time", stats["index_s"], "s")
        emit(
            f"{pre}.index_bytes_per_record",
            stats["index_bytes"] / n,
            "B",
            baseline=stats["fts_bytes"] / n,
            goal="reported; baseline = FTS5 trigram index bytes per record",
        )
        emit(f"{pre}.sealed_bytes_per_record", stats["sealed_bytes"] / n, "B")
        locker = Locker(folder / "locker.db", keys, Tokenizer(keys.index_token))
        fts = Fts(folder / "fts.db")
        rss_before = rss_mib()
        t0 = time.perf_counter()
        locker.load_memory()
        emit(f"{pre}.memory_load_time", time.perf_counter() - t0, "s")
        emit(f"{pre}.memory_rss_growth", rss_mib() - rss_before, "MB")
        goal = f"p50 < {GOAL_P50_MS:g} ms and <= {GOAL_RATIO:g}x FTS5 (at 100k)"
        for label, typed, words in queries_for(n, seed):
            query = parse_query(typed)
            for window_label, window in (("", None), (".dated", DATE_FILTER)):
                name = f"{pre}.{label}{window_label}"
                fts_t, fts_hits = timed(lambda w=window, ws=words: fts.search(ws, w), repeat)
                page_t, _ = timed(lambda w=window, ws=words: fts.search(ws, w, PAGE), repeat)
                idx_t, idx_hits = timed(lambda w=window, q=query: locker.search_index(q, w), repeat)
                first_t, first_hits = timed(
                    lambda w=window, q=query: locker.search_index_first(q, w, PAGE), repeat
                )
                mem_t, mem_hits = timed(
                    lambda w=window, q=query: locker.search_memory(q, w), repeat
                )
                scan_t, scan_hits = timed(
                    lambda w=window, q=query: locker.search_scan(q, w), scan_repeat
                )
                if not idx_hits == mem_hits == scan_hits or first_hits != idx_hits[:PAGE]:
                    raise SystemExit(f"strategies disagree on {name}")
                emit(f"{name}.hits", len(idx_hits), "records", baseline=len(fts_hits))
                if window is None:
                    cands = candidate_seqs(locker.db, query, locker.tok)
                    emit(f"{name}.candidates", -1 if cands is None else len(cands), "records")
                    cand_t, _ = timed(
                        lambda q=query: candidate_seqs(locker.db, q, locker.tok), repeat
                    )  # type: ignore[misc,return-value]
                    emit(f"{name}.candidate_lookup.p50", pct(cand_t, 0.5), "ms")
                for strategy, times, base in (
                    ("index", idx_t, fts_t),
                    (f"index_first{PAGE}", first_t, page_t),
                    ("memory", mem_t, fts_t),
                    ("scan", scan_t, fts_t),
                ):
                    emit(f"{name}.{strategy}.p50", pct(times, 0.5), "ms", pct(base, 0.5), goal)
                    emit(f"{name}.{strategy}.p95", pct(times, 0.95), "ms", pct(base, 0.95), goal)
        locker.db.close()
        fts.db.close()
    emit(f"search.{n}.peak_rss", peak_rss_mib(), "MB", goal=f"< {GOAL_RSS_MB:g} MB")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2k records only")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=None, help="default 21 (--quick: 5)")
    args = parser.parse_args(argv)
    sizes = [2_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = args.repeat or (5 if args.quick else 21)
    for n in sizes:
        # --quick: one decrypt-everything scan per query (100-1000x the other
        # strategies, so one run says what it has to say)
        scan_repeat = 3 if n > 20_000 else (1 if args.quick else 5)
        run(n, args.seed, repeat if n <= 20_000 else max(5, repeat // 2), scan_repeat)


if __name__ == "__main__":
    main()
