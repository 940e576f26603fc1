"""The dossier's line breaker: Chinese rules, unbroken identifiers, nothing lost."""

from __future__ import annotations

import itertools

from hypothesis import example, given, settings
from hypothesis import strategies as st
from reportlab.pdfbase import pdfmetrics

from evidence_locker.report.fonts import LATIN, register_fonts
from evidence_locker.report.textflow import NO_LINE_END, NO_LINE_START, break_lines

register_fonts()
SIZE = 7.5


def lines_of(text: str, width: float) -> list[str]:
    return ["".join(t for _, t in ln) for ln in break_lines(text, width, SIZE, LATIN)]


def width_of(line: list[tuple[str, str]]) -> float:
    return sum(pdfmetrics.stringWidth(t, f, SIZE) for f, t in line)


def test_identifiers_numbers_and_urls_stay_whole() -> None:
    text = "王经理 工号HX-1024 请致电 +86 138 0013 8000，或访问 pay.example.com/u/88231 还款"
    for width in (120, 140, 170, 200):  # each token fits a line at these widths
        joined = lines_of(text, width)
        for token in ("HX-1024", "+86 138 0013 8000", "pay.example.com/u/88231"):
            assert any(token in ln for ln in joined), (width, token, joined)


def test_no_line_starts_with_a_comma_or_ends_with_an_opening_bracket() -> None:
    text = "对方说，如果今天不还款，就会联系您的家人（包括父母）和单位，“后果自负”。" * 3
    for width in range(40, 200, 7):
        for ln in lines_of(text, width):
            assert ln[:1] not in NO_LINE_START, (width, ln)
            assert ln[-1:] not in NO_LINE_END, (width, ln)


def test_an_over_long_run_is_cut_after_a_soft_point() -> None:
    url = "https://example.com/a/very/long/path/to/something?x=1&y=2"
    out = lines_of(url, 60)
    assert "".join(out) == url
    assert all(ln[-1] in "/?=&.-_:" for ln in out[:-1]), out


def test_a_phone_number_wider_than_a_column_breaks_between_its_groups() -> None:
    number = "+86 170 9988 7766"
    full = width_of([(LATIN, number)])
    for text in (number, f"催收 {number}"):
        for width in (full * 0.6, full * 0.8, full - 1):
            out = lines_of(text, width)
            assert " ".join(out).replace("催收 ", "") == number, (width, out)
            for ln in out:  # every group whole: no line ends or starts inside one
                groups = ln.replace("催收", "").split()
                assert all(g in number.split() for g in groups), (width, out)


CJK = st.sampled_from(list("催收通知您的借款已逾期请还否则联系家人单位"))
PUNCT = st.sampled_from(list("，。、；：？！（）「」“”…—"))
LATIN_WORD = st.from_regex(r"[A-Za-z0-9\-\.]{1,12}", fullmatch=True)
PIECE = st.one_of(CJK, PUNCT, LATIN_WORD, st.just(" "), st.just("\n"))


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECE, max_size=60).map("".join), st.integers(30, 220))
@example("催，， ，", 30)  # a comma after a space: the space dropped at the break counts
@example("（ （000", 30)  # an opening bracket then a space must not end a line
@example("（  （ 00", 30)  # nor may two spaces after an opening bracket
@example("催 ，，，", 30)  # no soft cut may put a comma at the next line's start
def test_breaking_loses_nothing_and_keeps_the_rules(text: str, width: int) -> None:
    for para in text.split("\n"):
        raw = break_lines(para, width, SIZE, LATIN)
        out = ["".join(t for _, t in ln) for ln in raw]
        # only spaces at a break disappear
        assert "".join(out).replace(" ", "") == para.replace(" ", "")
        for runs in raw:  # kinsoku moves characters down, it never pushes a line out
            assert width_of(runs) <= width + 0.01
        # where each line sits in the paragraph, so the spaces dropped at a break are known
        spans, pos = [], 0
        for ln in out:
            start = para.index(ln, pos) if ln else pos
            spans.append((start, start + len(ln)))
            pos = start + len(ln)
        for (prev, ln), (a, b) in zip(
            itertools.pairwise(out), itertools.pairwise(spans), strict=True
        ):
            joined = prev + para[a[1] : b[0]]  # the previous line with the dropped spaces
            if ln[:1] in NO_LINE_START:
                # only where the previous line was cut because nothing else fitted
                assert width_of(break_lines(joined + ln[0], 10_000, SIZE, LATIN)[0]) > width
            if joined.rstrip(" ")[-1:] in NO_LINE_END:
                assert width_of(break_lines(joined + ln[:1], 10_000, SIZE, LATIN)[0]) > width
