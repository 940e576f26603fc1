#!/usr/bin/env python3
"""Backup and restore throughput beside a plain ``tar`` of the same locker directory.

Fills a locker (full: 100k records and 1 GiB of attachments, 256 random 4 MiB files;
``--quick``: 2k records and 32 MiB, median of 2 runs) with ``Locker.log_batch`` and
synthetic drafts,
then times, each in its own fresh process so that the peak memory (``VmHWM`` from
``/proc/self/status``, which unlike ``ru_maxrss`` is not inherited from the parent
across fork+exec) is the command's own:

- ``backup``: open the locker (Argon2id unlock), snapshot, write the file, fsync,
  rename;
- ``restore``: unlock, write and check everything (ledger, every blob against the
  ledger's SHA-256), fsync, rename;

and, in the same run on the same disk, ``tar -cf`` of the locker directory to a file
and ``tar -xf`` of it into an empty directory. ``tar`` does not fsync while backup
and restore do, so the tar figures are given twice: bare (the page cache absorbs the
writes) and followed by ``sync`` (the same durability as ours). ``os.sync()`` runs
before every timed step so no step pays for an earlier one's dirty pages.

Goal (issue 8): within 2x of tar, memory under 150 MB. Prints JSON lines
{name, value, unit, baseline, ratio, goal}. ``--keep DIR`` fills DIR/locker once and
reuses it on later runs (for profiling).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from statistics import median

import jsonline

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PASSPHRASE = "benchmark passphrase 基准"
FILE_SIZE = 4 * 1024 * 1024

CHILD = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    sys.path.insert(0, sys.argv[1] + "/benchmarks")
    mode, src, dst, passphrase = sys.argv[2:6]

    from procmem import peak_rss_mib as hwm_mib

    from evidence_locker.care import backup
    from evidence_locker.locker import Locker
    start_mib = hwm_mib()
    t = time.perf_counter()
    if mode == "backup":
        with Locker.open(src, passphrase=passphrase) as locker:
            info = backup.create_backup(locker, dst)
    else:
        info = backup.restore_backup(src, dst, passphrase=passphrase)
    dt = time.perf_counter() - t
    assert info.ok, info.problems
    print(json.dumps({"seconds": dt, "peak_mib": hwm_mib(), "import_mib": start_mib}))
    """
)


def fill(path: Path, records: int, attach_bytes: int) -> None:
    """A locker of synthetic records, with random (incompressible) files spread evenly."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from synth import generate

    from evidence_locker.locker import Locker
    from evidence_locker.model import AttachmentDraft

    n_files = max(1, attach_bytes // FILE_SIZE)
    every = max(1, records // n_files)
    noise = os.urandom(FILE_SIZE)

    def drafts() -> Iterator[object]:
        for i, draft in enumerate(generate(records, seed=8)):
            k = i // every
            if i % every == 0 and k < n_files:
                data = noise[k:] + noise[:k]  # a distinct file each time
                draft = replace(
                    draft, attachments=[AttachmentDraft(name=f"call-{k}.m4a", data=data)]
                )
            yield draft

    locker, _ = Locker.create(path, PASSPHRASE)
    with locker:
        locker.log_batch(drafts())


def child(mode: str, src: Path, dst: Path) -> dict[str, float]:
    os.sync()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), mode, str(src), str(dst), PASSPHRASE],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def timed(cmd: list[str]) -> tuple[float, float]:
    """Seconds for ``cmd`` alone and for ``cmd`` followed by ``sync``."""
    os.sync()
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    bare = time.perf_counter() - t
    os.sync()
    return bare, time.perf_counter() - t


def kdf_seconds() -> float:
    sys.path.insert(0, str(ROOT))
    from evidence_locker import crypto

    params = crypto.KdfParams.new()
    t = time.perf_counter()
    crypto.passphrase_kek(PASSPHRASE, params)
    return time.perf_counter() - t


def emit(name: str, value: float, unit: str, baseline: float | None, goal: str) -> None:
    jsonline.emit(name, value, unit, baseline, goal, ratio_digits=2)


def run(base: Path, locker: Path, records: int, repeat: int) -> None:
    """Each step ``repeat`` times, interleaved; the median of each is reported."""
    work = base / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    bs: list[dict[str, float]] = []
    rs: list[dict[str, float]] = []
    tcs: list[tuple[float, float]] = []
    txs: list[tuple[float, float]] = []
    for i in range(repeat):
        elb, tar = work / f"b{i}.elb", work / f"b{i}.tar"
        bs.append(child("backup", locker, elb))
        rs.append(child("restore", elb, work / f"restored{i}"))
        tcs.append(timed(["tar", "-cf", str(tar), "-C", str(locker.parent), locker.name]))
        (work / f"untar{i}").mkdir()
        txs.append(timed(["tar", "-xf", str(tar), "-C", str(work / f"untar{i}")]))
        for done in (elb, tar, work / f"restored{i}", work / f"untar{i}"):
            if done.is_dir():
                shutil.rmtree(done)
            else:
                done.unlink()
    b = {k: median(x[k] for x in bs) for k in bs[0]}
    r = {k: median(x[k] for x in rs) for k in rs[0]}
    tar_c, tar_c_sync = median(t[0] for t in tcs), median(t[1] for t in tcs)
    tar_x, tar_x_sync = median(t[0] for t in txs), median(t[1] for t in txs)
    mb = sum(p.stat().st_size for p in locker.rglob("*") if p.is_file()) / 1e6
    label = f"{records} records, {mb:.0f} MB, median of {repeat}"
    emit(f"backup ({label}), incl. unlock", b["seconds"], "s", tar_c, "<= 2x tar -cf")
    emit("backup vs tar -cf + sync", b["seconds"], "s", tar_c_sync, "<= 2x tar -cf + sync")
    emit("backup throughput", mb / b["seconds"], "MB/s", mb / tar_c, ">= 0.5x tar -cf")
    emit("backup peak RSS (VmHWM)", b["peak_mib"], "MiB", None, "< 150 MB")
    emit(
        f"restore ({label}), incl. unlock and checks",
        r["seconds"],
        "s",
        tar_x,
        "<= 2x tar -xf",
    )
    emit("restore vs tar -xf + sync", r["seconds"], "s", tar_x_sync, "<= 2x tar -xf + sync")
    emit("restore throughput", mb / r["seconds"], "MB/s", mb / tar_x, ">= 0.5x tar -xf")
    emit("restore peak RSS (VmHWM)", r["peak_mib"], "MiB", None, "< 150 MB")
    emit("of which Python + imports", b["import_mib"], "MiB", None, "fixed cost")
    kdf = kdf_seconds()
    emit("of which Argon2id unlock", kdf, "s", None, "fixed cost")
    emit("backup without the unlock", b["seconds"] - kdf, "s", tar_c, "<= 2x tar -cf")
    emit("restore without the unlock", r["seconds"] - kdf, "s", tar_x, "<= 2x tar -xf")
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2k records, 32 MiB")
    parser.add_argument("--keep", type=Path, help="fill DIR/locker once and reuse it")
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs of each step, median (3; --quick: 2)"
    )
    args = parser.parse_args()
    records, size = (2_000, 32 << 20) if args.quick else (100_000, 1 << 30)
    args.repeat = args.repeat or (2 if args.quick else 3)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        locker = args.keep / "locker"
        done = args.keep / f"filled-{records}-{size}"
        if not done.exists():
            shutil.rmtree(locker, ignore_errors=True)
            fill(locker, records, size)
            done.touch()
        run(args.keep, locker, records, args.repeat)
        return
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        base = Path(tmp)
        fill(base / "locker", records, size)
        run(base, base / "locker", records, args.repeat)


if __name__ == "__main__":
    main()
