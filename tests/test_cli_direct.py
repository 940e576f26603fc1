"""``list`` and ``check`` write their lines without rich (cli/direct.py, cli/tablerows.py):
the bytes must be the ones rich writes, with colours and without, in English and in
Chinese, at 80 and 60 columns (and a wide terminal), for mixed rows with long text and
for the rows rich must still lay out itself (control codes, tabs, ``:emoji:`` codes)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from evidence_locker.cli import tablerows
from evidence_locker.cli.columns import wrapped
from evidence_locker.cli.direct import Direct
from tests.conftest import PASSPHRASE, SHANGHAI, CliResult, shared_cli

LONG_ZH = (
    "您的贷款已逾期15天，请于今日内还款12000元，否则将上报征信，并联系您的紧急联系人、"
    "单位领导和全部通讯录联系人，让你在亲戚朋友面前抬不起头。"
)
LONG_EN = (
    "This is Global Recovery Partners Ltd on behalf of 招联金融: your account "
    "CN-CBA-TIME-2026-01-30 is overdue; pay at icbc-pay.top today or we will visit "
    "your employer and tell your family."
)
ODD = [
    "bell\x07 and tab\there, 逾期\x08了",  # rich strips some control codes, expands tabs
    "thumbs :thumbs_up: and :smile: 还款",  # rich reads these as emoji codes
    "no-break +86\u00a0138\u00a00013\u00a08000 and 📎 emoji, e\u0301 combining",
]


def _drafts() -> Iterator[object]:
    from evidence_locker.model import Channel, ContactDraft, Direction, Outcome

    start = datetime(2026, 2, 9, 21, 30, tzinfo=SHANGHAI)
    texts = [LONG_ZH, LONG_EN, LONG_ZH + " " + LONG_EN, "短信", *ODD]
    for i in range(24):
        at = start + timedelta(minutes=37 * i)
        text = texts[i % len(texts)]
        if i % 4 == 3:
            yield ContactDraft(
                Channel.CALL,
                at,
                organisation="某催收公司 Global Recovery Partners Ltd",
                counterpart="王经理 工号1024",
                address=f"+86138001380{i:02d}",
                duration_s=330 + i,
                outcome=Outcome.MISSED if i % 8 == 3 else None,
                content=text,
            )
        else:
            yield ContactDraft(
                Channel.SMS,
                at,
                direction=Direction.INCOMING,
                organisation=["XX农商银行", "Citibank", None][i % 3],
                address="10690000" if i % 2 else "+8613800138000",
                content=text,
                third_party="母亲" if i % 5 == 0 else None,
            )


@contextmanager
def mixed_locker(work: Path) -> Iterator[Callable[..., CliResult]]:
    """The CLI on a locker of the records above (tests/test_check_wide.py reads it too)."""
    from evidence_locker.locker import Locker

    locker, _ = Locker.create(work / "locker", PASSPHRASE)
    with locker:
        locker.log_batch(_drafts())  # type: ignore[arg-type]
    with shared_cli(work) as cli:
        yield cli


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., CliResult]]:
    with mixed_locker(tmp_path_factory.mktemp("direct")) as cli:
        yield cli


def _both(
    run: Callable[..., CliResult], args: list[str], env: dict[str, str]
) -> tuple[str, str, int]:
    """The output written directly, the output rich writes alone, and how many
    lines went the direct way."""
    direct_lines = 0
    real_add = Direct.add

    def counted(self: Direct, text: str) -> None:
        nonlocal direct_lines
        direct_lines += text.count("\n")
        real_add(self, text)

    def disabled(self: Direct, console: Console) -> None:
        real_init(self, console)
        self.enabled = False

    real_init = Direct.__init__
    with pytest.MonkeyPatch.context() as m:
        for key, value in env.items():
            m.setenv(key, value)
        m.delenv("NO_COLOR", raising=False)
        m.setattr(Direct, "add", counted)
        fast = run(*args)
        m.setattr(Direct, "__init__", disabled)
        slow = run(*args)
    assert fast.code == slow.code == 0, fast.err + slow.err
    return fast.out, slow.out, direct_lines


@pytest.mark.parametrize("command", [["list"], ["check", "--rules", "cn"]])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("columns", ["80", "60", "130"])
@pytest.mark.parametrize("colour", [True, False])
def test_same_bytes_as_rich(run, command, lang, columns, colour) -> None:  # type: ignore[no-untyped-def]
    env = {"COLUMNS": columns, "TERM": "xterm-256color"}
    if colour:
        env["FORCE_COLOR"] = "1"
    elif "FORCE_COLOR" in os.environ:
        pytest.skip("FORCE_COLOR is set for this test run")
    fast, slow, direct_lines = _both(run, ["--lang", lang, *command], env)
    assert fast == slow
    assert ("\x1b[" in fast) == colour
    # The direct way was taken, not rich's for every line (list at 60 columns: the
    # table does not fit, and each record is a block, written directly too).
    assert direct_lines > 20


# -- the writers against rich, on any text --------------------------------------------

# Letters, CJK and its punctuation, spaces (no-break too), an emoji, a combining mark, a
# zero-width space, and what rich rewrites: a tab, a bell, a carriage return, an escape.
_ALPHABET = "ab Z9-:.，。还款逾期天\u00a0📎\u0301\u200b\t\x07\r\x1b"
_text = st.text(alphabet=_ALPHABET, max_size=40)
_style = st.sampled_from([None, "bold", "dim", "yellow", "bold red", "cyan"])


def _console(width: int, colour: bool) -> Console:
    return Console(
        file=io.StringIO(),
        width=width,
        force_terminal=colour,
        color_system="256" if colour else None,
        highlight=False,
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_text, st.integers(4, 16)), min_size=1, max_size=5),
    st.lists(st.lists(_text, min_size=5, max_size=5), max_size=4),
    st.booleans(),
)
def test_table_rows_as_rich_lays_them_out(columns, rows, colour) -> None:  # type: ignore[no-untyped-def]
    headers = [h.replace("\t", " ") or "h" for h, _ in columns]
    widths = [w for _, w in columns]
    cells = [[wrapped(x, w) for x, w in zip(row, widths, strict=False)] for row in rows]
    width = sum(widths) + 3 * len(widths) + 1
    expected = _console(width, colour)
    table = tablerows.table(headers, widths)
    for row in cells:
        table.add_row(*(Text(x) for x in row))
    expected.print(table)
    got = _console(width, colour)
    assert tablerows.write(Direct(got), headers, widths, cells)
    assert got.file.getvalue() == expected.file.getvalue()  # type: ignore[attr-defined]


def test_a_table_wider_than_the_terminal_is_left_to_rich() -> None:
    console = _console(30, False)
    assert not tablerows.write(Direct(console), ["a", "b"], [20, 20], [["x", "y"]])
    assert console.file.getvalue() == ""  # type: ignore[attr-defined]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.tuples(_text, _style), max_size=4), min_size=1, max_size=4),
    st.integers(8, 40),
    st.booleans(),
)
def test_lines_of_styled_parts_as_rich_prints_them(lines, width, colour) -> None:  # type: ignore[no-untyped-def]
    expected = _console(width, colour)
    texts = []
    for parts in lines:
        line = Text()
        for text, style in parts:
            line.append(text.replace("\n", " "), style=style)
        texts.append(line)
    expected.print(Text("\n").join(texts), no_wrap=True, overflow="ignore")
    got = _console(width, colour)
    out = Direct(got)
    out.text([[(text.replace("\n", " "), style) for text, style in parts] for parts in lines])
    out.flush()
    assert got.file.getvalue() == expected.file.getvalue()  # type: ignore[attr-defined]


@settings(max_examples=200, deadline=None)
@given(st.lists(_text, min_size=1, max_size=4), _style, st.integers(8, 40), st.booleans())
def test_paragraph_lines_as_rich_prints_strings(lines, style, width, colour) -> None:  # type: ignore[no-untyped-def]
    expected = _console(width, colour)
    for line in lines:
        expected.print(line, markup=False, style=style, no_wrap=True, overflow="ignore")
    got = _console(width, colour)
    out = Direct(got)
    out.say(lines, style)
    out.flush()
    assert got.file.getvalue() == expected.file.getvalue()  # type: ignore[attr-defined]


def test_style_codes_are_rich_own(tmp_path: Path) -> None:
    colour, plain = Direct(_console(80, True)), Direct(_console(80, False))
    assert colour.codes("bold red") == ("\x1b[1;31m", "\x1b[0m")
    assert plain.codes("bold red") == ("", "")
