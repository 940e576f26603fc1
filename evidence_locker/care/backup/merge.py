"""Merging a backup of the same locker back into it: a union by entry id.

Entries of the backup missing here are appended in their original order, with their
ids (so corrections, tombstones and attachments that reference them keep working) but
new sequence numbers and fresh salts, and a ``merge`` entry records the backup's
signed tree head.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from evidence_locker import crypto
from evidence_locker.care.backup.format import (
    TEMP_PREFIX,
    TEMP_SUFFIX,
    BackupInfo,
    Progress,
    open_or_missing,
    read_header,
)
from evidence_locker.care.backup.unpack import extract
from evidence_locker.errors import (
    IntegrityError,
    UsageError,
)
from evidence_locker.ledger.log import Ledger, PendingEntry
from evidence_locker.model import micros
from evidence_locker.store.durable import fsync_dir


@dataclass
class MergeResult:
    """What :func:`merge_backup` did."""

    backup: BackupInfo
    added: int = 0  # entries appended (records, corrections, tombstones, files, cases)
    records: int = 0  # of which record first versions
    blobs_added: int = 0
    blobs_repaired: int = 0  # blobs missing here for entries both sides had
    merge_entry: str | None = None  # id of the ``merge`` ledger entry, if one was added


# -- merging ---------------------------------------------------------------------------


def merge_backup(
    locker: Any, path: str | os.PathLike[str], *, progress: Progress | None = None
) -> MergeResult:
    """Add to ``locker`` every entry of a backup of the SAME locker that it lacks.

    The backup is decrypted with the open locker's own keys (same locker, same master
    key), into a hidden directory inside the locker, and fully checked before anything
    changes. Blobs go in first (an interrupted merge leaves at most orphan blobs, which
    ``doctor`` reports), then one transaction appends the missing entries and a
    ``merge`` entry. Blobs missing here for entries both sides have are put back too.
    """
    from evidence_locker.store.blobs import BLOB_SUFFIX

    if locker.path is None:
        raise UsageError("backup.sqlite_only")
    source = Path(path).expanduser()
    with open_or_missing(source) as f:
        header = read_header(f)
    if header.locker_id != locker.locker_id:
        raise UsageError("backup.other_locker", hint="backup.hint_restore")
    work = locker.path / f"{TEMP_PREFIX}merge-{secrets.token_hex(8)}{TEMP_SUFFIX}"
    work.mkdir(mode=0o700)
    placed: list[str] = []
    try:
        info, _ = extract(source, work, keyring=locker.keyring, progress=progress)
        if not info.ok:
            what, params = info.problems[0]
            raise IntegrityError("backup.damaged", what=what, **params)
        result = MergeResult(backup=info)
        local_ids = locker.entry_ids()
        pendings: list[PendingEntry] = []
        for row, decoded in _backup_entries(work / "locker.db", locker.ledger):
            if row.id in local_ids:
                continue
            pendings.append(
                PendingEntry(
                    id=row.id,
                    kind=row.kind,
                    record_id=row.record_id,
                    logged_at=row.logged_at,
                    fields=decoded.values(),
                    target=row.target,
                    channel=row.channel,
                    direction=row.direction,
                    occurred_at=row.occurred_at,
                    offset=row.offset,
                    case_id=row.case_id,
                    dedupe=row.dedupe,
                )
            )
            if row.kind == "record":
                result.records += 1
        blobs = locker.blobs
        new_ids = {p.id for p in pendings}
        for staged in sorted((work / "blobs").iterdir()):
            blob_id = staged.name[: -len(BLOB_SUFFIX)]
            if blobs.exists(blob_id):
                continue
            os.replace(staged, blobs.path(blob_id))
            if blob_id in new_ids:
                placed.append(blob_id)
                result.blobs_added += 1
            else:
                result.blobs_repaired += 1
        if placed or result.blobs_repaired:
            fsync_dir(blobs.directory)
        if pendings:
            from evidence_locker.locker import new_id

            merge_id = new_id()
            pendings.append(
                PendingEntry(
                    id=merge_id,
                    kind="merge",
                    record_id=merge_id,
                    logged_at=micros(locker.clock()),
                    fields={
                        "backup_head": info.head,
                        "backup_created_at": info.created_at.isoformat(),
                        "added": len(pendings),
                    },
                )
            )
            appended = locker.merge_entries(pendings)
            result.added = len(appended) - (1 if any(p.id == merge_id for p in appended) else 0)
            result.merge_entry = merge_id if result.added else None
    except BaseException:
        for blob_id in placed:
            with contextlib.suppress(OSError):
                locker.blobs.delete(blob_id)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _backup_entries(db: Path, ledger: Ledger) -> Iterator[tuple[Any, Any]]:
    """Rows of an extracted (already verified) backup database, decoded, in order."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        last = -1
        while True:
            rows = conn.execute(
                "SELECT * FROM entry WHERE seq > ? ORDER BY seq LIMIT 2000", (last,)
            ).fetchall()
            if not rows:
                return
            for r in rows:
                ns = SimpleNamespace(**dict(r))
                try:
                    yield ns, ledger.decode(ns)
                except crypto.DecryptionFailed:
                    raise IntegrityError("backup.damaged", what="verify.tampered") from None
            last = rows[-1]["seq"]
    finally:
        conn.close()
