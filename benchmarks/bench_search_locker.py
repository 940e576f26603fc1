#!/usr/bin/env python3
"""Search latency through the real ``Locker.search``, beside plaintext SQLite FTS5.

Builds a deterministic synthetic locker (``synth.generate``: mixed zh/en SMS, calls
and visits over several creditors) with ``Locker.log_batch``, unlocks it once, and
times a query set: the first page (the CLI's default, newest 50) and every hit.
The baseline is an unencrypted FTS5 table (trigram tokenizer) over the same searched
text, queried in the same run. Goal (issue "Search"): at 100k records p50 < 50 ms and
within 10x of FTS5; memory under 300 MB.

    python benchmarks/bench_search_locker.py [--quick]     # --quick: 10k records only
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERIES = {
    "common": "还款",
    "two_terms": "上门 单位",
    "phrase": '"final notice"',
    "english": "lawsuit",
    "number": "13800138000",
    "rare": "律师函",
}


def timed(fn, runs: int = 7) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def fts_sql(q: str, limit: int | None) -> tuple[str, list[str]]:
    """The plaintext baseline's query, newest first like ``Locker.search``.

    FTS5's trigram index cannot answer terms under 3 characters (it returns no rows
    for them, which is most two-character Chinese words), so those are matched with
    LIKE over the same rows; terms of 3+ characters use the index (MATCH).
    """
    terms = [q.strip('"')] if q.startswith('"') else q.split()
    where, params = [], []
    for term in terms:
        if len(term) >= 3:
            where.append("rowid IN (SELECT rowid FROM t WHERE t MATCH ?)")
            params.append('"' + term.replace('"', '""') + '"')
        else:
            where.append("body LIKE ?")
            params.append(f"%{term}%")
    sql = f"SELECT rowid FROM p WHERE {' AND '.join(where)} ORDER BY ts DESC"
    return sql + (" LIMIT 50" if limit else ""), params


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    sizes = [10_000] if parser.parse_args().quick else [10_000, 100_000]
    from synth import generate

    from evidence_locker.locker import Locker
    from evidence_locker.search.index import searchable_fields

    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            locker, _ = Locker.create(Path(tmp) / "locker", "benchmark passphrase")
            fts = sqlite3.connect(":memory:")
            fts.execute("CREATE VIRTUAL TABLE t USING fts5(body, ts UNINDEXED, tokenize='trigram')")
            fts.execute("CREATE TABLE p(body TEXT, ts REAL)")
            drafts = list(generate(n, 1))
            locker.log_batch(drafts)
            fts.executemany(
                "INSERT INTO t(body, ts) VALUES (?, ?)",
                [
                    (
                        "\n".join(searchable_fields(d.sensitive_values()).values()),
                        d.occurred_at.timestamp(),
                    )
                    for d in drafts
                ],
            )
            fts.execute("INSERT INTO p(rowid, body, ts) SELECT rowid, body, ts FROM t")
            fts.execute("CREATE INDEX p_ts ON p(ts)")
            del drafts
            for name, q in QUERIES.items():
                for label, limit in (("first50", 50), ("all", None)):
                    hits = len(locker.search(q, limit=limit))
                    p50, p95 = timed(lambda lk=locker, q=q, lim=limit: lk.search(q, limit=lim))
                    sql, params = fts_sql(q, limit)
                    b50, _ = timed(lambda db=fts, sql=sql, p=params: db.execute(sql, p).fetchall())
                    print(
                        json.dumps(
                            {
                                "name": f"locker_search.{n}.{name}.{label}.p50",
                                "value": round(p50, 2),
                                "unit": "ms",
                                "baseline": round(b50, 3),
                                "ratio": round(p50 / max(b50, 1e-6), 2),
                                "goal": "p50 < 50 ms and <= 10x FTS5 at 100k",
                                "hits": hits,
                                "p95_ms": round(p95, 2),
                            },
                            ensure_ascii=False,
                        ),
                        flush=True,
                    )
            with open("/proc/self/status") as f:
                hwm = next((int(x.split()[1]) / 1024 for x in f if x.startswith("VmHWM")), 0.0)
            print(
                json.dumps(
                    {
                        "name": f"locker_search.{n}.peak_rss",
                        "value": round(hwm, 1),
                        "unit": "MiB",
                        "baseline": None,
                        "ratio": None,
                        "goal": "< 300 MB",
                    }
                )
            )
            locker.close()


if __name__ == "__main__":
    main()
