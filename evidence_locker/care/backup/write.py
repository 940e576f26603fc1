"""Writing a backup: a consistent snapshot of the database and every blob, into one
stream-encrypted file, written atomically.

Memory is flat: the database snapshot goes to a temporary file in the locker
directory (it holds only what the locker already holds at rest: sealed fields and
ciphertext), and every section is copied through the cipher in 1 MiB pieces. The
writer hashes nothing (the stream's tags authenticate it). The file appears under its
name only when complete: a temporary file beside the destination, fsync, rename,
fsync of the directory, so a killed backup leaves no file under the final name.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence_locker.care import leftovers
from evidence_locker.care.backup.format import (
    COPY_SIZE,
    FORMAT,
    KIND_BLOB,
    KIND_DB,
    KIND_END,
    KIND_MANIFEST,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    BackupInfo,
    Progress,
    encode_header,
    open_new,
    section,
    storage_error,
    stream_id,
)
from evidence_locker.crypto.stream import (
    StreamWriter,
)
from evidence_locker.errors import (
    StorageError,
    UsageError,
)
from evidence_locker.store.durable import fsync_dir

# -- writing ---------------------------------------------------------------------------


def _snapshot(db_path: Path, into: Path) -> None:
    """A consistent copy of the live database (readers and writers may carry on)."""
    src = sqlite3.connect(db_path, timeout=30)
    try:
        dst = sqlite3.connect(into)
        try:
            # The copy is read once and deleted: it needs no journal and no fsync.
            dst.execute("PRAGMA synchronous=OFF")
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def _snapshot_facts(db: Path) -> tuple[dict[str, str], list[dict[str, Any]], list[str]]:
    conn = sqlite3.connect(db)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        slots = [
            {"kind": k, "kdf": kdf, "wrapped": base64.b64encode(w).decode()}
            for k, kdf, w in conn.execute("SELECT kind, kdf, wrapped FROM keyslot ORDER BY kind")
        ]
        ids = [
            r[0]
            for r in conn.execute("SELECT id FROM entry WHERE kind = 'attachment' ORDER BY seq")
        ]
    finally:
        conn.close()
    return meta, slots, ids


def create_backup(
    locker: Any,
    dest: str | os.PathLike[str],
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> BackupInfo:
    """Write a one-file encrypted backup of ``locker`` to ``dest``, atomically.

    Returns what went in. A blob missing from the locker (see ``doctor``) does not stop
    the backup: the rest is saved and the missing ids are listed in the result.
    """
    from evidence_locker.locker import DB_NAME

    if locker.path is None or locker.engine.dialect.name != "sqlite":
        raise UsageError("backup.sqlite_only")
    target = Path(dest).expanduser()
    if target.is_dir():
        raise UsageError("backup.is_dir", path=str(target))
    if target.exists() and not force:
        raise UsageError("backup.exists", path=str(target), hint="backup.hint_force")
    if not target.parent.is_dir():
        raise UsageError("backup.no_dir", path=str(target.parent))
    # what a killed backup left (care/leftovers.py), before making our own
    leftovers.sweep(locker.path, TEMP_PREFIX, f".db{TEMP_SUFFIX}")
    leftovers.sweep(target.parent, TEMP_PREFIX, TEMP_SUFFIX)
    snap = locker.path / leftovers.temp_name(TEMP_PREFIX, f".db{TEMP_SUFFIX}")
    tmp = target.parent / leftovers.temp_name(TEMP_PREFIX, TEMP_SUFFIX)
    try:
        try:
            _snapshot(locker.path / DB_NAME, snap)
        except sqlite3.Error as exc:
            raise StorageError("backup.snapshot", detail=str(exc)) from exc
        meta, slots, attachment_ids = _snapshot_facts(snap)
        created = datetime.now(UTC)
        header_doc = {
            "format": FORMAT,
            "locker_id": meta["locker_id"],
            "created_at": created.isoformat(),
            "slots": slots,
        }
        header = encode_header(header_doc)
        blobs = locker.blobs
        present, missing, total = [], [], 0
        for blob_id in attachment_ids:
            try:
                size = blobs.path(blob_id).stat().st_size
            except FileNotFoundError:
                missing.append(blob_id)
                continue
            present.append((blob_id, size))
            total += size
        head = meta["head"]
        info = BackupInfo(
            path=target,
            locker_id=meta["locker_id"],
            created_at=created,
            head=head,
            size=int(json.loads(meta["frontier"])["size"]),
            blobs=len(present),
            blob_bytes=total,
            missing_blobs=missing,
        )
        manifest = json.dumps(
            {
                "format": FORMAT,
                "locker_id": info.locker_id,
                "created_at": created.isoformat(),
                "head": head,
                "size": info.size,
                "db_bytes": snap.stat().st_size,
                "blobs": len(present),
                "blob_bytes": total,
                "missing_blobs": missing,
            }
        ).encode()
        key = locker.keyring.subkey("backup")
        try:
            with open_new(tmp) as out:
                out.write(header)
                enc = StreamWriter(out, key=key, blob_id=stream_id(header), out_size=COPY_SIZE)
                _write_payload(enc, manifest, snap, present, blobs, progress)
                out.flush()
                os.fsync(out.fileno())
            info.file_bytes = tmp.stat().st_size
            if not force and target.exists():
                raise UsageError("backup.exists", path=str(target), hint="backup.hint_force")
            os.replace(tmp, target)
            fsync_dir(target.parent)
        except OSError as exc:
            raise storage_error(exc, target) from exc
    finally:
        for leftover in (tmp, snap):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return info


def _write_payload(
    enc: StreamWriter,
    manifest: bytes,
    snap: Path,
    blobs: list[tuple[str, int]],
    store: Any,
    progress: Progress | None,
) -> None:
    """Every section into the stream, then the end marker; read in COPY_SIZE pieces."""
    enc.write(section(KIND_MANIFEST, "manifest.json", len(manifest)) + manifest)
    buf = memoryview(bytearray(COPY_SIZE))
    with open(snap, "rb", buffering=0) as f:
        _file_section(enc, KIND_DB, "locker.db", f, snap.stat().st_size, buf, progress)
    for blob_id, size in blobs:
        with open(store.path(blob_id), "rb", buffering=0) as f:
            _file_section(enc, KIND_BLOB, blob_id, f, size, buf, progress)
    enc.write(section(KIND_END, "", 0))
    enc.close()


def _file_section(
    enc: StreamWriter,
    kind: bytes,
    name: str,
    f: Any,
    size: int,
    buf: memoryview,
    progress: Progress | None,
) -> None:
    enc.write(section(kind, name, size))
    left = size
    while left:
        n = f.readinto(buf[: min(len(buf), left)])
        if not n:  # the file shrank under us: never write a section shorter than declared
            raise StorageError("backup.file_changed", name=name)
        enc.write(buf[:n])
        left -= n
        if progress:
            progress(n)
    if f.read(1):
        raise StorageError("backup.file_changed", name=name)
