"""`list` gives its columns to the text: the marks column appears only when a record
has a mark (corrected, withdrawn, attachments)."""

from __future__ import annotations

import json
from pathlib import Path


def _header(out: str) -> list[str]:
    line = next(ln for ln in out.splitlines() if ln.startswith("┃"))
    return [cell.strip() for cell in line.strip("┃").split("┃")]


def test_no_empty_marks_column_without_marks(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert ready("log", "sms", "--number", "95577", "--content", "您的贷款已逾期").code == 0
    out = ready("list", env={"COLUMNS": "80"})
    assert out.code == 0, out.err
    assert _header(out.out) == ["ID", "When", "Channel", "Who", "Summary"], out.out

    rid = json.loads(ready("list", "--json").out)[0]["id"][:8]
    shot = tmp_path / "note.txt"
    shot.write_text("a letter's scan, as text")
    assert ready("attach", rid, str(shot)).code == 0
    out = ready("list", env={"COLUMNS": "80"})
    assert len(_header(out.out)) == 6 and "📎1" in out.out, out.out
