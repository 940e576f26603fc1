#!/usr/bin/env python3
"""Whole-locker commands as a user runs them: ``list``, ``check`` and ``check --json``.

Each command runs as a fresh process (``python -m evidence_locker``, Argon2id unlock
included) on a synthetic locker (``synth.generate``: mixed zh/en SMS, calls and visits,
many threats, so about a third of the records get a finding), its output read by a pipe
as a terminal of 80 columns would be written. Sizes: 2,000 records (a heavy real
locker) and 20,000 (``--quick``: 2,000 only).

``baseline`` is the least any whole-locker command costs, measured in the same run: a
fresh process that unlocks the same locker and reads every record
(``Locker.records()``). ``ratio`` says what listing or checking adds on top. Each time
is the median of three runs (the machine is shared; ``--quick``: one run). Goal: under
2 s at 2,000 records, as an interactive command should be; 20,000 is reported.

Before the line breaker was rebuilt (cli/linebreak.py), ``list`` took 41 s and ``check``
21 s at 2,000 records on this machine. Then rich's printing was most of both: at 20,000
records ``list`` 13.9 s CPU (244 MB peak), ``check`` 5.3 s (128 MB); at 100,000 ``list``
67 s (1.0 GB), ``check`` 25 s (290 MB). Lines written directly as rich would write them
(cli/direct.py, cli/tablerows.py) and pieces remembered by their breaking classes: 20,000
``list`` 3.4 s (101 MB), ``check`` 2.5 s; 100,000 ``list`` 17.6 s (203 MB), ``check`` 12 s
(CPU seconds, best of 3 at 20,000, one run at 100,000; ``--n 100000`` builds one).
``check_wide`` is ``check`` at 160 columns, where each group is a table: laid out by
rich's Table it took 9.2 s CPU at 20,000 records against 2.4 s as blocks at 80; written
row by row (cli/checktable.py), 2.8 s.

    python benchmarks/bench_commands.py [--quick] [--n N ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.jsonline import emit  # noqa: E402

PASSPHRASE = "benchmark passphrase"
READ_ALL = (
    "import os, sys\n"
    "from evidence_locker.locker import Locker\n"
    "with Locker.open(sys.argv[1], passphrase=os.environ['EVIDENCE_LOCKER_PASSPHRASE']) as k:\n"
    "    assert len(k.records()) > 0\n"
)


def build(directory: Path, n: int) -> None:
    """A locker of ``n`` synthetic records (its key derived once: tests/kdf_memo.py)."""
    from benchmarks.synth import generate
    from evidence_locker.locker import Locker
    from tests.kdf_memo import argon2id_remembered

    with argon2id_remembered():
        locker, _ = Locker.create(directory, PASSPHRASE)
        with locker:
            locker.log_batch(generate(n, 11), keep_ids=False)


def median_wall(cmd: list[str], env: dict[str, str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{cmd[3:]} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000 records only")
    parser.add_argument("--n", type=int, nargs="*", default=None)
    args = parser.parse_args()
    sizes = args.n or ([2_000] if args.quick else [2_000, 20_000])
    runs = 1 if args.quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python caches bytecode
        env.update(
            EVIDENCE_LOCKER_PASSPHRASE=PASSPHRASE,
            EVIDENCE_LOCKER_STATE_DIR=str(Path(tmp) / "state"),
            COLUMNS="80",
            LINES="24",
        )
        os.environ["EVIDENCE_LOCKER_STATE_DIR"] = env["EVIDENCE_LOCKER_STATE_DIR"]
        exe = [sys.executable, "-m", "evidence_locker"]
        for n in sizes:
            directory = Path(tmp) / f"locker{n}"
            build(directory, n)
            where = ["--locker", str(directory), "--tz", "Asia/Shanghai", "--lang", "en"]
            floor = median_wall([sys.executable, "-c", READ_ALL, str(directory)], env, runs)
            goal = "< 2 s" if n <= 2_000 else "reported"
            for name, command, columns in (
                ("list", ["list"], "80"),
                ("check", ["check", "--rules", "cn"], "80"),
                ("check_wide", ["check", "--rules", "cn"], "160"),  # tables, not blocks
                ("check_json", ["check", "--rules", "cn", "--json"], "80"),
            ):
                shell = {**env, "COLUMNS": columns}
                seconds = median_wall([*exe, *where, *command], shell, runs)
                emit(f"command_{name}_{n}", seconds, "s", floor, goal)


if __name__ == "__main__":
    main()
