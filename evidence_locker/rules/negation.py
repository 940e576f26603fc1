"""Is a phrase occurrence negated? "you will not be arrested", "我们不会联系您的紧急联系人".

A phrase rule must not read a reassurance as a threat. The test is deliberately
narrow, in the spirit of NegEx (a negation cue shortly before the term, inside the same
clause): a cue counts only when it governs the phrase, not when it belongs to the
*condition* of a threat ("不还钱就爆通讯录", "if you don't pay, you will be arrested").
When unsure it says "not negated": a missed reassurance costs a reader a second look,
a missed threat costs the borrower a finding.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from functools import lru_cache

# --- English ------------------------------------------------------------------------

_EN_CUES = frozenset(
    {
        *("not", "never", "no", "nor", "neither", "nobody", "nothing", "without", "cannot"),
        *("won't", "don't", "doesn't", "isn't", "aren't", "wasn't", "weren't", "can't"),
        *("shan't", "wouldn't", "shouldn't", "didn't", "haven't", "hasn't"),
    }
)
# A new subject or a connective starts another statement: a cue before it does not
# reach the phrase ("if you don't pay we will arrest you").
_EN_BREAKS = frozenset(
    {"we", "you", "they", "i", "he", "she", "it", "then", "if", "unless", "otherwise", "or"}
    | {"and", "so"}
)
_EN_WINDOW = 3  # words
_EN_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)?")
_EN_CLAUSE_END = re.compile(r"[.!?;,:\n]|\bbut\b")


def _negated_en(text: str, start: int) -> bool:
    clause_start = 0
    for m in _EN_CLAUSE_END.finditer(text, 0, start):
        clause_start = m.end()
    words = _EN_WORD.findall(text, clause_start, start)
    for word in reversed(words[-_EN_WINDOW:]):
        word = word.replace("’", "'")
        if word in _EN_CUES:
            return True
        if word in _EN_BREAKS:
            return False
    return False


# --- Chinese ------------------------------------------------------------------------

_ZH_CUES = "不没未无非别勿莫"
_ZH_WINDOW = 8  # characters between the cue and the phrase
_ZH_CLAUSE_END = "，。！？；,.!?;：:\n"
# Words that start with a cue character but do not negate what follows (or, like
# 不排除 "not ruling out" and 不放过 "will not let you off", make a threat).
_ZH_NOT_CUES = (
    "不得不",
    "不好意思",
    "不管",
    "不论",
    "不然",
    "不但",
    "不仅",
    "不少",
    "不断",
    "不停",
    "不久",
    "不日",
    "不法",
    "不良",
    "不利",
    "不当",
    "不正当",
    "不排除",
    "不惜",
    "不放过",
    "不会放过",
    "不客气",
    "不要逼",
    "不要怪",
    "不怕",
    "非常",
    "非法",
    "别人",
    "别的",
    "别逼",
    "别怪",
    "别以为",
    "未来",
    "没收",
    "无论",
    "无数",
    "无视",
    "无法",
    "莫名",
)
# After the cue (and an optional modal), these verbs make it the condition of a threat:
# "不还…就", "不处理…将", "不接电话…".
_ZH_MODALS = ("会再", "会", "再", "要", "肯", "愿意", "按时", "及时", "马上", "尽快")
_ZH_CONDITION_VERBS = (
    "还",
    "处理",
    "回复",
    "回电",
    "接",
    "配合",
    "支付",
    "付",
    "缴",
    "交",
    "理",
    "联系我",
    "出面",
    "露面",
    "上岸",
    "结清",
    "清偿",
    "履行",
    "解决",
    "协商",
)
# Between the cue and the phrase these mark a condition and its consequence.
_ZH_RESULT_MARKS = ("就", "则", "否则", "的话", "不然", "那么", "后果")
# Before the cue these make it rhetorical: "别以为我们不敢上门".
_ZH_RHETORICAL = ("以为", "认为", "信不信", "难道")


def _spans(words: tuple[str, ...]) -> dict[str, tuple[tuple[str, int], ...]]:
    """char -> every (word, offset of the char in it): which words a cue may sit in."""
    out: dict[str, list[tuple[str, int]]] = {}
    for w in words:
        for off, c in enumerate(w):
            out.setdefault(c, []).append((w, off))
    return {c: tuple(v) for c, v in out.items()}


_NOT_CUE_SPANS = _spans(_ZH_NOT_CUES)


def _cue_at(text: str, i: int) -> bool:
    """Whether the cue character at ``i`` negates (is not part of 非常, 不得不, 没收...)."""
    for w, off in _NOT_CUE_SPANS.get(text[i], ()):
        if i >= off and text.startswith(w, i - off):
            return False
    return True


def _negated_zh(text: str, start: int) -> bool:
    lo = max(0, start - _ZH_WINDOW)
    for k in range(start - 1, lo - 1, -1):
        if text[k] in _ZH_CLAUSE_END:
            return False
        if text[k] in _ZH_CUES and _cue_at(text, k):
            return _governs(text, k, start)
    return False


def _governs(text: str, cue: int, start: int) -> bool:
    after = text[cue + 1 : start]
    for modal in _ZH_MODALS:
        if after.startswith(modal):
            after = after[len(modal) :]
            break
    if after.startswith(_ZH_CONDITION_VERBS):
        return False
    between = text[cue + 1 : start]
    if any(mark in between for mark in _ZH_RESULT_MARKS):
        return False
    clause_start = max((text.rfind(c, 0, cue) for c in _ZH_CLAUSE_END), default=-1) + 1
    before = text[clause_start:cue]
    return not any(word in before for word in _ZH_RHETORICAL)


_ZH_STOPS = re.compile("[" + re.escape(_ZH_CLAUSE_END) + "]")


def negation_test(text: str) -> Callable[[int, str], bool]:
    """``is_negated`` for the occurrences in one text, with the Chinese verdicts
    remembered by clause.

    The Chinese test never looks past a clause end (nor do the words it compares,
    which hold none), so its verdict is that of the occurrence's clause alone; clauses
    repeat from one templated message to the next while the messages differ
    (amounts, dates).
    """
    stops = [m.start() for m in _ZH_STOPS.finditer(text)]

    def test(start: int, phrase: str) -> bool:
        if phrase.isascii():
            return _negated_en(text, start)
        k = bisect_left(stops, start)  # the first clause end at or after the phrase
        lo = stops[k - 1] + 1 if k else 0
        hi = stops[k] if k < len(stops) else len(text)
        return _negated_in_clause(text[lo:hi], start - lo)

    return test


@lru_cache(maxsize=16384)
def _negated_in_clause(clause: str, start: int) -> bool:
    return _negated_zh(clause, start)


def is_negated(text: str, start: int, phrase: str) -> bool:
    """Whether the occurrence of ``phrase`` at ``start`` of the normalised ``text`` is
    negated. English rules for an ASCII phrase, Chinese rules otherwise."""
    if phrase.isascii():
        return _negated_en(text, start)
    return _negated_zh(text, start)


# Any cue: a Chinese cue character, or an English cue as a word. Two searches: the
# character class alone is a fast scan in C, while the words' pattern (which starts with
# ``\b``) is tried at every position, so it runs only on texts that hold an "n" (every
# English cue but "without" does) or one of the cues without it.
_ANY_ZH_CUE = re.compile("[" + _ZH_CUES + "]")
_ANY_EN_CUE = re.compile(
    "\\b(?:" + "|".join(sorted(map(re.escape, _EN_CUES), key=len, reverse=True)) + ")(?![a-z'’])"
)
_EN_NEEDLES = ("n", *sorted(c for c in _EN_CUES if "n" not in c))


def may_negate(text: str) -> bool:
    """A fast test: could anything in ``text`` negate a phrase? (Most texts: no.)"""
    if _ANY_ZH_CUE.search(text) is not None:
        return True
    for needle in _EN_NEEDLES:
        if needle in text:
            return _ANY_EN_CUE.search(text) is not None
    return False
