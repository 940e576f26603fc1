"""Dossier rendering speed and memory, beside a bare reportlab baseline.

For each size (100 and 1,000 records; 10,000 as a stress case unless --quick) it runs,
each in a fresh child process so peak RSS is that run's own:

* ``dossier``: render_dossier() with a real proof bundle and a PAdES signature;
* ``baseline``: a bare SimpleDocTemplate with one plain Paragraph per record holding
  the same content text, in the same fonts (the minimum work any PDF of this text
  takes). The dossier prints far more per record (timeline row, every field, proof),
  so besides wall time it reports pages per second against the baseline's.

Wall time on a shared machine varies; CPU time is printed too.

Prints one JSON object per line: {name, value, unit, baseline, ratio, goal}.
Usage: python benchmarks/bench_report.py [--quick]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from procmem import peak_rss_mib  # noqa: E402

GOAL_SECONDS_1000 = 15.0
GOAL_RATIO = 3.0


def _child(kind: str, n: int) -> dict[str, float]:
    """Run one render in this process and report time, pages and peak RSS."""
    import io
    from zoneinfo import ZoneInfo

    from pypdf import PdfReader

    from tests.report_fixtures import DOSSIER_SEED, GENERATED, finish, make_records

    records, bundle = finish(make_records(n))
    start = time.perf_counter()
    cpu_start = time.process_time()
    if kind == "dossier":
        from evidence_locker.report import render_dossier

        pdf = render_dossier(
            records,
            bundle,
            lang="zh",
            title="Benchmark",
            claimant="张三",
            generated_at=GENERATED,
            tz=ZoneInfo("Asia/Shanghai"),
            signing_seed=DOSSIER_SEED,
        )
    else:
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.platypus import Paragraph, SimpleDocTemplate

        from evidence_locker.report.fonts import LATIN, markup, register_fonts

        register_fonts()
        style = ParagraphStyle("p", fontName=LATIN, fontSize=9, leading=12.5, wordWrap="CJK")
        buf = io.BytesIO()
        SimpleDocTemplate(buf).build([Paragraph(markup(r.content), style) for r in records])
        pdf = buf.getvalue()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    rss_mb = peak_rss_mib()
    return {"seconds": seconds, "cpu": cpu, "pages": pages, "rss_mb": rss_mb, "bytes": len(pdf)}


def _run(kind: str, n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _emit(name: str, value: float, unit: str, baseline: float | None, goal: str) -> None:
    ratio = round(value / baseline, 3) if baseline else None
    print(
        json.dumps(
            {
                "name": name,
                "value": round(value, 3),
                "unit": unit,
                "baseline": round(baseline, 3) if baseline is not None else None,
                "ratio": ratio,
                "goal": goal,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        print(json.dumps(_child(argv[1], int(argv[2]))))
        return
    sizes = [100, 1000] if "--quick" in argv else [100, 1000, 10000]
    for n in sizes:
        d = _run("dossier", n)
        b = _run("baseline", n)
        timed = n == 1000
        _emit(
            f"dossier_{n}_seconds",
            d["seconds"],
            "s",
            b["seconds"],
            f"< {GOAL_SECONDS_1000:.0f} s" if timed else "stress" if n > 1000 else "report",
        )
        _emit(f"dossier_{n}_cpu_seconds", d["cpu"], "s", b["cpu"], "report")
        # The dossier prints every record several times over (timeline, full record,
        # proofs), so per-page throughput is the like-for-like comparison.
        _emit(
            f"dossier_{n}_pages_per_s",
            d["pages"] / d["seconds"],
            "pages/s",
            b["pages"] / b["seconds"],
            f"ratio >= {1 / GOAL_RATIO:.2f} (within {GOAL_RATIO:.0f}x)" if timed else "report",
        )
        _emit(f"dossier_{n}_pages", d["pages"], "pages", b["pages"], "report")
        _emit(
            f"dossier_{n}_peak_rss",
            d["rss_mb"],
            "MiB",
            b["rss_mb"],
            "grows with the rendered document only",
        )


if __name__ == "__main__":
    main(sys.argv[1:])
