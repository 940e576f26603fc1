"""How an entry's fields are sealed, and what the seal binds them to.

The clear columns of an entry (when it happened, its channel, its case...) sit beside
its sealed fields so that filters run in SQL. Someone with the files can change them
with sqlite3. ``verify`` always caught that (the leaf hash covers them), but ordinary
reads used them as stored: a 23:15 call shifted to 13:15 lost its night flag in
``check`` and went into a dossier that then failed in the recipient's hands (issue
13). So every read now checks them:

- **Version 2** (``sealed[0] == 2``, lockers in format ``evidence-locker/2``): the
  AEAD's associated data binds the clear columns and the leaf hash::

      "evidence-locker/v2/entry/" ‖ JSON [seq, id, kind, target, record_id, channel,
      direction, occurred_at, offset, logged_at, case_id, dedupe] ‖ leaf (32 bytes)

  (compact JSON, non-ASCII escaped: unambiguous for the integers, strings and nulls
  these columns hold). A changed column, or a value of a type no writer stores, fails
  authentication like a flipped bit, at the cost of building that array (a few µs).
- **Version 1** (entries written before): the associated data is only
  ``"evidence-locker/v1/entry/" ‖ id``, so opening one also recomputes its leaf from
  the clear columns and the salted commitments and compares it with the stored leaf
  (slower: a hash per field). ``dedupe`` is not in a version-1 leaf; ``verify``
  recomputes it from the source fingerprint instead.

Either way a mismatch is :class:`DecryptionFailed`: callers name the record and never
say which check failed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import orjson

from evidence_locker.crypto import DecryptionFailed, FieldCipher, random_bytes
from evidence_locker.ledger.canonical import (
    HEADER_COLUMNS,
    SALT_SIZE,
    commitment,
    entry_leaf_hash,
    sealed_plaintext,
)

AD_PREFIX = b"evidence-locker/v1/entry/"
AD_PREFIX_V2 = b"evidence-locker/v2/entry/"
VERSION = 2  # what new entries are sealed with
# The columns a version-2 seal binds, in order (the leaf follows them).
BOUND_COLUMNS = (*HEADER_COLUMNS, "dedupe")
MAX_SEALED_BYTES = 16 * 1024 * 1024  # a bound on one entry's fields (a pasted e-mail fits)

_bound_of = attrgetter(*BOUND_COLUMNS)
_header_of = attrgetter(*HEADER_COLUMNS)
# ASCII-only compact JSON: one encoding for each value, whatever the database returns
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def binding(values: Sequence[Any], leaf: bytes) -> bytes:
    """The associated data of a version-2 seal: the bound columns' values and the leaf.

    A value of a type no writer stores (bytes, a float...) cannot have been sealed:
    DecryptionFailed rather than an error from the encoder.
    """
    try:
        text = _encode_bound(values)
        tail = bytes(leaf)
    except (TypeError, ValueError):
        raise DecryptionFailed from None
    return AD_PREFIX_V2 + text + tail


_PLAIN_TYPES = frozenset((str, int, type(None)))


def _encode_bound(values: Sequence[Any]) -> bytes:
    """``_encode(list(values)).encode()``, built by orjson where the bytes are the same.

    For exact ``str``, ``int`` and None (what the columns hold) orjson writes the same
    compact JSON twice as fast, except that it keeps non-ASCII characters and DEL
    (0x7f) as they are where the encoder escapes them: output with either goes to the
    encoder, as does anything orjson refuses (an integer beyond 64 bits, a lone
    surrogate) and any other type (a float, which orjson would write otherwise, a
    bool, a subclass). tests/test_sealing_read.py checks the two agree.
    """
    if type(values) in (list, tuple) and _PLAIN_TYPES.issuperset(map(type, values)):
        try:
            out = orjson.dumps(values)
        except TypeError:
            pass
        else:
            if out.isascii() and b"\x7f" not in out:
                return out
    return _encode(list(values)).encode()


def seal(
    cipher: FieldCipher, header: dict[str, Any], dedupe: str | None, fields: dict[str, Any]
) -> tuple[bytes, bytes]:
    """Seal ``fields`` (fresh salt each) for an entry with this clear ``header``.

    Returns the sealed blob (version 2) and the entry's leaf hash.
    """
    plaintext, commitments = sealed_plaintext(fields, random_bytes(SALT_SIZE * len(fields)))
    if len(plaintext) > MAX_SEALED_BYTES:
        raise ValueError("entry too large")
    leaf = entry_leaf_hash(header, commitments)
    values = [header[c] for c in HEADER_COLUMNS]
    values.append(dedupe)
    return cipher.seal(plaintext, binding(values, leaf), version=VERSION), leaf


def is_legacy(row: Any) -> bool:
    """Whether the row's seal binds only its id (version 1)."""
    return is_legacy_seal(row.sealed)


def is_legacy_seal(blob: Any) -> bool:
    """Whether a ``sealed`` value is of version 1."""
    return isinstance(blob, bytes | bytearray | memoryview) and len(blob) > 0 and blob[0] == 1


def open_plaintext(cipher: FieldCipher, row: Any) -> tuple[bytes, bool]:
    """The row's sealed JSON, and whether its leaf still has to be checked (version 1)."""
    blob = row.sealed
    if blob is None or len(blob) == 0:
        raise DecryptionFailed
    if blob[0] == 1:
        try:
            ad = AD_PREFIX + row.id.encode()
        except (AttributeError, TypeError):
            raise DecryptionFailed from None
        return cipher.open(blob, ad), True
    return cipher.open(blob, binding(_bound_of(row), row.leaf)), False


def salted_fields(plaintext: bytes) -> dict[str, tuple[bytes, Any]]:
    """``{name: (salt, value)}`` from a sealed JSON; DecryptionFailed if malformed."""
    try:
        salted = _loads(plaintext)["f"]
        return {k: (base64.b64decode(s), v) for k, (s, v) in salted.items()}
    except (ValueError, KeyError, TypeError):
        raise DecryptionFailed from None


def plain_values(plaintext: bytes) -> dict[str, Any]:
    """``{name: value}`` from a sealed JSON (salts left undecoded)."""
    try:
        return {k: v for k, (_, v) in _loads(plaintext)["f"].items()}
    except (ValueError, KeyError, TypeError):
        raise DecryptionFailed from None


def _loads(plaintext: bytes) -> Any:
    """``json.loads(plaintext)``, parsed by orjson where the two agree.

    orjson reads what a writer seals (UTF-8, strict RFC 8259 JSON) into the same
    values three times as fast (2 µs saved per record read). Whatever it refuses (NaN,
    a byte-order mark, UTF-16, lone surrogates...) goes to ``json.loads``, which
    decides as it always has. One difference it does not refuse: an integer beyond 64
    bits becomes a float. Every integer of 18 digits or fewer fits, so bytes with a run
    of 19 digits (a card number in a message will do) go to ``json.loads`` too.
    tests/test_sealing_read.py checks that the two agree.
    """
    if _NINETEEN_DIGITS not in plaintext.translate(_DIGITS_AS_ZEROS):
        try:
            return orjson.loads(plaintext)
        except orjson.JSONDecodeError:
            pass
    return json.loads(plaintext)


# Each byte that is a digit as "0", every other as ".": a run of digits is one of zeros.
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x2E for b in range(256))
_NINETEEN_DIGITS = b"0" * 19


def check_legacy_leaf(row: Any, fields: dict[str, tuple[bytes, Any]]) -> None:
    """A version-1 entry's clear columns against its leaf (DecryptionFailed if changed)."""
    commitments = {k: commitment(s, v) for k, (s, v) in fields.items()}
    header = dict(zip(HEADER_COLUMNS, _header_of(row), strict=True))
    try:
        leaf = entry_leaf_hash(header, commitments)
    except (TypeError, ValueError):
        raise DecryptionFailed from None
    if leaf != bytes(row.leaf):
        raise DecryptionFailed
