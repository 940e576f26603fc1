"""The benchmarks' output line: one JSON object with name, value, unit, baseline, ratio
and goal (the contract of benchmarks/run.py), for the scripts that print plain figures."""

from __future__ import annotations

import json


def emit(
    name: str,
    value: float,
    unit: str,
    baseline: float | None = None,
    goal: str = "",
    *,
    ratio_digits: int = 3,
) -> None:
    """Print one figure; ``ratio`` is value / baseline (None without a baseline)."""
    ratio = round(value / baseline, ratio_digits) if baseline else None
    line = {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "ratio": ratio,
        "goal": goal,
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)
