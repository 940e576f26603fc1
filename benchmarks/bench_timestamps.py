#!/usr/bin/env python3
"""Trusted time: how long ``stamp`` and ``verify`` take against the local test TSA.

- ``stamp``: one ``Locker.stamp()`` in a fresh process (first use: the token
  libraries are imported then), minus the time the TSA spent answering, which is
  the "network" of the goal "under 0.5 s plus network time"; the baseline is that
  TSA time (an ``openssl ts -reply`` per request, as freetsa.org runs).
- ``verify``: ``Locker.verify()`` over N entries with S stamps (10,000 and 100; with
  --quick 500 and 5), against the baseline of the same verify with no stamps
  (the ledger alone), measured on the same locker in the same run. Goal: under 2 s
  in all.

The TSA is tests/tsa_server.py on 127.0.0.1 (openssl ts -reply), started and
stopped here. Most of a first stamp is importing pyhanko-certvalidator (about 0.12 s
on an idle machine, several times that on a loaded one): each line carries the load
average it was measured under. This process, which times no unlock, derives each
locker's key once (Argon2id, tests/kdf_memo.py) however often it opens the locker;
the stamp's own process unlocks at full cost, outside its timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSPHRASE = "benchmark passphrase"

STAMP_CHILD = """
import json, sys, time
from evidence_locker.locker import Locker
locker = Locker.open(sys.argv[1], passphrase=sys.argv[2])
start = time.perf_counter()
[result] = locker.stamp()
elapsed = time.perf_counter() - start
assert result.anchor is not None, result.error
print(json.dumps({"stamp_s": elapsed}))
"""


def _build(directory: Path, entries: int, stamps: int, tsa_url: str, root_pem: bytes) -> None:
    """A locker of ``entries`` synthetic records, stamped after each 1/``stamps`` of them."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synth import generate

    from evidence_locker.locker import Locker

    locker, _ = Locker.create(directory, PASSPHRASE)
    locker.add_tsa("local", tsa_url, root_pem)
    drafts = list(generate(entries, seed=17))
    step = max(1, entries // stamps)
    for i in range(0, entries, step):
        locker.log_batch(drafts[i : i + step])
        assert locker.stamp()[0].anchor is not None
    locker.close()


def _stamp_once(directory: Path, tsa, i: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Log one record, then stamp in a fresh process: (stamp time, TSA time)."""
    from evidence_locker.locker import Locker
    from evidence_locker.model import Channel, ContactDraft

    with Locker.open(directory, passphrase=PASSPHRASE) as locker:
        at = datetime(2025, 2, 9, 18, i, tzinfo=UTC)
        locker.log(ContactDraft(channel=Channel.SMS, occurred_at=at, content=f"bench {i}"))
    busy = tsa.busy_s
    out = subprocess.run(
        [sys.executable, "-c", STAMP_CHILD, str(directory), PASSPHRASE],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)["stamp_s"], tsa.busy_s - busy


def _median(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    entries, stamps, runs = (500, 5, 2) if quick else (10_000, 100, 5)
    from evidence_locker.locker import Locker
    from tests.kdf_memo import argon2id_remembered
    from tests.tsa_server import TsaServer, make_pki

    with tempfile.TemporaryDirectory() as tmp, argon2id_remembered():
        pki = make_pki(Path(tmp) / "pki", stranger=False)
        with TsaServer(pki) as tsa:
            small = Path(tmp) / "small"
            Locker.create(small, PASSPHRASE)[0].close()
            with Locker.open(small, passphrase=PASSPHRASE) as locker:
                locker.add_tsa("local", tsa.url, pki.root_pem)
            measured = [_stamp_once(small, tsa, i) for i in range(runs)]
            stamp_s = statistics.median(total - busy for total, busy in measured)
            server_s = statistics.median(busy for _, busy in measured)

            big = Path(tmp) / "big"
            _build(big, entries, stamps, tsa.url, pki.root_pem)
        with Locker.open(big, passphrase=PASSPHRASE) as locker:
            with locker._session.read() as conn:  # the ledger alone, no stamps
                ledger_s = _median(lambda: locker.ledger.verify(conn), runs)
            report = locker.verify()
            assert report.ok and len(report.stamps.verdicts) >= stamps
            verify_s = _median(locker.verify, runs)
    _line("stamp_minus_tsa_time", stamp_s, server_s, "time the local TSA spent answering",
          "< 0.5 s plus network time", digits=4)  # fmt: skip
    _line(f"verify_{entries}_entries_{stamps}_stamps", verify_s, ledger_s,
          "the same ledger verified without the stamps", "< 2 s", digits=3)  # fmt: skip


def _line(
    name: str, value: float, baseline: float, baseline_is: str, goal: str, digits: int
) -> None:
    print(
        json.dumps(
            {
                "name": name,
                "value": round(value, digits),
                "unit": "s",
                "baseline": round(baseline, digits),
                "baseline_is": baseline_is,
                "ratio": round(value / baseline, 2) if baseline else None,
                "goal": goal,
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
