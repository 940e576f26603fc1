"""The phrase matcher against a brute-force search, and text normalisation."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.rules.text import PhraseMatcher, find_links, has_t2s, link_host, normalise

ALPHABET = "ab 死弄后果自负x9"
_WORD = re.compile(r"[a-z0-9]")


def brute_force(phrases: set[str], text: str) -> set[str]:
    """Every phrase occurring in text, ASCII phrases only at ASCII word edges."""
    found = set()
    for p in phrases:
        for i in range(len(text) - len(p) + 1):
            if text[i : i + len(p)] != p:
                continue
            if _WORD.match(p[0]) and i > 0 and _WORD.match(text[i - 1]):
                continue
            j = i + len(p)
            if _WORD.match(p[-1]) and j < len(text) and _WORD.match(text[j]):
                continue
            found.add(p)
            break
    return found


@settings(max_examples=200, deadline=None)
@given(
    phrases=st.sets(st.text(alphabet=ALPHABET, min_size=1, max_size=4), min_size=1, max_size=8),
    text=st.text(alphabet=ALPHABET, max_size=40),
)
def test_matcher_finds_exactly_what_brute_force_finds(phrases, text):
    norm = {normalise(p) for p in phrases} - {""}
    m = PhraseMatcher(phrases)
    t = normalise(text)
    assert m.find(t) == brute_force(norm, t)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


def test_normalise_folds_width_case_script_and_space():
    assert normalise("ＡＢＣ  Kill\tYOU") == "abc kill you"
    assert normalise("７２小时") == "72小时"
    if has_t2s():
        assert normalise("後果自負 爆通訊錄") == "后果自负 爆通讯录"


def test_links_and_short_links():
    text = normalise("请点击 HTTP://T.CN/A6xyz 或 www.bank.com/pay，邮箱 a@b.com 不算，3.5元不算")
    links = find_links(text)
    assert links == ["http://t.cn/a6xyz", "www.bank.com/pay"]
    assert [link_host(x) for x in links] == ["t.cn", "bank.com"]
    assert find_links(normalise("访问 pay-now.top 立即还款")) == ["pay-now.top"]
