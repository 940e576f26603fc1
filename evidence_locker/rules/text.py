"""Text normalisation and fast multi-phrase matching for the content rules.

Content arrives in Simplified or Traditional Chinese, full-width or half-width forms,
mixed with English in any case. Phrases and text go through the same ``normalise`` so a
list written once in Simplified Chinese and lower case matches all of them.

All phrases of all rules go into one Aho–Corasick automaton, which finds every
occurrence of every phrase in one scan of the text. Word edges for ASCII phrases are
checked in Python, only where something matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

try:  # optional: Traditional -> Simplified so 後果自負 matches 后果自负
    from opencc_purepy import OpenCC as _OpenCC

    _t2s = _OpenCC("t2s").convert
except Exception:  # pragma: no cover - depends on the environment
    _t2s = None

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """The CJK characters t2s changes, found once by converting the whole block.

    Most collection messages are in Simplified Chinese; testing a text for any of them
    (``_find_traditional``) lets them skip the conversion, the slowest step of normalising.
    """
    if _t2s is None:
        return frozenset()
    block = "".join(chr(c) for c in range(0x3400, 0xA000))
    out = _t2s(block)
    if len(out) != len(block):  # pragma: no cover - t2s is character for character here
        return frozenset(block)
    return frozenset(a for a, b in zip(block, out, strict=True) if a != b)


@lru_cache(maxsize=1)
def _find_traditional() -> Callable[[str], re.Match[str] | None]:
    """A search for any character t2s changes: one regex character class, tested in C
    without making a string object per character as a set test of the text does."""
    chars = _traditional_chars()
    if not chars:  # pragma: no cover - t2s absent: nothing to convert
        return re.compile("(?!)").search
    return re.compile("[" + "".join(map(re.escape, sorted(chars))) + "]").search


def has_t2s() -> bool:
    """Whether Traditional-to-Simplified conversion is available (opencc-purepy)."""
    return _t2s is not None


# Runs of ASCII: no entry of the Traditional-to-Simplified dictionary contains one
# (tests/test_rules_text_t2s.py checks that), so conversion never matches across them.
_ASCII_RUN = re.compile(r"([\x00-\x7f]+)")


def to_simplified(text: str) -> str:
    """``t2s(text)``, converting each piece between ASCII runs once per run of checks.

    The conversion (pure Python) is the slowest step of normalising a Traditional
    Chinese message, and such messages are templates: the pieces between amounts,
    dates and punctuation repeat from one message to the next.
    """
    parts = _ASCII_RUN.split(text)  # odd places hold the ASCII runs
    parts[::2] = map(_simplified_piece, parts[::2])
    return "".join(parts)


@lru_cache(maxsize=8192)
def _simplified_piece(piece: str) -> str:
    assert _t2s is not None
    return _t2s(piece) if piece else piece


# Full-width punctuation is what most Chinese messages need NFKC for.
_COMMON_COMPAT = tuple((c, unicodedata.normalize("NFKC", c)) for c in "，！：；？（）\u3000")


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, mostly without its composition step.

    That step is the slowest part of normalising Chinese text, yet most messages only
    need their full-width punctuation replaced. Replacing a character by its own NFKC
    form leaves the text's NFKC unchanged, so when the text is normalised after these
    replacements (a quick check in C), it is the NFKC of the original text.
    """
    quick = text
    for compat, plain in _COMMON_COMPAT:
        quick = quick.replace(compat, plain)
    if unicodedata.is_normalized("NFKC", quick):
        return quick
    return unicodedata.normalize("NFKC", text)


def normalise(text: str) -> str:
    """NFKC, case-fold, Traditional to Simplified (if available), 您 as 你, collapse space.

    Pure ASCII text is already NFKC and case-folds like ``lower``, so it skips both
    Unicode steps; ``split``/``join`` collapses the same white space as ``\\s+``.
    """
    if text.isascii():
        return " ".join(text.lower().split())
    out = nfkc(text).casefold()
    if _t2s is not None and not out.isascii() and _find_traditional()(out) is not None:
        out = to_simplified(out)
    # The polite 您 and the plain 你 say the same to a phrase list: "联系您的家人" is
    # "联系你的家人". Curly apostrophes become straight ones ("won’t", "you’ll").
    return " ".join(out.replace("您", "你").replace("’", "'").split())


def _is_word(ch: str) -> bool:
    """ASCII letters and digits: the characters an ASCII phrase must not touch.

    Not ``\\b``: CJK characters are word characters too, and "我要kill你" must match
    "kill" while "skill" must not.
    """
    return ch in _WORD_CHARS


# Dead ends (see ``_automaton``): a word of one common character and this one, whose
# value ``find_all`` skips. No phrase starts with that character, so none is hidden.
_DEAD_END = "\uffff"
_DEAD: tuple[str, int, bool, bool] = ("", 0, False, False)


def _automaton(phrases: frozenset[str], common: Iterable[str]) -> Any:
    """An Aho–Corasick automaton of ``phrases`` whose root lists ``common`` first.

    pyahocorasick finds a node's child by reading its children in the order they were
    added. A text's characters that continue no match are looked up at the root, which
    has a child for each first character of a phrase (about 160 for the shipped sets),
    and most characters of a message (digits, punctuation, the commonest Chinese
    characters) start no phrase: each read the whole list. Added first, most common
    first, as the start of their phrases or else as a dead end, each costs as many
    comparisons as there are commoner characters. Any order finds the same matches:
    only the search is quicker (about half the instructions on the synthetic texts).
    """
    import ahocorasick

    by_start: dict[str, list[str]] = {}
    for p in sorted(phrases):
        by_start.setdefault(p[0], []).append(p)
    automaton = ahocorasick.Automaton()

    def add(starting: list[str]) -> None:
        for p in starting:
            # (phrase, length, must start at a word edge, must end at one)
            automaton.add_word(p, (p, len(p), _is_word(p[0]), _is_word(p[-1])))

    for c in dict.fromkeys(common):
        starting = by_start.pop(c, None)
        if starting is None:  # no phrase starts with c: nor with c + _DEAD_END
            if len(c) == 1:
                automaton.add_word(c + _DEAD_END, _DEAD)
            continue
        add(starting)
    for starting in by_start.values():
        add(starting)
    automaton.make_automaton()
    return automaton


def common_characters(texts: Iterable[str], n: int = 256) -> list[str]:
    """The ``n`` characters ``texts`` hold most, most first (``PhraseMatcher.tuned``)."""
    return [c for c, _ in Counter("".join(texts)).most_common(n)]


class PhraseMatcher:
    """Finds which of many phrases occur in a normalised text, and where, in one pass.

    An Aho–Corasick automaton (``pyahocorasick``, in C) reports every occurrence of
    every phrase, overlapping and nested ones included, in one scan of the text
    whatever the number of phrases. Word edges for ASCII phrases are checked here,
    only where something matched.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        norm = {normalise(p) for p in phrases}
        norm.discard("")
        self.phrases: frozenset[str] = frozenset(norm)
        self._automaton = _automaton(self.phrases, ()) if norm else None

    def tuned(self, common: Iterable[str]) -> PhraseMatcher:
        """The same matcher, quicker on texts whose most frequent characters are
        ``common`` (most frequent first; ``common_characters``): see ``_automaton``."""
        out = PhraseMatcher.__new__(PhraseMatcher)
        out.phrases = self.phrases
        out._automaton = _automaton(self.phrases, common) if self.phrases else None
        return out

    def find(self, normalised_text: str) -> set[str]:
        """The phrases present in ``normalised_text`` (already passed through ``normalise``)."""
        return set(self.find_all(normalised_text))

    def find_all(self, normalised_text: str) -> dict[str, list[int]]:
        """Each phrase present in ``normalised_text`` with the positions where it starts
        (ascending): what nesting and negation need to judge each occurrence."""
        hits: dict[str, list[int]] = {}
        if self._automaton is None or not normalised_text:
            return hits
        text = normalised_text
        last = len(text) - 1
        for end, (p, length, left, right) in self._automaton.iter(text):
            if not length:  # a dead end (_automaton)
                continue
            i = end - length + 1
            if left and i and text[i - 1] in _WORD_CHARS:
                continue
            if right and end < last and text[end + 1] in _WORD_CHARS:
                continue
            got = hits.get(p)
            if got is None:
                hits[p] = [i]
            else:
                got.append(i)
        return hits


# Links: explicit schemes, www., or a bare host name with a common top-level domain.
_TLDS = "com|cn|net|org|cc|top|xyz|me|io|ly|gl|gd|info|vip|co|uk|us|link|club|site|online|shop|app"
# URL characters only (ASCII, no comma or brackets): after NFKC a Chinese full-width
# comma is ",", and the sentence must not become part of the link.
_URL_CHARS = r"[a-z0-9\-._~:/?#@!$&*+=%]"
LINK_RE = re.compile(
    rf"(?:https?://|www\.){_URL_CHARS}+"
    rf"|(?<![a-z0-9@.\-])(?:[a-z0-9\-]+\.)+(?:{_TLDS})(?![a-z0-9\-])(?:/{_URL_CHARS}*)?",
)
_HOST_RE = re.compile(r"^(?:https?://)?([^/:?#]+)")


# Every link LINK_RE can find has a scheme, "www." or a dot followed by a letter (the
# top-level domain): a fast test that spares most sentences ("overdue. call", "$5.00").
# Scam rules fold it into their own first test of a message.
LINK_HINT = r"://|www\.|\.[a-z]"
_LINK_HINT = re.compile(LINK_HINT)


def find_links(normalised_text: str) -> list[str]:
    """Links in a normalised (case-folded) text, in order of appearance."""
    text = normalised_text
    if "." not in text:
        return []
    if _LINK_HINT.search(text) is None:
        return []
    return [m.group(0) for m in LINK_RE.finditer(text)]


def link_host(link: str) -> str:
    m = _HOST_RE.match(link)
    host = m.group(1) if m else link
    return host[4:] if host.startswith("www.") else host
