"""Hazardous primitives. Only :mod:`evidence_locker.crypto` imports this module.

Everything here is a thin, typed wrapper over pyca/cryptography; nothing is
hand-rolled. Callers outside the crypto package use the recipes in ``__init__``.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESGCMSIV
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "AESGCM",
    "AESGCMSIV",
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "InvalidSignature",
    "InvalidTag",
    "argon2id",
    "hkdf_sha256",
    "hmac_sha256",
    "public_bytes",
    "random_bytes",
]


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def argon2id(secret: bytes, *, salt: bytes, memory_kib: int, iterations: int, lanes: int) -> bytes:
    return Argon2id(
        salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory_kib
    ).derive(secret)


def hkdf_sha256(key: bytes, *, info: bytes, salt: bytes | None = None, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def public_bytes(key: Ed25519PublicKey) -> bytes:
    # the raw 32 bytes; ``public_bytes(Encoding.Raw, ...)`` would import the whole
    # serialization package (its SSH module included) into every command
    return key.public_bytes_raw()
