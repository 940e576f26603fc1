#!/usr/bin/env python3
"""Full import speed: a generated SMS Backup & Restore file into a real locker.

Records per second for ``evidence_locker.importing.import_file`` (parse, normalise,
de-duplicate, encrypt, hash into the ledger, index for search, store MMS images),
beside a bare ``iterparse`` loop over the same file in the same run (the baseline).
Goal (issue "Import"): at least 2,000 records/s, within 3x of parse-only. Also the
peak memory (VmHWM) of each, measured in its own process.

    python benchmarks/bench_import.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    sys.path.insert(0, sys.argv[1] + "/benchmarks")
    mode, path, locker_dir = sys.argv[2], sys.argv[3], sys.argv[4]

    def hwm_mib():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    if mode == "parse":
        from bench_import_parse import bare_parse
        from pathlib import Path
        t = time.perf_counter(); n = bare_parse(Path(path)); dt = time.perf_counter() - t
    else:
        from evidence_locker.locker import Locker
        from evidence_locker.importing import import_file
        from evidence_locker.importers import ImportOptions
        locker, _ = Locker.create(locker_dir, "benchmark passphrase")
        t = time.perf_counter()
        summary = import_file(locker, path, options=ImportOptions(timezone="Asia/Shanghai"))
        dt = time.perf_counter() - t
        n = summary.imported
        assert locker.verify().ok
    print(json.dumps({"n": n, "seconds": dt, "peak_mib": hwm_mib()}))
    """
)


def run(mode: str, path: Path, locker_dir: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), mode, str(path), str(locker_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    n = 10_000 if parser.parse_args().quick else 100_000
    sys.path.insert(0, str(HERE))
    from bench_import_parse import generate

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sms-backup.xml"
        generate(path, n)
        parse = run("parse", path, Path(tmp) / "unused")
        full = run("import", path, Path(tmp) / "locker")
    rate = full["n"] / full["seconds"]
    base = parse["n"] / parse["seconds"]
    print(
        json.dumps(
            {
                "name": f"import_sms_backup_{n}",
                "value": round(rate),
                "unit": "records/s",
                "baseline": round(base),
                "ratio": round(base / rate, 2),
                "goal": ">= 2000 records/s and ratio <= 3",
            }
        )
    )
    print(
        json.dumps(
            {
                "name": f"import_peak_memory_{n}",
                "value": round(full["peak_mib"], 1),
                "unit": "MiB",
                "baseline": round(parse["peak_mib"], 1),
                "ratio": round(full["peak_mib"] / parse["peak_mib"], 2),
                "goal": "flat: does not grow with file size",
            }
        )
    )


if __name__ == "__main__":
    main()
