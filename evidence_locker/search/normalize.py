"""One text normalisation, shared by indexing, querying and the brute-force test oracle.

Search is defined as *substring matching over normalised text*: a query term matches a
field when ``normalize(term)`` occurs in ``normalize(field)``. Keeping a single function
for both sides is what makes the blind index, the confirmation step and the oracle
agree. Steps, in order (docs/search.md says why each is there):

1. NFKC, casefold, NFKC again: full-width ``ＡＢＣ１２３`` becomes ``abc123``, ligatures
   and compatibility forms fold, case disappears.
2. Traditional -> Simplified Chinese, character by character (a map derived from
   OpenCC's ``t2s`` conversion, shipped in ``search/data/t2s.txt``). Per character,
   not per phrase, so that a substring of a text converts to a substring of the
   converted text.
3. Control characters removed, runs of white space collapsed to one space, ends trimmed.
4. Numbers: a ``+`` before a digit is dropped, and up to three separators between two
   digits (space, dash, dot, comma, slash, brackets) are removed, so ``+86 138-0013-8000``
   and ``(010) 1234 5678`` become plain digit runs that a typed number finds.

:func:`normalize_with_offsets` performs the same steps while tracking where each output
character came from; it exists for highlighting only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

# Separators that may sit between the digit groups of a phone number, an amount or a date.
_DIGIT_SEPARATORS = " \\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212.,/()"
_PLUS_RE = re.compile(r"\++(?=[0-9])")
_JOIN_RE = re.compile(rf"(?<=[0-9])[{_DIGIT_SEPARATORS}]{{1,3}}(?=[0-9])")
_WS_RE = re.compile(r"\s+")
_NUL_TRIM_RE = re.compile(" ?\x00 ?")
# C0/C1 controls other than white space carry no searchable meaning.
_CONTROLS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


@cache
def t2s_table() -> dict[int, str]:
    """A ``str.translate`` table: Traditional character -> Simplified character.

    About 4,100 characters, read from ``search/data/t2s.txt``, which
    ``search/t2s_build.py`` derives from OpenCC's ``t2s`` conversion (how, and why per
    character and not per phrase, is in that module and docs/search.md).
    """
    data = resources.files("evidence_locker.search").joinpath("data/t2s.txt")
    text = data.read_text(encoding="utf-8")
    # comment lines start with "#" and are longer than a pair
    return {ord(line[0]): line[1] for line in text.splitlines() if len(line) == 2}


def _fold(text: str) -> str:
    """Steps 1-2 (and the removal of control characters, done first so that NFKC sees
    the characters that stay): width, compatibility forms, case, Traditional -> Simplified.
    """
    text = _CONTROLS_RE.sub("", text)
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return text.translate(t2s_table())


def _numbers(text: str) -> str:
    return _JOIN_RE.sub("", _PLUS_RE.sub("", text))


def normalize(text: str) -> str:
    """The normalised form of ``text`` (see the module docstring)."""
    return _numbers(_WS_RE.sub(" ", _fold(text)).strip())


def normalize_joined(texts: Iterable[str]) -> str:
    """``"\\x00".join(normalize(t) for t in texts)``, in one pass over one string.

    Confirming a candidate normalises all its fields; doing it once on the joined text
    halves the cost. Exact: NUL is removed from each text first, NUL is a starter that
    composes with nothing (NFKC cannot merge across it), it is neither a space nor a digit
    separator, and the spaces that per-text trimming would remove are removed around it.
    """
    joined = "\x00".join(_CONTROLS_RE.sub("", t) for t in texts)
    joined = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", joined).casefold())
    joined = _WS_RE.sub(" ", joined.translate(t2s_table()))
    return _numbers(_NUL_TRIM_RE.sub("\x00", joined).strip(" "))


def is_cjk(char: str) -> bool:
    """Han ideographs, kana and Hangul: scripts written without spaces between words."""
    cp = ord(char)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x3040 <= cp <= 0x30FF
        or 0xAC00 <= cp <= 0xD7AF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3FFFF
        or 0x1100 <= cp <= 0x11FF
        or 0x3130 <= cp <= 0x318F
        or 0x31F0 <= cp <= 0x31FF
        or 0x3100 <= cp <= 0x312F
    )


CJK_CLASS = (
    "\u4e00-\u9fff\u3400-\u4dbf\u3040-\u30ff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003ffff\u1100-\u11ff\u3130-\u318f\u31f0-\u31ff\u3100-\u312f"
)


def normalize_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """``normalize(text)`` plus, for each output character, the span of ``text`` it came from.

    Returns ``(normalised, starts, ends)``. Works per grapheme-like cluster (a starter
    and its combining marks), which equals whole-string normalisation for real text; if
    it ever does not, the spans fall back to covering the whole field, so highlighting
    degrades gracefully while matching (which uses :func:`normalize`) stays exact.
    """
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        for ch in _fold(text[i:j]):
            chars.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    # Step 3: collapse white space, trim.
    chars, starts, ends = _collapse_ws(chars, starts, ends)
    # Step 4: drop "+" before digits, then join digit groups.
    for regex in (_PLUS_RE, _JOIN_RE):
        joined = "".join(chars)
        keep = [True] * len(chars)
        for m in regex.finditer(joined):
            for k in range(m.start(), m.end()):
                keep[k] = False
        chars = [c for c, k in zip(chars, keep, strict=True) if k]
        starts = [s for s, k in zip(starts, keep, strict=True) if k]
        ends = [e for e, k in zip(ends, keep, strict=True) if k]
    out = "".join(chars)
    if out != normalize(text):
        out = normalize(text)
        return out, [0] * len(out), [len(text)] * len(out)
    return out, starts, ends


def _collapse_ws(
    chars: list[str], starts: list[int], ends: list[int]
) -> tuple[list[str], list[int], list[int]]:
    oc: list[str] = []
    os_: list[int] = []
    oe: list[int] = []
    for ch, s, e in zip(chars, starts, ends, strict=True):
        if ch.isspace():
            if oc and oc[-1] == " ":
                oe[-1] = e
                continue
            ch = " "
        oc.append(ch)
        os_.append(s)
        oe.append(e)
    while oc and oc[0] == " ":
        del oc[0], os_[0], oe[0]
    while oc and oc[-1] == " ":
        del oc[-1], os_[-1], oe[-1]
    return oc, os_, oe
