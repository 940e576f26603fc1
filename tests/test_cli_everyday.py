"""Everyday input as people type it (issue 18): numbers however written in every
--counterpart filter, what `log` requires, and the small things around it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def ready(cli):  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    return cli


def listed(cli, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = cli("list", "--json", *args)
    assert r.code == 0, r.err
    return json.loads(r.out)


NUMBER_SPELLINGS = ["138 0013 8000", "+86 13800138000", "13800138000", "138-0013-8000"]


@pytest.fixture
def two_callers(ready):  # type: ignore[no-untyped-def]
    """Night calls from two numbers; the first logged as people type it."""
    for number, marker in (("138 0013 8000", "markeralpha"), ("13900139000", "markerbeta")):
        r = ready(
            "log",
            "call",
            "--number",
            number,
            "--at",
            "2025-02-10 23:30",
            "--content",
            f"催收 {marker}",
        )
        assert r.code == 0, r.err
    return ready


@pytest.mark.parametrize("typed", NUMBER_SPELLINGS)
def test_list_and_search_counterpart_take_a_number_however_written(two_callers, typed) -> None:  # type: ignore[no-untyped-def]
    assert [d["content"] for d in listed(two_callers, "--counterpart", typed)] == [
        "催收 markeralpha"
    ]
    found = json.loads(two_callers("search", "催收", "--counterpart", typed, "--json").out)
    assert [d["content"] for d in found] == ["催收 markeralpha"]


def test_check_and_export_counterpart_take_a_number_however_written(
    two_callers, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    wanted = listed(two_callers, "--counterpart", "13800138000")[0]["record_id"]
    for typed in ("138 0013 8000", "+86 13800138000"):
        r = two_callers("check", "--rules", "cn", "--counterpart", typed, "--json")
        assert r.code == 0, r.err
        flagged = {rid for flag in json.loads(r.out) for rid in flag["records"]}
        assert flagged == {wanted}  # the night call of that number, not the other's
    out = tmp_path / "d.pdf"
    r = two_callers(
        "export", "pdf", "-o", str(out), "--no-flags", "--counterpart", "+86 138 0013 8000"
    )
    assert r.code == 0, r.err
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(str(out)).pages)
    assert "markeralpha" in text and "markerbeta" not in text


def test_counterpart_names_still_match_as_text(ready) -> None:  # type: ignore[no-untyped-def]
    assert ready("log", "call", "--number", "95577", "--counterpart", "王经理 工号1024").code == 0
    assert len(listed(ready, "--counterpart", "王经理")) == 1
    assert len(listed(ready, "--counterpart", "1024")) == 1  # a staff number is text too
    assert listed(ready, "--counterpart", "10086") == []
