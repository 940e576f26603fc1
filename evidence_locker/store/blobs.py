"""Encrypted attachment blobs on disk, one file per blob, written atomically.

Layout: ``<directory>/<blob id>.blob``, where the id is random (``new_id``), so a
file name says nothing about the attachment; names, types and captions live encrypted
in the database. Only ciphertext is ever written here: the plaintext is encrypted in
memory, chunk by chunk (:mod:`evidence_locker.crypto.stream`), before it reaches the
temporary file.

Every write follows the same pattern, so a crash at any instant leaves either the
whole file or no file under its final name:

1. create ``.tmp-<random>.part`` in the same directory with ``O_CREAT | O_EXCL``
   and mode 0600 (no other process can have it open, nobody else can read it);
2. write, flush, ``fsync`` the file;
3. ``rename`` onto the final name (atomic within one file system);
4. ``fsync`` the directory, so the rename itself survives a power cut.

A killed writer leaves at most a ``.part`` file of ciphertext, which
:meth:`BlobStore.sweep_temp` removes (call it when the locker is opened).

An import writes many blobs in one transaction. There, steps 2 (the fsync) and 3 run
on a worker thread (:class:`DeferredSync`) while the next records are parsed and
encrypted, and step 4 runs once for all of them; :meth:`DeferredSync.finish` waits for
every one before the transaction commits, so the order on disk is the same: a blob is
complete under its final name, and its directory entry durable, before any ledger entry
that points at it is committed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from evidence_locker.crypto.stream import (
    DecryptingReader,
    StreamError,
    StreamStats,
    decrypt_stream,
    encrypt_stream,
    open_decrypting,
)
from evidence_locker.errors import IntegrityError, NotFound, StorageError, UsageError
from evidence_locker.store.durable import fsync_dir

BLOB_SUFFIX = ".blob"
TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".part"
DIR_MODE = 0o700
FILE_MODE = 0o600
# Ids become file names: letters, digits, '-' and '_' only, so no id can climb out of
# the directory or collide with the temporary-file pattern.
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def new_id() -> str:
    """A fresh random blob id (128 bits, hex)."""
    return secrets.token_hex(16)


def _check_id(blob_id: str) -> str:
    if not isinstance(blob_id, str) or not _ID_RE.fullmatch(blob_id):
        raise ValueError(f"invalid blob id {blob_id!r}")
    return blob_id


def _open_exclusive(path: Path) -> BinaryIO:
    """Create ``path`` for writing; fail if it exists; never follow a symlink there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, FILE_MODE)
    with contextlib.suppress(AttributeError, OSError):  # no fchmod on Windows
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away, never adds them
    return os.fdopen(fd, "wb", buffering=0)


def _temp_name() -> str:
    return f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"


@contextlib.contextmanager
def _discarded_on_failure(tmp: Path) -> Iterator[None]:
    """Delete the temporary file ``tmp`` if the block fails; a refusal of the disk
    becomes a :class:`StorageError`, anything else propagates as it is."""
    try:
        yield
    except OSError as exc:
        _unlink_quietly(tmp)
        raise _storage_error(exc) from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _storage_error(exc: OSError) -> StorageError:
    detail = os.strerror(exc.errno) if exc.errno else str(exc)
    key = "attachments.disk_full" if exc.errno == errno.ENOSPC else "attachments.write_failed"
    return StorageError(key, detail=detail)


class BlobStore:
    """A directory of encrypted blobs named by random ids."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        # a read-only copy cannot make the folder; writing into it would say so anyway
        with contextlib.suppress(OSError):
            self.directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask and ignored for an existing directory.
        if stat.S_IMODE(self.directory.stat().st_mode) != DIR_MODE:
            os.chmod(self.directory, DIR_MODE)

    def path(self, blob_id: str) -> Path:
        return self.directory / (_check_id(blob_id) + BLOB_SUFFIX)

    def exists(self, blob_id: str) -> bool:
        return self.path(blob_id).is_file()

    def size(self, blob_id: str) -> int:
        """Bytes on disk (ciphertext). The plaintext size is recorded at :meth:`put`."""
        try:
            return self.path(blob_id).stat().st_size
        except FileNotFoundError:
            raise NotFound("attachments.blob_missing", attachment=blob_id) from None

    def ids(self) -> Iterator[str]:
        """Ids of the stored blobs, for ``verify`` to find orphans and missing files."""
        for entry in sorted(self.directory.iterdir()):
            name = entry.name
            if name.endswith(BLOB_SUFFIX) and _ID_RE.fullmatch(name[: -len(BLOB_SUFFIX)]):
                yield name[: -len(BLOB_SUFFIX)]

    # -- writing --------------------------------------------------------------------

    def put(
        self,
        src_file: str | os.PathLike[str] | BinaryIO,
        *,
        key: bytes,
        blob_id: str,
        sync: DeferredSync | None = None,
    ) -> StreamStats:
        """Encrypt a file (path or open binary file) into the store, atomically.

        Returns the plaintext's size and SHA-256 for the ledger. Raises
        :class:`StorageError` if the disk refuses (nothing is left behind) and
        ``ValueError`` if the id is already used (ids are random: that is a bug).
        With ``sync`` the fsync and the rename are left to it: the blob is under its
        final name only after ``sync.finish()``.
        """
        final = self.path(blob_id)
        if final.exists():
            raise ValueError(f"blob {blob_id} already exists")
        if isinstance(src_file, (str, os.PathLike)):
            try:
                src = open(src_file, "rb")  # noqa: SIM115 - closed below
            except FileNotFoundError:
                raise NotFound("attachments.source_missing", path=os.fspath(src_file)) from None
            except OSError as exc:
                raise _storage_error(exc) from exc
            with src:
                return self._write(src, final, key=key, blob_id=blob_id, sync=sync)
        return self._write(src_file, final, key=key, blob_id=blob_id, sync=sync)

    def _write(
        self,
        src: BinaryIO,
        final: Path,
        *,
        key: bytes,
        blob_id: str,
        sync: DeferredSync | None = None,
    ) -> StreamStats:
        tmp = self.directory / _temp_name()
        with _discarded_on_failure(tmp):
            dst = _open_exclusive(tmp)
            try:
                stats = encrypt_stream(src, dst, key=key, blob_id=blob_id)
                dst.flush()
                if sync is None:
                    os.fsync(dst.fileno())
            except BaseException:
                dst.close()
                raise
            if sync is not None:
                try:
                    sync.submit(dst, tmp, final)  # it closes dst and renames after the fsync
                except BaseException:
                    dst.close()  # not handed over (an earlier file failed)
                    raise
                return stats
            dst.close()
            os.replace(tmp, final)
            fsync_dir(self.directory)
        return stats

    def delete(self, blob_id: str) -> None:
        """Remove a blob. Only to roll back an add whose database transaction failed:
        a committed attachment is evidence and is never deleted."""
        _unlink_quietly(self.path(blob_id))
        fsync_dir(self.directory)

    def sweep_temp(self, *, min_age_s: float = 0.0) -> int:
        """Remove temporary files left by killed writers; return how many.

        ``min_age_s`` spares files younger than that, in case another process is
        writing right now.
        """
        removed = 0
        now = time.time()
        for entry in self.directory.iterdir():
            name = entry.name
            if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
                continue
            try:
                if now - entry.lstat().st_mtime < min_age_s:
                    continue
                entry.unlink()
                removed += 1
            except FileNotFoundError:
                continue
        if removed:
            fsync_dir(self.directory)
        return removed

    # -- reading --------------------------------------------------------------------

    def open(self, blob_id: str) -> BinaryIO:
        """The raw ciphertext, for copying or backup."""
        try:
            return open(self.path(blob_id), "rb")  # the caller closes it
        except FileNotFoundError:
            raise NotFound("attachments.blob_missing", attachment=blob_id) from None

    def reader(self, blob_id: str, *, key: bytes) -> DecryptingReader:
        """A file-like object of authenticated plaintext (for the dossier's images).

        The caller closes it; closing it closes the underlying ciphertext file.
        """
        raw = self.open(blob_id)
        try:
            return open_decrypting(raw, key, blob_id, close_source=True)
        except StreamError as exc:
            raw.close()
            raise _integrity(blob_id, exc) from exc

    def extract(
        self,
        blob_id: str,
        dest_path: str | os.PathLike[str],
        *,
        key: bytes,
        force: bool = False,
        expected_sha256: str | None = None,
    ) -> StreamStats:
        """Decrypt a blob to ``dest_path``, all or nothing.

        The plaintext goes to a 0600 temporary file beside the destination and is
        renamed into place only after the final chunk authenticated (and, if given,
        the SHA-256 matched the one in the ledger); on any failure it is deleted, so a
        damaged blob never leaves a partial file. An existing destination is
        replaced only with ``force``.
        """
        dest = Path(dest_path)
        if dest.is_dir():
            raise UsageError("attachments.extract_is_dir", path=str(dest))
        if dest.exists() and not force:
            raise _exists(dest)
        with self.open(blob_id) as src:
            tmp = dest.parent / _temp_name()
            with _discarded_on_failure(tmp):
                try:
                    with _open_exclusive(tmp) as out:
                        stats = decrypt_stream(src, out, key=key, blob_id=blob_id)
                        out.flush()
                        os.fsync(out.fileno())
                except StreamError as exc:
                    raise _integrity(blob_id, exc) from exc
                if expected_sha256 is not None and stats.sha256_hex != expected_sha256.lower():
                    raise IntegrityError("attachments.hash_mismatch", attachment=blob_id)
                if not force and dest.exists():  # appeared while we were decrypting
                    raise _exists(dest)
                os.replace(tmp, dest)
                fsync_dir(dest.parent)
        return stats

    def verify(self, blob_id: str, *, key: bytes) -> StreamStats:
        """Decrypt without writing anything: proves the blob is whole and returns the
        SHA-256 that ``verify`` compares with the ledger."""
        with self.open(blob_id) as src:
            try:
                return decrypt_stream(src, _NullSink(), key=key, blob_id=blob_id)
            except StreamError as exc:
                raise _integrity(blob_id, exc) from exc


class DeferredSync:
    """fsync and rename new blobs on a worker thread; :meth:`finish` before the commit.

    An import with an MMS image every few dozen messages would otherwise wait for the
    disk twice per image (the file, then the directory) while holding the write
    transaction. Here the wait overlaps with the next records' work, and each
    directory is fsynced once, after all its renames. Use as a context manager around
    the writes, inside the transaction: leaving it (normally or by an exception) waits
    for every handed-over file, so a rollback that deletes the new blobs runs after
    the last rename, never before it.
    """

    MAX_PENDING = 32  # files handed over and not yet synced: bounds open descriptors

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[None]] = deque()
        self._directories: set[Path] = set()

    def submit(self, raw: BinaryIO, tmp: Path, final: Path) -> None:
        """Take over ``raw`` (the written temporary file): fsync, close, rename."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blob-fsync")
        while len(self._pending) >= self.MAX_PENDING:
            self._result(self._pending.popleft())
        self._directories.add(final.parent)
        self._pending.append(self._pool.submit(_sync_and_rename, raw, tmp, final))

    def finish(self) -> None:
        """Wait for every file, then make the renames durable. Raises StorageError."""
        while self._pending:
            self._result(self._pending.popleft())
        try:
            for directory in sorted(self._directories):
                fsync_dir(directory)
        except OSError as exc:
            raise _storage_error(exc) from exc
        self._directories.clear()

    @staticmethod
    def _result(future: Future[None]) -> None:
        try:
            future.result()
        except OSError as exc:
            raise _storage_error(exc) from exc

    def close(self) -> None:
        """Wait for every handed-over file (errors dropped: the caller is failing)."""
        for future in self._pending:
            with contextlib.suppress(Exception):
                future.result()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> DeferredSync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sync_and_rename(raw: BinaryIO, tmp: Path, final: Path) -> None:
    try:
        try:
            os.fsync(raw.fileno())
        finally:
            raw.close()
        os.replace(tmp, final)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _exists(dest: Path) -> UsageError:
    return UsageError("attachments.extract_exists", hint="attachments.hint_force", path=str(dest))


def _integrity(blob_id: str, exc: StreamError) -> IntegrityError:
    err = IntegrityError(f"attachments.{exc.reason}", attachment=blob_id)
    err.params["reason"] = exc.reason
    return err


class _NullSink:
    """A write-only sink that keeps nothing."""

    def write(self, data: bytes | memoryview) -> int:
        return len(data)
