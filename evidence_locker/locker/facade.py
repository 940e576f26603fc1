"""``Locker``: the one public API. The CLI, the import driver and the tests call it.

A locker is a directory (``locker.db`` plus encrypted blobs) or, for shared
deployments, a PostgreSQL database URL plus a blob directory. Opening it derives the
key-encryption key from the passphrase (Argon2id) or the recovery key and unwraps
the master key; nothing is readable before that.

Records are append-only: :meth:`Locker.correct` appends a new version pointing at the
old one, :meth:`Locker.delete` appends a tombstone. Every write is one transaction.

This class is a facade: each method is one call into a part of this package
(``keys``, ``cases``, ``records``, ``attachments``, ``writing``, ``timestamps``,
``settings``) or into the search the locker keeps (``search/searcher.py``).
docs/architecture.md maps them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_locker.ledger.log import DecodedEntry, PendingEntry, VerifyReport
from evidence_locker.locker import checking, earlier_heads, keys
from evidence_locker.locker.attachments import Attachments
from evidence_locker.locker.cases import Cases
from evidence_locker.locker.reading import Readings, ReadReport, TextReader
from evidence_locker.locker.records import Reader, RecordHistory
from evidence_locker.locker.session import Clock, Session, utc_now
from evidence_locker.locker.settings import Settings
from evidence_locker.locker.timestamps import StampResult, Timestamps, TsaStatus
from evidence_locker.locker.tsa_settings import TsaConfig
from evidence_locker.locker.writing import BatchResult, Writer
from evidence_locker.model import (
    AttachmentInfo,
    Case,
    ContactDraft,
    OcrResult,
    Record,
    RecordFilter,
)
from evidence_locker.search.searcher import Searcher
from evidence_locker.search.upkeep import IndexUpkeep

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Engine

    from evidence_locker.search.audit import IndexAudit
    from evidence_locker.search.hit import SearchHit
    from evidence_locker.search.index import Tokenizer
    from evidence_locker.store.blobs import BlobStore


class Locker:
    """An unlocked locker. Use :meth:`create` or :meth:`open`; close when done."""

    def __init__(self, session: Session):
        self._attach(session)

    def _attach(self, session: Session) -> None:
        """Build the parts over ``session`` (again after a key rotation)."""
        self._session = session
        # fixed for the life of the unlocked locker
        self.path = session.path
        self.locker_id = session.locker_id
        self.origin = session.origin
        self.keyring = session.keyring
        self.ledger = session.ledger
        self._cases = Cases(session)
        self.timestamps = Timestamps(session)
        self.heads = earlier_heads.Heads(session)  # rollback: heads kept elsewhere
        self._reader = Reader(session, self._cases, self.timestamps)
        self._files = Attachments(session, self._reader)
        self._writer = Writer(session, self._cases, self._reader, self._files)
        self._readings = Readings(session, self._reader, self._files)
        self._keys = keys.KeySlots(session)
        self._settings = Settings(session)
        upkeep = IndexUpkeep(
            self._reader,
            write_sa=session.write_sa,
            ledger_rows=session.ledger_rows,
            token_fn=session.keyring.space_token,
        )
        self._search = Searcher(self._reader, upkeep, session.driver)
        # the search index follows every write, in the write's own transaction
        session.before_write = self._search.upkeep.ensure
        session.after_append = self._search.upkeep.index

    # -- opening and creating ----------------------------------------------------------

    @classmethod
    def exists(cls, path: Path) -> bool:
        return keys.exists(path)

    @classmethod
    def create(
        cls,
        path: Path | str | None,
        passphrase: str,
        *,
        database_url: str | None = None,
        clock: Clock = utc_now,
        region: str = "CN",
    ) -> tuple[Locker, str]:
        """Make a new locker. Returns it and the recovery key (shown once, never stored)."""
        session, recovery_key = keys.create(path, passphrase, database_url, clock, region)
        return cls(session), recovery_key

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        passphrase: str | None = None,
        recovery_key: str | None = None,
        database_url: str | None = None,
        clock: Clock = utc_now,
        read_only: bool | None = None,
    ) -> Locker:
        """Unlock with the passphrase or the recovery key. One error for any wrong key.

        ``read_only``: never write to the locker (True), or decide from the files and
        ``EVIDENCE_LOCKER_READ_ONLY`` (None): a write-blocked copy can be read, searched,
        verified and exported; a write says it is read-only."""
        session = keys.unlock(path, passphrase, recovery_key, database_url, clock, read_only)
        locker = cls(session)
        locker._files.sweep_left_behind()
        return locker

    def close(self) -> None:
        if self._session.wrote:  # trusted time: stamp with "auto" TSAs, never failing
            self._session.wrote = False
            self.timestamps.auto_stamp()
        self._search.forget_decrypted()
        self._session.database.dispose()

    def __enter__(self) -> Locker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the locker is ------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (built on first use: see store/connect.py)."""
        return self._session.database.engine

    @property
    def read_only(self) -> bool:
        """Opened so that nothing is written (a write-blocked copy, or asked for)."""
        return self._session.database.read_only

    @property
    def region(self) -> str:
        return self._session.region

    @region.setter
    def region(self, value: str) -> None:
        self._session.region = value

    @property
    def clock(self) -> Callable[[], datetime]:
        """The clock that stamps ``logged_at`` (injectable for tests)."""
        return self._session.clock

    @property
    def public_key(self) -> bytes:
        return self._session.keyring.signer.public_key

    # -- writing records ---------------------------------------------------------------

    def log(self, draft: ContactDraft) -> Record:
        """Store one contact (and its files) in one transaction; returns it as stored."""
        return self._writer.log(draft)

    def log_batch(
        self,
        drafts: Iterable[ContactDraft],
        *,
        dry_run: bool = False,
        flush_every: int = 1000,
        keep_ids: bool = True,
        on_added: Callable[[ContactDraft], None] | None = None,
    ) -> BatchResult:
        """Store many contacts in ONE transaction, skipping ones already imported
        (:meth:`.writing.Writer.log_batch`)."""
        return self._writer.log_batch(drafts, dry_run, flush_every, keep_ids, on_added)

    def correct(self, record_id: str, *, reason: str, changes: dict[str, Any]) -> Record:
        """Append a new version of a record; the original stays in the ledger."""
        return self._writer.correct(record_id, reason=reason, changes=changes)

    def delete(self, record_id: str, *, reason: str) -> str:
        """Append a tombstone. Returns the tombstone's id. The record stays in the ledger."""
        return self._writer.delete(record_id, reason=reason)

    # -- cases -------------------------------------------------------------------------

    def add_case(
        self,
        name: str,
        *,
        creditor: str | None = None,
        account: str | None = None,
        amount: str | None = None,
        notes: str | None = None,
    ) -> Case:
        return self._cases.add(name, creditor=creditor, account=account, amount=amount, notes=notes)

    def cases_by_id(self) -> dict[str, Case]:
        return self._cases.by_id()

    def cases(self) -> list[Case]:
        return list(self._cases.by_id().values())

    # -- reading -----------------------------------------------------------------------

    def resolve_id(self, prefix: str) -> str:
        """A full entry id from any unique prefix of at least 4 characters."""
        return self._reader.resolve_id(prefix)

    def get(self, id_or_prefix: str) -> RecordHistory:
        """A record with all its versions, whichever version's id (or prefix) is given."""
        return self._reader.get(id_or_prefix)

    def records(self, flt: RecordFilter | None = None) -> list[Record]:
        """Records matching the filter, in the order they happened (oldest first)."""
        return self._reader.records(flt)

    def iter_records(self, flt: RecordFilter | None = None, batch: int = 2000) -> Iterator[Record]:
        """Records in the order they happened, decrypted ``batch`` rows at a time."""
        return self._reader.iter_records(flt, batch)

    def count(self) -> int:
        return self._reader.count()

    def proof_material(
        self, entry_ids: Sequence[str], *, deletions_of: Sequence[str] = ()
    ) -> tuple[dict[str, DecodedEntry], list[bytes], str]:
        """Entries with their salts (and the deletion entries of ``deletions_of``
        records), every leaf and the signed head, at one moment (what a dossier proves;
        report/export.py)."""
        return self._reader.proof_material(entry_ids, deletions_of=deletions_of)

    # -- search ------------------------------------------------------------------------

    def search(
        self, text: str, flt: RecordFilter | None = None, *, limit: int | None = 50
    ) -> list[SearchHit]:
        """Records whose searched fields contain every term of ``text``, newest first
        (docs/search.md: the blind index, or the decrypted view after
        :meth:`keep_decrypted`)."""
        return self._search.search(text, flt, limit)

    def keep_decrypted(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Decrypt every record version into memory; later searches scan it.

        For a process that searches many times (``search --interactive``, a script, a
        service). Until :meth:`forget_decrypted` or :meth:`close`, the plaintext stays
        in this process's memory (never on disk; docs/threat-model.md). Writes by this
        or any other process are picked up at the next search. ``progress`` is called
        with (done, total). Returns how many versions were decrypted.
        """
        return self._search.keep_decrypted(progress)

    def forget_decrypted(self) -> None:
        """Drop the decrypted view (if any): searches go back to the blind index."""
        self._search.forget_decrypted()

    @property
    def tokenizer(self) -> Tokenizer:
        """Keyed, truncated tokens for the blind search index (one per unlocked locker)."""
        return self._search.upkeep.tokenizer

    def rebuild_index(self) -> int:
        """Drop and rebuild the search index from the ledger. Returns the entries indexed."""
        return self._search.upkeep.rebuild()

    def check_index(self) -> IndexAudit:
        """The search index against one rebuilt in memory (search/audit.py)."""
        return self._search.check_index()

    # -- attachments -------------------------------------------------------------------

    @property
    def blobs(self) -> BlobStore:
        return self._files.blobs

    def attach(
        self,
        record_id: str,
        path: str | os.PathLike[str],
        *,
        caption: str | None = None,
        name: str | None = None,
    ) -> AttachmentInfo:
        """Attach a file to an existing record: a new ledger leaf with its SHA-256."""
        return self._files.attach(record_id, Path(path), caption, name)

    def attachment(self, attachment_id: str) -> AttachmentInfo:
        return self._files.info(attachment_id)

    def all_attachments(self) -> list[AttachmentInfo]:
        """Every attachment in the ledger, oldest first."""
        return self._reader.all_attachments()

    def read_attachment(self, info: AttachmentInfo, *, limit: int = 64 * 1024 * 1024) -> bytes:
        """The decrypted bytes of a (small) attachment, e.g. an image for the dossier."""
        return self._files.read(info, limit=limit)

    def extract(
        self, id_or_prefix: str, to_dir: str | os.PathLike[str], *, force: bool = False
    ) -> list[Path]:
        """Decrypt a record's files (or one attachment) into ``to_dir``, byte-identical."""
        return self._files.extract(id_or_prefix, to_dir, force=force)

    def verify_blobs(self) -> list[tuple[AttachmentInfo, str]]:
        """Decrypt every attachment and compare its SHA-256 with the ledger."""
        return self._files.verify()

    # -- text read from images (locker/reading.py) ---------------------------------------

    @property
    def text_reader(self) -> TextReader | None:
        """Reads the text of images as ``log`` and ``attach`` store them; None: don't."""
        return self._files.text_reader

    @text_reader.setter
    def text_reader(self, reader: TextReader | None) -> None:
        self._files.text_reader = reader

    def add_reading(self, info: AttachmentInfo, result: OcrResult) -> str:
        """Append a reading of an attachment's image (a new ``ocr`` entry); its id."""
        return self._readings.add(info, result)

    def read_texts(
        self,
        ids: Sequence[str] = (),
        *,
        redo: bool | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ReadReport:
        """Read the text of images already in the locker (``evidence-locker ocr``).

        ``ids`` are records or attachments (any unique prefix); none means every image
        of every record not deleted. Images named by id are read again (a new
        version); with no ids, images already read are skipped unless ``redo``. Each
        reading is committed on its own, so an interrupted run keeps what it read.
        """
        return self._readings.read(ids, redo=redo, progress=progress)

    # -- rules -------------------------------------------------------------------------

    def check(
        self,
        flt: RecordFilter | None = None,
        *,
        rule_sets: Any = None,
        tz: Any = None,
        official_numbers: Any = None,
        include_unverified: bool = True,
    ) -> Any:
        """Possible misconduct: an ``evidence_locker.rules.CheckReport`` (findings worst
        first, the zone and rule sets used and why, notes) for the records ``flt``
        selects, judged against the whole locker (locker/checking.py)."""
        return checking.check(
            self._reader,
            self._cases,
            self._settings,
            flt,
            rule_sets=rule_sets,
            tz=tz,
            official_numbers=official_numbers,
            include_unverified=include_unverified,
        )

    # -- settings (locker/settings.py) ---------------------------------------------------

    def settings(self) -> dict[str, str]:
        """The locker's settings (``tz``, ``rules``), sealed and verified like records."""
        return self._settings.read()

    def set_setting(self, name: str, value: str | None) -> str | None:
        """Set (None or "": unset) a locker setting; returns the value as stored."""
        return self._settings.write(name, value)

    # -- integrity ---------------------------------------------------------------------

    def verify(self, *, stop_at_first: bool = False) -> VerifyReport:
        """Recompute the ledger and check the signed head, then every time-stamp."""
        return self._reader.verify(stop_at_first=stop_at_first)

    def head(self) -> str:
        """The current signed tree head (a C2SP signed note)."""
        return self._reader.head()

    # -- trusted time (locker/timestamps.py) ------------------------------------------

    def add_tsa(self, name: str, url: str, root_pem: bytes, *, auto: bool = False) -> TsaConfig:
        """Configure an RFC 3161 time-stamp authority and the root it must chain to."""
        return self.timestamps.add(name, url, root_pem, auto=auto)

    def remove_tsa(self, name: str) -> None:
        self.timestamps.remove(name)

    def tsas(self) -> list[TsaStatus]:
        return self.timestamps.status()

    def stamp(self, names: Sequence[str] | None = None) -> list[StampResult]:
        """Time-stamp the current tree head with every configured TSA (network)."""
        return self.timestamps.stamp(names)

    # -- keys --------------------------------------------------------------------------

    def change_passphrase(self, new_passphrase: str) -> None:
        """Rewrap the master key under a new passphrase: one row, nothing re-encrypted."""
        self._keys.change_passphrase(new_passphrase)

    def new_recovery_key(self) -> str:
        """Replace the recovery key (the old one stops working). Shown once."""
        return self._keys.new_recovery_key()

    def rotate_keys(self, new_passphrase: str) -> str:
        """A new master key, everything rewritten under it (locker/rotation.py); returns
        the new recovery key. Other processes holding the locker open must reopen it."""
        from evidence_locker.locker import rotation

        self._search.forget_decrypted()
        session, recovery_key = rotation.rotate(self._session, new_passphrase)
        self._attach(session)
        return recovery_key

    # -- merging a backup (evidence_locker/care/backup/merge.py) ----------------------

    def entry_ids(self) -> set[str]:
        """Every entry id in the ledger (a merge adds only the ones missing here)."""
        return self._reader.entry_ids()

    def merge_entries(self, pendings: Sequence[PendingEntry]) -> list[PendingEntry]:
        """Append entries from a backup of this locker, keeping their ids, in one
        transaction; ids already present are skipped. Returns what was added."""
        return self._writer.merge(pendings)
