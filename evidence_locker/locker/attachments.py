"""Attachments: files kept with a record, encrypted as blobs, each with a ledger entry.

A file is encrypted into the blob store before its entry is committed, and removed
again if the transaction fails, so the locker holds the file and its entry or
neither. The entry seals the file's name, size, SHA-256 and what
:mod:`~evidence_locker.locker.attachments_meta` read from it (image size, capture
time, audio duration).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_locker import crypto
from evidence_locker.errors import IntegrityError, NotFound, UsageError
from evidence_locker.ledger.log import PendingEntry
from evidence_locker.locker import reading
from evidence_locker.locker.reading import TextReader
from evidence_locker.locker.records import Reader
from evidence_locker.locker.session import BLOB_DIR, Session, new_id
from evidence_locker.model import AttachmentDraft, AttachmentInfo
from evidence_locker.store import database as db
from evidence_locker.store.blobs import BlobStore, DeferredSync

if TYPE_CHECKING:
    from evidence_locker.store.database import DbConn


class Attachments:
    def __init__(self, session: Session, reader: Reader):
        self.session = session
        self.reader = reader
        self._blobs: BlobStore | None = None
        # Reads the text of images as they are attached (locker/reading.py); None
        # stores files without reading them.
        self.text_reader: TextReader | None = TextReader()

    @property
    def blobs(self) -> BlobStore:
        if self._blobs is None:
            if self.session.path is None:
                raise UsageError("attach.no_directory")
            from evidence_locker.locker.rotation import blob_dir

            self._blobs = BlobStore(blob_dir(self.session.path, self.session.keyring))
        return self._blobs

    def sweep_left_behind(self) -> None:
        """Finish a key rotation's folder swap that a crash interrupted, then remove
        ciphertext a killed writer left behind; an hour's margin spares a blob another
        process is writing right now."""
        if self.session.path is None or self.session.database.read_only:
            return
        from evidence_locker.locker.rotation import finish_swap

        finish_swap(self.session.path, self.session.keyring)
        if (self.session.path / BLOB_DIR).is_dir():
            self.blobs.sweep_temp(min_age_s=3600)

    # -- storing -----------------------------------------------------------------------

    def read_new(self, drafts: Sequence[AttachmentDraft]) -> reading.DraftReadings:
        """Read the images among new files, before their write transaction opens."""
        if self.text_reader is None or not drafts:
            return {}
        return self.text_reader.read_drafts(drafts)

    def store(
        self,
        record_id: str,
        files: Sequence[AttachmentDraft],
        logged_at: int,
        stored: list[str],
        sync: DeferredSync | None = None,
        readings: reading.DraftReadings | None = None,
    ) -> list[PendingEntry]:
        """Encrypt each file into the blob store; return their ledger entries.

        The blob id is the attachment entry's id, which the stream cipher binds into
        the blob's key: a blob moved under another attachment's name fails. With
        ``sync`` (an import) the fsyncs run on its worker thread and the caller
        calls ``sync.finish()`` before committing. ``readings`` (from
        :meth:`read_new`) add an ``ocr`` entry after each image's own.
        """
        if not files:
            return []
        import io

        from evidence_locker.locker.attachments_meta import sniff

        out = []
        for draft in files:
            entry_id = new_id()
            source = draft.path if draft.path is not None else io.BytesIO(draft.data or b"")
            stats = self.blobs.put(
                source, key=self.session.keyring.attachment_key, blob_id=entry_id, sync=sync
            )
            stored.append(entry_id)
            meta = sniff(draft.path if draft.path is not None else (draft.data or b""), draft.name)
            fields: dict[str, Any] = {
                "name": draft.name,
                "mime": draft.mime or meta.pop("mime", None),
                "sha256": stats.sha256_hex,
                "size": stats.size,
                "metadata": {k: v for k, v in meta.items() if k != "mime"},
            }
            if draft.caption:
                fields["caption"] = draft.caption
            out.append(
                PendingEntry(
                    id=entry_id,
                    kind="attachment",
                    target=record_id,
                    record_id=record_id,
                    logged_at=logged_at,
                    fields={k: v for k, v in fields.items() if v not in (None, "", {})},
                )
            )
        return out + reading.readings_for(out, readings or {}, new_id)

    @contextlib.contextmanager
    def write_with_files(self) -> Iterator[tuple[DbConn, list[str]]]:
        """A write transaction that may also store attachment blobs, all or nothing.

        Blobs are written (and fsynced) before the commit; the caller appends each
        stored blob id to the list, and if the transaction fails they are deleted.
        """
        stored: list[str] = []
        try:
            with self.session.write() as conn:
                yield conn, stored
        except BaseException:
            self._discard(stored)
            raise

    def _discard(self, blob_ids: Sequence[str]) -> None:
        for blob_id in blob_ids:
            with contextlib.suppress(OSError):
                self.blobs.delete(blob_id)

    def attach(
        self, record_id: str, file_path: Path, caption: str | None, name: str | None
    ) -> AttachmentInfo:
        """Attach a file to an existing record: a new ledger leaf with its SHA-256."""
        history = self.reader.get(record_id)
        if history.deleted:
            raise UsageError("attach.deleted", id=record_id[:8])
        if not file_path.is_file():
            raise NotFound("file.missing", path=str(file_path))
        draft = AttachmentDraft(name=name or file_path.name, path=str(file_path), caption=caption)
        readings = self.read_new([draft])
        with self.write_with_files() as (conn, stored):
            now = self.session.now_us()
            entries = self.store(history.latest.record_id, [draft], now, stored, readings=readings)
            self.session.append(conn, entries)
        return next(a for a in self.reader.get(record_id).attachments if a.id == entries[0].id)

    # -- reading -----------------------------------------------------------------------

    def info(self, attachment_id: str) -> AttachmentInfo:
        entry_id = self.reader.resolve_id(attachment_id)
        with self.session.read() as conn:
            found = self.reader.attachments(conn, [entry_id])
        if not found:
            raise NotFound("attach.unknown", id=attachment_id)
        return found[0]

    def read(self, info: AttachmentInfo, *, limit: int = 64 * 1024 * 1024) -> bytes:
        """The decrypted bytes of a (small) attachment, e.g. an image for the dossier."""
        if info.size > limit:
            raise UsageError("attach.too_large", name=info.name, size=info.size)
        with self.blobs.reader(info.id, key=self.session.keyring.attachment_key) as reader:
            data = reader.read()
        if crypto.sha256_hex(data) != info.sha256:
            raise IntegrityError("attachments.hash_mismatch", id=info.id[:8], reason="hash")
        return data

    def extract(
        self, id_or_prefix: str, to_dir: str | os.PathLike[str], *, force: bool = False
    ) -> list[Path]:
        """Decrypt a record's files (or one attachment) into ``to_dir``, byte-identical."""
        entry_id = self.reader.resolve_id(id_or_prefix)
        with self.session.read() as conn:
            kind = db.value(conn, "SELECT kind FROM entry WHERE id = ?", (entry_id,))
        infos = (
            [self.info(entry_id)] if kind == "attachment" else self.reader.get(entry_id).attachments
        )
        if not infos:
            raise NotFound("attach.none", id=id_or_prefix)
        target = Path(to_dir)
        target.mkdir(parents=True, exist_ok=True)
        names = _unique_names([safe_file_name(a.name, a.id) for a in infos])
        out = []
        for info, name in zip(infos, names, strict=True):
            dest = target / name
            self.blobs.extract(
                info.id,
                dest,
                key=self.session.keyring.attachment_key,
                force=force,
                expected_sha256=info.sha256,
            )
            out.append(dest)
        return out

    def verify(self) -> list[tuple[AttachmentInfo, str]]:
        """Decrypt every attachment and compare its SHA-256 with the ledger."""
        problems: list[tuple[AttachmentInfo, str]] = []
        infos = self.reader.all_attachments()
        if not infos:
            return problems
        from evidence_locker.errors import LockerError

        for info in infos:
            try:
                stats = self.blobs.verify(info.id, key=self.session.keyring.attachment_key)
            except LockerError as exc:
                problems.append((info, exc.key))
                continue
            if stats.sha256_hex != info.sha256 or stats.size != info.size:
                problems.append((info, "attachments.hash_mismatch"))
        return problems


def safe_file_name(name: str, fallback: str) -> str:
    """A file name from an untrusted source that cannot escape the target folder."""
    base = Path(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    base = base.strip().lstrip(".")
    return base[:200] or f"attachment-{fallback[:8]}"


def _unique_names(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            stem, dot, ext = name.rpartition(".")
            name = f"{stem}-{seen[name]}.{ext}" if dot and stem else f"{name}-{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out
