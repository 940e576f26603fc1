#!/usr/bin/env python3
"""Backup and restore throughput beside a plain ``tar`` of the same locker directory.

Fills a locker (full: 100k records and 1 GB of attachments; ``--quick``: 5k records
and 64 MB) with ``Locker.log_batch``, then times, each in a fresh process so peak RSS
is the command's own: ``backup`` (snapshot, stream encryption, fsync, rename),
``restore`` (decrypt, verify the ledger and every blob, rename), and ``tar -cf`` /
``tar -xf`` of the same directory. Goal (issue 8): within 2x of tar, memory under
150 MB. Prints JSON lines {name, value, unit, baseline, ratio, goal}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "benchmark passphrase 基准"
CHILD = """
import resource, sys, time
from evidence_locker import backup
from evidence_locker.locker import Locker
t = time.perf_counter()
if sys.argv[1] == "backup":
    with Locker.open(sys.argv[2], passphrase=sys.argv[4]) as locker:
        backup.create_backup(locker, sys.argv[3])
else:
    backup.restore_backup(sys.argv[2], sys.argv[3], passphrase=sys.argv[4])
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def fill(path: Path, records: int, attach_bytes: int) -> None:
    from evidence_locker.locker import Locker
    from evidence_locker.model import AttachmentDraft, Channel, ContactDraft

    start = datetime(2024, 1, 1, tzinfo=UTC)
    n_files = max(1, attach_bytes // (4 * 1024 * 1024))
    every = max(1, records // n_files)
    chunk = os.urandom(4 * 1024 * 1024)  # random: neither side can compress it

    def drafts():
        for i in range(records):
            files = []
            if i % every == 0 and i // every < n_files:
                files = [
                    AttachmentDraft(name=f"rec-{i}.m4a", data=chunk[i % 97 :] + chunk[: i % 97])
                ]
            yield ContactDraft(
                channel=Channel.SMS,
                occurred_at=start + timedelta(minutes=i),
                address=f"9557{i % 10}",
                content=f"【催收】第{i}条 您的账户已逾期，请尽快还款 overdue notice {i}",
                attachments=files,
            )

    locker, _ = Locker.create(path, PASSPHRASE)
    with locker:
        locker.log_batch(drafts())


def child(*args: str) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args, PASSPHRASE],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def kdf_seconds() -> float:
    from evidence_locker import crypto

    params = crypto.KdfParams.new()
    t = time.perf_counter()
    crypto.passphrase_kek(PASSPHRASE, params)
    return time.perf_counter() - t


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def emit(name: str, value: float, unit: str, baseline: float | None, goal: str) -> None:
    ratio = round(value / baseline, 2) if baseline else None
    print(
        json.dumps(
            {
                "name": name,
                "value": round(value, 3),
                "unit": unit,
                "baseline": round(baseline, 3) if baseline is not None else None,
                "ratio": ratio,
                "goal": goal,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    records, size = (5_000, 64 << 20) if quick else (100_000, 1 << 30)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        base = Path(tmp)
        locker = base / "locker"
        fill(locker, records, size)
        kdf = kdf_seconds()
        b_time, b_rss = child("backup", str(locker), str(base / "b.elb"))
        r_time, r_rss = child("restore", str(base / "b.elb"), str(base / "restored"))
        tar_c = timed(["tar", "-cf", str(base / "b.tar"), "-C", str(base), "locker"])
        os.sync()
        (base / "untar").mkdir()
        tar_x = timed(["tar", "-xf", str(base / "b.tar"), "-C", str(base / "untar")])
        mb = sum(p.stat().st_size for p in locker.rglob("*") if p.is_file()) / 1e6
        label = f"{records} records, {mb:.0f} MB"
        emit(f"backup ({label}), incl. unlock", b_time, "s", tar_c, "<= 2x tar -cf")
        emit("backup throughput", mb / b_time, "MB/s", mb / tar_c, ">= 0.5x tar")
        emit("backup peak RSS", b_rss, "MB", None, "< 150 MB")
        emit(
            f"restore ({label}), incl. unlock and full verify", r_time, "s", tar_x, "<= 2x tar -xf"
        )
        emit("restore throughput", mb / r_time, "MB/s", mb / tar_x, ">= 0.5x tar")
        emit("restore peak RSS", r_rss, "MB", None, "< 150 MB")
        emit("of which Argon2id unlock", kdf, "s", None, "fixed cost")


if __name__ == "__main__":
    main()
