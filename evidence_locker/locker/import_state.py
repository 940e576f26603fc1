"""Where an incremental import (a mailbox) ended, so the next run reads only what is new.

Kept in the user's state directory (``$XDG_STATE_HOME/evidence-locker/imports.json`` on
Linux), not in the locker: it is a hint, never evidence. Each entry is keyed by a hash
of the locker's public key and the source's name, so the file names no account or
server in clear; it holds only numbers (the mailbox's UIDVALIDITY and the last UID
imported) and never a password. Losing it costs a full re-read, which adds nothing
twice (the fingerprints recognise what the locker already holds).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from evidence_locker.store.durable import atomic_write_bytes

FILE_NAME = "imports.json"


def state_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("evidence-locker", appauthor=False)) / FILE_NAME


def state_key(locker_key: bytes, source: str) -> str:
    return hashlib.sha256(locker_key + b"\x00" + source.encode("utf-8")).hexdigest()


def load(key: str) -> dict[str, Any]:
    """The state saved under ``key``; {} when there is none or the file is unreadable."""
    try:
        data = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entry = data.get(key) if isinstance(data, dict) else None
    return entry if isinstance(entry, dict) else {}


def save(key: str, state: dict[str, Any]) -> None:
    """Record ``state`` under ``key``, atomically (a failure leaves the old file)."""
    path = state_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[key] = state
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write_bytes(path, json.dumps(data, sort_keys=True).encode("utf-8"), replace=True)
