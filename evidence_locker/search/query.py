"""Parse what a user types after ``search`` into normalised terms.

Whitespace-separated words are ANDed; ``"quoted phrases"`` (ASCII, full-width or curly
quotes) must occur as they are, contiguous, in one field. Every term is normalised with
:func:`evidence_locker.search.normalize.normalize`, the same function applied to the
stored text, so matching is a plain substring test. An unquoted international phone
number (``+86 138 0013 8000``) becomes its national significant number
(``13800138000``), which is a substring of every way that number is written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from evidence_locker.errors import UsageError
from evidence_locker.search.normalize import normalize

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32

# Opening quote -> closing quote. NFKC turns full-width ＂ into ".
_QUOTES = {'"': '"', "\u201c": "\u201d", "\u300c": "\u300d", "\u300e": "\u300f"}
_PHONE_RE = re.compile(r"\+[0-9][0-9 \-.()]{5,22}[0-9]")


@dataclass(frozen=True, slots=True)
class Term:
    """One normalised term. ``phrase`` records that it was quoted (it may contain spaces)."""

    text: str
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every term must occur in some searched field of a record."""

    raw: str
    terms: tuple[Term, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.terms)


def _is_punctuation(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def _strip_punctuation(word: str) -> str:
    start, end = 0, len(word)
    while start < end and _is_punctuation(word[start]):
        start += 1
    while end > start and _is_punctuation(word[end - 1]):
        end -= 1
    return word[start:end]


def _phones_to_national(text: str) -> str:
    """Rewrite valid international numbers to their national significant number."""
    import phonenumbers  # lazy: indexing imports this module; its metadata is not needed

    def repl(m: re.Match[str]) -> str:
        try:
            number = phonenumbers.parse(m.group(), None)
        except phonenumbers.NumberParseException:
            return m.group()
        if not phonenumbers.is_valid_number(number):
            return m.group()
        return phonenumbers.national_significant_number(number)

    return _PHONE_RE.sub(repl, text)


def _split_quoted(raw: str) -> list[tuple[str, bool]]:
    """Split into (chunk, quoted) pieces. An unclosed quote runs to the end of the query."""
    pieces: list[tuple[str, bool]] = []
    buf: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        closing = _QUOTES.get(raw[i])
        if closing is None:
            buf.append(raw[i])
            i += 1
            continue
        pieces.append(("".join(buf), False))
        buf = []
        end = raw.find(closing, i + 1)
        if end < 0:
            end = n
        pieces.append((raw[i + 1 : end], True))
        i = end + 1
    pieces.append(("".join(buf), False))
    return [(text, quoted) for text, quoted in pieces if text]


def parse_query(raw: str) -> Query:
    """Parse ``raw``; raise :class:`UsageError` when nothing searchable is left."""
    if len(raw) > MAX_QUERY_CHARS:
        raise UsageError("search.query_too_long", max=MAX_QUERY_CHARS)
    if not raw.strip():
        raise UsageError("search.empty_query")
    terms: list[Term] = []
    for chunk, quoted in _split_quoted(unicodedata.normalize("NFKC", raw)):
        if quoted:
            text = normalize(chunk)
            if text and not all(_is_punctuation(c) or c == " " for c in text):
                terms.append(Term(text, phrase=True))
            continue
        for word in normalize(_phones_to_national(chunk)).split(" "):
            word = _strip_punctuation(word)
            if word:
                terms.append(Term(word))
    unique = tuple(dict.fromkeys(terms))
    if not unique:
        raise UsageError("search.nothing_to_search", query=raw.strip())
    if len(unique) > MAX_TERMS:
        raise UsageError("search.too_many_terms", max=MAX_TERMS)
    return Query(raw=raw, terms=unique)
