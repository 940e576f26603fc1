"""``check`` on a wide terminal: a table per group written row by row
(cli/checktable.py), widths fitted by cli/columns.py. Every line within the width,
every finding's severity, records, reasons and sources in its row (read back cell by
cell), nothing broken inside a number or before "，", in English and Chinese, with
colours and without; blocks when the columns cannot fit."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.table import Table

from evidence_locker.cli import tablerows
from evidence_locker.cli.columns import Column, widths, wrapped
from evidence_locker.cli.direct import Direct
from tests.conftest import CliResult
from tests.test_cli_direct import _console, mixed_locker

_SGR = re.compile("\x1b\\[[0-9;]*m")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., CliResult]]:
    with mixed_locker(tmp_path_factory.mktemp("wide")) as cli:
        yield cli


def _check(run: Callable[..., CliResult], lang: str, columns: int, colour: bool) -> str:
    with pytest.MonkeyPatch.context() as m:
        m.setenv("COLUMNS", str(columns))
        m.setenv("TERM", "xterm-256color")
        m.delenv("NO_COLOR", raising=False)
        if colour:
            m.setenv("FORCE_COLOR", "1")
        else:
            m.delenv("FORCE_COLOR", raising=False)
        got = run("--lang", lang, "check", "--rules", "cn")
    assert got.code == 0, got.err
    return got.out


def _rows(text: str) -> list[list[str]]:
    """The table rows of a report, each a list of its cells' text (a cell's lines
    joined without the spaces around them)."""
    rows: list[list[str]] = []
    row: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line[1:-1].split("│")]
            if row is None:
                row = [[] for _ in cells]
            for parts, cell in zip(row, cells, strict=True):
                parts.append(cell)
        elif row is not None:  # a rule between rows, or the table's bottom edge
            rows.append(["".join(parts) for parts in row])
            row = None
    return rows


def _bare(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("columns", [120, 160, 200])
@pytest.mark.parametrize("colour", [False, True])
def test_every_finding_is_read_back_from_its_row(run, lang, columns, colour) -> None:  # type: ignore[no-untyped-def]
    out = _check(run, lang, columns, colour)
    assert ("\x1b[" in out) == colour
    plain = _SGR.sub("", out)
    lines = plain.splitlines()
    assert max(cell_len(line) for line in lines) <= columns
    assert "┃" in plain  # tables, not blocks
    rows = _rows(plain)
    report = json.loads(run("--lang", lang, "check", "--rules", "cn", "--json").out)
    findings = report["findings"]
    assert len(rows) == len(findings)
    severity = {"en": {}, "zh": {"high": "高", "medium": "中", "low": "低"}}[lang]
    for f in findings:
        rules = [s["rule"] for s in f["sources"]]
        mine = [
            r
            for r in rows
            if f["records"][0][:8] in r[2] and all(f"({rule})" in r[6] for rule in rules)
        ]
        assert mine, f
        number, sev, when, _who, _what, why, sources = mine[0]
        assert number.isdigit() and sev == severity.get(f["severity"], f["severity"])
        assert f["first_at"][:10] in when
        assert _bare("".join(f["reasons"])) == _bare(why)
        for s in f["sources"]:
            assert _bare(s["citation"]) in _bare(sources)
            assert f"[{s['confidence']}]" in sources
    # A line of a cell never starts with closing punctuation, and no number, date or
    # phone number is split across lines (each appears whole somewhere).
    cells = [c.strip() for line in lines if line.startswith("│") for c in line.split("│")]
    assert not [c for c in cells if c.startswith(("，", "。", "）", "、", "”"))]
    for whole in ("+86 138 0013 8000", "12000元", "2026-02-09", "15天"):
        assert whole in plain


def test_severity_is_in_its_colour(run) -> None:  # type: ignore[no-untyped-def]
    out = _check(run, "en", 160, True)
    assert "\x1b[1;31mhigh" in out or "\x1b[33mmedium" in out
    assert "\x1b[1m" in out  # the bold header


def test_columns_that_cannot_fit_give_blocks(run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import evidence_locker.cli.columns as columns

    monkeypatch.setattr(columns, "widths", lambda *_: None)
    out = _check(run, "en", 160, False)
    assert "┃" not in out and "Why it may breach" in out  # the labelled blocks
    assert max(cell_len(line) for line in out.splitlines()) <= 160


def test_a_row_rich_must_lay_out_goes_to_rich() -> None:
    console = _console(60, False)
    headers, fitted = ["#", "sev", "text"], [3, 6, 30]
    rows: list[list[tablerows.Cell]] = [
        ["1", ("high", "bold red"), "plain"],
        ["2", ("low", "cyan"), "a bell\x07 and\ta tab"],
    ]
    assert tablerows.write(Direct(console), headers, fitted, rows, show_lines=True)
    expected = _console(60, False)
    table = tablerows.table(headers, fitted, show_lines=True)
    for row in rows:
        table.add_row(*tablerows.texts(row))
    expected.print(table)
    assert console.file.getvalue() == expected.file.getvalue()  # type: ignore[attr-defined]


# -- the writer and the widths against rich and their promises -------------------------

_ALPHABET = "ab Z9-:.，。还款逾期天\u00a0📎\u0301\u200b\t\x07\x1b"
_text = st.text(alphabet=_ALPHABET, max_size=40)
_style = st.sampled_from(["bold", "dim", "yellow", "bold red", "cyan"])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_text, st.integers(4, 16)), min_size=2, max_size=5),
    st.lists(st.tuples(st.lists(_text, min_size=5, max_size=5), _style), max_size=4),
    st.booleans(),
    st.booleans(),
)
def test_ruled_rows_with_a_styled_cell_as_rich_lays_them_out(  # type: ignore[no-untyped-def]
    columns, rows, colour, show_lines
) -> None:
    headers = [h.replace("\t", " ") or "h" for h, _ in columns]
    fitted = [w for _, w in columns]
    cells: list[list[tablerows.Cell]] = []
    for texts, style in rows:
        row: list[tablerows.Cell] = [wrapped(x, w) for x, w in zip(texts, fitted, strict=False)]
        row[1] = (str(row[1]), style)
        cells.append(row)
    width = sum(fitted) + 3 * len(fitted) + 1
    expected = _console(width, colour)
    table: Table = tablerows.table(headers, fitted, show_lines=show_lines)
    for row in cells:
        table.add_row(*tablerows.texts(row))
    expected.print(table)
    got = _console(width, colour)
    assert tablerows.write(Direct(got), headers, fitted, cells, show_lines=show_lines)
    assert got.file.getvalue() == expected.file.getvalue()  # type: ignore[attr-defined]


_words = st.lists(st.sampled_from(["还款", "逾期15天", "your", "Recovery", "12000元", "，"]))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(_words.map(" ".join), min_size=1, max_size=4), min_size=2, max_size=5),
    st.lists(st.floats(0.1, 100), min_size=5, max_size=5),
    st.integers(60, 220),
)
def test_weighted_columns_fill_the_width_between_their_least_and_their_text(  # type: ignore[no-untyped-def]
    texts, weights, total
) -> None:
    columns = [Column("#", ["1"] * len(texts[0]))]
    columns += [
        Column(f"h{i}", (cells * 4)[: len(texts[0])], free=True, weight=w)
        for i, (cells, w) in enumerate(zip(texts, weights, strict=False))
    ]
    fitted = widths(columns, total)
    if fitted is None:
        return
    used = sum(fitted) + 3 * len(fitted) + 1
    assert used <= total
    natural = [max(cell_len(x) for x in (c.header, *c.cells)) for c in columns]
    # No column wider than its text, none squeezed below ten cells (or its text).
    assert all(min(n, 10) <= w <= n for w, n in zip(fitted, natural, strict=True))
    if sum(natural) + 3 * len(natural) + 1 > total:  # short of room: all of it is used
        assert used == total
    else:
        assert fitted == natural
