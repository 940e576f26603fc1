"""`list` gives its columns to the text: a record's marks (corrected, withdrawn,
attachments) go under its id, not into a column of their own."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path


def _header(out: str) -> list[str]:
    line = next(ln for ln in out.splitlines() if ln.startswith("┃"))
    return [cell.strip() for cell in line.strip("┃").split("┃")]


def test_marks_go_under_the_id_not_into_a_column(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert ready("log", "sms", "--number", "95577", "--content", "您的贷款已逾期").code == 0
    out = ready("list", env={"COLUMNS": "80"})
    assert out.code == 0, out.err
    assert _header(out.out) == ["ID", "When", "Channel", "Who", "Summary"], out.out

    rid = json.loads(ready("list", "--json").out)[0]["id"][:8]
    shot = tmp_path / "note.txt"
    shot.write_text("a letter's scan, as text")
    assert ready("attach", rid, str(shot)).code == 0
    out = ready("list", env={"COLUMNS": "80"})
    # the mark goes under the record's id, not into a column that narrows the text
    assert _header(out.out) == ["ID", "When", "Channel", "Who", "Summary"], out.out
    rows = [ln.strip("│").split("│") for ln in out.out.splitlines() if ln.startswith("│")]
    assert [r[0].strip() for r in rows[:2]] == [rid, "📎1"], out.out


# Review 7, item 9: at 80 columns a number was split ("+86138001380 / 00"), a count
# too ("逾期1 / 5天"), Chinese commas began lines, and Channel was wider than its labels.
CN_PUNCTUATION_THAT_ENDS = tuple("，。、；：！？）》」』”")
LOGGED = [
    ("sms", "--org", "XX农商银行", "--number", "95577", "--at", "2025-02-09 18:43",
     "--content", "您的贷款已逾期15天，请于今日内还款，否则将上报征信，并联系您的紧急联系人。"),
    ("call", "--org", "某催收公司", "--counterpart", "王经理 工号1024", "--number",
     "13800138000", "--direction", "incoming", "--duration", "6m",
     "--content", "说要通知我单位，逾期15天，逾期金额12000元"),
    ("message", "--app", "wechat", "--counterpart", "催收员A",
     "--content", "再不还就曝光，通知你全部通讯录联系人，让你在亲戚朋友面前抬不起头"),
    ("call", "--number", "138 0013 8000", "--at", "昨天 下午3点", "--outcome", "missed"),
    ("visit", "--location", "单位前台", "--at", "前天"),
]  # fmt: skip


def _cells(out: str) -> list[list[list[str]]]:
    """The body of a rich table: per record, per column, the cell's lines."""
    rows: list[list[list[str]]] = []
    for line in out.splitlines():
        if not line.startswith("│"):
            continue
        parts = [p[1:-1] if len(p) > 1 else p for p in line.strip("│").split("│")]
        if parts[0].strip():
            rows.append([[] for _ in parts])
        for column, part in zip(rows[-1], parts, strict=True):
            if part.strip():
                column.append(part.rstrip())
    return rows


def _logged_for_columns(ready) -> None:  # type: ignore[no-untyped-def]
    for args in LOGGED:
        r = ready("log", *args)
        assert r.code == 0, r.err


def test_list_at_80_columns_breaks_only_where_a_reader_would(ready) -> None:  # type: ignore[no-untyped-def]
    _logged_for_columns(ready)
    for lang, longest_channel in (("en", "WeChat message"), ("zh", "微信消息")):
        out = ready("--lang", lang, "list", env={"COLUMNS": "80"})
        assert out.code == 0, out.err
        from rich.cells import cell_len

        assert all(cell_len(line) <= 80 for line in out.out.splitlines()), out.out
        rows = _cells(out.out.replace("\u00a0", " "))
        assert len(rows) == len(LOGGED)
        # (not the id column: a record id is random hex and may hold "138" too)
        grouped = [line for row in rows for cell in row[1:] for line in cell if "138" in line]
        assert grouped and all("+86 138 0013 8000" in line for line in grouped), out.out
        for row in rows:
            for cell in row[2:]:  # the time is on two lines by design
                for before, after in pairwise(cell):
                    after = after.lstrip()
                    assert not after.startswith(CN_PUNCTUATION_THAT_ENDS), out.out
                    assert not (before[-1:].isdigit() and after[:1].isdigit()), out.out
        # a channel label breaks at a space if the text needs the room, never in a word
        channel = {" ".join(part.strip() for part in row[2]) for row in rows}
        assert longest_channel in channel, out.out
        header = next(ln for ln in out.out.splitlines() if ln.startswith("┃"))
        widths = [cell_len(c) - 2 for c in header.strip("┃").split("┃")]
        assert widths[2] <= max(cell_len(longest_channel), cell_len(_header(out.out)[2])), out.out


def test_show_prints_the_id_once_and_the_number_grouped(ready) -> None:  # type: ignore[no-untyped-def]
    _logged_for_columns(ready)
    listed = json.loads(ready("list", "--json").out)
    rid = next(r["id"] for r in listed if r["counterpart"] == "王经理 工号1024")
    for lang in ("en", "zh"):
        out = ready("--lang", lang, "show", rid[:8], env={"COLUMNS": "80"}).out
        assert out.count(rid) == 1, out  # ID and Record are the same: shown once
        assert "+86 138 0013 8000" in out, out


def test_show_keeps_an_attachments_sha256_on_one_line(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import re

    assert ready("log", "sms", "--number", "95577", "--content", "x").code == 0
    rid = json.loads(ready("list", "--json").out)[0]["id"][:8]
    scan = tmp_path / "a-rather-long-name-for-a-letter-scan.txt"
    scan.write_text("a letter's scan, as text")
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    assert ready("attach", rid, str(scan)).code == 0
    out = ready("show", rid, env={"COLUMNS": "80"}).out
    assert re.search(rf"^ +sha256 {digest}$", out, re.MULTILINE), out
    narrow = ready("show", rid, env={"COLUMNS": "50"}).out
    assert all(len(line) <= 50 for line in narrow.splitlines()), narrow
    lines = narrow.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("sha256 "))
    first, second = lines[at].split(), lines[at + 1].split()
    assert first[0] == "sha256" and len(second) == 1, narrow  # folded on purpose, aligned
    assert first[1] + second[0] == digest, narrow
    assert lines[at].index(first[1]) == lines[at + 1].index(second[0]), narrow


def test_list_too_narrow_for_the_table_prints_a_block_a_record(ready) -> None:  # type: ignore[no-untyped-def]
    """At 60 columns five columns do not fit: rich squeezed them and cut ids, dates and
    numbers anywhere ("9caa165" / "1", "2025-02" / "-09", "Summar" / "y"). Each record
    is now a heading (id, time, channel, marks) and its who and what, indented."""
    from rich.cells import cell_len

    _logged_for_columns(ready)
    listed = json.loads(ready("list", "--json").out)
    ids = [r["id"][:8] for r in listed]
    assert ready("correct", ids[0], "--content", "您的贷款已逾期16天", "--reason", "typo").code == 0
    ids[0] = json.loads(ready("list", "--json").out)[0]["id"][:8]
    for lang, columns in (("en", 60), ("zh", 60), ("en", 40), ("zh", 40), ("zh", 30)):
        out = ready("--lang", lang, "list", env={"COLUMNS": str(columns)})
        assert out.code == 0, out.err
        lines = out.out.splitlines()
        assert all(cell_len(line) <= columns for line in lines), out.out
        assert not any(line.startswith(("┃", "│")) for line in lines), out.out  # no table
        # every record's heading starts with its whole id, the time beside or under it
        headings = [ln for ln in lines if ln[:8] in ids]
        assert [h[:8] for h in headings] == ids, out.out
        text = out.out.replace("\u00a0", " ")
        assert "+86 138 0013 8000" in text, out.out  # a number is never split
        assert text.count("2025-02-09 18:43 +08:00") == 1 or columns < 40, out.out
        assert ("corrected" if lang == "en" else "已更正") in text, out.out
        for before, after in pairwise(lines):
            text_lines = (before, after)  # who and what: two spaces in (a heading: none, ten)
            if not all(x.startswith("  ") and not x.startswith(" " * 10) for x in text_lines):
                continue
            after = after.lstrip()
            assert not after.startswith(CN_PUNCTUATION_THAT_ENDS), out.out
            assert not (before[-1:].isdigit() and after[:1].isdigit()), out.out
        channel = "WeChat message" if lang == "en" else "微信消息"
        assert channel in text, out.out  # a heading's field moves whole to the next line
        assert lines[-1].startswith(("5 record", "共 5 条")), out.out
