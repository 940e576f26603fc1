"""Reading text from screenshots: accuracy on the generated corpus, speed and memory.

Prints one JSON object per line: {"name", "value", "unit", "baseline", "ratio", "goal"}.

- ``ocr_accuracy_zh`` / ``ocr_accuracy_digits`` / ``ocr_accuracy_all``: character
  accuracy (1 - edit distance / true length, per character class, NFKC-folded) of
  ``evidence_locker.ocr.read_image`` over generated screenshots (tests/ocr_corpus.py:
  WeChat-like chats and SMS threads, light and dark, zh/en/mixed, 720p to 1170p).
  Goal: >= 0.95. Baseline: none (the truth is known). With --quick: over the timed
  1080 x 2400 screenshot only (its warm-up read), so no third engine load.
- ``ocr_read_1080x2400``: seconds to read one 1080 x 2400 screenshot through
  ``read_image`` (PNG bytes in, lines in reading order out), median of the timed runs
  after one warm-up. Baseline: the engine's own call (``RapidOCR(...)(array)``) with
  the same settings on the same image, in a second child process. Goal: < 2 s.
- ``ocr_read_cpu_1080x2400``: the same read in CPU seconds (both cores counted), which
  does not depend on what else the machine runs. Baseline: the bare call's.
- ``ocr_peak_rss``: peak resident memory (MiB) of the child that loaded the engine
  and read the image. Baseline: the bare engine call's child. Goal: < 500.
- ``ocr_engine_defaults_1080x2400`` (not with --quick): the engine called with its
  own defaults (orientation classifier on, detection on the upscaled shorter side),
  to show what the settings in ocr/engine.py buy. Baseline: ``ocr_read_1080x2400``.

Usage: python benchmarks/bench_ocr.py [--quick] [--images N]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from procmem import peak_rss_mib  # noqa: E402


def shot_png() -> tuple[str, bytes]:
    """The timed 1080 x 2400 screenshot: its true text and its PNG bytes."""
    from tests.ocr_corpus import screenshot

    buf = io.BytesIO()
    shot = screenshot(7, (1080, 2400), kind="chat", dark=False)
    shot.image.save(buf, "PNG")
    return shot.text, buf.getvalue()


def child(mode: str, runs: int) -> None:
    """Load, warm up, time ``runs`` reads of the 1080 x 2400 shot; print one JSON line
    (ours: with the warm-up read's errors against the shot's true text)."""
    truth, data = shot_png()
    scored: dict[str, tuple[int, int]] = {}
    if mode == "ours":
        from evidence_locker.ocr import get_engine, read_image
        from tests.ocr_corpus import errors

        engine = get_engine()

        def call() -> int:
            result = read_image(data, engine=engine)
            scored.update(errors(truth, result.text))
            return len(result.lines)
    else:
        import numpy as np
        import rapidocr
        from PIL import Image

        from evidence_locker.ocr.engine import RapidOcrEngine

        bgr = np.ascontiguousarray(
            np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))[..., ::-1]
        )
        ocr = RapidOcrEngine()._ocr if mode == "bare" else rapidocr.RapidOCR()

        def call() -> int:
            return len(ocr(bgr).txts or ())

    lines = call()
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    result = {"s": statistics.median(times), "cpu": statistics.median(cpu), "lines": lines}
    print(json.dumps(result | {"peak": peak_rss_mib(), "errors": scored}))


def run_child(mode: str, runs: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def accuracy(count: int) -> dict[str, float]:
    from evidence_locker.ocr import get_engine, read_image
    from tests.ocr_corpus import corpus, errors

    engine = get_engine()
    totals: dict[str, list[int]] = {}
    for shot in corpus(count, start=1000):
        buf = io.BytesIO()
        shot.image.save(buf, "PNG")
        result = read_image(buf.getvalue(), engine=engine)
        for name, (dist, length) in errors(shot.text, result.text).items():
            total = totals.setdefault(name, [0, 0])
            total[0] += dist
            total[1] += length
    return {name: 1 - d / n for name, (d, n) in totals.items()}


def emit(name: str, value: float, unit: str, baseline: float | None, goal: str) -> None:
    ratio = round(value / baseline, 3) if baseline else None
    line = {"name": name, "value": round(value, 4), "unit": unit, "baseline": baseline}
    print(json.dumps(line | {"ratio": ratio, "goal": goal}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--images", type=int, default=None)
    parser.add_argument("--child", choices=["ours", "bare", "defaults"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs)
        return
    from evidence_locker.ocr import engine_installed

    if not engine_installed():
        print(json.dumps({"name": "ocr", "skipped": "pip install 'evidence-locker[ocr]'"}))
        return
    runs = 1 if args.quick else 3
    ours = run_child("ours", runs)
    bare = run_child("bare", runs)
    emit("ocr_read_1080x2400", ours["s"], "s", round(bare["s"], 3), "< 2")
    # CPU seconds (both cores count): what the read costs whatever else the machine runs.
    emit("ocr_read_cpu_1080x2400", ours["cpu"], "cpu-s", round(bare["cpu"], 3), "info")
    emit("ocr_peak_rss", ours["peak"], "MiB", round(bare["peak"], 1), "< 500")
    if not args.quick:
        defaults = run_child("defaults", runs)
        emit("ocr_engine_defaults_1080x2400", defaults["s"], "s", round(ours["s"], 3), "info")
    if args.quick and not args.images:
        scores = {name: 1 - d / n for name, (d, n) in ours["errors"].items()}
    else:
        scores = accuracy(args.images or 24)
    for name in ("zh", "digits", "all"):
        emit(f"ocr_accuracy_{name}", scores[name], "fraction", None, ">= 0.95")


if __name__ == "__main__":
    main()
