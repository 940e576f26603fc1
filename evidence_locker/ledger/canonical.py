"""The canonical encoding of a ledger entry, which its leaf hash covers.

RFC 8785 (JSON Canonicalization Scheme) makes the bytes unique for a given value,
so an independent verifier in any language can rebuild them. Sensitive fields are
not in the leaf in clear: each appears as a salted commitment
``SHA-256(salt || JCS(value))``. A dossier can then reveal a field (salt and value)
or withhold it (just the commitment) and the leaf still verifies: redaction
without breaking the proof.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from evidence_locker.ledger.merkle import leaf_hash

LEAF_VERSION = 1
SALT_SIZE = 16


def jcs(value: Any) -> bytes:
    return rfc8785.dumps(value)


def commitment(salt: bytes, value: Any) -> str:
    return hashlib.sha256(salt + jcs(value)).hexdigest()


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
