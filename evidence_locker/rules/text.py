"""Text normalisation and fast multi-phrase matching for the content rules.

Content arrives in Simplified or Traditional Chinese, full-width or half-width forms,
mixed with English in any case. Phrases and text go through the same ``normalise`` so a
list written once in Simplified Chinese and lower case matches all of them.

All phrases of all rules compile into one regular expression shaped like a trie
(``打(?:死|断你的腿)``), made only of literals. Such a pattern lets the C regex engine
skip, in one scan, every position whose character cannot start a phrase, and where one
can, try one branch per character instead of every phrase; look-arounds in the pattern
would turn the skip off. Word edges for ASCII phrases are checked in Python, only where
something matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

try:  # optional: Traditional -> Simplified so 後果自負 matches 后果自负
    from opencc_purepy import OpenCC as _OpenCC

    _t2s = _OpenCC("t2s").convert
except Exception:  # pragma: no cover - depends on the environment
    _t2s = None

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """The CJK characters t2s changes, found once by converting the whole block.

    Most collection messages are in Simplified Chinese; testing a text against this set
    (in C) lets them skip the conversion, which is the slowest step of normalising.
    """
    if _t2s is None:
        return frozenset()
    block = "".join(chr(c) for c in range(0x3400, 0xA000))
    out = _t2s(block)
    if len(out) != len(block):  # pragma: no cover - t2s is character for character here
        return frozenset(block)
    return frozenset(a for a, b in zip(block, out, strict=True) if a != b)


def has_t2s() -> bool:
    """Whether Traditional-to-Simplified conversion is available (opencc-purepy)."""
    return _t2s is not None


def normalise(text: str) -> str:
    """NFKC, case-fold, Traditional to Simplified (if available), collapse white space.

    Pure ASCII text is already NFKC and case-folds like ``lower``, so it skips both
    Unicode steps; ``split``/``join`` collapses the same white space as ``\\s+``.
    """
    if text.isascii():
        return " ".join(text.lower().split())
    out = unicodedata.normalize("NFKC", text).casefold()
    if _t2s is not None and not out.isascii() and not _traditional_chars().isdisjoint(out):
        out = _t2s(out)
    return " ".join(out.split())


def _is_word(ch: str) -> bool:
    """ASCII letters and digits: the characters an ASCII phrase must not touch.

    Not ``\\b``: CJK characters are word characters too, and "我要kill你" must match
    "kill" while "skill" must not.
    """
    return ch in _WORD_CHARS


def _trie_pattern(phrases: Iterable[str]) -> str:
    """A regex matching exactly the phrases, longest first at any position.

    Each trie node becomes a group of its children; a node that ends a phrase and has
    children makes the group optional, and a greedy optional group tries the longer
    phrase before settling for the shorter one.
    """
    root: dict[str, dict] = {}
    for p in phrases:
        node = root
        for ch in p:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a phrase

    def build(node: dict[str, dict]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            body = f"(?:{body})?"
        return body

    return build(root)


class PhraseMatcher:
    """Finds which of many phrases occur in a normalised text, in one regex scan.

    The regex finds the leftmost position where any phrase starts, and there the
    longest phrase; every shorter phrase that also starts there
    is a prefix of it, so it comes from a table. The next search starts one character
    further on, so overlapping phrases and phrases inside others are found too.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        norm = {normalise(p) for p in phrases}
        norm.discard("")
        self.phrases: frozenset[str] = frozenset(norm)
        ordered = sorted(norm, key=lambda p: (-len(p), p))
        # phrase -> every phrase that is a prefix of it (itself included), each with
        # whether it must end at a word edge (it ends in an ASCII letter or digit).
        self._at: dict[str, tuple[tuple[str, int, bool], ...]] = {
            p: tuple((q, len(q), _is_word(q[-1])) for q in ordered if p.startswith(q))
            for p in ordered
        }
        # All phrases sharing a first character share whether they need a left edge.
        self._left: dict[str, bool] = {p: _is_word(p[0]) for p in ordered}
        self._regex = re.compile(_trie_pattern(ordered)) if ordered else None

    def find(self, normalised_text: str) -> set[str]:
        """The phrases present in ``normalised_text`` (already passed through ``normalise``)."""
        hits: set[str] = set()
        if self._regex is None or not normalised_text:
            return hits
        text = normalised_text
        n = len(text)
        search = self._regex.search
        at, left = self._at, self._left
        m = search(text)
        while m is not None:
            i = m.start()
            p = m.group()
            if not (left[p] and i and text[i - 1] in _WORD_CHARS):
                for q, length, right in at[p]:
                    j = i + length
                    if right and j < n and text[j] in _WORD_CHARS:
                        continue
                    hits.add(q)
            m = search(text, i + 1)
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
_DOT_LETTER = re.compile(r"\.[a-z]")


def find_links(normalised_text: str) -> list[str]:
    """Links in a normalised (case-folded) text, in order of appearance."""
    text = normalised_text
    if "." not in text:
        return []
    if "://" not in text and "www." not in text and _DOT_LETTER.search(text) is None:
        return []
    return [m.group(0) for m in LINK_RE.finditer(text)]


def link_host(link: str) -> str:
    m = _HOST_RE.match(link)
    host = m.group(1) if m else link
    return host[4:] if host.startswith("www.") else host
