"""Reading a backup back: decrypt it section by section and check everything on the way.

Used by ``backup --verify``, restore and merge alike. The reader checks each blob
while copying it (read once, decrypted once under its own key) and fsyncs on a worker
thread. The ledger in the backup is checked to its signed head; with ``full`` every
leaf is also recomputed from its entry, as ``verify`` does (docs/backup-format.md
says what each depth proves).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import tempfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO

from evidence_locker import crypto
from evidence_locker.care.backup.format import (
    COPY_SIZE,
    KIND_BLOB,
    KIND_DB,
    KIND_END,
    KIND_MANIFEST,
    MAX_MANIFEST,
    MAX_NAME,
    MAX_SECTION,
    SECTION_HEAD,
    SIZE,
    BackupHeader,
    BackupInfo,
    Progress,
    open_new,
    read_header,
    stream_id,
    unlock_header,
)
from evidence_locker.crypto.stream import (
    DecryptingReader,
    StreamError,
    decrypt_stream,
)
from evidence_locker.errors import (
    FormatError,
    IntegrityError,
)
from evidence_locker.ledger import merkle
from evidence_locker.ledger.canonical import commitment, entry_leaf_hash
from evidence_locker.ledger.checkpoint import open_note
from evidence_locker.ledger.log import Ledger, header_of
from evidence_locker.store.durable import fsync_dir


class _Payload:
    """The decrypted payload of a backup, read section by section."""

    def __init__(self, src: BinaryIO, header: BackupHeader, keyring: crypto.KeyRing):
        try:
            self._reader = DecryptingReader(
                src, key=keyring.subkey("backup"), blob_id=stream_id(header.raw), digest=False
            )
        except StreamError as exc:
            raise _stream_error(exc) from None

    def read_some(self, view: memoryview) -> int:
        """At least one byte into ``view`` (authenticated), or an IntegrityError."""
        try:
            n = self._reader.readinto(view)
        except StreamError as exc:
            raise _stream_error(exc) from None
        if not n:
            raise IntegrityError("backup.truncated")
        return n

    def read_exact(self, n: int) -> bytes:
        out = bytearray(n)
        view = memoryview(out)
        got = 0
        while got < n:
            got += self.read_some(view[got:])
        return bytes(out)

    def next_section(self) -> tuple[bytes, str, int]:
        kind, name_len = SECTION_HEAD.unpack(self.read_exact(SECTION_HEAD.size))
        if kind not in (KIND_MANIFEST, KIND_DB, KIND_BLOB, KIND_END) or name_len > MAX_NAME:
            raise FormatError("backup.bad_payload")
        try:
            name = self.read_exact(name_len).decode()
        except UnicodeDecodeError:
            raise FormatError("backup.bad_payload") from None
        (size,) = SIZE.unpack(self.read_exact(SIZE.size))
        if size > MAX_SECTION:
            raise FormatError("backup.bad_payload")
        return kind, name, size

    def copy(self, size: int, dst: Any) -> None:
        buf = memoryview(bytearray(min(COPY_SIZE, size) or 1))
        left = size
        while left:
            got = 0
            want = min(len(buf), left)
            while got < want:
                got += self.read_some(buf[got:want])
            dst.write(buf[:got])
            left -= got

    def finish(self) -> None:
        """The end marker was read: the stream must end right here, authenticated."""
        try:
            extra = self._reader.read(1)
        except StreamError as exc:
            raise _stream_error(exc) from None
        if extra or not self._reader.at_eof:
            raise FormatError("backup.bad_payload")


class _SectionTee(io.RawIOBase):
    """One blob section as a file, each byte also written to ``out`` as it passes.

    The blob is checked (decrypted under its id, hashed) while it is copied, so it is
    read once; a damaged outer stream raises IntegrityError, never a StreamError,
    so the inner check cannot mistake one for a bad blob.
    """

    def __init__(self, payload: _Payload, size: int, out: Any | None):
        super().__init__()
        self._payload = payload
        self._left = size
        self._out = out

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not self._left or not view:
            return 0
        n = self._payload.read_some(view[: min(len(view), self._left)])
        if self._out is not None:
            self._out.write(view[:n])
        self._left -= n
        return n

    def drain(self) -> None:
        """Copy what the blob check left unread (it stops at the first bad chunk)."""
        buf = memoryview(bytearray(min(COPY_SIZE, self._left) or 1))
        while self.readinto(buf[: min(len(buf), self._left)]):
            pass


class _Null:
    def write(self, data: Any) -> int:
        return len(data)


def backup_head(path: str | os.PathLike[str], keyring: crypto.KeyRing) -> str:
    """The signed tree head a backup of this locker recorded, from its manifest alone
    (the first authenticated chunk: nothing else is decrypted). For ``verify --against``."""
    try:
        with open(path, "rb") as src:
            header = read_header(src)
            payload = _Payload(src, header, keyring)
            kind, _, size = payload.next_section()
            if kind != KIND_MANIFEST or size > MAX_MANIFEST:
                raise FormatError("backup.bad_payload")
            try:
                return str(json.loads(payload.read_exact(size))["head"])
            except (ValueError, KeyError, TypeError):
                raise FormatError("backup.bad_payload") from None
    except FileNotFoundError:
        from evidence_locker.errors import NotFound

        raise NotFound("backup.missing", path=str(path)) from None


def _stream_error(exc: StreamError) -> IntegrityError:
    return IntegrityError("backup.truncated" if exc.reason == "truncated" else "backup.corrupted")


class _Syncer:
    """fsync and close finished files on a worker thread while the next are written.

    A restore writes hundreds of files; fsyncing each in turn waits for the disk each
    time. The worker overlaps that wait with the decryption of the next sections, and
    :meth:`wait` (before the rename that publishes the restore) re-raises any failure.
    """

    MAX_OPEN = 32  # files handed over and not yet synced: bounds open descriptors

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="elb-fsync")
        self._pending: deque[Future[None]] = deque()

    def submit(self, f: Any) -> None:
        """Hand over a buffered file: its buffer is written out and freed right here."""
        f.flush()
        raw = f.detach()  # keep only the descriptor alive until it is synced
        if len(self._pending) >= self.MAX_OPEN:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(_sync_close, raw))

    def wait(self) -> None:
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Finish (and close) every file; errors are dropped: only for cleanup paths."""
        for fut in self._pending:
            with contextlib.suppress(Exception):
                fut.result()
        self._pending.clear()
        self._pool.shutdown(wait=True)


def _sync_close(f: Any) -> None:
    try:
        os.fsync(f.fileno())
    finally:
        f.close()


def _db_full(
    db: Path, ledger: Ledger
) -> tuple[Any, list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """The whole ledger re-verified (every leaf recomputed from its ciphertext)."""
    from evidence_locker.store import engine as store_engine

    engine = store_engine.sqlite_engine(db)
    try:
        with engine.connect() as conn:
            report = ledger.verify(conn)
            problems = [
                (p.what, {"seq": p.seq, "id": (p.record_id or "")[:8]}) for p in report.problems
            ]
            rows = conn.exec_driver_sql(
                "SELECT * FROM entry WHERE kind = 'attachment' ORDER BY seq"
            ).mappings()
            files = {}
            for row in rows:
                ns = SimpleNamespace(**row)
                try:
                    d = ledger.decode(ns)
                    files[ns.id] = (int(d.value("size", 0)), d.value("sha256", ""))
                except crypto.DecryptionFailed:
                    files[ns.id] = None
    finally:
        engine.dispose()
    return report.head, problems, files


def _db_quick(
    db: Path, ledger: Ledger
) -> tuple[Any, list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """The ledger's structure, signature and attachment entries, without decrypting
    every entry: the positions are contiguous, the Merkle tree over the stored leaves
    gives the signed head's root and each row's stored root at the end, and every
    attachment entry decrypts and hashes to its leaf (so the sizes and SHA-256s that
    the blobs are checked against are the signed ones)."""
    problems: list[tuple[str, dict[str, Any]]] = []
    files: dict[str, Any] = {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        frontier = merkle.Frontier()
        expected = 0
        last_root = None
        for seq, leaf, root in conn.execute("SELECT seq, leaf, root FROM entry ORDER BY seq"):
            if seq != expected:
                problems.append(("verify.missing", {"seq": expected, "id": ""}))
                expected = seq
            expected += 1
            frontier.append(bytes(leaf))
            last_root = root
        if last_root is not None and bytes(last_root) != frontier.root():
            problems.append(("verify.position", {"seq": frontier.size - 1, "id": ""}))
        for row in conn.execute("SELECT * FROM entry WHERE kind = 'attachment' ORDER BY seq"):
            ns = SimpleNamespace(**dict(row))
            try:
                d = ledger.decode(ns)
            except crypto.DecryptionFailed:
                files[ns.id] = None
                problems.append(("verify.tampered", {"seq": ns.seq, "id": ns.record_id[:8]}))
                continue
            commitments = {k: commitment(s, v) for k, (s, v) in d.fields.items()}
            if entry_leaf_hash(header_of(ns), commitments) != ns.leaf:
                problems.append(("verify.leaf", {"seq": ns.seq, "id": ns.record_id[:8]}))
            files[ns.id] = (int(d.value("size", 0)), d.value("sha256", ""))
        (note,) = conn.execute("SELECT value FROM meta WHERE key = 'head'").fetchone()
    finally:
        conn.close()
    try:
        head = open_note(note, ledger.origin, ledger.keyring.signer.public_key)
    except ValueError:
        problems.append(("verify.head_signature", {"seq": None, "id": ""}))
        return None, problems, files
    if head.size != frontier.size or head.root != frontier.root():
        problems.append(("verify.head_mismatch", {"seq": head.size, "id": ""}))
    return head, problems, files


def _db_facts(
    db: Path, keyring: crypto.KeyRing, locker_id: str, *, full: bool
) -> tuple[Any, list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Check the ledger in an extracted database; return its head, problems, files."""
    ledger = Ledger(keyring, f"evidence-locker/{locker_id}")
    try:
        return _db_full(db, ledger) if full else _db_quick(db, ledger)
    except Exception as exc:  # a database that SQLite cannot read is a damaged backup
        if isinstance(exc, (IntegrityError, FormatError)):
            raise
        raise IntegrityError("backup.bad_database", detail=str(exc)) from None


def extract(
    path: Path,
    workdir: Path | None,
    *,
    keyring: crypto.KeyRing | None = None,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    full: bool = True,
    progress: Progress | None = None,
) -> tuple[BackupInfo, crypto.KeyRing]:
    """Decrypt a backup into ``workdir`` (``locker.db`` and ``blobs/``), checking all.

    Checks: the payload authenticates to its last byte, the ledger's tree and signed
    head are the ones recorded at backup time (with ``full``, every leaf is also
    recomputed from its entry, as ``verify`` does), and each blob decrypts under its
    id to the size and SHA-256 in the ledger, checked in the same pass that copies it.
    Problems are collected into the result. With ``workdir`` None only the database
    is written (to a temporary directory, to be queried); blobs are checked, not kept.
    """
    try:
        src = open(path, "rb", buffering=COPY_SIZE)  # noqa: SIM115 - closed below
    except FileNotFoundError:
        from evidence_locker.errors import NotFound

        raise NotFound("backup.missing", path=str(path)) from None
    with contextlib.ExitStack() as stack:
        stack.enter_context(src)
        keep = workdir is not None
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="elb-verify-")))
        syncer = _Syncer()
        stack.callback(syncer.close)
        header = read_header(src)
        if keyring is None:
            keyring = unlock_header(header, passphrase=passphrase, recovery_key=recovery_key)
        payload = _Payload(src, header, keyring)
        kind, _, size = payload.next_section()
        if kind != KIND_MANIFEST or size > MAX_MANIFEST:
            raise FormatError("backup.bad_payload")
        try:
            manifest = json.loads(payload.read_exact(size))
            info = BackupInfo(
                path=path,
                locker_id=str(manifest["locker_id"]),
                created_at=datetime.fromisoformat(manifest["created_at"]),
                head=str(manifest["head"]),
                size=int(manifest["size"]),
                missing_blobs=[str(b) for b in manifest.get("missing_blobs", [])],
            )
            expected_blobs = int(manifest["blobs"])
        except (ValueError, KeyError, TypeError):
            raise FormatError("backup.bad_payload") from None
        if info.locker_id != header.locker_id:
            raise FormatError("backup.bad_payload")
        info.file_bytes = path.stat().st_size
        kind, _, size = payload.next_section()
        if kind != KIND_DB:
            raise FormatError("backup.bad_payload")
        db = workdir / "locker.db"
        out = open_new(db)
        try:
            payload.copy(size, out)
        except BaseException:
            out.close()
            raise
        if keep:
            syncer.submit(out)  # fsync on the worker while the blobs stream in
        else:
            out.close()
        if progress:
            progress(size)
        head, problems, files = _db_facts(db, keyring, info.locker_id, full=full)
        info.problems.extend(problems)
        if head is not None and (head.size != info.size or head.root.hex() != info.root_hex):
            info.problems.append(("verify.head_mismatch", {"seq": info.size, "id": ""}))
        blob_dir = workdir / "blobs"
        if keep:
            blob_dir.mkdir(mode=0o700, exist_ok=True)
        seen: set[str] = set()
        key = keyring.attachment_key
        while True:
            kind, name, size = payload.next_section()
            if kind == KIND_END:
                payload.finish()
                break
            if kind != KIND_BLOB or name in seen or name not in files:
                raise FormatError("backup.bad_payload")
            seen.add(name)
            out = open_new(blob_dir / f"{name}.blob") if keep else None
            try:
                tee = _SectionTee(payload, size, out)
                try:
                    stats = decrypt_stream(tee, _Null(), key=key, blob_id=name)
                    got: tuple[int, str] | None = (stats.size, stats.sha256_hex)
                except StreamError:
                    got = None
                tee.drain()
            except BaseException:
                if out is not None:
                    out.close()
                raise
            if out is not None:
                syncer.submit(out)
            if progress:
                progress(size)
            info.blobs += 1
            info.blob_bytes += size
            expected = files[name]
            if expected is None or got is None or got != expected:
                info.problems.append(("backup.blob_bad", {"attachment": name[:8]}))
        if info.blobs != expected_blobs:
            raise FormatError("backup.bad_payload")
        for blob_id in set(files) - seen:
            if blob_id not in info.missing_blobs:
                raise FormatError("backup.bad_payload")
        if keep:
            syncer.wait()
            fsync_dir(blob_dir)
    return info, keyring


def verify_backup(
    path: str | os.PathLike[str],
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    keyring: crypto.KeyRing | None = None,
    full: bool = True,
) -> BackupInfo:
    """Decrypt and check a whole backup without writing anything lasting.

    Raises for a file that is not a backup, cannot be unlocked, or fails to
    authenticate; returns the report (``ok`` False with ``problems``) otherwise.
    ``full`` (the default: this is the command that exists to check) also recomputes
    every ledger leaf from its entry, as ``verify`` does; see :func:`restore_backup`.
    """
    info, _ = extract(
        Path(path),
        None,
        keyring=keyring,
        passphrase=passphrase,
        recovery_key=recovery_key,
        full=full,
    )
    return info
