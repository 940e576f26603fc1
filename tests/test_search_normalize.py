"""Normalisation: width, case, Traditional/Simplified, white space and number runs."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.search.normalize import (
    normalize,
    normalize_joined,
    normalize_with_offsets,
    t2s_table,
)


def test_full_width_and_case_fold_to_ascii_lower() -> None:
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert normalize("Lawsuit LAWSUIT lawsuit") == "lawsuit lawsuit lawsuit"
    assert normalize("Straße") == "strasse"
    assert normalize("ﬁle") == "file"  # compatibility ligature


def test_traditional_becomes_simplified() -> None:
    assert normalize("還款") == "还款"
    assert normalize("逾期") == "逾期"  # same in both scripts, unchanged
    assert normalize("請於明天前聯繫") == "请于明天前联系"
    assert normalize("向法院起訴") == "向法院起诉"


def test_t2s_table_is_closed_single_character_and_stable() -> None:
    table = t2s_table()
    assert len(table) > 4000
    for source, target in table.items():
        assert len(target) == 1
        assert ord(target) != source
        assert ord(target) not in table  # applying twice changes nothing


def test_white_space_and_controls() -> None:
    assert normalize("  a\t\n b  ") == "a b"
    assert normalize("a\x00b\x07c") == "abc"
    assert normalize("上门\u3000单位") == "上门 单位"  # ideographic space is NFKC space


def test_phone_numbers_written_any_way_become_one_digit_run() -> None:
    forms = [
        "+86 138 0013 8000",
        "138-0013-8000",
        "(138) 0013 8000",
        "１３８００１３８０００",
        "138.0013.8000",
        "+8613800138000",
    ]
    for form in forms:
        assert "13800138000" in normalize(f"请回电{form}谢谢"), form


def test_separators_are_only_dropped_between_digits() -> None:
    assert normalize("pay 1,000 by 2025-01-15") == "pay 1000 by 20250115"
    assert normalize("a - b") == "a - b"
    assert normalize("1 + 1") == "1 + 1"
    assert normalize("10:30") == "10:30"


def test_offsets_map_back_to_the_original_text() -> None:
    text = "請回電 +86 138 0013 8000，ＬＡＷ"
    norm, starts, ends = normalize_with_offsets(text)
    assert norm == normalize(text)
    at = norm.index("13800138000")
    assert text[starts[at] : ends[at + 10]] == "138 0013 8000"
    at = norm.index("law")
    assert text[starts[at] : ends[at + 2]] == "ＬＡＷ"


SPECIAL = ["ＡＢ", "１２", "😀", "ß", "ﬁ", "\u0301", "\x00", "\t", "\n", "\u3000", "İ", "ς"]
ALPHABET = st.sampled_from([*"abcXYZ019 -.,()+", *"還款逾期单單位上门起訴诉", *SPECIAL])


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_normalize_is_idempotent_and_offsets_agree(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert unicodedata.is_normalized("NFKC", once)
    norm, starts, ends = normalize_with_offsets(text)
    assert norm == once
    assert len(starts) == len(ends) == len(norm)
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends, strict=True))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(ALPHABET, max_size=12).map("".join), max_size=5))
def test_joined_normalisation_equals_per_text(texts: list[str]) -> None:
    assert normalize_joined(texts) == "\x00".join(normalize(t) for t in texts)
