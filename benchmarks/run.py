#!/usr/bin/env python3
"""Run the benchmarks and print one JSON object per line.

    python benchmarks/run.py [NAME ...] [--quick]

Each ``benchmarks/bench_<name>.py`` is a script that prints JSON lines with
``name``, ``value``, ``unit``, ``baseline`` (measured in the same run), ``ratio``
and ``goal``. This runner starts each one in its own process (so memory figures
are per benchmark), passes ``--quick`` through, and forwards its lines. Benchmarks
never decide whether the test suite passes. Each runs with this checkout first on
``PYTHONPATH`` (its child processes too), so the figures are this code's, installed
or not.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    args = parser.parse_args()
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
    for name in args.names or list(benches):
        cmd = [sys.executable, str(benches[name])] + (["--quick"] if args.quick else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent, env=env)
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
            error = {"name": name, "error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
            print(json.dumps(error), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
