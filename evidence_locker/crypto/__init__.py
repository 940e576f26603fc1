"""Crypto recipes: the only door to ``cryptography`` for the rest of the project.

Key hierarchy (docs/file-format.md has the byte layouts)::

    passphrase --Argon2id--> KEK_p --+
                                      +--unwrap--> master key (32 random bytes)
    recovery key --HKDF--->  KEK_r --+
    master --HKDF("evidence-locker/v1/<purpose>")--> field, index, attachment, signing keys

Field encryption is AES-256-GCM-SIV with a random 96-bit nonce. GCM-SIV is
nonce-misuse resistant: a repeated random nonce leaks only whether two plaintexts
are equal, instead of the authentication key as with AES-GCM, which lifts the
2^32-messages-per-key ceiling that random nonces put on plain GCM.

Every failure to authenticate raises :class:`DecryptionFailed` and nothing more
specific, so an attacker learns nothing from which check failed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac as _hmac
from dataclasses import dataclass
from typing import Any

from evidence_locker.crypto import _primitives as P

FORMAT_VERSION = 1
KEY_SIZE = 32
NONCE_SIZE = 12
SALT_SIZE = 16

# RFC 9106 section 4, second recommended option: 64 MiB, 3 passes, 4 lanes.
# We never create below it. When reading a header we also refuse anything above the
# ceiling, so a forged header cannot make us allocate gigabytes or spin for hours.
ARGON2_MIN = {"memory_kib": 64 * 1024, "iterations": 3, "lanes": 4}
ARGON2_MAX = {"memory_kib": 1024 * 1024, "iterations": 16, "lanes": 16}


class DecryptionFailed(Exception):
    """Wrong key, or the ciphertext or its associated data was altered."""


@dataclass(frozen=True, slots=True)
class KdfParams:
    salt: bytes
    memory_kib: int = ARGON2_MIN["memory_kib"]
    iterations: int = ARGON2_MIN["iterations"]
    lanes: int = ARGON2_MIN["lanes"]

    @classmethod
    def new(cls) -> KdfParams:
        return cls(salt=P.random_bytes(SALT_SIZE))

    def to_json(self) -> dict[str, Any]:
        return {
            "alg": "argon2id",
            "salt": base64.b64encode(self.salt).decode(),
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        """Parse and bound-check parameters read from disk (untrusted)."""
        try:
            if data["alg"] != "argon2id":
                raise ValueError("unknown kdf")
            params = cls(
                salt=base64.b64decode(data["salt"], validate=True),
                memory_kib=int(data["memory_kib"]),
                iterations=int(data["iterations"]),
                lanes=int(data["lanes"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("malformed key-derivation parameters") from exc
        for name in ("memory_kib", "iterations", "lanes"):
            value = getattr(params, name)
            if not ARGON2_MIN[name] <= value <= ARGON2_MAX[name]:
                raise ValueError(f"key-derivation parameter {name}={value} out of bounds")
        if len(params.salt) < SALT_SIZE:
            raise ValueError("key-derivation salt too short")
        return params


def passphrase_kek(passphrase: str, params: KdfParams) -> bytes:
    return P.argon2id(
        passphrase.encode("utf-8"),
        salt=params.salt,
        memory_kib=params.memory_kib,
        iterations=params.iterations,
        lanes=params.lanes,
    )


# -- recovery key -------------------------------------------------------------------
# 160 random bits, printed as 8 groups of 4 base32 letters, then a ninth group that
# checks them (20 bits of SHA-256): easy to write on paper, and a letter copied wrong
# is caught as a typo instead of looking like a wrong key. Keys printed before the
# check group (8 groups) are still accepted. Full entropy, so HKDF (not a slow KDF) is
# the right way to make a key from it.

RECOVERY_BYTES = 20
_CHECK_CHARS = 4


class RecoveryKeyMistyped(ValueError):
    """The check group does not match the other eight: a letter was copied wrong."""


def _check_group(raw: bytes) -> str:
    digest = hashlib.sha256(b"evidence-locker/recovery-key-check\x00" + raw).digest()
    return base64.b32encode(digest[:5]).decode()[:_CHECK_CHARS]


def new_recovery_key() -> str:
    raw = P.random_bytes(RECOVERY_BYTES)
    text = base64.b32encode(raw).decode() + _check_group(raw)
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str) -> bytes:
    """The 20 key bytes. ValueError if it is not a recovery key at all;
    :class:`RecoveryKeyMistyped` if its check group says a letter is wrong."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    body, check = cleaned[:32], cleaned[32:]
    if len(check) not in (0, _CHECK_CHARS):
        raise ValueError("not a recovery key")
    try:
        raw = base64.b32decode(body)
    except ValueError as exc:
        raise ValueError("not a recovery key") from exc
    if len(raw) != RECOVERY_BYTES:
        raise ValueError("not a recovery key")
    if check and check != _check_group(raw):
        raise RecoveryKeyMistyped("the check group does not match")
    return raw


def recovery_kek(recovery_key: str, salt: bytes) -> bytes:
    return P.hkdf_sha256(
        parse_recovery_key(recovery_key), salt=salt, info=b"evidence-locker/v1/recovery-kek"
    )


def new_master_key() -> bytes:
    return P.random_bytes(KEY_SIZE)


def wrap_key(kek: bytes, key: bytes, *, context: bytes) -> bytes:
    nonce = P.random_bytes(NONCE_SIZE)
    return bytes([FORMAT_VERSION]) + nonce + P.AESGCMSIV(kek).encrypt(nonce, key, context)


def unwrap_key(kek: bytes, blob: bytes, *, context: bytes) -> bytes:
    return _open(kek, blob, context)


def _open(key: bytes, blob: bytes, ad: bytes) -> bytes:
    if len(blob) < 1 + NONCE_SIZE + 16 or blob[0] != FORMAT_VERSION:
        raise DecryptionFailed
    try:
        return P.AESGCMSIV(key).decrypt(blob[1 : 1 + NONCE_SIZE], blob[1 + NONCE_SIZE :], ad)
    except P.InvalidTag:
        raise DecryptionFailed from None


# The first byte of a sealed field: which associated data the caller bound (the
# ledger's version 1 bound the entry id; version 2 also its clear columns). The cipher
# is the same; a byte changed makes the caller build other associated data, so it fails.
SEAL_VERSIONS = (1, 2)


class FieldCipher:
    """Seal and open small values, bound to where they live by associated data."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes):
        self._aead = P.AESGCMSIV(key)

    def seal(self, plaintext: bytes, ad: bytes, *, version: int = FORMAT_VERSION) -> bytes:
        if version not in SEAL_VERSIONS:
            raise ValueError(f"unknown seal version {version}")
        nonce = P.random_bytes(NONCE_SIZE)
        return bytes([version]) + nonce + self._aead.encrypt(nonce, plaintext, ad)

    def open(self, blob: bytes, ad: bytes) -> bytes:
        if len(blob) < 1 + NONCE_SIZE + 16 or blob[0] not in SEAL_VERSIONS:
            raise DecryptionFailed
        try:
            return self._aead.decrypt(blob[1 : 1 + NONCE_SIZE], blob[1 + NONCE_SIZE :], ad)
        except P.InvalidTag:
            raise DecryptionFailed from None


class Signer:
    """The locker's Ed25519 key, which signs tree heads (checkpoints)."""

    __slots__ = ("_key", "public_key")

    def __init__(self, seed: bytes):
        self._key = P.Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = P.public_bytes(self._key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        P.Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (P.InvalidSignature, ValueError):
        return False
    return True


class KeyRing:
    """The master key and the purpose-bound subkeys derived from it.

    Each purpose has its own HKDF label, so no key is ever used for two jobs.
    """

    # "anchor": receipts on stored time-stamps; "settings": the TSA list and its roots;
    # "index" keys the search tokens of what the counterpart wrote (and the dedupe
    # tags), "index-sent" and "index-own" those of the user's words (search/spaces.py)
    PURPOSES = (
        "field",
        "index",
        "index-sent",
        "index-own",
        "signing-carry",  # wraps a signing key kept across a key rotation
        "key-id",  # names the master key in the locker (a write checks it is current)
        "attachment",
        "signing",
        "backup",
        "dossier",
        "anchor",
        "settings",
        "meta",  # MACs of the clear settings init writes (ledger/meta_seal.py)
    )

    def __init__(self, master: bytes, *, signing_seed: bytes | None = None):
        """``signing_seed``: the locker's signing key when it was kept across a key
        rotation (the identity dossiers name must not change); else derived."""
        if len(master) != KEY_SIZE:
            raise ValueError("master key must be 32 bytes")
        if signing_seed is not None and len(signing_seed) != KEY_SIZE:
            raise ValueError("signing seed must be 32 bytes")
        self._master = master
        self.field_key = self.subkey("field")
        self.index_key = self.subkey("index")
        self.attachment_key = self.subkey("attachment")
        self.fields = FieldCipher(self.field_key)
        self.signing_seed = signing_seed or self.subkey("signing")
        self.signer = Signer(self.signing_seed)
        self._space_keys: dict[str, bytes] = {}

    def subkey(self, purpose: str) -> bytes:
        if purpose not in self.PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        return P.hkdf_sha256(self._master, info=b"evidence-locker/v1/" + purpose.encode())

    @property
    def master(self) -> bytes:
        return self._master

    @property
    def key_id(self) -> str:
        """A name for this master key (reveals nothing of it): stored in the locker, so
        a process still holding a rotated-out key notices before it writes."""
        return self.subkey("key-id")[:16].hex()

    def mac(self, purpose: str, data: bytes) -> bytes:
        """HMAC-SHA256 of ``data`` under the ``purpose`` subkey ("anchor", "settings", "meta"):
        state kept beside the ledger that someone without the keys must not forge."""
        if purpose not in ("anchor", "settings", "meta"):
            raise ValueError(f"no MAC key for {purpose!r}")
        return P.hmac_sha256(self.subkey(purpose), data)

    def index_token(self, data: bytes) -> bytes:
        """Keyed hash for the blind search index (HMAC-SHA256), ``received`` space."""
        return P.hmac_sha256(self.index_key, data)

    def space_token(self, space: str, data: bytes) -> bytes:
        """Keyed hash for the blind search index in one token space: ``received``
        (the index key), ``sent`` or ``own`` (keys of their own, derived on first use)."""
        if space == "received":
            return P.hmac_sha256(self.index_key, data)
        key = self._space_keys.get(space)
        if key is None:
            key = self._space_keys[space] = self.subkey(f"index-{space}")
        return P.hmac_sha256(key, data)


def random_bytes(n: int) -> bytes:
    return P.random_bytes(n)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return _hmac.compare_digest(a, b)
