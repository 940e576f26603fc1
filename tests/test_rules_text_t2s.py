"""Traditional-to-Simplified conversion piece by piece is the conversion of the whole.

``rules.text.to_simplified`` converts the pieces between ASCII runs separately (and
remembers them): that is only right while no dictionary entry spans an ASCII
character. These tests compare it with converting the whole text, on real collection
wording, dictionary phrases cut by digits and punctuation, and random mixes.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evidence_locker.rules import text

pytestmark = pytest.mark.skipif(not text.has_t2s(), reason="opencc-purepy not installed")

# Traditional characters and multi-character dictionary phrases (頭髮, 乾燥, 皇后...),
# whose conversion depends on their neighbours.
HAN = "還款爆通訊錄單位領導後果自負頭髮乾燥皇后麵條隻發財裡面鐘錶於是著名準備聯繫據說"
PIECES = [*HAN, "頭髮", "乾燥", "麵條", "後果", "一隻", "著", "于", "后", "发", "干", "里"]
ASCII = ["1", "72", " ", ",", ".", "!", "a", "http://t.cn/A1", "\n", "¥"]


def _whole(s: str) -> str:
    assert text._t2s is not None
    return text._t2s(s)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES + ASCII), max_size=25).map("".join))
@example("再不還款就爆通訊錄,通知你單位領導,後果自負!12345")
@example("頭1髮 乾,燥")
@example("")
def test_piecewise_equals_whole(s: str) -> None:
    assert text.to_simplified(s) == _whole(s)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x9FFF), max_size=40))
def test_piecewise_equals_whole_on_any_text(s: str) -> None:
    assert text.to_simplified(s) == _whole(s)


def test_no_dictionary_entry_holds_an_ascii_character() -> None:
    """The premise itself, read from the library's tables where it exposes them."""
    converter = getattr(text._t2s, "__self__", None)
    get_refs = getattr(converter, "_get_dict_refs", None)
    if get_refs is None:
        pytest.skip("this opencc-purepy does not expose its tables")
    refs = get_refs("t2s")
    keys = [
        k
        for r in (refs.round_1, refs.round_2, refs.round_3)
        if r and hasattr(r, "merged_map")
        for k in r.merged_map
    ]
    assert len(keys) > 1000
    assert not [k for k in keys if any(ord(c) < 0x80 for c in k)]


def test_normalise_reads_a_traditional_threat_as_simplified() -> None:
    got = text.normalise("再不還款就爆通訊錄，通知你單位領導，後果自負！12345")
    assert got == "再不还款就爆通讯录,通知你单位领导,后果自负!12345"
