"""Terminal line breaking for mixed Chinese and English (cli/linebreak.py) and the
column fitting of `list` built on it (cli/columns.py): review 7, item 9."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from evidence_locker.cli.columns import Column, widths
from evidence_locker.cli.linebreak import break_units, widest_unit, wrap

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


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["2025-02-09", "18:43", "+08:00", "还款", "abc", " ", "  "]))
    .map("".join)
    .filter(lambda s: s.strip()),
    st.integers(min_value=4, max_value=14),
)
def test_no_line_starts_with_a_space_when_a_word_fills_a_line(text: str, width: int) -> None:
    """A word as wide as the line, then a space: the space stayed with the word's cut
    and began the next line (" 18:43")."""
    lines = wrap(text, width)
    assert all(cell_len(line) <= max(width, 4) for line in lines)
    assert not any(line.startswith(" ") for line in lines[1:])
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


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


# Characters of many line-breaking classes: ideographs (ID) and CJK punctuation (CL,
# OP, QU, NS, IN), Latin (AL), digits (NU), full-width digits, spaces of every kind
# (SP, GL, ZW, BA, WJ), hyphens and dashes (HY, BA, B2), number signs (PR, PO, IS,
# SY), quotes, combining marks and joiners (CM, ZWJ), emoji and skin tones (EB, EM),
# flags (RI), Hangul, Thai (SA), Hebrew (HL), kana (CJ) and mandatory breaks.
BREAK_CLASSES = st.sampled_from(
    list("还款逾期請账户，。、：；！？“”‘’（）《》「」【】…—～·")
    + list("abzAZ019 \u00a0\u200b\u2060\t\u3000\u00ad-\u2010–/%$¥+#@&*_='\"()[]{}<>.,:;!?")
    + ["１", "\u0301", "\u200d", "😀", "👍", "🏻", "🇨", "🇳", "한", "ก", "א", "ぁ", "ア"]
    + ["¢", "‰", "°", "\u00b4", "\n", "\r", "\x0b", "\x0c", "\u2028", "\x85", "𠀀", "\u4e00"]
)
WORDS = st.sampled_from(["逾期", "还款", "your ", "pay ", "12.5%", "$30", " ", "“通知”", "（"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(BREAK_CLASSES, WORDS), max_size=40).map("".join))
def test_break_units_are_uniseg_units_for_any_text(text: str) -> None:
    """The piecewise breaker (cut where the rules never look across, each piece
    remembered) gives exactly the units of breaking the whole text with uniseg."""
    from uniseg.linebreak import line_break_units

    assert list(break_units(text)) == list(line_break_units(text))
    widest = max([0, *(cell_len(u.rstrip()) for u in line_break_units(text))])
    assert widest_unit(text) == widest  # measured on the stand-ins


def test_break_units_on_report_text() -> None:
    """Sentences as `check` and `list` print them, compared with uniseg's units."""
    from uniseg.linebreak import line_break_units

    samples = [
        "possible threat to tell your family, employer, neighbours or contacts: "
        "“转告”, “通知” (score 2)",
        "【农商银行】尊敬的客户，您的借款已逾期15天，欠款12000元，请于今日18点前还款，"
        "否则将上门拜访。联系人：王经理 +86 138 0013 8000",
        "[V] China Banking Association, 金融机构个人消费类贷款催收工作指引（试行）, art. 12 "
        "(CN-CBA-TIME)",
        "a35d0f2a 37b65b07 2cf61982 bd5cc677 (+34259 more)",
        "Pay $1,200.50 today (50% off) or call 1-800-555-0100 / visit icbc-pay.top!",
        "22:05–23:10, 3 calls in 65 min; 12.5% APR; ¥3,000.00；第2次",
    ]
    for text in samples:
        assert list(break_units(text)) == list(line_break_units(text)), text


def test_an_address_too_wide_for_its_line_is_cut_where_a_reader_expects() -> None:
    """A mail address or link wider than its column is one unit (UAX #14 breaks
    neither), so it has to be cut: after "@" or "/", or before ".", where there is such
    a place in the second half of the line, else by cells as before."""
    assert wrap("collections@anyihua.example", 18) == ["collections@", "anyihua.example"]
    assert wrap("http://t.cn/A12345678901234", 14) == ["http://t.cn/", "A1234567890123", "4"]
    assert wrap("a3f9c2d1e4b5a6c7d8e9f0a1", 16) == ["a3f9c2d1e4b5a6c7", "d8e9f0a1"]
    assert wrap("@abcdefghijklmnop.qrs", 10) == ["@abcdefghi", "jklmnop", ".qrs"]
