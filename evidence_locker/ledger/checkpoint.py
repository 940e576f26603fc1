"""Signed tree heads as C2SP checkpoints inside C2SP signed notes.

A checkpoint body is ``<origin>\\n<tree size>\\n<base64 root hash>\\n``; the signed
note appends a blank line and one signature line
``— <key name> <base64(key id || Ed25519 signature)>``, where the 4-byte key id is
``SHA-256(key name || 0x0A || 0x01 || public key)[:4]``. Public formats, so the
Go ``sumdb/note`` package or any other note verifier can check our tree heads.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from evidence_locker.crypto import Signer, verify_signature

ED25519_ALG = b"\x01"
SIG_PREFIX = "\u2014 "  # EM DASH + space, as the signed-note format requires


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise ValueError("malformed checkpoint")
        origin, size_s, root_s = lines[0], lines[1], lines[2]
        if not origin or not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
            raise ValueError("malformed checkpoint")
        root = base64.b64decode(root_s, validate=True)
        if len(root) != 32:
            raise ValueError("malformed checkpoint root")
        return cls(origin, int(size_s), root)


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519_ALG + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """The note verifier key string: ``name+hex(key id)+base64(0x01 || public key)``."""
    return (
        f"{name}+{key_id(name, public_key).hex()}+"
        + base64.b64encode(ED25519_ALG + public_key).decode()
    )


def parse_verifier_key(text: str) -> tuple[str, bytes]:
    try:
        name, kid_hex, key_b64 = text.strip().rsplit("+", 2)
        raw = base64.b64decode(key_b64, validate=True)
    except ValueError as exc:
        raise ValueError("malformed verifier key") from exc
    if len(raw) != 33 or raw[:1] != ED25519_ALG or key_id(name, raw[1:]).hex() != kid_hex:
        raise ValueError("malformed verifier key")
    return name, raw[1:]


def fingerprint(public_key: bytes) -> str:
    """SHA-256 of the public key, grouped for reading aloud or comparing by eye."""
    h = hashlib.sha256(public_key).hexdigest()
    return " ".join(h[i : i + 4] for i in range(0, 32, 4))


def sign_note(checkpoint: Checkpoint, signer: Signer, name: str | None = None) -> str:
    name = name or checkpoint.origin
    body = checkpoint.body()
    sig = signer.sign(body.encode())
    blob = base64.b64encode(key_id(name, signer.public_key) + sig).decode()
    return f"{body}\n{SIG_PREFIX}{name} {blob}\n"


def raw_signature(note: str) -> bytes:
    """The 64-byte signature from a one-signature note (what the ledger stores)."""
    line = note.rstrip("\n").rsplit("\n", 1)[-1]
    return base64.b64decode(line.rsplit(" ", 1)[-1])[4:]


def open_note(note: str, name: str, public_key: bytes) -> Checkpoint:
    """Check the note's signature by (name, key) and return the checkpoint it signs.

    Raises ValueError if no valid signature by that key is present.
    """
    body, sep, sigs = note.partition("\n\n")
    if not sep:
        raise ValueError("not a signed note")
    body += "\n"
    want = key_id(name, public_key)
    for line in sigs.split("\n"):
        if not line.startswith(SIG_PREFIX):
            continue
        try:
            sig_name, blob_s = line[len(SIG_PREFIX) :].rsplit(" ", 1)
            blob = base64.b64decode(blob_s, validate=True)
        except ValueError:
            continue
        if (
            sig_name == name
            and blob[:4] == want
            and len(blob) == 68
            and verify_signature(public_key, blob[4:], body.encode())
        ):
            return Checkpoint.parse_body(body)
    raise ValueError("no valid signature on the checkpoint")


def verify_raw(checkpoint: Checkpoint, public_key: bytes, signature: bytes) -> bool:
    return verify_signature(public_key, signature, checkpoint.body().encode())
