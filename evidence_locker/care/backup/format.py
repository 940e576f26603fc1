"""The backup file format (docs/backup-format.md has the bytes): its constants, its
clear header, its sections, and what a backup holds.

A backup (``.elb``) is a small clear header that carries the locker's key slots (the
master key wrapped under the passphrase and under the recovery key, with their KDF
parameters), followed by ONE stream-encrypted payload
(:mod:`evidence_locker.crypto.stream`, 64 KiB chunks) under the backup subkey of the
master key. The payload is a tar-like sequence of sections: a manifest, a consistent
snapshot of the database (SQLite's online backup API), every attachment blob as it is
on disk (already ciphertext), and an end marker. So the file needs nothing but itself
and the passphrase (or the recovery key) to be checked or restored. The payload's
stream id is derived from the SHA-256 of the clear header, so the header cannot be
swapped or edited without the payload failing to authenticate.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from evidence_locker import crypto
from evidence_locker.errors import (
    FormatError,
    IntegrityError,
    StorageError,
    UsageError,
    WrongPassphrase,
)

MAGIC = b"EVLKBACK"
VERSION = 1
FORMAT = "evidence-locker-backup/1"
MAX_HEADER = 64 * 1024  # the clear header: two key slots and a few ids
MAX_MANIFEST = 1024 * 1024
MAX_NAME = 255
MAX_SECTION = 1 << 48  # 256 TiB: a bound that no real file reaches, to refuse nonsense
COPY_SIZE = 1024 * 1024  # bytes per read and per write
SECTION_HEAD = struct.Struct(">cH")  # kind, name length; then name, then u64 size
SIZE = struct.Struct(">Q")
KIND_MANIFEST, KIND_DB, KIND_BLOB, KIND_END = b"M", b"D", b"B", b"Z"
STREAM_PREFIX = "evidence-locker/v1/backup/"
TEMP_PREFIX = ".elb-"
TEMP_SUFFIX = ".part"

Progress = Callable[[int], None]


# -- results ---------------------------------------------------------------------------


@dataclass
class BackupInfo:
    """What a backup holds; filled by :func:`create_backup` and the readers."""

    path: Path
    locker_id: str
    created_at: datetime
    head: str  # the signed tree head (C2SP note) at backup time
    size: int  # ledger entries
    blobs: int = 0
    blob_bytes: int = 0
    file_bytes: int = 0
    missing_blobs: list[str] = field(default_factory=list)  # absent from the locker then
    problems: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def root_hex(self) -> str:
        return base64.b64decode(self.head.splitlines()[2]).hex()

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "locker_id": self.locker_id,
            "created_at": self.created_at.isoformat(),
            "size": self.size,
            "root": self.root_hex,
            "head": self.head,
            "blobs": self.blobs,
            "blob_bytes": self.blob_bytes,
            "file_bytes": self.file_bytes,
            "missing_blobs": self.missing_blobs,
            "ok": self.ok,
            "problems": [{"what": k, **p} for k, p in self.problems],
        }


# -- small file helpers ----------------------------------------------------------------


def open_new(path: Path) -> BinaryIO:
    """A new 0600 file; writes are gathered into COPY_SIZE system calls."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o600)
    return os.fdopen(fd, "wb", buffering=COPY_SIZE)


def storage_error(exc: OSError, path: Path) -> StorageError:
    import errno

    detail = os.strerror(exc.errno) if exc.errno else str(exc)
    key = "backup.disk_full" if exc.errno in (errno.ENOSPC, errno.EFBIG) else "backup.write_failed"
    return StorageError(key, path=str(path), detail=detail)


def stream_id(header: bytes) -> str:
    return STREAM_PREFIX + hashlib.sha256(header).hexdigest()


def section(kind: bytes, name: str, size: int) -> bytes:
    raw = name.encode()
    return SECTION_HEAD.pack(kind, len(raw)) + raw + SIZE.pack(size)


def encode_header(doc: dict[str, Any]) -> bytes:
    body = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return MAGIC + bytes([VERSION]) + struct.pack(">I", len(body)) + body


# -- reading ---------------------------------------------------------------------------


@dataclass
class BackupHeader:
    """The clear part of a backup file: enough to unlock it, nothing else."""

    raw: bytes
    locker_id: str
    created_at: str
    slots: dict[str, dict[str, Any]]


def read_header(src: BinaryIO) -> BackupHeader:
    """Parse and bound-check the clear header (untrusted input)."""
    fixed = src.read(len(MAGIC) + 5)
    if len(fixed) < len(MAGIC) + 5 or not fixed.startswith(MAGIC):
        if MAGIC.startswith(fixed[: len(MAGIC)]) and len(fixed) < len(MAGIC) + 5:
            raise IntegrityError("backup.truncated")
        raise FormatError("backup.not_a_backup")
    if fixed[len(MAGIC)] != VERSION:
        raise FormatError("backup.version", version=fixed[len(MAGIC)])
    (length,) = struct.unpack(">I", fixed[len(MAGIC) + 1 :])
    if length > MAX_HEADER:
        raise FormatError("backup.bad_header")
    body = src.read(length)
    if len(body) < length:
        raise IntegrityError("backup.truncated")
    try:
        doc = json.loads(body)
        if doc["format"] != FORMAT:
            raise ValueError
        locker_id = str(doc["locker_id"])
        slots = {}
        for s in doc["slots"]:
            slots[str(s["kind"])] = {
                "kdf": json.loads(s["kdf"]),
                "wrapped": base64.b64decode(s["wrapped"], validate=True),
            }
        created = str(doc["created_at"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise FormatError("backup.bad_header") from None
    return BackupHeader(raw=fixed + body, locker_id=locker_id, created_at=created, slots=slots)


def unlock_header(
    header: BackupHeader, *, passphrase: str | None = None, recovery_key: str | None = None
) -> crypto.KeyRing:
    """The locker's key ring from a backup's key slots. One error for any wrong key."""
    from evidence_locker.locker.keys import slot_context

    if recovery_key is not None:
        from evidence_locker.locker.keys import recovery_kek_of

        kind, slot = "recovery", header.slots.get("recovery")
        if slot is None:
            raise IntegrityError("error.no_recovery_slot", hint="hint.no_recovery_slot")
        kek = recovery_kek_of(recovery_key, slot["kdf"])
    elif passphrase is not None:
        kind, slot = "passphrase", header.slots.get("passphrase")
        if slot is None:
            raise FormatError("backup.bad_header")
        try:
            params = crypto.KdfParams.from_json(slot["kdf"])
        except (ValueError, AttributeError):
            raise FormatError("backup.bad_header") from None
        kek = crypto.passphrase_kek(passphrase, params)
    else:
        raise UsageError("backup.no_secret")
    if slot is None:
        raise WrongPassphrase()
    try:
        master = crypto.unwrap_key(
            kek, slot["wrapped"], context=slot_context(kind, header.locker_id)
        )
    except crypto.DecryptionFailed:
        raise WrongPassphrase(
            "error.wrong_recovery_key" if kind == "recovery" else "error.wrong_passphrase"
        ) from None
    from evidence_locker.locker.keys import keyring_for

    signing = header.slots.get("signing")  # a locker whose keys were rotated
    return keyring_for(master, signing["wrapped"] if signing else None, header.locker_id)


@contextlib.contextmanager
def open_or_missing(path: Path) -> Iterator[BinaryIO]:
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except (FileNotFoundError, IsADirectoryError):
        from evidence_locker.errors import NotFound

        raise NotFound("backup.missing", path=str(path)) from None
    with f:
        yield f
