"""A blind index: keyed, truncated tokens of normalised text grams, per ledger entry.

The store keeps no plaintext of searched fields. For each entry (one version of a
record, named by its ``seq``) we store a set of tokens ``HMAC(index_key, gram)[:4]``:

- every CJK character (unigram) and every pair of neighbouring characters of which at
  least one is CJK (bigram), as Lucene's CJK bigram filter does;
- every run of three neighbouring non-CJK characters (trigram), as FTS5's trigram
  tokenizer does, so that substrings of words and numbers are found.

Any query term has grams that are all grams of every text containing it, so
intersecting their posting lists never loses a match (no false negatives). A term with
no gram (one or two Latin letters or digits) cannot narrow the search: the caller scans.
Truncation makes different grams share a token, and a record may hold all grams of a
term without holding the term, so candidates are confirmed by decrypting them and
calling :func:`confirm` (no false positives). docs/search.md says what the tokens leak.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable, Iterable, Mapping
from itertools import filterfalse
from typing import Any

from evidence_locker.search.normalize import (
    CJK_CLASS,
    normalize,
    normalize_joined,
    normalize_with_offsets,
)
from evidence_locker.search.query import Query
from evidence_locker.store import database as db

# 4 bytes: 2^32 buckets. See docs/search.md for the collision / size trade-off measured.
TOKEN_BYTES = 4
# Grams are hashed as b"g1" + UTF-8, so a future gram scheme can change the prefix.
_GRAM_PREFIX = b"g1"
# Fields searched, in the order results show them; list-valued ones are joined by ", ".
SEARCHED_FIELDS: tuple[str, ...] = (
    "content",
    "subject",
    "notes",
    "counterpart",
    "organisation",
    "address",
    "location",
    "tags",
    "attachments",
    "image_text",  # text read from image attachments (OCR), see locker/reading.py
)
# Stop intersecting posting lists once this few candidates are left: decrypting a
# handful of rows costs less than decoding another list.
_ENOUGH = 4
# A posting list this many times longer than the candidate set is not worth reading.
_SKIP_RATIO = 10

# Field values up to this long have their tokens memoised (names, numbers, addresses
# recur across records; message bodies rarely do), at most this many of them.
_TEXT_MEMO_CHARS = 80
_TEXT_MEMO_ENTRIES = 4096

_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")

Span = tuple[int, int]
TokenFn = Callable[[bytes], bytes]


# pack_seqs formats: a width byte, then little-endian integers. 2 and 4: offsets from
# the row's ``chunk``; 8: absolute signed values (a file attached later indexes an
# older version, whose seq is below the chunk key).
_WIDTH_CODES = {2: "H", 4: "I", 8: "q"}


def pack_seqs(chunk: int, seqs: Iterable[int]) -> bytes:
    """Sorted, distinct ``seqs`` as bytes: two bytes per entry for an import flush."""
    values = sorted(set(seqs))
    if values and values[0] >= chunk and values[-1] - chunk < 1 << 16:
        width, items = 2, [v - chunk for v in values]
    elif values and values[0] >= chunk and values[-1] - chunk < 1 << 32:
        width, items = 4, [v - chunk for v in values]
    else:
        width, items = 8, values
    arr = array(_WIDTH_CODES[width], items)
    if sys.byteorder == "big":
        arr.byteswap()
    return bytes((width,)) + arr.tobytes()


def unpack_seqs(chunk: int, blob: bytes) -> list[int]:
    """The inverse of :func:`pack_seqs`. Raises ValueError on a malformed blob."""
    if not blob or blob[0] not in _WIDTH_CODES:
        raise ValueError("bad posting chunk")
    arr = array(_WIDTH_CODES[blob[0]])
    arr.frombytes(memoryview(blob)[1:])
    if sys.byteorder == "big":
        arr.byteswap()
    if blob[0] == 8:
        return arr.tolist()
    return [chunk + v for v in arr]


def posting_rows(
    chunk: int, entries: Iterable[tuple[int, Iterable[bytes]]]
) -> list[tuple[bytes, int, bytes]]:
    """``(token, chunk, packed seqs)`` rows for the entries ``(seq, tokens)`` written
    together; ``chunk`` must be a key no earlier call used (the first seq written)."""
    by_token: dict[bytes, list[int]] = {}
    for seq, tokens in entries:
        for token in tokens:
            by_token.setdefault(token, []).append(seq)
    return [(token, chunk, pack_seqs(chunk, seqs)) for token, seqs in sorted(by_token.items())]


class Tokenizer:
    """Gram -> truncated keyed token, memoised (grams repeat a lot across records).

    Hold one per unlocked locker: ``Tokenizer(keyring.index_token)``. Two memos, both
    in memory only, where the decrypted records already are: gram -> token, and, for
    short field values (an organisation, a number, a name: they repeat from record to
    record in an import), text -> its tokens.
    """

    __slots__ = ("_fn", "_memo", "_memo_max", "_texts", "size")

    def __init__(self, token_fn: TokenFn, size: int = TOKEN_BYTES, memo_max: int = 1 << 18):
        self._fn = token_fn
        self.size = size
        self._memo: dict[str, bytes] = {}
        self._memo_max = memo_max
        self._texts: dict[str, frozenset[bytes]] = {}

    def _keyed(self, gram: str) -> bytes:
        return self._fn(_GRAM_PREFIX + gram.encode("utf-8"))[: self.size]

    def __call__(self, gram: str) -> bytes:
        token = self._memo.get(gram)
        if token is None:
            token = self._keyed(gram)
            if len(self._memo) >= self._memo_max:
                self._memo.clear()
            self._memo[gram] = token
        return token

    def tokens(self, grams: set[str]) -> set[bytes]:
        """The tokens of a set of grams: the keyed hash runs only for grams not seen
        before, and the lookups of the others run as set and map operations in C."""
        memo = self._memo
        # not ``grams - memo.keys()``: that walks the whole memo
        missing = list(filterfalse(memo.__contains__, grams))
        if missing:
            if len(memo) + len(missing) > self._memo_max:
                memo.clear()
                missing = grams
            for gram in missing:
                memo[gram] = self._keyed(gram)
        return set(map(memo.__getitem__, grams))

    def text_tokens(self, text: str) -> frozenset[bytes]:
        """The tokens of one raw (not yet normalised) field value."""
        found = self._texts.get(text)
        if found is None:
            found = frozenset(self.tokens(grams(normalize(text))))
            if len(text) <= _TEXT_MEMO_CHARS:
                if len(self._texts) >= _TEXT_MEMO_ENTRIES:
                    self._texts.clear()
                self._texts[text] = found
        return found


def __getattr__(name: str) -> Any:
    # The table class lives with the others in store/tables.py; importing it here
    # eagerly would load SQLModel for every command that indexes (``log``).
    if name == "SearchPosting":
        from evidence_locker.store.tables import SearchPosting

        return SearchPosting
    raise AttributeError(name)


def _as_tokenizer(token_fn: TokenFn | Tokenizer) -> Tokenizer:
    return token_fn if isinstance(token_fn, Tokenizer) else Tokenizer(token_fn)


def searchable_fields(
    values: Mapping[str, Any],
    attachment_names: Iterable[str] = (),
    image_texts: Iterable[str] = (),
) -> dict[str, str]:
    """The searched fields of a decrypted entry as ``{name: text}`` (empty ones left out).

    ``values`` is the decrypted sensitive-field dict (``ContactDraft.sensitive_values()``
    shape); attachment file names come from the attachment entries, and the text read
    from its images from their ``ocr`` entries.
    """
    out: dict[str, str] = {}
    extra = {"attachments": list(attachment_names), "image_text": list(image_texts)}
    for name in SEARCHED_FIELDS:
        value = extra[name] if name in extra else values.get(name)
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value if v)
        if value:
            out[name] = str(value)
    return out


def grams(text: str) -> set[str]:
    """All index grams of an already normalised text (see the module docstring)."""
    out: set[str] = set()
    n = len(text)
    pos = 0
    for m in _CJK_RUN.finditer(text):
        a, b = m.span()
        out.update(text[i : i + 3] for i in range(pos, a - 2))
        out.update(text[a:b])
        out.update(text[i : i + 2] for i in range(max(a - 1, 0), min(b, n - 1)))
        pos = b
    out.update(text[i : i + 3] for i in range(pos, n - 2))
    return out


def term_grams(term: str) -> set[str]:
    """The grams used to look a normalised term up.

    Any subset of the term's grams is correct (each one is in every text holding the
    term); fewer lists are cheaper to read. We take bigrams and trigrams laid end to end
    across the term, plus the one ending at its last character, which covers every
    character while reading about a third (trigrams) or half (bigrams) of the lists. A
    term with no such gram falls back to its CJK unigrams (a lone CJK character).
    """
    indexed = grams(term)
    picked: set[str] = set()
    i, n = 0, len(term)
    while i < n:
        for size in (3, 2):
            gram = term[i : i + size]
            if len(gram) == size and gram in indexed:
                picked.add(gram)
                i += size
                break
        else:
            i += 1
    for size in (3, 2):
        if n >= size and term[n - size :] in indexed:
            picked.add(term[n - size :])
            break
    return picked or indexed


def tokens_for(fields: Mapping[str, str], token_fn: TokenFn | Tokenizer) -> set[bytes]:
    """The set of index tokens of one entry's searched fields (raw, not normalised)."""
    tok = _as_tokenizer(token_fn)
    out: set[bytes] = set()
    for text in fields.values():
        out |= tok.text_tokens(text)
    return out


def query_tokens(query: Query, token_fn: TokenFn | Tokenizer) -> list[bytes] | None:
    """Tokens every matching entry must hold (one space), or None if no term can narrow."""
    tok = _as_tokenizer(token_fn)
    tokens: dict[bytes, None] = {}
    for term in query.terms:
        for gram in sorted(term_grams(term.text)):
            tokens[tok(gram)] = None
    return list(tokens) or None


def _spaces(token_fn: TokenFn | Tokenizer | Iterable[Tokenizer]) -> list[Tokenizer]:
    if isinstance(token_fn, Tokenizer) or callable(token_fn):
        return [_as_tokenizer(token_fn)]  # type: ignore[arg-type]
    return list(token_fn)


def candidate_seqs(
    conn: Any,
    query: Query,
    token_fn: TokenFn | Tokenizer | Iterable[Tokenizer],
    *,
    at_most: int | None = None,
) -> set[int] | None:
    """Entries that may match ``query``; None means "cannot narrow: check every entry".

    ``token_fn`` is one tokenizer, or one per token space (search/spaces.py): a term
    is then looked up in every space, since each field of an entry was keyed in one;
    the entries holding all of a term's grams in some space are that term's
    candidates, and every term's candidates are intersected.

    With ``at_most``, None also when even the rarest term is in more entries than
    that: a caller holding decrypted text scans it faster than it reads such lists.

    ``conn``: a sqlite3 connection or a SQLAlchemy one (``store/database.py``).
    The chunks of every query token are read in one query (a common token is tens of
    rows); lists are intersected rarest first, and a list much longer than the
    candidates left is skipped, since decrypting a few extra candidates is cheaper.
    """
    spaces = _spaces(token_fn)
    # per term that can narrow: per space, the tokens of its grams
    lookups: list[list[list[bytes]]] = []
    for term in query.terms:
        grams_ = sorted(term_grams(term.text))
        if grams_:
            lookups.append([[tok(g) for g in grams_] for tok in spaces])
    if not lookups:
        return None
    tokens = list(dict.fromkeys(t for term in lookups for space in term for t in space))
    chunks: dict[bytes, list[tuple[int, bytes]]] = {}
    for start in range(0, len(tokens), 900):
        part = tokens[start : start + 900]
        marks = ",".join("?" * len(part))
        sql = f"SELECT token, chunk, seqs FROM search_posting WHERE token IN ({marks})"
        for token, chunk, blob in db.tuples(conn, sql, part):
            chunks.setdefault(bytes(token), []).append((chunk, bytes(blob)))
    counts = {t: sum((len(b) - 1) // b[0] for _, b in parts) for t, parts in chunks.items()}

    def estimate(space_tokens: list[bytes]) -> int:
        if any(t not in counts for t in space_tokens):
            return 0  # a gram no entry holds in this space
        return min(counts[t] for t in space_tokens)

    sizes = [sum(estimate(s) for s in term) for term in lookups]
    if at_most is not None and min(sizes) > at_most:
        return None
    found: set[int] | None = None
    for _, term in sorted(zip(sizes, lookups, strict=True), key=lambda p: p[0]):
        term_found: set[int] = set()
        for space_tokens in term:
            if estimate(space_tokens):
                term_found |= _intersect(space_tokens, chunks, counts)
        found = term_found if found is None else found & term_found
        if len(found) <= _ENOUGH:
            break
    return found if found is not None else set()


def _intersect(
    tokens: list[bytes],
    chunks: Mapping[bytes, list[tuple[int, bytes]]],
    counts: Mapping[bytes, int],
) -> set[int]:
    """The entries holding every token, rarest list first (a superset when it stops
    early: the caller confirms every candidate)."""
    ordered = sorted(set(tokens), key=lambda t: counts[t])
    found: set[int] = set()
    for chunk, blob in chunks[ordered[0]]:
        found.update(unpack_seqs(chunk, blob))
    for token in ordered[1:]:
        # Few candidates left, or a list so much longer that it can hardly remove any
        # (the grams of one phrase mostly occur together): decrypting is cheaper.
        if len(found) <= _ENOUGH or counts[token] > _SKIP_RATIO * len(found):
            break
        other: set[int] = set()
        for chunk, blob in chunks[token]:
            other.update(unpack_seqs(chunk, blob))
        found &= other
    return found


def normalized_text(fields: Mapping[str, str]) -> str:
    """The normalised fields joined by NUL, the form :func:`confirm_text` takes.

    :func:`normalize` removes control characters, so no term contains NUL and a term
    can only match inside one field, with a single substring test per term.
    """
    return normalize_joined(fields.values())


def confirm_text(query: Query, text: str) -> bool:
    """True if every term occurs in ``text`` (from :func:`normalized_text`)."""
    return all(term.text in text for term in query.terms)


def confirm(query: Query, fields: Mapping[str, str]) -> bool:
    """True if the decrypted entry with these searched fields matches ``query``."""
    return confirm_text(query, normalized_text(fields))


def highlight(query: Query, fields: Mapping[str, str]) -> dict[str, list[Span]]:
    """Per field, the merged ``(start, end)`` spans of the original text that matched."""
    out: dict[str, list[Span]] = {}
    for name, text in fields.items():
        norm, starts, ends = normalize_with_offsets(text)
        spans: list[Span] = []
        for term in query.terms:
            at = norm.find(term.text)
            while at >= 0:
                stop = at + len(term.text)
                spans.append((starts[at], ends[stop - 1]))
                at = norm.find(term.text, stop)
        if spans:
            spans.sort()
            merged = [spans[0]]
            for start, end in spans[1:]:
                if start <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            out[name] = merged
    return out


def matches(query: Query, fields: Mapping[str, str]) -> dict[str, list[Span]] | None:
    """Confirm and highlight in one call: None if the entry does not match."""
    if not confirm(query, fields):
        return None
    return highlight(query, fields)
