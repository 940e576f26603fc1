#!/usr/bin/env python3
"""What checking the clear columns on every read costs (issue 13, item 4).

Every read now checks that an entry's clear columns (time, channel, case...) are the
ones it was sealed with: format-2 entries bind them as associated data
(ledger/sealing.py), format-1 entries recompute their leaf. This benchmark times the
reading paths of ``list``, ``search`` and ``check`` (``Locker.records``,
``Locker.search`` with every hit, ``Locker.check`` with the Chinese rule set) on three
lockers holding the same synthetic records (``synth.generate``), built in this run:

- ``v2``: as written today (clear columns bound);
- ``baseline``: the same records sealed the old way (only the entry id bound) and
  read the old way, with no check at all: what reading cost before this change;
- ``v1_checked``: the old seals read today, i.e. a format-1 locker, whose every
  entry's leaf is recomputed on reading.

``value`` is the v2 time, ``baseline`` the unchecked time, ``ratio`` their quotient;
each is the best of three (wall clock; the machine is shared). Goal: v2 within noise
of the baseline (ratio <= 1.10). Each locker's key is derived once (Argon2id,
tests/kdf_memo.py) for creating and reopening it: no figure here times an unlock.

    python benchmarks/bench_read.py [--n 20000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synth import TZ, generate
from evidence_locker.ledger import log, sealing
from evidence_locker.locker import Locker
from evidence_locker.rules import shipped_rule_set
from tests.kdf_memo import argon2id_remembered

PASSPHRASE = "benchmark"


@contextmanager
def old_seals() -> Iterator[None]:
    """Seal as format 1 did: only the entry id as associated data."""
    original = sealing.seal

    def seal_v1(cipher: Any, header: dict[str, Any], dedupe: Any, fields: Any) -> Any:
        from evidence_locker.crypto import random_bytes
        from evidence_locker.ledger.canonical import SALT_SIZE, entry_leaf_hash, sealed_plaintext

        plaintext, commitments = sealed_plaintext(fields, random_bytes(SALT_SIZE * len(fields)))
        ad = sealing.AD_PREFIX + header["id"].encode()
        return cipher.seal(plaintext, ad), entry_leaf_hash(header, commitments)

    sealing.seal = seal_v1  # type: ignore[assignment]
    try:
        yield
    finally:
        sealing.seal = original  # type: ignore[assignment]


@contextmanager
def unchecked_reads() -> Iterator[None]:
    """Read as before: open with the id as associated data, trust the clear columns."""
    original = log.Ledger.open_values

    def open_values(self: log.Ledger, row: Any) -> dict[str, Any]:
        plaintext = self.keyring.fields.open(row.sealed, sealing.AD_PREFIX + row.id.encode())
        return sealing.plain_values(plaintext)

    log.Ledger.open_values = open_values  # type: ignore[method-assign]
    try:
        yield
    finally:
        log.Ledger.open_values = original  # type: ignore[method-assign]


def build(directory: Path, n: int) -> None:
    locker, _ = Locker.create(directory, PASSPHRASE)
    with locker:
        locker.log_batch(generate(n, 11), keep_ids=False)


def best(fn: Callable[[], Any], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def reads(locker: Locker) -> dict[str, Callable[[], Any]]:
    cn = shipped_rule_set("cn")
    return {
        "list": locker.records,
        "search": lambda: locker.search("还款", limit=None),
        "check": lambda: locker.check(rule_sets=[cn], tz=TZ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="1,000 records")
    args = parser.parse_args()
    n = 1_000 if args.quick else args.n
    with tempfile.TemporaryDirectory() as tmp, argon2id_remembered():
        import os

        os.environ["EVIDENCE_LOCKER_STATE_DIR"] = str(Path(tmp) / "state")
        new_dir, old_dir = Path(tmp) / "v2", Path(tmp) / "v1"
        build(new_dir, n)
        with old_seals():
            build(old_dir, n)
        times: dict[str, dict[str, float]] = {}
        with Locker.open(new_dir, passphrase=PASSPHRASE) as locker:
            times["v2"] = {k: best(fn) for k, fn in reads(locker).items()}
        with Locker.open(old_dir, passphrase=PASSPHRASE) as locker:
            with unchecked_reads():
                times["baseline"] = {k: best(fn) for k, fn in reads(locker).items()}
            times["v1_checked"] = {k: best(fn) for k, fn in reads(locker).items()}
    for what in ("list", "search", "check"):
        base = times["baseline"][what]
        for label, goal in (("v2", "ratio <= 1.10 (within noise)"), ("v1_checked", "reported")):
            value = times[label][what]
            line = {
                "name": f"read_{what}_{n}_{label}",
                "value": round(value, 4),
                "unit": "s",
                "baseline": round(base, 4),
                "ratio": round(value / base, 3),
                "goal": goal,
            }
            print(json.dumps(line))


if __name__ == "__main__":
    main()
