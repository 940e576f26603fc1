"""Query parsing: terms, phrases, phone numbers and the errors bad queries get."""

from __future__ import annotations

import pytest

from evidence_locker.errors import UsageError
from evidence_locker.locale.messages import t
from evidence_locker.search.query import MAX_TERMS, Term, parse_query


def test_terms_are_normalised_and_split_on_white_space() -> None:
    query = parse_query("上门  單位 Lawsuit")
    assert query.terms == (Term("上门"), Term("单位"), Term("lawsuit"))


def test_quoted_phrase_keeps_its_spaces() -> None:
    query = parse_query('"file a  lawsuit" 起訴')
    assert query.terms == (Term("file a lawsuit", phrase=True), Term("起诉"))


@pytest.mark.parametrize("raw", ["“上门 单位”", "「上门 单位」", "＂上门 单位＂"])
def test_chinese_and_full_width_quotes(raw: str) -> None:
    assert parse_query(raw).terms == (Term("上门 单位", phrase=True),)


def test_unclosed_quote_runs_to_the_end() -> None:
    assert parse_query('还款 "上门 单位').terms == (Term("还款"), Term("上门 单位", phrase=True))


def test_surrounding_punctuation_is_trimmed_inner_kept() -> None:
    query = parse_query("起诉， (lawsuit) wang@example.com.")
    assert query.texts == ("起诉", "lawsuit", "wang@example.com")


def test_duplicate_terms_collapse() -> None:
    assert parse_query("还款 還款 还款").texts == ("还款",)


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+8613800138000",
        "１３８ ００１３ ８０００",
    ],
)
def test_every_way_of_typing_a_number_gives_the_national_number(raw: str) -> None:
    assert parse_query(raw).texts == ("13800138000",)


def test_number_inside_a_phrase_is_not_rewritten() -> None:
    # Inside quotes the text is matched as written (normalised like stored text).
    assert parse_query('"call +86 138"').texts == ("call 86138",)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "search.empty_query"),
        ("   \t ", "search.empty_query"),
        ("!!! ？。，", "search.nothing_to_search"),
        ('"" “”', "search.nothing_to_search"),
        ("x" * 1001, "search.query_too_long"),
        (" ".join(f"w{i}" for i in range(MAX_TERMS + 1)), "search.too_many_terms"),
    ],
)
def test_bad_queries_raise_usage_errors_with_messages(raw: str, key: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_query(raw)
    err = info.value
    assert err.key == key
    assert err.exit_code == 2
    for lang in ("en", "zh"):
        text = err.render(lang)
        assert text and text != key  # the key exists in the catalogue in both languages
    assert t(key, "zh") != t(key, "en")
