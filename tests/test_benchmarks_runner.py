"""benchmarks/run.py: lines in the order asked for, however many run at a time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def _names(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, str(RUN), *args], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert all({"name", "value", "unit", "baseline", "ratio", "goal"} <= set(x) for x in lines)
    return [x["name"] for x in lines]


def test_two_at_a_time_prints_in_the_order_asked() -> None:
    """stream takes longer than import_parse: with two at a time import_parse ends
    first, and its lines must still come second."""
    alone = _names("stream", "--quick", "--jobs", "1") + _names(
        "import_parse", "--quick", "--jobs", "1"
    )
    together = _names("stream", "import_parse", "--quick", "--jobs", "2")
    assert together == alone
    assert together[0].startswith("stream_")


def test_unknown_benchmark_is_refused() -> None:
    proc = subprocess.run(
        [sys.executable, str(RUN), "no_such_bench", "--quick"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "unknown benchmark(s) no_such_bench" in proc.stderr
