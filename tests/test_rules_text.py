"""The phrase matcher against a brute-force search, and text normalisation."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from evidence_locker.rules.text import (
    LINK_RE,
    PhraseMatcher,
    find_links,
    has_t2s,
    link_host,
    nfkc,
    normalise,
)

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


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=30)
    | st.text(alphabet="，！：；？（）\u3000\u0338\u0301\u3099ＡａＡ１。a(欠款カ", max_size=30)
)
@example("请尽快还款，逾期将影响征信！")
@example("（\u0338）\u3000カ\u3099")
def test_nfkc_is_unicodedata_nfkc(text):
    """The fast path (full-width punctuation replaced, then a quick check) gives what
    the library gives, combining marks after a replaced character included."""
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


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


@settings(max_examples=200, deadline=None)
@given(
    phrases=st.sets(st.text(alphabet="ab1 后果", min_size=1, max_size=5), min_size=1, max_size=10),
    text=st.text(alphabet="ab1 后果x", max_size=30),
)
def test_matcher_finds_overlapping_nested_and_prefix_phrases(phrases, text):
    # A tiny alphabet makes phrases overlap, nest and prefix each other all the time,
    # and ASCII edges fall everywhere: the cases a scan that resumes after a match or
    # keeps only the longest phrase at a position would get wrong.
    norm = {normalise(p) for p in phrases} - {""}
    assert PhraseMatcher(phrases).find(normalise(text)) == brute_force(norm, normalise(text))


_TUNE_ALPHABET = "ab1 后果x\uffff"


@settings(max_examples=200, deadline=None)
@given(
    phrases=st.sets(st.text(alphabet="ab1 后果", min_size=1, max_size=5), min_size=1, max_size=10),
    common=st.lists(st.sampled_from([*_TUNE_ALPHABET, "ab"]), max_size=8),
    text=st.text(alphabet=_TUNE_ALPHABET, max_size=30),
)
@example(phrases={"后果"}, common=["x", "后"], text="x\uffffx后果")
def test_a_tuned_matcher_finds_what_the_matcher_finds(phrases, common, text):
    # Tuning adds the common characters first, those that start no phrase as dead ends
    # ending in \uffff: the hits, positions included, must not change, even in texts
    # that hold a dead end.
    matcher = PhraseMatcher(phrases)
    t = normalise(text)
    assert matcher.tuned(common).find_all(t) == matcher.find_all(t)
    norm = {normalise(p) for p in phrases} - {""}
    assert matcher.tuned(common).find(t) == brute_force(norm, t)


def test_matcher_nested_and_edge_examples():
    m = PhraseMatcher(["后果自负", "自负", "果自", "kill", "kill you", "you", "a.b", "$5"])
    assert m.find("后果自负") == {"后果自负", "自负", "果自"}
    assert m.find("kill your") == {"kill"}  # "kill you" and "you" end inside "your"
    assert m.find("skill you") == {"you"}
    assert m.find("kill you!") == {"kill", "kill you", "you"}
    assert m.find("pay $5 to a.b") == {"$5", "a.b"}  # regex metacharacters are literal
    assert PhraseMatcher([]).find("anything") == set()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_normalise_ascii_shortcut_equals_the_unicode_path(text):
    # ASCII skips NFKC and case-folds with lower(); the full path must agree.
    full = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    assert normalise(text) == full
    assert normalise(text) == re.sub(r"\s+", " ", full).strip()


_LINK_EXAMPLES = {"pay at a.cn now.", "http://t.cn/x.", "see 1-a.com/pa"}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="achmnoptw.:/ -1", max_size=30))
@example("pay at a.cn now.")
@example("http://t.cn/x.")
@example("www.a .")
@example("see 1-a.com/pa")
def test_find_links_shortcut_never_drops_a_link(text):
    # find_links skips the full pattern when no scheme, "www." or ".letter" is present;
    # the result must be what the full pattern finds in any text that has a dot.
    full = [m.group(0) for m in LINK_RE.finditer(text)] if "." in text else []
    assert find_links(text) == full
    if text in _LINK_EXAMPLES:
        assert full  # the examples do contain links: the comparison is not vacuous
