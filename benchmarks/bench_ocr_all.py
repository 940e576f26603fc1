"""``evidence-locker ocr --all`` over many screenshots: progress, interruption, resume.

Prints one JSON object per line: {"name", "value", "unit", "baseline", "ratio", "goal"}.

A locker gets N generated screenshots (tests/ocr_corpus.py; 720x1600, 1080x2400 and
1170x2532 in turn) attached without reading them, as an import stores them. Then the
real command runs in a pseudo-terminal (so its progress bar draws as a user sees it),
is sent SIGINT once a third of the images have their reading committed, and is run
again to the end.

- ``ocr_all_progress_updates``: distinct "k/N" counts the bar showed in the first run.
  Goal: > 0 (progress is visible).
- ``ocr_all_redone_after_resume``: images read by both runs (readings committed for
  the same attachment twice). Goal: 0 (resuming does not redo finished images).
- ``ocr_all_per_image``: wall seconds per image of the resumed run, start-up included.
  Baseline: ``read_image`` of the same kind of image in this process (engine loaded).
  Goal: ratio < 1.5.

With --quick: 2 screenshots of 720 x 600 (a short chat each), enough for a progress
bar, an interruption after the first and a resume; start-up then dominates the
per-image figure, which says something only over many images (200 without --quick).

Usage: python benchmarks/bench_ocr_all.py [--quick] [--images N]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ocr import emit  # noqa: E402  (the same JSON line as the single-image figures)

PASSPHRASE = "benchmark passphrase 基准"


def readings(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT target FROM entry WHERE kind = 'ocr'")]
    finally:
        con.close()


def run_in_terminal(args: list[str], env: dict[str, str], stop_at: int | None, db: Path) -> str:
    """Run the CLI with a pty as its terminal; SIGINT it once ``stop_at`` readings exist."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "evidence_locker", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
    )
    os.close(slave)
    out = bytearray()
    sent = False
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            out += chunk
            if not chunk and proc.poll() is not None:
                break
        elif proc.poll() is not None:
            break
        if stop_at is not None and not sent and len(readings(db)) >= stop_at:
            proc.send_signal(signal.SIGINT)
            sent = True
    proc.wait()
    os.close(master)
    return out.decode("utf-8", "replace")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--images", type=int, default=None)
    args = parser.parse_args()
    from evidence_locker.ocr import engine_installed

    if not engine_installed():
        print(json.dumps({"name": "ocr_all", "skipped": "pip install 'evidence-locker[ocr]'"}))
        return
    count = args.images or (2 if args.quick else 200)
    sizes = [(720, 600)] if args.quick else None

    from datetime import UTC, datetime

    from evidence_locker.locker import Locker
    from evidence_locker.model import Channel, ContactDraft
    from evidence_locker.ocr import get_engine, read_image
    from tests.ocr_corpus import SIZES, screenshot

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        locker_dir = work / "locker"
        locker, _ = Locker.create(locker_dir, PASSPHRASE)
        locker.text_reader = None  # stored unread, as an import stores files
        record = None
        for i in range(count):
            if i % 10 == 0:
                draft = ContactDraft(
                    channel=Channel.MESSAGE, occurred_at=datetime.now(UTC), app="wechat"
                )
                record = locker.log(draft)
            size = (sizes or SIZES)[i % len(sizes or SIZES)]
            path = work / f"shot{i:03d}.png"
            screenshot(5000 + i, size).image.save(path, "PNG")
            locker.attach(record.id, path)
        locker.close()

        engine = get_engine()
        samples = []
        for i in range(min(3, count)):
            buf = io.BytesIO()
            screenshot(5000 + i, (sizes or SIZES)[i % len(sizes or SIZES)]).image.save(buf, "PNG")
            start = time.perf_counter()
            read_image(buf.getvalue(), engine=engine)
            samples.append(time.perf_counter() - start)
        baseline = sum(samples) / len(samples)

        env = dict(os.environ)
        env |= {"EVIDENCE_LOCKER_DIR": str(locker_dir), "EVIDENCE_LOCKER_PASSPHRASE": PASSPHRASE}
        env |= {"COLUMNS": "80", "LANG": "en_US.UTF-8", "PYTHONPATH": str(ROOT)}
        db = locker_dir / "locker.db"
        first = run_in_terminal(["ocr", "--all"], env, max(1, count // 3), db)
        done_first = len(readings(db))
        start = time.perf_counter()
        second = run_in_terminal(["ocr", "--all"], env, None, db)
        elapsed = time.perf_counter() - start
        targets = readings(db)

    shown = {int(m) for m in re.findall(rf"(\d+)/{count}\b", first)}
    emit("ocr_all_progress_updates", len(shown), "updates", None, "> 0")
    emit("ocr_all_redone_after_resume", len(targets) - len(set(targets)), "images", None, "0")
    resumed = count - done_first
    if "continue" not in first or f"{done_first} already read" not in second:
        print(json.dumps({"name": "ocr_all", "error": "no resume message", "first": first[-300:]}))
    emit("ocr_all_per_image", elapsed / max(1, resumed), "s", round(baseline, 3), "ratio < 1.5")


if __name__ == "__main__":
    main()
