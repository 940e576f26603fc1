#!/usr/bin/env python3
"""Run the benchmarks and print one JSON object per line.

    python benchmarks/run.py [NAME ...] [--quick] [--jobs N]

Each ``benchmarks/bench_<name>.py`` is a script that prints JSON lines with
``name``, ``value``, ``unit``, ``baseline`` (measured in the same run), ``ratio``
and ``goal``. This runner starts each one in its own process (so memory figures
are per benchmark), passes ``--quick`` through, and forwards its lines. Benchmarks
never decide whether the test suite passes. Each runs with this checkout first on
``PYTHONPATH`` (its child processes too), so the figures are this code's, installed
or not.

A full run starts one benchmark at a time, so no figure shares the machine with another
benchmark. ``--quick`` is the smoke run (under a minute on a 2-core machine): it runs
two benchmarks at a time (``--jobs``), so its timings carry that contention; ratios to
a baseline measured in the same process carry it on both sides. Lines come out in the
same order either way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument(
        "--jobs", type=int, default=None, help="benchmarks run at a time (default: 2 quick, else 1)"
    )
    args = parser.parse_args()
    jobs = max(1, args.jobs if args.jobs is not None else (2 if args.quick else 1))
    benches = available()
    unknown = [n for n in args.names if n not in benches]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; have: {', '.join(benches)}")
    status = 0
    env = dict(os.environ)
    # Cached bytecode, as a user's Python has it (pip compiles an installed package; an
    # editable one is cached on first run). With PYTHONDONTWRITEBYTECODE set, as in
    # some sandboxes, each of the 40-odd processes of a run would compile every module
    # of the package from source again (~0.15 s each), which no figure is about.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    names = args.names or list(benches)

    def run(name: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, str(benches[name])] + (["--quick"] if args.quick else [])
        return subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent, env=env)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        # map yields in the order given: each benchmark's lines come out in place.
        for name, proc in zip(names, pool.map(run, names), strict=True):
            for line in proc.stdout.splitlines():
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    json.loads(line)
                except ValueError:
                    continue
                print(line, flush=True)
            if proc.returncode != 0:
                status = 1
                last = proc.stderr.strip().splitlines()[-1:] or ["failed"]
                print(json.dumps({"name": name, "error": last}), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
