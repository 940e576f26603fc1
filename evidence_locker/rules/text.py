"""Text normalisation and fast multi-phrase matching for the content rules.

Content arrives in Simplified or Traditional Chinese, full-width or half-width forms,
mixed with English in any case. Phrases and text go through the same ``normalise`` so a
list written once in Simplified Chinese and lower case matches all of them.

All phrases of all rules compile into one regular expression (one pass of the C regex
engine per record instead of one ``in`` test per phrase), wrapped in a look-ahead so
that overlapping phrases starting at different positions are all found.
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

_SPACE_RE = re.compile(r"\s+")
_ASCII_WORD = re.compile(r"[a-z0-9]")


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


@lru_cache(maxsize=4096)
def _normalise_cached(text: str) -> str:
    return _normalise(text)


def _normalise(text: str) -> str:
    out = unicodedata.normalize("NFKC", text).casefold()
    if _t2s is not None and not out.isascii() and not _traditional_chars().isdisjoint(out):
        out = _t2s(out)
    return _SPACE_RE.sub(" ", out).strip()


def normalise(text: str) -> str:
    """NFKC, case-fold, Traditional to Simplified (if available), collapse white space.

    Collection messages are often templates sent many times, hence the small cache.
    """
    if len(text) <= 512:
        return _normalise_cached(text)
    return _normalise(text)


def _pattern_for(phrase: str) -> str:
    """A regex for one normalised phrase; ASCII words get word boundaries.

    Boundaries are written as look-arounds on ASCII letters and digits rather than
    ``\\b`` because CJK characters are word characters too: "我要kill你" must match
    "kill", while "skill" must not.
    """
    body = re.escape(phrase)
    if _ASCII_WORD.match(phrase[0]):
        body = r"(?<![a-z0-9])" + body
    if _ASCII_WORD.match(phrase[-1]):
        body = body + r"(?![a-z0-9])"
    return body


class PhraseMatcher:
    """Finds which of many phrases occur in a normalised text, in one regex pass."""

    def __init__(self, phrases: Iterable[str]) -> None:
        norm = {normalise(p) for p in phrases}
        norm.discard("")
        self.phrases: frozenset[str] = frozenset(norm)
        # Longest first so that, at one position, the longest phrase wins; shorter
        # phrases that are prefixes of it are added back through ``_prefixes``.
        ordered = sorted(norm, key=lambda p: (-len(p), p))
        self._prefixes: dict[str, tuple[str, ...]] = {}
        for p in ordered:
            found = [
                q
                for q in ordered
                if q != p
                and p.startswith(q)
                and not (_ASCII_WORD.match(q[-1]) and _ASCII_WORD.match(p[len(q)]))
            ]
            if found:
                self._prefixes[p] = tuple(found)
        alternation = "|".join(_pattern_for(p) for p in ordered)
        self._regex = re.compile(f"(?=({alternation}))") if ordered else None

    def find(self, normalised_text: str) -> set[str]:
        """The phrases present in ``normalised_text`` (already passed through ``normalise``)."""
        if self._regex is None or not normalised_text:
            return set()
        hits: set[str] = set()
        prefixes = self._prefixes
        for m in self._regex.finditer(normalised_text):
            p = m.group(1)
            hits.add(p)
            extra = prefixes.get(p)
            if extra:
                hits.update(extra)
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


def find_links(normalised_text: str) -> list[str]:
    """Links in a normalised (case-folded) text, in order of appearance."""
    if "." not in normalised_text:
        return []
    return [m.group(0) for m in LINK_RE.finditer(normalised_text)]


def link_host(link: str) -> str:
    m = _HOST_RE.match(link)
    host = m.group(1) if m else link
    return host[4:] if host.startswith("www.") else host
