"""The canonical encoding of a ledger entry, which its leaf hash covers.

RFC 8785 (JSON Canonicalization Scheme) makes the bytes unique for a given value,
so an independent verifier in any language can rebuild them. Sensitive fields are
not in the leaf in clear: each appears as a salted commitment
``SHA-256(salt || JCS(value))``. A dossier can then reveal a field (salt and value)
or withhold it (just the commitment) and the leaf still verifies: redaction
without breaking the proof.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import rfc8785

from evidence_locker.ledger.merkle import leaf_hash

_sha256 = hashlib.sha256
_b64 = base64.b64encode

LEAF_VERSION = 1
SALT_SIZE = 16
# An entry's clear columns, in the order statements and the leaf's header use them.
HEADER_COLUMNS = (
    "seq",
    "id",
    "kind",
    "target",
    "record_id",
    "channel",
    "direction",
    "occurred_at",
    "offset",
    "logged_at",
    "case_id",
)


def jcs(value: Any) -> bytes:
    """RFC 8785 bytes of ``value``.

    For strings, integers, None, booleans and containers of them with ASCII keys,
    the stdlib's JSON encoder (sorted keys, no spaces, no ASCII escaping) writes
    exactly the JCS bytes: same escapes (``\\n``, ``\\u001f`` lower-case), same
    key order for ASCII keys. It is ~5x faster, and a ledger entry is all such
    values; anything else (floats, non-ASCII keys) goes to the ``rfc8785`` package.
    A property test checks the two agree.
    """
    if type(value) is str:  # most committed fields: skip the checks and the encoder object
        return _encode_str(value).encode("utf-8")
    if _simple(value):
        return _encode(value).encode("utf-8")
    return rfc8785.dumps(value)


_MAX_SAFE_INT = 2**53 - 1
# One encoder built once: ``json.dumps`` with options builds a new one on every call.
_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode
_encode_str = json.encoder.encode_basestring  # what that encoder does for a bare str
# Compact, unsorted, non-ASCII kept: the sealed plaintext's encoding (json.dumps's bytes).
_encode_unsorted = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _simple(value: Any, depth: int = 0) -> bool:
    """Whether the stdlib encoder writes JCS bytes for ``value`` (see :func:`jcs`).

    Exact built-in types are checked inline (an entry has hundreds of them per
    second of import); subclasses take the general path in :func:`_simple_any`.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT
    if kind is dict:
        if depth > 20:
            return False
        for key, item in value.items():
            if not (isinstance(key, str) and key.isascii()):
                return False
            if type(item) is not str and not _simple(item, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        if depth > 20:
            return False
        return all(type(item) is str or _simple(item, depth + 1) for item in value)
    return _simple_any(value, depth)


def _simple_any(value: Any, depth: int) -> bool:
    """:func:`_simple` for subclasses of the JSON types (``StrEnum``, ``IntEnum``...)."""
    if isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT
    if depth > 20:
        return False
    if isinstance(value, list | tuple):
        return all(_simple(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and k.isascii() and _simple(v, depth + 1) for k, v in value.items()
        )
    return False


def commitment(salt: bytes, value: Any) -> str:
    return _sha256(salt + jcs(value)).hexdigest()


def salted_commitments(
    fields: dict[str, Any], salts: bytes
) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """Each field's ``[base64 salt, value]`` pair and its commitment.

    ``salts`` is ``SALT_SIZE`` fresh random bytes per field, in field order: one call
    to the system's random source per entry instead of one per field.
    """
    if len(salts) != SALT_SIZE * len(fields):
        raise ValueError("one salt per field")
    salted: dict[str, list[Any]] = {}
    commitments: dict[str, str] = {}
    start = 0
    for name, value in fields.items():
        salt = salts[start : start + SALT_SIZE]
        start += SALT_SIZE
        salted[name] = [_b64(salt).decode(), value]
        commitments[name] = _sha256(salt + jcs(value)).hexdigest()
    return salted, commitments


def sealed_plaintext(fields: dict[str, Any], salts: bytes) -> tuple[bytes, dict[str, str]]:
    """The bytes :meth:`Ledger.seal` encrypts, and each field's commitment.

    The bytes are exactly ``json.dumps({"f": salted}, ensure_ascii=False,
    separators=(",", ":")).encode()`` for ``salted`` from :func:`salted_commitments`,
    built without encoding each string value twice: for a ``str`` (most fields) the
    JCS bytes hashed into the commitment are also its bytes in that JSON. Other values
    are encoded as ``json.dumps`` encodes them (unsorted keys, floats as Python writes
    them), so what is read back is unchanged.
    """
    if len(salts) != SALT_SIZE * len(fields):
        raise ValueError("one salt per field")
    commitments: dict[str, str] = {}
    parts: list[bytes] = []
    start = 0
    for name, value in fields.items():
        if type(name) is not str:  # json.dumps would convert the key: take its path
            salted, commitments = salted_commitments(fields, salts)
            return _encode_unsorted({"f": salted}).encode(), commitments
        salt = salts[start : start + SALT_SIZE]
        start += SALT_SIZE
        canonical = jcs(value)
        commitments[name] = _sha256(salt + canonical).hexdigest()
        encoded = canonical if type(value) is str else _encode_unsorted(value).encode()
        parts.append(b'%s:["%s",%s]' % (_encode_str(name).encode(), _b64(salt), encoded))
    return b'{"f":{' + b",".join(parts) + b"}}", commitments


def leaf_document(header: dict[str, Any], commitments: dict[str, str]) -> dict[str, Any]:
    """The JSON object whose canonical bytes are hashed into the leaf.

    ``header`` holds the fields kept in clear (seq, id, kind, target, channel,
    direction, times, case id); ``commitments`` maps field name to commitment hex.
    """
    doc = {"v": LEAF_VERSION, **header, "fields": dict(sorted(commitments.items()))}
    return doc


def leaf_bytes(header: dict[str, Any], commitments: dict[str, str]) -> bytes:
    return jcs(leaf_document(header, commitments))


def entry_leaf_hash(header: dict[str, Any], commitments: dict[str, str]) -> bytes:
    return leaf_hash(leaf_bytes(header, commitments))
