"""The text read from image attachments, kept in the ledger as entries of kind ``ocr``.

A reading is evidence about evidence: it says what a machine read in one exact file
(the image's SHA-256 is one of its fields), with which engine, and where on the image
each line sits. So it is sealed and committed like every other entry, targets the
attachment it read, and is never edited: reading again appends a new ``ocr`` entry,
and the latest one is what ``show``, search and the rules use.

Reading is slow (about a second per screenshot), so it never happens inside a write
transaction: :class:`TextReader` reads the images of a ``log`` or ``attach`` before
the transaction opens, and :meth:`Readings.read` (``evidence-locker ocr``) commits
one image at a time, which is also what makes an interrupted run resumable: the
images already read have their entry, and ``--all`` skips them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import LockerError
from evidence_locker.ledger.log import ENTRY_SELECT, OCR_KIND, PendingEntry
from evidence_locker.model import AttachmentDraft, AttachmentInfo, OcrResult
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.ocr import Engine
    from evidence_locker.store.database import DbConn

# An image larger than this is not read (a screenshot is a few MB; the pixel cap in
# ocr/image.py refuses anything that would not fit in memory anyway).
IMAGE_LIMIT = 64 * 1024 * 1024
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".heic", ".heif", ".tif"}


# {index of the draft among a record's new files: (SHA-256 of the bytes read, reading)}
DraftReadings = dict[int, tuple[str, OcrResult]]


def is_image(mime: str | None, name: str = "") -> bool:
    if mime:
        return mime.startswith("image/")
    return Path(name).suffix.lower() in _IMAGE_SUFFIXES


class TextReader:
    """Reads images for one Locker; remembers whether the engine was missing.

    ``unavailable`` is set the first time reading was wanted and no engine is
    installed, so the CLI can say once, after the command, how to add it.
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine
        self.unavailable: LockerError | None = None

    def engine(self) -> Engine | None:
        if self._engine is None and self.unavailable is None:
            from evidence_locker.ocr import OcrUnavailable, get_engine

            try:
                self._engine = get_engine()
            except OcrUnavailable as exc:
                self.unavailable = exc
        return self._engine

    def read(self, data: bytes, name: str) -> OcrResult | None:
        """The text of one image, or None when no engine is installed."""
        engine = self.engine()
        if engine is None:
            return None
        from evidence_locker.ocr import read_image

        return read_image(data, name, engine=engine)

    def read_drafts(self, drafts: Sequence[AttachmentDraft]) -> DraftReadings:
        """Read the images among a record's new files: {index: (sha256 read, result)}."""
        out: DraftReadings = {}
        for index, draft in enumerate(drafts):
            if not is_image(draft.mime, draft.name) and not _looks_like_image(draft):
                continue
            data = _draft_bytes(draft)
            if data is None:
                continue
            result = self.read(data, draft.name)
            if result is None:
                return out
            out[index] = (hashlib.sha256(data).hexdigest(), result)
        return out


def _draft_bytes(draft: AttachmentDraft) -> bytes | None:
    if draft.data is not None:
        return draft.data if len(draft.data) <= IMAGE_LIMIT else None
    try:
        path = Path(draft.path or "")
        if path.stat().st_size > IMAGE_LIMIT:
            return None
        return path.read_bytes()
    except OSError:
        return None  # storing the file will report it


def _looks_like_image(draft: AttachmentDraft) -> bool:
    """A screenshot saved without an image suffix: ask the sniffer (first bytes only)."""
    from evidence_locker.locker.attachments_meta import sniff

    try:
        source = draft.path if draft.path is not None else (draft.data or b"")
        return str(sniff(source, draft.name).get("mime", "")).startswith("image/")
    except OSError:
        return False


def reading_entry(
    entry_id: str,
    result: OcrResult,
    *,
    attachment_id: str,
    record_id: str,
    image_sha256: str,
    logged_at: int,
) -> PendingEntry:
    """The ledger entry of one reading: sealed fields, targeting the attachment."""
    return PendingEntry(
        id=entry_id,
        kind=OCR_KIND,
        target=attachment_id,
        record_id=record_id,
        logged_at=logged_at,
        fields=result.to_fields() | {"image_sha256": image_sha256},
    )


def readings_for(
    entries: Sequence[PendingEntry],
    drafts: Mapping[int, tuple[str, OcrResult]],
    new_id: Callable[[], str],
) -> list[PendingEntry]:
    """Entries for the readings of files just stored (``entries`` in draft order).

    A reading whose bytes differ from what was stored (the file changed between
    reading and storing) is dropped: a reading always names the exact file it read.
    """
    out = []
    for index, (sha256, result) in drafts.items():
        attachment = entries[index]
        if attachment.fields.get("sha256") != sha256:
            continue
        out.append(
            reading_entry(
                new_id(),
                result,
                attachment_id=attachment.id,
                record_id=attachment.record_id,
                image_sha256=sha256,
                logged_at=attachment.logged_at,
            )
        )
    return out


def latest_readings(
    conn: DbConn, decode: Callable[[Any], dict[str, Any]], attachment_ids: Sequence[str]
) -> dict[str, OcrResult]:
    """The newest reading of each of these attachments that has one."""
    out: dict[str, OcrResult] = {}
    for start in range(0, len(attachment_ids), 500):
        chunk = list(attachment_ids[start : start + 500])
        sql = (
            f"SELECT {ENTRY_SELECT} FROM entry WHERE kind = '{OCR_KIND}'"
            f" AND target IN ({db.placeholders(len(chunk))}) ORDER BY seq"
        )
        for row in db.rows(conn, sql, chunk):
            out[row.target] = OcrResult.from_fields(decode(row))
    return out


def texts_of(attachments: Sequence[AttachmentInfo]) -> list[str]:
    """The read text of each image that has some, for search and the rules."""
    return [a.ocr.flowing_text for a in attachments if a.ocr is not None and a.ocr.lines]


@dataclass
class ReadReport:
    """What ``evidence-locker ocr`` did."""

    read: int = 0
    skipped: int = 0  # already read (``--all`` without ``--force``)
    failed: list[tuple[AttachmentInfo, str]] = field(default_factory=list)
    total: int = 0


class Readings:
    """The part of the locker that reads images already stored (``evidence-locker ocr``).

    ``session``, ``reader`` and ``files`` are the locker's Session, records Reader and
    Attachments parts; they are not imported here, because those parts import this
    module (no import cycles inside the package, tests/test_architecture.py).
    """

    def __init__(self, session: Any, reader: Any, files: Any):
        self.session = session
        self.reader = reader
        self.files = files

    def add(self, info: AttachmentInfo, result: OcrResult) -> str:
        """Append a reading of an attachment's image (a new ``ocr`` entry); its id."""
        from evidence_locker.locker.session import new_id

        entry = reading_entry(
            new_id(),
            result,
            attachment_id=info.id,
            record_id=info.record_id,
            image_sha256=info.sha256,
            logged_at=self.session.now_us(),
        )
        with self.session.write() as conn:
            self.session.append(conn, [entry])
        return entry.id

    def chosen(self, ids: Sequence[str]) -> list[AttachmentInfo]:
        """The attachments of these records or attachments; none: of every live record."""
        if ids:
            infos: dict[str, AttachmentInfo] = {}
            for given in ids:
                entry_id = self.reader.resolve_id(given)
                with self.session.read() as conn:
                    kind = db.value(conn, "SELECT kind FROM entry WHERE id = ?", (entry_id,))
                found = [self.files.info(entry_id)] if kind == "attachment" else None
                for info in found or self.reader.get(entry_id).attachments:
                    infos[info.id] = info
            return list(infos.values())
        with self.session.read() as conn:
            deleted = {r.target for r in db.rows(conn, _TOMBSTONES)}
            rows = db.rows(conn, _ATTACHMENTS)
            return self.reader.attachments(conn, [r.id for r in rows if r.record_id not in deleted])

    def read(
        self,
        ids: Sequence[str] = (),
        *,
        redo: bool | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ReadReport:
        """Read each chosen image and commit its reading on its own.

        Images named by id are read again (a new version of their reading); with no
        ids, images already read are skipped unless ``redo``. Interrupting (Ctrl-C)
        loses at most the image being read; the next run continues with the rest.
        """
        report = ReadReport()
        todo = [a for a in self.chosen(ids) if is_image(a.mime, a.name)]
        if not (bool(ids) if redo is None else redo):
            before = len(todo)
            todo = [a for a in todo if a.ocr is None]
            report.skipped = before - len(todo)
        report.total = len(todo)
        if progress is not None:
            progress(0, len(todo))  # the count shows while the engine loads
        reader = self.files.text_reader or TextReader()
        if todo and reader.engine() is None:
            assert reader.unavailable is not None
            raise reader.unavailable
        for done, info in enumerate(todo, 1):
            if info.size > IMAGE_LIMIT:
                report.failed.append((info, "ocr.too_large_file"))
            else:
                result = reader.read(self.files.read(info, limit=IMAGE_LIMIT), info.name)
                assert result is not None
                self.add(info, result)
                report.read += 1
                if result.error:
                    report.failed.append((info, result.error))
            if progress is not None:
                progress(done, len(todo))
        return report


_TOMBSTONES = "SELECT target FROM entry WHERE kind = 'tombstone'"
_ATTACHMENTS = "SELECT id, record_id FROM entry WHERE kind = 'attachment' ORDER BY seq"
