#!/usr/bin/env python3
"""Search latency through the real ``Locker.search``, beside plaintext SQLite FTS5.

A child process builds a deterministic synthetic locker (``synth.generate``: mixed
zh/en SMS, calls and visits over several creditors) with ``Locker.log_batch``, and an
FTS5 database over the same searched texts. This process then unlocks the locker once
and times a query set: the first page (the CLI's default, newest 50) and every hit,
with and without filters (channel, date range, organisation). Every query has hits.
Building elsewhere keeps this process's memory figures about searching only.

Each query is timed on both of the Locker's paths (docs/search.md):

- ``index``: what a one-shot ``search`` command does: the blind index gives the
  candidates, only those are decrypted and confirmed;
- ``decrypted``: after ``Locker.keep_decrypted()`` (``search --interactive``, a script
  or service searching many times): text in memory, the index for rare terms. The
  time to decrypt everything once is reported (``decrypt_all``), with the memory.

Baselines, queried in the same run over the same texts, newest first, first 50 or
all, with the same filters:

- ``baseline`` (the issue's): a bare in-memory FTS5 table (trigram tokenizer)
  returning rowids only;
- ``baseline_text``: the same tables in a database file, returning each hit's text,
  which is what a plaintext app must read to show a result.

Goal (issue "Search"): at 100k records p50 < 50 ms and within 10x of FTS5; index size
reported as bytes per record; memory under 300 MB.

    python benchmarks/bench_search_locker.py [--quick]     # --quick: 2k records only
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from procmem import peak_rss_mib, rss_mib

QUERIES = {
    "common": "还款",
    "two_terms": "还款 上门",
    "phrase": '"final notice"',
    "english": "lawsuit",
    "number": "13800138000",
    "rare": "仲裁委员会",
}
# (query name, filter name): the filtered runs.
FILTERED = [
    ("common", "channel"),
    ("common", "date"),
    ("common", "org"),
    ("number", "channel"),
    ("number", "date"),
    ("number", "org"),
]
PAGE = 50


RUNS = 7  # timed runs per query (3 with --quick)


def timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def filters():  # type: ignore[no-untyped-def]
    """Filter name -> (RecordFilter, SQL condition on table p, parameters)."""
    from synth import START

    from evidence_locker.model import Channel, RecordFilter

    since, until = START + timedelta(days=640), START + timedelta(days=730)
    return {
        "none": (RecordFilter(), [], []),
        "channel": (RecordFilter(channels=(Channel.CALL,)), ["channel = ?"], ["call"]),
        "date": (
            RecordFilter(since=since, until=until),
            ["ts BETWEEN ? AND ?"],
            [since.timestamp(), until.timestamp()],
        ),
        "org": (RecordFilter(organisation="农商银行"), ["org LIKE ?"], ["%农商银行%"]),
    }


def fts_sql(
    q: str, limit: int | None, cond: list[str], cond_params: list[object], text: bool
) -> tuple[str, list[object]]:
    """The plaintext baseline's query, newest first like ``Locker.search``.

    FTS5's trigram index cannot answer terms under 3 characters (it returns no rows
    for them, which is most two-character Chinese words), so those are matched with
    LIKE over the same rows; terms of 3+ characters use the index (MATCH).
    """
    terms = [q.strip('"')] if q.startswith('"') else q.split()
    where: list[str] = []
    params: list[object] = []
    for term in terms:
        if len(term) >= 3:
            where.append("rowid IN (SELECT rowid FROM t WHERE t MATCH ?)")
            params.append('"' + term.replace('"', '""') + '"')
        else:
            where.append("body LIKE ?")
            params.append(f"%{term}%")
    cols = "rowid, body" if text else "rowid"
    sql = f"SELECT {cols} FROM p WHERE {' AND '.join(where + cond)} ORDER BY ts DESC"
    return sql + (f" LIMIT {PAGE}" if limit else ""), params + cond_params


def fts_db(path: str, docs: list[tuple[str, float, str, str]]) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='trigram')")
    db.execute("CREATE TABLE p(body TEXT, ts REAL, channel TEXT, org TEXT)")
    db.executemany("INSERT INTO p(body, ts, channel, org) VALUES (?, ?, ?, ?)", docs)
    db.execute("INSERT INTO t(rowid, body) SELECT rowid, body FROM p")
    db.execute("CREATE INDEX p_ts ON p(ts)")
    db.commit()
    return db


def emit(**row: object) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)


PASSPHRASE = "benchmark passphrase"


def build(n: int, tmp: Path) -> None:
    """In the child: the locker at ``tmp/locker`` and the FTS5 tables at ``tmp/fts.db``."""
    from synth import generate

    from evidence_locker.locker import Locker
    from evidence_locker.search.index import searchable_fields

    locker, _ = Locker.create(tmp / "locker", PASSPHRASE)
    drafts = list(generate(n, 1))
    start = time.perf_counter()
    locker.log_batch(drafts)
    emit(
        name=f"locker_search.{n}.import",
        value=round(time.perf_counter() - start, 2),
        unit="s",
        baseline=None,
        ratio=None,
        goal="reported",
    )
    locker.close()
    docs = [
        (
            "\n".join(searchable_fields(d.sensitive_values()).values()),
            d.occurred_at.timestamp(),
            d.channel.value,
            d.organisation or "",
        )
        for d in drafts
    ]
    fts_db(str(tmp / "fts.db"), docs).close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--build", nargs=2, metavar=("N", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(int(args.build[0]), Path(args.build[1]))
        return
    sizes = [2_000] if args.quick else [10_000, 100_000]
    global RUNS
    RUNS = 3 if args.quick else RUNS
    from evidence_locker.locker import Locker

    flts = filters()
    runs = [(name, "none") for name in QUERIES] + FILTERED
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            child = [sys.executable, __file__, "--build", str(n), tmp]
            subprocess.run(child, check=True)  # its JSON line goes straight to stdout
            filed = sqlite3.connect(Path(tmp) / "fts.db")
            bare = sqlite3.connect(":memory:")
            filed.backup(bare)
            db = sqlite3.connect(Path(tmp) / "locker" / "locker.db")
            sizes_ = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
            db.close()
            fts_sizes = dict(filed.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
            emit(
                name=f"locker_search.{n}.index_bytes_per_record",
                value=round(sizes_.get("search_posting", 0) / n, 1),
                unit="B",
                baseline=round((fts_sizes.get("t_data", 0) + fts_sizes.get("t_idx", 0)) / n, 1),
                ratio=None,
                goal="reported; baseline = FTS5 trigram index (t_data + t_idx) per record",
                sealed_entry_bytes_per_record=round(sizes_.get("entry", 0) / n, 1),
            )
            locker = Locker.open(Path(tmp) / "locker", passphrase=PASSPHRASE)
            for path in ("index", "decrypted"):
                if path == "decrypted":
                    before = rss_mib()
                    start = time.perf_counter()
                    locker.keep_decrypted()
                    emit(
                        name=f"locker_search.{n}.decrypt_all",
                        value=round(time.perf_counter() - start, 2),
                        unit="s",
                        baseline=None,
                        ratio=None,
                        goal="reported (once per process, before the decrypted path)",
                        memory_growth_mib=round(rss_mib() - before, 1),
                    )
                for qname, fname in runs:
                    q = QUERIES[qname]
                    flt, cond, cond_params = flts[fname]
                    for label, limit in (("first50", PAGE), ("all", None)):
                        hits = len(locker.search(q, flt, limit=limit))
                        p50, p95 = timed(
                            lambda lk=locker, q=q, f=flt, lim=limit: lk.search(q, f, limit=lim)
                        )
                        sql, params = fts_sql(q, limit, cond, cond_params, text=False)
                        fts_hits = len(bare.execute(sql, params).fetchall())
                        b50, _ = timed(
                            lambda db=bare, sql=sql, p=params: db.execute(sql, p).fetchall()
                        )
                        sql, params = fts_sql(q, limit, cond, cond_params, text=True)
                        t50, _ = timed(
                            lambda db=filed, sql=sql, p=params: db.execute(sql, p).fetchall()
                        )
                        emit(
                            name=f"locker_search.{n}.{path}.{qname}.{fname}.{label}.p50",
                            value=round(p50, 3),
                            unit="ms",
                            baseline=round(b50, 3),
                            ratio=round(p50 / max(b50, 1e-6), 1),
                            goal="p50 < 50 ms and <= 10x FTS5 at 100k",
                            baseline_text=round(t50, 3),
                            ratio_text=round(p50 / max(t50, 1e-6), 1),
                            hits=hits,
                            fts_hits=fts_hits,
                            p95_ms=round(p95, 3),
                        )
            emit(
                name=f"locker_search.{n}.peak_rss",
                value=round(peak_rss_mib(), 1),
                unit="MiB",
                baseline=None,
                ratio=None,
                goal="< 300 MB (this process: the locker, its decrypted view, and the"
                " in-memory FTS5 baseline)",
            )
            bare.close()
            filed.close()
            locker.close()


if __name__ == "__main__":
    main()
