#!/usr/bin/env python3
"""How long does logging one contact take, end to end, including unlock?

Reports the median wall time of ``evidence-locker log sms ...`` as a fresh process,
next to two baselines measured in the same run: ``python -c "import
evidence_locker.cli"`` alone, and the Argon2id key derivation alone. Goal (issue
"Encrypted locker"): the whole command within 0.35 s plus the key derivation.
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
from pathlib import Path


def median_wall(cmd: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def kdf_median(runs: int) -> float:
    from evidence_locker import crypto

    params = crypto.KdfParams.new()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        crypto.passphrase_kek("benchmark passphrase", params)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    runs = 3 if parser.parse_args().quick else 15
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        # A user's Python caches bytecode (pip compiles an installed package; an
        # editable one is cached on first run). With PYTHONDONTWRITEBYTECODE set, as in
        # some sandboxes, every run would compile the package from source instead.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            EVIDENCE_LOCKER_DIR=str(Path(tmp) / "locker"),
            EVIDENCE_LOCKER_PASSPHRASE="benchmark passphrase",
            EVIDENCE_LOCKER_TZ="Asia/Shanghai",
        )
        exe = [sys.executable, "-m", "evidence_locker"]
        subprocess.run([*exe, "init"], env=env, check=True, capture_output=True)
        log = [
            *exe,
            "log",
            "sms",
            "--org",
            "XX农商银行",
            "--number",
            "95577",
            "--at",
            "2025-02-09 18:43",
            "--content",
            "您的贷款已逾期，请尽快还款。",
        ]
        median_wall(log, env, 1)  # warm the file cache and .pyc files
        log_s = median_wall(log, env, runs)
        import_s = median_wall([sys.executable, "-c", "import evidence_locker.cli"], env, runs)
        kdf_s = kdf_median(runs)
    goal = 0.35 + kdf_s
    lines = [
        {
            "name": "log_command_median",
            "value": round(log_s, 4),
            "unit": "s",
            "baseline": round(import_s, 4),
            "ratio": round(log_s / import_s, 2),
            "goal": f"<= {goal:.3f} s (0.35 s + key derivation)",
        },
        {
            "name": "log_command_minus_kdf",
            "value": round(log_s - kdf_s, 4),
            "unit": "s",
            "baseline": round(import_s, 4),
            "ratio": round((log_s - kdf_s) / import_s, 2),
            "goal": "<= 0.35 s",
        },
        {
            "name": "kdf_argon2id_median",
            "value": round(kdf_s, 4),
            "unit": "s",
            "baseline": round(kdf_s, 4),
            "ratio": 1.0,
            "goal": "RFC 9106 second profile (64 MiB, t=3, p=4)",
        },
    ]
    for line in lines:
        print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
