"""Negation judged clause by clause is negation judged on the whole text.

``negation.negation_test`` remembers Chinese verdicts by clause, which is only right
while the test never looks past a clause end. These properties compare it with
``is_negated`` on the whole text, for every occurrence of every phrase, on texts built
from negation cues, words that only look like cues, modals, condition verbs, result
marks, rhetorical openers, clause ends and digits.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from evidence_locker.rules import negation

PHRASES = ["联系", "紧急联系人", "通讯录", "上门", "立案", "单位", "arrest", "police"]
BITS = [
    *"不没未无非别勿莫",
    *("不得不", "不管", "不排除", "不会放过", "非常", "没收", "别以为", "无法"),
    *("会", "再", "要", "还", "处理", "就", "否则", "的话", "以为", "信不信"),
    *"，。！？；,.!?;：:\n",
    *("我们", "你的", "家人", "并", "请放心", "12", "3"),
    *PHRASES,
    *(" ", "we will not ", "if you don't pay "),
]


def _occurrences(text: str) -> list[tuple[int, str]]:
    out = []
    for p in PHRASES:
        i = text.find(p)
        while i != -1:
            out.append((i, p))
            i = text.find(p, i + 1)
    return out


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(BITS), max_size=30).map("".join))
@example("再不还款就爆通讯录,通知你单位领导,后果自负!12345")
@example("我们不会联系你的紧急联系人,请放心并注意安全")
@example("别以为我们不敢上门。我们不会上门")
@example("不得不上门；没收通讯录")
def test_clause_by_clause_equals_whole_text(text: str) -> None:
    test = negation.negation_test(text)
    for start, phrase in _occurrences(text):
        assert test(start, phrase) == negation.is_negated(text, start, phrase), (start, phrase)


def test_a_repeated_clause_is_judged_once() -> None:
    negation._negated_in_clause.cache_clear()
    for amount in range(5):
        test = negation.negation_test(f"今天不还{amount}元,我们不会联系你的紧急联系人")
        assert test(len(f"今天不还{amount}元,我们不会"), "联系") is True
    assert negation._negated_in_clause.cache_info().misses == 1
