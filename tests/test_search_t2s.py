"""The shipped Traditional -> Simplified table is exactly what OpenCC's data gives."""

from __future__ import annotations

import pytest

from evidence_locker.search import t2s_build
from evidence_locker.search.normalize import normalize, t2s_table


def test_shipped_table_matches_a_fresh_build_from_opencc() -> None:
    pytest.importorskip("opencc_purepy")
    built = t2s_build.build_table()
    shipped = t2s_build.TABLE_PATH.read_text(encoding="utf-8")
    assert shipped == t2s_build.table_text(built), "run: python -m evidence_locker.search.t2s_build"
    assert {chr(k): v for k, v in t2s_table().items()} == built


def test_table_file_lines_are_one_traditional_and_one_simplified_character() -> None:
    text = t2s_build.TABLE_PATH.read_text(encoding="utf-8")
    assert text.startswith(t2s_build.HEADER)
    lines = text[len(t2s_build.HEADER) :].splitlines()
    assert len(lines) > 4000
    assert all(len(line) == 2 and line[0] != line[1] for line in lines)
    assert len({line[0] for line in lines}) == len(lines)


def test_normalize_folds_traditional_with_the_shipped_table() -> None:
    assert normalize("還款 起訴 東莞") == "还款 起诉 东莞"
