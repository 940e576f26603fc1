"""Restoring a backup into a new locker directory, all or nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from evidence_locker.care import leftovers
from evidence_locker.care.backup.format import (
    TEMP_PREFIX,
    TEMP_SUFFIX,
    BackupInfo,
    Progress,
    storage_error,
)
from evidence_locker.care.backup.unpack import extract
from evidence_locker.errors import (
    IntegrityError,
    LockerExists,
    UsageError,
)
from evidence_locker.store.durable import fsync_dir


def restore_backup(
    path: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    full_verify: bool = False,
    progress: Progress | None = None,
) -> BackupInfo:
    """Restore a backup into a NEW locker directory, all or nothing.

    Refuses an existing locker (or any non-empty directory). Everything is decrypted
    and checked in a hidden directory beside the target, which is renamed into place
    only when the whole backup proved good: every byte authenticates under the backup
    key (so the database is, bit for bit, the snapshot taken at backup time), the
    Merkle tree over the stored leaves and the signed head match the manifest, and
    every blob decrypts to its ledger size and SHA-256. Recomputing each of the
    ledger's leaves from its entry (``verify``; ~60 us an entry, most of a restore's
    time for 100k records) is left to ``full_verify``: the authenticated copy can only
    fail it where the locker already failed it when the backup was taken.
    """
    from evidence_locker.locker import Locker

    dest = Path(target).expanduser()
    if Locker.exists(dest):
        raise LockerExists(path=str(dest), hint="backup.hint_merge")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError("backup.target_not_empty", path=str(dest))
    parent = dest.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        leftovers.sweep(parent, f"{TEMP_PREFIX}restore-", TEMP_SUFFIX)  # a killed restore's
        work = parent / leftovers.temp_name(f"{TEMP_PREFIX}restore-", TEMP_SUFFIX)
        work.mkdir(mode=0o700)
    except OSError as exc:
        raise storage_error(exc, dest) from exc
    try:
        info, _ = extract(
            Path(path),
            work,
            passphrase=passphrase,
            recovery_key=recovery_key,
            full=full_verify,
            progress=progress,
        )
        if not info.ok:
            what, params = info.problems[0]
            raise IntegrityError("backup.damaged", what=what, **params)
        fsync_dir(work)
        if dest.exists():
            dest.rmdir()  # empty (checked above): rename needs the name free
        os.rename(work, dest)
        fsync_dir(parent)
    except OSError as exc:
        raise storage_error(exc, dest) from exc
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return info
