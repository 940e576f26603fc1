"""A call's duration reads the same in every view (list, show, check) and in both
languages, always with its units: a bare "6:05" beside a time of day reads as a clock."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

CALL = ("log", "call", "--org", "XX银行", "--number", "13800138000", "--duration", "6m5s")


@pytest.mark.parametrize(("lang", "written"), [("en", "6 min 5 s"), ("zh", "6分5秒")])
def test_list_show_and_check_write_one_duration(ready, lang: str, written: str) -> None:  # type: ignore[no-untyped-def]
    cli = ready
    logged = cli(*CALL, "--at", "2026-02-09 22:47", "--json")
    assert logged.code == 0, logged.err
    rid = json.loads(logged.out)["id"][:8]
    views = {
        "list": cli("--lang", lang, "list", env={"COLUMNS": "80"}),
        "show": cli("--lang", lang, "show", rid, env={"COLUMNS": "80"}),
        "check": cli("--lang", lang, "check", "--rules", "cn", env={"COLUMNS": "80"}),
    }
    for name, out in views.items():
        assert out.code == 0, (name, out.err)
        flat = re.sub(r"\s*\n\s*", " " if lang == "en" else "", out.out)
        assert written in flat, (name, out.out)
        # no bare "6:05" / "6:5"; a clock time that holds those digits ("16:50:50",
        # when the record was logged) is not one
        assert not re.search(r"(?<![\d:])6:0?5", out.out), (name, out.out)
        assert max(cell_len(line) for line in out.out.splitlines()) <= 80, name


def test_import_dry_run_writes_durations_and_channels_in_the_language(ready) -> None:  # type: ignore[no-untyped-def]
    calls = Path(__file__).parent / "fixtures" / "imports" / "calls_zh.xml"
    zh = ready("--lang", "zh", "import", str(calls), "--dry-run", env={"COLUMNS": "80"})
    assert zh.code == 0, zh.err
    assert "[2分5秒]" in zh.out and "2:05" not in zh.out
    assert "电话" in zh.out and " call " not in zh.out
    en = ready("--lang", "en", "import", str(calls), "--dry-run", "--json")
    first = json.loads(en.out)["records"][0]
    assert first["duration_s"] == 125 and first["channel"] == "call"
    assert "2:05" not in (first["preview"] or "")
