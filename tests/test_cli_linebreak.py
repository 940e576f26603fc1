"""Terminal line breaking for mixed Chinese and English (cli/linebreak.py) and the
column fitting of `list` built on it (cli/columns.py): review 7, item 9."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from evidence_locker.cli.columns import Column, widths
from evidence_locker.cli.linebreak import wrap

NUMBER = "+86\u00a0138\u00a00013"  # no-break spaces, as list joins a number's groups
PUNCT = ("，", "。")
PIECES = st.sampled_from(
    ["逾期", "15天", "，", "。", "请于", "12000元", "还款", " ", "past ", "due ", NUMBER + " "]
)


@settings(max_examples=150, deadline=None)
@given(
    # Text as written: a mark of punctuation never follows another ("，，，" after a
    # 13-cell number cannot keep off a line's start at width 18 without cutting it).
    st.lists(PIECES, max_size=30)
    .filter(lambda xs: not any(a in PUNCT and b in PUNCT for a, b in pairwise(xs)))
    .map("".join),
    st.integers(min_value=18, max_value=30),
)
def test_wrap_keeps_numbers_units_and_punctuation_where_a_reader_expects(
    text: str, width: int
) -> None:
    """Every run a reader keeps whole fits these widths, so no line cuts one."""
    lines = wrap(text, width)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for before, after in pairwise(lines):
        assert not after.startswith(("，", "。"))
        if before[-1:].isdigit() and before[-1:] + after[:1] in text:  # not at a space
            assert not (after[:1].isdigit() or after[:1] in "天元")
    assert all(NUMBER in line for line in lines if "+86" in line)


def test_short_columns_give_room_only_when_the_text_is_cramped() -> None:
    columns = [
        Column("ID", ["0e88af8b"]),
        Column("Channel", ["WeChat message"], gives=2),
        Column("Summary", ["说要通知我单位" * 6], free=True),
    ]
    cramped = widths(columns, 60)
    assert cramped is not None and cramped[1] == len("message")
    assert sum(cramped) + 3 * len(columns) + 1 == 60
    roomy = widths([*columns[:2], Column("Summary", ["short"], free=True)], 60)
    assert roomy == [8, 14, 7]
    assert widths(columns, 30) is None  # too narrow: rich's own layout
