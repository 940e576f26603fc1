"""``Locker``: the one public API. The CLI, the importers' driver and the tests call it.

A locker is a directory (``locker.db`` plus encrypted blobs) or, for shared
deployments, a PostgreSQL database URL plus a blob directory. Opening it derives the
key-encryption key from the passphrase (Argon2id) or the recovery key and unwraps
the master key; nothing is readable before that.

Records are append-only: :meth:`correct` appends a new version pointing at the old
one, :meth:`delete` appends a tombstone. Every write is one transaction.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_locker import crypto
from evidence_locker.errors import (
    IntegrityError,
    LockerError,
    LockerExists,
    LockerMissing,
    NotFound,
    StorageError,
    UsageError,
    WrongPassphrase,
)
from evidence_locker.ledger.log import (
    ENTRY_SELECT,
    DecodedEntry,
    Ledger,
    PendingEntry,
    VerifyReport,
)
from evidence_locker.locker.timestamps import (
    StampResult,
    Timestamps,
    TsaStatus,
    trusted_time,
)
from evidence_locker.locker.tsa_settings import TsaConfig
from evidence_locker.model import (
    SENSITIVE_FIELDS,
    AttachmentDraft,
    AttachmentInfo,
    Case,
    Channel,
    ContactDraft,
    Direction,
    Event,
    Outcome,
    Record,
    RecordFilter,
    Source,
    micros,
    offset_minutes,
    shared,
    text_filter,
    utc_from_micros,
    with_offset,
)
from evidence_locker.parsing.phones import normalise_address
from evidence_locker.store import database as db
from evidence_locker.store.blobs import BlobStore, DeferredSync
from evidence_locker.store.database import Database

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from evidence_locker.search.memory import DecryptedView
    from evidence_locker.store.database import DbConn

DB_NAME = "locker.db"
BLOB_DIR = "blobs"
FORMAT = "evidence-locker/1"
RECORD_KINDS = ("record", "correction")
# Entries that change how a record reads: its versions, its tombstone, its files.
VIEW_KINDS = ("record", "correction", "tombstone", "attachment")
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def default_locker_dir() -> Path:
    """``$EVIDENCE_LOCKER_DIR``, else the platform's user data directory."""
    env = os.environ.get("EVIDENCE_LOCKER_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("evidence-locker", appauthor=False))


@dataclass
class RecordHistory:
    """Every version of one contact, oldest first, plus its tombstone if deleted."""

    versions: list[Record]
    deleted: bool = False
    delete_reason: str | None = None
    attachments: list[AttachmentInfo] = field(default_factory=list)

    @property
    def latest(self) -> Record:
        return self.versions[-1]


@dataclass(slots=True)
class SearchHit:
    """A record that matched. ``spans`` (matched ranges per field, for highlighting)
    are computed only when asked for: JSON output and scripts never pay for them.
    ``fields``, the searched fields, is None when they are the Record's own."""

    record: Record
    query: Any = field(repr=False)
    fields: dict[str, str] | None = field(default=None, repr=False)

    @property
    def spans(self) -> dict[str, list[tuple[int, int]]]:
        from evidence_locker.search.index import highlight
        from evidence_locker.search.memory import record_fields

        return highlight(self.query, self.fields or record_fields(self.record))


@dataclass
class BatchResult:
    """What :meth:`Locker.log_batch` did: ids of the records added, in order."""

    added: list[str] = field(default_factory=list)
    duplicates: int = 0
    attachments: int = 0


class Locker:
    """An unlocked locker. Use :meth:`create` or :meth:`open`; close when done."""

    def __init__(
        self,
        database: Database,
        keyring: crypto.KeyRing,
        *,
        path: Path | None,
        locker_id: str,
        clock: Clock = _utc_now,
        region: str = "CN",
    ):
        self._db = database
        self.keyring = keyring
        self.path = path
        self.locker_id = locker_id
        self.origin = f"evidence-locker/{locker_id}"
        self.ledger = Ledger(keyring, self.origin)
        self._clock = clock
        self.region = region
        self._case_cache: dict[str, Case] | None = None
        self._blobs: BlobStore | None = None
        self._tokenizer: Any = None
        self._postings_ok = False  # the chunked search index exists (checked once)
        self._view: DecryptedView | None = None  # see keep_decrypted
        self._view_conn: sqlite3.Connection | None = None
        self._view_thread = 0
        self._view_lock = threading.Lock()  # one refresh-and-scan at a time
        self._wrote = False  # a write committed: auto-stamping runs at close
        self._timestamps: Timestamps | None = None

    # -- opening and creating ----------------------------------------------------------

    @staticmethod
    def _database_for(path: Path | None, database_url: str | None) -> Database:
        if database_url:
            return Database(url=database_url)
        assert path is not None
        return Database(path / DB_NAME)

    @classmethod
    def exists(cls, path: Path) -> bool:
        return (Path(path) / DB_NAME).exists()

    @classmethod
    def create(
        cls,
        path: Path | str | None,
        passphrase: str,
        *,
        database_url: str | None = None,
        clock: Clock = _utc_now,
        region: str = "CN",
    ) -> tuple[Locker, str]:
        """Make a new locker. Returns it and the recovery key (shown once, never stored)."""
        directory = Path(path) if path is not None else default_locker_dir()
        if not passphrase:
            raise UsageError("init.empty_passphrase")
        if database_url is None and cls.exists(directory):
            raise LockerExists(path=str(directory))
        os.umask(0o077)
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(directory, 0o700)
        except OSError as exc:
            raise StorageError("storage.mkdir", path=str(directory), detail=exc.strerror) from exc
        from evidence_locker.store import engine as store_engine

        database = cls._database_for(directory, database_url)
        master = crypto.new_master_key()
        keyring = crypto.KeyRing(master)
        locker_id = new_id()
        recovery_key = crypto.new_recovery_key()
        now = micros(clock())
        try:
            store_engine.create_schema(database.engine)
            locker = cls(database, keyring, path=directory, locker_id=locker_id, clock=clock)
            with locker._write() as conn:
                if db.value(conn, "SELECT count(*) FROM meta"):
                    raise LockerExists(path=database_url or str(directory))
                db.execute_many(
                    conn,
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("format", FORMAT),
                        ("locker_id", locker_id),
                        ("created_at", str(now)),
                        ("region", region),
                        ("public_key", keyring.signer.public_key.hex()),
                    ],
                )
                cls._write_keyslots(conn, master, locker_id, now, passphrase, recovery_key)
                from evidence_locker.ledger.merkle import Frontier

                locker.ledger.write_head(conn, Frontier())
        except Exception as exc:
            if not db.is_database_error(exc):
                raise
            detail = db.error_text(exc)
            raise StorageError("storage.write", path=str(directory), detail=detail) from exc
        if database_url is None:
            store_engine.secure_file_modes(directory)
        locker.region = region
        return locker, recovery_key

    @staticmethod
    def _slot_context(kind: str, locker_id: str) -> bytes:
        return f"evidence-locker/v1/keyslot/{kind}/{locker_id}".encode()

    @classmethod
    def _write_keyslots(
        cls,
        conn: DbConn,
        master: bytes,
        locker_id: str,
        now: int,
        passphrase: str | None,
        recovery_key: str | None,
    ) -> None:
        slots = []
        if passphrase is not None:
            params = crypto.KdfParams.new()
            kek = crypto.passphrase_kek(passphrase, params)
            slots.append(("passphrase", json.dumps(params.to_json()), kek))
        if recovery_key is not None:
            salt = crypto.random_bytes(crypto.SALT_SIZE)
            kek = crypto.recovery_kek(recovery_key, salt)
            slots.append(("recovery", json.dumps({"alg": "hkdf-sha256", "salt": salt.hex()}), kek))
        for kind, kdf, kek in slots:
            wrapped = crypto.wrap_key(kek, master, context=cls._slot_context(kind, locker_id))
            db.execute(conn, "DELETE FROM keyslot WHERE kind = ?", (kind,))
            db.execute(
                conn,
                "INSERT INTO keyslot (kind, kdf, wrapped, updated_at) VALUES (?, ?, ?, ?)",
                (kind, kdf, wrapped, now),
            )

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        passphrase: str | None = None,
        recovery_key: str | None = None,
        database_url: str | None = None,
        clock: Clock = _utc_now,
    ) -> Locker:
        """Unlock with the passphrase or the recovery key. One error for any wrong key."""
        directory = Path(path) if path is not None else default_locker_dir()
        if database_url is None and not cls.exists(directory):
            raise LockerMissing(path=str(directory), hint="hint.init")
        os.umask(0o077)
        database = cls._database_for(directory, database_url)
        try:
            meta, slots = cls._read_header(database)
        except Exception as exc:
            if not db.is_database_error(exc):
                raise
            raise IntegrityError("error.db_unreadable", path=str(directory)) from exc
        if meta.get("format") != FORMAT or "locker_id" not in meta:
            raise IntegrityError("error.db_unreadable", path=str(directory))
        locker_id = meta["locker_id"]
        if recovery_key is not None:
            slot, kind = slots.get("recovery"), "recovery"
            try:
                salt = bytes.fromhex(json.loads(slot.kdf)["salt"]) if slot else b""
                kek = crypto.recovery_kek(recovery_key, salt)
            except (ValueError, KeyError):
                raise WrongPassphrase("error.wrong_recovery_key") from None
        else:
            slot, kind = slots.get("passphrase"), "passphrase"
            if slot is None:
                raise IntegrityError("error.db_unreadable", path=str(directory))
            try:
                params = crypto.KdfParams.from_json(json.loads(slot.kdf))
            except ValueError as exc:
                raise IntegrityError("error.bad_header", detail=str(exc)) from exc
            kek = crypto.passphrase_kek(passphrase or "", params)
        if slot is None:
            raise WrongPassphrase()
        try:
            master = crypto.unwrap_key(
                kek, slot.wrapped, context=cls._slot_context(kind, locker_id)
            )
        except crypto.DecryptionFailed:
            if kind == "recovery":
                raise WrongPassphrase("error.wrong_recovery_key") from None
            raise WrongPassphrase() from None
        locker = cls(
            database,
            crypto.KeyRing(master),
            path=directory,
            locker_id=locker_id,
            clock=clock,
            region=meta.get("region", "CN"),
        )
        if (directory / BLOB_DIR).is_dir():
            # ciphertext a killed writer left behind; an hour's margin spares a
            # blob another process is writing right now
            locker.blobs.sweep_temp(min_age_s=3600)
        return locker

    @staticmethod
    def _read_header(database: Database) -> tuple[dict[str, str], dict[str, Any]]:
        """The ``meta`` settings and the key slots: all that unlocking reads."""

        def read(conn: DbConn) -> tuple[dict[str, str], dict[str, Any]]:
            meta = {r.key: r.value for r in db.rows(conn, "SELECT key, value FROM meta")}
            slots = {r.kind: r for r in db.rows(conn, "SELECT kind, kdf, wrapped FROM keyslot")}
            return meta, slots

        driver = database.driver()
        if driver is None:
            with database.engine.connect() as conn:
                return read(conn)
        try:
            return read(driver)
        finally:
            driver.close()

    def close(self) -> None:
        if self._wrote:  # trusted time: stamp with "auto" TSAs, never failing
            self._wrote = False
            self.timestamps.auto_stamp()
        self.forget_decrypted()
        self._db.dispose()

    def __enter__(self) -> Locker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (built on first use: see store/database.py)."""
        return self._db.engine

    # -- transactions ------------------------------------------------------------------

    def _write_sa(self) -> Any:
        """A SQLAlchemy write transaction that takes the write lock up front: for the
        statements that need SQLAlchemy (DDL of the search index rebuild)."""
        from sqlalchemy.exc import OperationalError

        locker = self

        class _Tx:
            def __enter__(self) -> Connection:
                self.conn = locker.engine.connect()
                self.conn.info["write"] = True
                try:
                    self.tx = self.conn.begin()
                except OperationalError as exc:
                    self.conn.close()
                    raise _storage_error(exc, locker) from exc
                return self.conn

            def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
                try:
                    if exc_type is None:
                        try:
                            self.tx.commit()
                        except OperationalError as err:
                            raise _storage_error(err, locker) from err
                    else:
                        self.tx.rollback()
                finally:
                    self.conn.close()

        return _Tx()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Any]:
        """A write transaction that takes the database's write lock up front.

        Its statements are driver-level (store/database.py): on SQLite it runs on a
        plain sqlite3 connection, so writing commands never import SQLAlchemy; on
        PostgreSQL it is a SQLAlchemy transaction (:meth:`_write_sa`).
        """
        self._ensure_postings()
        conn = self._db.driver()
        if conn is None:
            with self._write_sa() as sa_conn:
                yield sa_conn
            self._wrote = True
            return
        try:
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
                self._wrote = True
            except sqlite3.OperationalError as exc:
                raise _storage_error(exc, self) from exc
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        finally:
            conn.close()

    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        """A read transaction: one snapshot for all its (driver-level) statements."""
        conn = self._db.driver()
        if conn is None:
            with self.engine.connect() as sa_conn:
                yield sa_conn
            return
        try:
            conn.execute("BEGIN")
            yield conn
        finally:
            conn.close()

    # -- writing records ---------------------------------------------------------------

    def _now_us(self) -> int:
        return micros(self._clock())

    def _prepare(self, draft: ContactDraft, conn: DbConn) -> ContactDraft:
        if draft.occurred_at.tzinfo is None:
            raise UsageError("time.naive")
        if not isinstance(draft.channel, Channel):
            raise UsageError("log.bad_channel", value=str(draft.channel))
        address = normalise_address(draft.address, self.region)
        if address == draft.address:
            return draft  # importers hand over normalised numbers: no copy needed
        return replace(draft, address=address)

    def _dedupe_tag(self, source: Source | None) -> str | None:
        if source is None or not source.fingerprint:
            return None
        return self.keyring.index_token(b"dedupe\x00" + source.fingerprint.encode())[:16].hex()

    def _pending_for(self, draft: ContactDraft, conn: DbConn, logged_at: int) -> PendingEntry:
        case_id = self._resolve_case(conn, draft.case) if draft.case else None
        entry_id = new_id()
        return PendingEntry(
            id=entry_id,
            kind="record",
            record_id=entry_id,
            logged_at=logged_at,
            fields=draft.sensitive_values(),
            channel=draft.channel.value,
            direction=draft.direction.value,
            occurred_at=micros(draft.occurred_at),
            offset=offset_minutes(draft.occurred_at),
            case_id=case_id,
            dedupe=self._dedupe_tag(draft.source),
        )

    def log(self, draft: ContactDraft) -> Record:
        """Store one contact (and its files); returns it as read back from the ledger.

        Files are encrypted into the blob store first; the record and one ledger
        entry per file are then committed in one transaction. If anything fails the
        new blobs are removed, so the locker holds all of it or none of it.
        """
        with self._write_with_files() as (conn, stored):
            draft = self._prepare(draft, conn)
            logged_at = self._now_us()
            pending = self._pending_for(draft, conn, logged_at)
            files = self._store_files(pending.id, draft.attachments, logged_at, stored)
            seqs = self._append(conn, [pending, *files])
            # read back from the row written, built as every read builds records
            sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE seq = ?"
            return self._build(conn, db.rows(conn, sql, (seqs[0],)))[0]

    def log_batch(
        self,
        drafts: Iterable[ContactDraft],
        *,
        dry_run: bool = False,
        flush_every: int = 1000,
        keep_ids: bool = True,
    ) -> BatchResult:
        """Store many contacts in ONE transaction, skipping ones already imported.

        A draft whose source fingerprint is already in the locker (or earlier in the
        batch) is a duplicate: importing the same file twice adds nothing. Entries are
        written in chunks of ``flush_every`` inside the transaction, so memory stays
        flat for a 100k-message backup; if ``drafts`` raises half-way, everything is
        rolled back. ``dry_run`` counts what would be added and writes nothing.
        ``keep_ids=False`` puts ``""`` in ``added`` for each record instead of its id
        (as ``dry_run`` does): 100k ids would hold ~10 MB for the whole import.
        """
        result = BatchResult()
        seen: set[str] = set()
        if dry_run:
            with self._read() as conn:
                for draft in drafts:
                    draft = self._prepare(draft, conn)
                    if draft.case:
                        self._resolve_case(conn, draft.case)
                    tag = self._dedupe_tag(draft.source)
                    if tag is not None and (tag in seen or self._has_dedupe(conn, tag)):
                        result.duplicates += 1
                        continue
                    if tag is not None:
                        seen.add(tag)
                    result.added.append("")
            return result
        with self._write_with_files() as (conn, stored), DeferredSync() as sync:
            logged_at = self._now_us()
            chunk: list[tuple[ContactDraft, PendingEntry]] = []

            def flush() -> None:
                # Entries of earlier chunks are already in this transaction, so the query
                # finds them too: only this chunk's tags are held (memory stays flat).
                known = self._known_dedupe(conn, [p.dedupe for _, p in chunk if p.dedupe])
                pendings: list[PendingEntry] = []
                for draft, pending in chunk:
                    if pending.dedupe is not None:
                        if pending.dedupe in known:
                            result.duplicates += 1
                            continue
                        known.add(pending.dedupe)
                    pendings.append(pending)
                    result.added.append(pending.id if keep_ids else "")
                    files = self._store_files(
                        pending.id, draft.attachments, logged_at, stored, sync
                    )
                    pendings.extend(files)
                    result.attachments += len(files)
                self._append(conn, pendings)
                chunk.clear()

            for draft in drafts:
                draft = self._prepare(draft, conn)
                chunk.append((draft, self._pending_for(draft, conn, logged_at)))
                if len(chunk) >= flush_every:
                    flush()
            flush()
            sync.finish()  # every blob durable under its name before the commit
        return result

    def _known_dedupe(self, conn: DbConn, tags: Sequence[str]) -> set[str]:
        """Which of these source fingerprints (keyed tags) the locker already holds."""
        known: set[str] = set()
        unique = sorted(set(tags))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            sql = f"SELECT dedupe FROM entry WHERE dedupe IN ({db.placeholders(len(part))})"
            known.update(row[0] for row in db.rows(conn, sql, part))
        return known

    def _has_dedupe(self, conn: DbConn, tag: str) -> bool:
        return bool(self._known_dedupe(conn, [tag]))

    def _append(self, conn: DbConn, pendings: Sequence[PendingEntry]) -> list[int]:
        """Append to the ledger and keep the search index in step, in one transaction."""
        seqs = self.ledger.append(conn, pendings)
        if seqs:
            self._index(conn, pendings, seqs)
        return seqs

    @property
    def tokenizer(self) -> Any:
        """Keyed, truncated tokens for the blind search index (one per unlocked locker)."""
        if self._tokenizer is None:
            from evidence_locker.search.index import Tokenizer

            self._tokenizer = Tokenizer(self.keyring.index_token)
        return self._tokenizer

    def _index(self, conn: DbConn, pendings: Sequence[PendingEntry], seqs: Sequence[int]) -> None:
        """Index record versions under their own seq, with their files' names.

        A file attached later adds its name's tokens to the record's latest version.
        One posting chunk per token for the whole call, keyed by its first seq.
        """
        from evidence_locker.search.index import posting_rows, searchable_fields, tokens_for

        batch_names: dict[str, list[str]] = defaultdict(list)
        versions_in_batch: set[str] = set()
        for p in pendings:
            if p.kind == "attachment" and p.target:
                batch_names[p.target].append(str(p.fields.get("name", "")))
            elif p.kind in RECORD_KINDS:
                versions_in_batch.add(p.record_id)
        entries: list[tuple[int, set[bytes]]] = []
        for p, seq in zip(pendings, seqs, strict=True):
            if p.kind in RECORD_KINDS:
                names = list(batch_names.get(p.record_id, ()))
                if p.kind == "correction":
                    names += self._attachment_names(conn, p.record_id)
                fields = searchable_fields(p.fields, names)
                entries.append((seq, tokens_for(fields, self.tokenizer)))
            elif p.kind == "attachment" and p.target and p.target not in versions_in_batch:
                latest = self._latest_version(conn, p.target)
                if latest is not None:
                    fields = {"attachments": str(p.fields.get("name", ""))}
                    entries.append((latest.seq, tokens_for(fields, self.tokenizer)))
        if entries:
            self._insert_tokens(conn, posting_rows(seqs[0], entries))

    @staticmethod
    def _insert_tokens(conn: DbConn, rows: list[tuple[bytes, int, bytes]]) -> None:
        """Insert posting chunks ``(token, chunk, seqs)`` through the driver's executemany.

        A plain INSERT: chunk keys are fresh sequence numbers, so a clash would be a bug
        that silently lost postings if it were ignored.
        """
        sql = "INSERT INTO search_posting (token, chunk, seqs) VALUES (?, ?, ?)"
        for start in range(0, len(rows), 20000):
            db.execute_many(conn, sql, rows[start : start + 20000])

    def _ensure_postings(self) -> None:
        """Rebuild the search index once if this locker predates chunked postings.

        Such a locker has only the per-entry ``search_token`` table. Every search and
        write calls this first (one query per Locker), so the rebuild, which needs
        SQLAlchemy for its DDL, runs in its own transaction before them.
        """
        if self._postings_ok:
            return
        with self._read() as conn:
            if db.dialect_of(conn) == "sqlite":
                sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
            else:
                sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
            ready = bool(db.value(conn, sql, ("search_posting",)))
        if not ready:
            self.rebuild_index()
        self._postings_ok = True

    def _attachment_names(self, conn: DbConn, record_id: str) -> list[str]:
        sql = "SELECT id FROM entry WHERE record_id = ? AND kind = 'attachment'"
        ids = [r.id for r in db.rows(conn, sql, (record_id,))]
        return [a.name for a in self._attachments(conn, ids)]

    def rebuild_index(self) -> int:
        """Drop and rebuild the search index from the ledger. Returns the entries indexed.

        Also the upgrade path from the per-entry ``search_token`` table, which it drops,
        and a compaction: a locker filled by many single ``log`` calls holds one chunk
        per entry and token; rebuilt, one chunk per token per ~1,000 entries.
        """
        from evidence_locker.search.index import posting_rows, searchable_fields, tokens_for
        from evidence_locker.store.tables import SearchPosting

        chunk_size = 1000
        count = 0
        with self._write_sa() as conn:
            SearchPosting.__table__.create(conn, checkfirst=True)
            conn.execute(SearchPosting.__table__.delete())
            conn.exec_driver_sql("DROP TABLE IF EXISTS search_token")
            names: dict[str, list[str]] = defaultdict(list)
            sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE kind = 'attachment' ORDER BY seq"
            for row in db.rows(conn, sql):
                if row.target:
                    names[row.target].append(self._decode_values(row).get("name", ""))
            entries: list[tuple[int, set[bytes]]] = []
            for row in self.ledger.rows(conn):
                if row.kind not in RECORD_KINDS:
                    continue
                values = self._decode_values(row)
                fields = searchable_fields(values, names.get(row.record_id, ()))
                entries.append((row.seq, tokens_for(fields, self.tokenizer)))
                count += 1
                if len(entries) >= chunk_size:
                    self._insert_tokens(conn, posting_rows(entries[0][0], entries))
                    entries = []
            if entries:
                self._insert_tokens(conn, posting_rows(entries[0][0], entries))
        self._postings_ok = True
        return count

    def correct(
        self,
        record_id: str,
        *,
        reason: str,
        changes: dict[str, Any],
    ) -> Record:
        """Append a new version of a record. ``changes`` maps field name to new value
        (``occurred_at``, ``channel``, ``direction``, ``case`` or any sensitive field;
        None clears a field). The original stays in the ledger."""
        if not reason or not reason.strip():
            raise UsageError("correct.reason_required")
        if not changes:
            raise UsageError("correct.nothing")
        history = self.get(record_id)
        if history.deleted:
            raise UsageError("correct.deleted", id=record_id[:8])
        latest = history.latest
        allowed = set(SENSITIVE_FIELDS) | {"occurred_at", "channel", "direction", "case"}
        unknown = set(changes) - allowed
        if unknown:
            raise UsageError("correct.unknown_field", field=", ".join(sorted(unknown)))
        draft = _draft_from_record(latest)
        updated = dict(changes)
        if "address" in updated:
            updated["address"] = normalise_address(updated["address"], self.region)
        if "tags" in updated and updated["tags"] is not None:
            updated["tags"] = tuple(updated["tags"])
        if "case" not in updated:
            updated["case"] = latest.case_id
        draft = replace(draft, **updated)
        with self._write() as conn:
            current = self._latest_version(conn, latest.record_id)
            if current is None or current.id != latest.id:
                raise UsageError("correct.concurrent", id=record_id[:8])
            case_id = self._resolve_case(conn, draft.case) if draft.case else None
            entry_id = new_id()
            fields = draft.sensitive_values()
            fields["reason"] = reason.strip()
            pending = PendingEntry(
                id=entry_id,
                kind="correction",
                target=latest.id,
                record_id=latest.record_id,
                logged_at=self._now_us(),
                fields=fields,
                channel=draft.channel.value,
                direction=draft.direction.value,
                occurred_at=micros(draft.occurred_at),
                offset=offset_minutes(draft.occurred_at),
                case_id=case_id,
            )
            self._append(conn, [pending])
        return self.get(entry_id).latest

    def delete(self, record_id: str, *, reason: str) -> str:
        """Append a tombstone. Returns the tombstone's id. The record stays in the ledger."""
        if not reason or not reason.strip():
            raise UsageError("delete.reason_required")
        history = self.get(record_id)
        if history.deleted:
            raise UsageError("delete.already", id=record_id[:8])
        entry_id = new_id()
        with self._write() as conn:
            pending = PendingEntry(
                id=entry_id,
                kind="tombstone",
                target=history.latest.record_id,
                record_id=history.latest.record_id,
                logged_at=self._now_us(),
                fields={"reason": reason.strip()},
            )
            self._append(conn, [pending])
        return entry_id

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
        name = (name or "").strip()
        if not name:
            raise UsageError("case.name_required")
        with self._write() as conn:
            if any(c.name == name for c in self._cases(conn).values()):
                raise UsageError("case.exists", name=name)
            fields = {
                k: v
                for k, v in {
                    "name": name,
                    "creditor": creditor,
                    "account": account,
                    "amount": amount,
                    "notes": notes,
                }.items()
                if v
            }
            case_id = new_id()
            pending = PendingEntry(
                id=case_id, kind="case", record_id=case_id, logged_at=self._now_us(), fields=fields
            )
            self._append(conn, [pending])
        self._case_cache = None
        return self.cases_by_id()[case_id]

    def _cases(self, conn: DbConn) -> dict[str, Case]:
        if self._case_cache is not None:
            return self._case_cache
        cases: dict[str, Case] = {}
        sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE kind = 'case' ORDER BY seq"
        for row in db.rows(conn, sql):
            d = self._decode(row)
            cases[row.id] = Case(
                id=row.id,
                name=d.value("name", ""),
                creditor=d.value("creditor"),
                account=d.value("account"),
                amount=d.value("amount"),
                notes=d.value("notes"),
                created_at=utc_from_micros(row.logged_at),
            )
        self._case_cache = cases
        return cases

    def cases_by_id(self) -> dict[str, Case]:
        with self._read() as conn:
            return self._cases(conn)

    def cases(self) -> list[Case]:
        return list(self.cases_by_id().values())

    def _resolve_case(self, conn: DbConn, name_or_id: str) -> str:
        cases = self._cases(conn)
        if name_or_id in cases:
            return name_or_id
        for case in cases.values():
            if case.name == name_or_id:
                return case.id
        matches = [c for c in cases if len(name_or_id) >= 4 and c.startswith(name_or_id)]
        if len(matches) == 1:
            return matches[0]
        raise NotFound("case.unknown", name=name_or_id, hint="hint.case_add")

    # -- reading -----------------------------------------------------------------------

    def _decode(self, row: Any) -> DecodedEntry:
        try:
            return self.ledger.decode(row)
        except crypto.DecryptionFailed:
            raise IntegrityError(
                "error.record_tampered", id=row.id[:8], seq=row.seq, hint="hint.verify"
            ) from None

    def _decode_values(self, row: Any) -> dict[str, Any]:
        try:
            return self.ledger.open_values(row)
        except crypto.DecryptionFailed:
            raise IntegrityError(
                "error.record_tampered", id=row.id[:8], seq=row.seq, hint="hint.verify"
            ) from None

    def resolve_id(self, prefix: str) -> str:
        """A full entry id from any unique prefix of at least 4 characters."""
        text = (prefix or "").strip().lower()
        if len(text) < 4 or not all(c in "0123456789abcdef" for c in text):
            raise NotFound("record.unknown", id=prefix, hint="hint.list")
        with self._read() as conn:
            # ids are lowercase hex (checked above): a range scan on the unique index
            sql = "SELECT id FROM entry WHERE id >= ? AND id < ? ORDER BY id LIMIT 2"
            found = [r.id for r in db.rows(conn, sql, (text, text + "g"))]
        if not found:
            raise NotFound("record.unknown", id=prefix, hint="hint.list")
        if len(found) > 1:
            raise UsageError("record.ambiguous", id=prefix)
        return found[0]

    @staticmethod
    def _latest_version(conn: DbConn, record_id: str) -> Any:
        """The (id, seq) of a record's newest version, or None for an unknown record."""
        sql = (
            "SELECT id, seq FROM entry WHERE record_id = ? AND kind IN ('record', 'correction')"
            " ORDER BY seq DESC LIMIT 1"
        )
        found = db.rows(conn, sql, (record_id,))
        return found[0] if found else None

    def get(self, id_or_prefix: str) -> RecordHistory:
        """A record with all its versions, whichever version's id (or prefix) is given."""
        entry_id = self.resolve_id(id_or_prefix)
        by_id = f"SELECT {ENTRY_SELECT} FROM entry WHERE id = ?"
        with self._read() as conn:
            row = db.rows(conn, by_id, (entry_id,))[0]
            if row.kind not in RECORD_KINDS:
                if row.kind in ("tombstone", "attachment") and row.target:
                    found = db.rows(conn, by_id, (row.record_id,))
                    row = found[0] if found else None
                if row is None or row.kind not in RECORD_KINDS:
                    raise NotFound("record.unknown", id=id_or_prefix, hint="hint.list")
            sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE record_id = ? ORDER BY seq"
            records = self._build(conn, db.rows(conn, sql, (row.record_id,)))
        versions = [r for r in records if r.record_id == row.record_id]
        latest = versions[-1]
        return RecordHistory(
            versions=versions,
            deleted=latest.deleted,
            delete_reason=latest.delete_reason,
            attachments=list(latest.attachments),
        )

    def _build(
        self,
        conn: DbConn,
        rows: Sequence[Any],
        decoded: dict[str, DecodedEntry] | None = None,
    ) -> list[Record]:
        """Turn record/correction rows into Records, resolving versions and tombstones.

        ``rows`` may contain any entries; tombstones, corrections and attachments of
        the same records are looked up so that each Record is complete.
        """
        version_rows = [r for r in rows if r.kind in RECORD_KINDS]
        if not version_rows:
            return []
        record_ids = sorted({r.record_id for r in version_rows})
        related: dict[str, list[Any]] = defaultdict(list)
        for chunk_start in range(0, len(record_ids), 500):
            chunk = record_ids[chunk_start : chunk_start + 500]
            # only the entries that change how a version reads (not the versions)
            sql = (
                "SELECT id, kind, target, record_id, seq FROM entry"
                f" WHERE record_id IN ({db.placeholders(len(chunk))})"
                " AND kind IN ('correction', 'tombstone', 'attachment') ORDER BY seq"
            )
            for item in db.rows(conn, sql, chunk):
                related[item.record_id].append(item)
        superseded_by: dict[str, str] = {}
        tombstones: dict[str, str] = {}
        attachment_ids: list[str] = []
        for items in related.values():
            for item in items:
                if item.kind == "correction" and item.target:
                    superseded_by[item.target] = item.id
                elif item.kind == "tombstone":
                    tombstones[item.record_id] = item.id
                elif item.kind == "attachment":
                    attachment_ids.append(item.id)
        reasons = self._decode_ids(conn, list(tombstones.values()))
        attachments = self._attachments(conn, attachment_ids)
        cases = self._cases(conn) if any(r.case_id for r in version_rows) else {}
        files: dict[str, list[AttachmentInfo]] = defaultdict(list)
        for a in attachments:
            files[a.record_id].append(a)
        covers = self.timestamps.covers(conn)
        out = []
        for row in version_rows:
            if decoded and row.id in decoded:
                values = decoded[row.id].values()
            else:
                values = self._decode_values(row)
            tomb = tombstones.get(row.record_id)
            out.append(
                self._record_from(
                    row,
                    values,
                    superseded_by=superseded_by.get(row.id),
                    deleted=tomb is not None,
                    delete_reason=reasons[tomb].value("reason") if tomb else None,
                    case=cases[row.case_id].name if row.case_id in cases else None,
                    attachments=tuple(files.get(row.record_id, ())),
                    **trusted_time(covers, row.seq),
                )
            )
        return out

    def _decode_ids(self, conn: DbConn, ids: Sequence[str]) -> dict[str, DecodedEntry]:
        out: dict[str, DecodedEntry] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE id IN ({db.placeholders(len(chunk))})"
            for row in db.rows(conn, sql, chunk):
                out[row.id] = self._decode(row)
        return out

    def _attachments(self, conn: DbConn, ids: Sequence[str]) -> list[AttachmentInfo]:
        decoded = self._decode_ids(conn, ids)
        out = []
        for entry_id, d in sorted(decoded.items(), key=lambda kv: kv[1].seq):
            out.append(
                AttachmentInfo(
                    id=entry_id,
                    record_id=d.header["record_id"],
                    name=d.value("name", ""),
                    mime=d.value("mime"),
                    size=int(d.value("size", 0)),
                    sha256=d.value("sha256", ""),
                    caption=d.value("caption"),
                    added_at=utc_from_micros(d.header["logged_at"]),
                    metadata=d.value("metadata", {}) or {},
                    leaf_hash=d.leaf.hex(),
                )
            )
        return out

    @staticmethod
    def _record_from(row: Any, v: dict[str, Any], **extra: Any) -> Record:
        return Record(
            id=row.id,
            record_id=row.id if row.record_id == row.id else row.record_id,
            seq=row.seq,
            channel=Channel(row.channel),
            direction=Direction(row.direction),
            occurred_at=with_offset(row.occurred_at, row.offset),
            logged_at=utc_from_micros(row.logged_at),
            counterpart=shared(v.get("counterpart")),
            organisation=shared(v.get("organisation")),
            address=shared(v.get("address")),
            subject=v.get("subject"),
            content=v.get("content"),
            location=v.get("location"),
            people_present=v.get("people_present"),
            notes=v.get("notes"),
            tags=tuple(v.get("tags") or ()),
            app=v.get("app"),
            duration_s=v.get("duration_s"),
            outcome=Outcome(v["outcome"]) if v.get("outcome") else None,
            third_party=v.get("third_party"),
            event=Event(v["event"]) if v.get("event") else None,
            case_id=row.case_id,
            source=Source.from_json(v.get("source")),
            corrects=row.target if row.kind == "correction" else None,
            correction_reason=v.get("reason") if row.kind == "correction" else None,
            leaf_hash=row.leaf.hex(),
            time_known=v.get("time_known", True) is not False,
            **extra,
        )

    def records(self, flt: RecordFilter | None = None) -> list[Record]:
        """Records matching the filter, in the order they happened (oldest first)."""
        return list(self.iter_records(flt))

    def _record_rows_sql(
        self, conn: DbConn, flt: RecordFilter, columns: str | None = None
    ) -> tuple[str, list[Any]]:
        """SELECT of record versions (or of ``columns``) matching the clear-column
        filters, and its parameters; callers add ``AND ...`` and ``ORDER BY``."""
        _check_range(flt)
        # With ``columns``, an expression rather than the bare column: keeps SQLite from
        # choosing the kind index, so it walks ix_entry_time_seq in order and can stop
        # early.
        kind = "kind || ''" if columns else "kind"
        where = [f"{kind} IN ('record', 'correction')"]
        params: list[Any] = []
        for column, values in (
            ("channel", [c.value for c in flt.channels]),
            ("direction", [d.value for d in flt.directions]),
        ):
            if values:
                where.append(f"{column} IN ({db.placeholders(len(values))})")
                params += values
        if flt.since:
            where.append("occurred_at >= ?")
            params.append(micros(flt.since))
        if flt.until:
            where.append("occurred_at <= ?")
            params.append(micros(flt.until))
        if flt.case:
            where.append("case_id = ?")
            params.append(self._resolve_case(conn, flt.case))
        if not flt.all_versions:
            where.append(
                "id NOT IN (SELECT target FROM entry"
                " WHERE kind = 'correction' AND target IS NOT NULL)"
            )
        if not flt.include_deleted:
            where.append("record_id NOT IN (SELECT record_id FROM entry WHERE kind = 'tombstone')")
        if flt.has_attachment is not None:
            op = "IN" if flt.has_attachment else "NOT IN"
            where.append(f"record_id {op} (SELECT record_id FROM entry WHERE kind = 'attachment')")
        sql = f"SELECT {columns or ENTRY_SELECT} FROM entry WHERE " + " AND ".join(where)
        return sql, params

    def iter_records(self, flt: RecordFilter | None = None, batch: int = 2000) -> Iterator[Record]:
        """Records in the order they happened, read ``batch`` rows at a time.

        The order comes from the covering time index (sequence numbers only); the
        rows, with their sealed blobs, are fetched and decrypted one batch at a time,
        so memory does not hold every ciphertext of a large locker at once.
        """
        flt = flt or RecordFilter()
        text_ok = text_filter(flt)
        with self._read() as conn:
            sql, params = self._record_rows_sql(conn, flt, "seq")
            seqs = [r.seq for r in db.rows(conn, sql + " ORDER BY occurred_at, seq", params)]
            for start in range(0, len(seqs), batch):
                chunk = seqs[start : start + batch]
                rows = {r.seq: r for r in _entries_by_seq(conn, chunk)}
                for r in self._build(conn, [rows[seq] for seq in chunk]):
                    if text_ok is None or text_ok(r.organisation, r.counterpart, r.address):
                        yield r

    # Search: at most this many index candidates are fetched by key and sorted by time
    # for one page; with more, walking the time index newest first fills a page sooner.
    _KEYED_PLAN_MAX = 2000

    class _OpenedValues:
        """Decrypted field values in the shape :meth:`_build` takes (``.values()``)."""

        __slots__ = ("_values",)

        def __init__(self, values: dict[str, Any]):
            self._values = values

        def values(self) -> dict[str, Any]:
            return self._values

    def search(
        self, text: str, flt: RecordFilter | None = None, *, limit: int | None = 50
    ) -> list[SearchHit]:
        """Records whose searched fields contain every term of ``text``, newest first.

        The blind index narrows the candidates; each is then decrypted and matched
        exactly (so the index's truncated tokens cause no false hits), and the spans
        that matched are returned for highlighting. Two plans (docs/search.md): few
        candidates, or every hit wanted, are looked up by key and sorted by time; many
        candidates and one page wanted, the time index is walked newest first and each
        entry tested against the candidate set, stopping once the page is full. After
        :meth:`keep_decrypted`, the records held in memory answer instead (the same
        results, faster when searching many times).
        """
        from evidence_locker.search.index import candidate_seqs
        from evidence_locker.search.query import parse_query

        query = parse_query(text)
        flt = flt or RecordFilter()
        _check_range(flt)  # here too: the decrypted view never builds the SQL
        if self._view is not None:
            return self._search_view(query, flt, limit)
        self._ensure_postings()
        hits: list[SearchHit] = []
        with self._read() as conn:
            candidates = candidate_seqs(conn, query, self.tokenizer)
            if candidates is not None and not candidates:
                return hits
            keyed = candidates is not None and len(candidates) <= self._KEYED_PLAN_MAX
            if candidates is not None and limit is None and not keyed:
                # every hit wanted: by key unless the candidates are so many (an eighth
                # of the log) that walking the time index costs less than the lookups
                last = db.value(conn, "SELECT max(seq) FROM entry") or 0
                keyed = len(candidates) * 8 <= last + 1
            if candidates is not None and keyed:
                # few candidates: look them up by key and order them here, rather
                # than walk the whole time index
                wanted = sorted(candidates)
                pairs: list[Any] = []
                sql, params = self._record_rows_sql(conn, flt, "seq, occurred_at")
                for i in range(0, len(wanted), 900):
                    part = wanted[i : i + 900]
                    in_part = f" AND seq IN ({db.placeholders(len(part))})"
                    pairs += db.rows(conn, sql + in_part, [*params, *part])
                pairs.sort(key=lambda p: (p[1], p[0]), reverse=True)
                ordered: Iterable[int] = (p[0] for p in pairs)
                self._search_hits(conn, query, flt, ordered, limit, hits)
                return hits
            sql, params = self._record_rows_sql(conn, flt, "seq")
            sql += " ORDER BY occurred_at DESC, seq DESC"
            # streamed: reading stops early when the page is full
            with contextlib.closing(db.stream(conn, sql, params)) as stream:
                walked: Iterable[int] = (r.seq for r in stream)
                if candidates is not None:
                    walked = (s for s in walked if s in candidates)
                self._search_hits(conn, query, flt, walked, limit, hits)
        return hits

    def _search_hits(
        self,
        conn: DbConn,
        query: Any,
        flt: RecordFilter,
        seqs: Iterable[int],
        limit: int | None,
        hits: list[SearchHit],
    ) -> None:
        """Decrypt and confirm ``seqs`` (newest first) batch by batch, appending hits.

        Only field values are opened (no salts), the filters and the match are checked
        on them, and Records are built only for the entries that matched. The first
        batch is about one page: index candidates nearly all match.
        """
        from itertools import islice

        from evidence_locker.search.index import confirm_text, normalized_text, searchable_fields

        with_files: set[str] | None = None
        text_ok = text_filter(flt)
        step = max(limit or 0, 16) + 8
        it = iter(seqs)
        while True:
            batch = list(islice(it, step))
            if not batch:
                return
            step = min(step * 2, 2000)
            rows = {r.seq: r for r in _entries_by_seq(conn, batch)}
            matched: list[tuple[Any, dict[str, str]]] = []
            opened: dict[str, Any] = {}
            for seq in batch:
                row = rows[seq]
                values = self._decode_values(row)
                if text_ok and not text_ok(
                    values.get("organisation"), values.get("counterpart"), values.get("address")
                ):
                    continue
                fields = searchable_fields(values)
                found = confirm_text(query, normalized_text(fields))
                if not found:
                    if with_files is None:
                        sql = "SELECT record_id FROM entry WHERE kind = 'attachment'"
                        with_files = {r.record_id for r in db.rows(conn, sql)}
                    if row.record_id in with_files:
                        names = self._attachment_names(conn, row.record_id)
                        fields = searchable_fields(values, names)
                        found = confirm_text(query, normalized_text(fields))
                if found:
                    matched.append((row, fields))
                    opened[row.id] = self._OpenedValues(values)
                    if limit is not None and len(hits) + len(matched) >= limit:
                        break
            if matched:
                built = self._build(conn, [m[0] for m in matched], opened)
                records = {r.id: r for r in built}
                hits.extend(SearchHit(records[row.id], query, fields) for row, fields in matched)
            if limit is not None and len(hits) >= limit:
                return

    # -- the decrypted view (search/memory.py) -------------------------------------------

    def keep_decrypted(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Decrypt every record version into memory; later searches scan it.

        For a process that searches many times (``search --interactive``, a script, a
        service): a query then costs a scan of text in memory rather than opening its
        candidates. Until :meth:`forget_decrypted` or :meth:`close`, the plaintext
        stays in this process's memory (never on disk; docs/threat-model.md). Writes by
        this or any other process are picked up at the next search. ``progress`` is
        called with (done, total) as versions are decrypted. Returns how many.
        """
        from evidence_locker.search.memory import DecryptedView

        self._ensure_postings()  # view searches use the index for rare terms
        view = DecryptedView()
        records: list[Record] = []
        with self._read() as conn:
            last = int(db.value(conn, "SELECT max(seq) FROM entry") or 0)
            sql = "SELECT seq FROM entry WHERE kind IN ('record', 'correction') ORDER BY seq"
            seqs = [r.seq for r in db.rows(conn, sql)]
            for start in range(0, len(seqs), 2000):
                chunk = seqs[start : start + 2000]
                records += self._build(conn, _entries_by_seq(conn, chunk))
                if progress:
                    progress(len(records), len(seqs))
        view.replace((), records)
        view.last_seq = last
        self.forget_decrypted()
        self._view = view
        return len(view)

    def forget_decrypted(self) -> None:
        """Drop the decrypted view (if any): searches go back to the blind index."""
        self._view = None
        if self._view_conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._view_conn.close()
            self._view_conn = None

    @contextlib.contextmanager
    def _view_read(self) -> Iterator[Any]:
        """A read transaction for view searches, on a connection kept open with the
        view: opening one costs more (0.4 ms) than a whole search in memory."""
        thread = threading.get_ident()
        if self._view_conn is None and self._db.path is not None:
            self._view_conn = self._db.driver()
            self._view_thread = thread
        conn = self._view_conn
        if conn is None or thread != self._view_thread:
            with self._read() as other:
                yield other
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")

    def _refresh_view(self, conn: DbConn, view: DecryptedView) -> None:
        """Bring the view up to the ledger's last entry: rebuild the records that the
        entries after ``view.last_seq`` add, correct, delete or attach files to."""
        last = int(db.value(conn, "SELECT max(seq) FROM entry") or 0)
        if last == view.last_seq:
            return
        newer = db.rows(
            conn,
            "SELECT kind, record_id FROM entry WHERE seq > ? AND seq <= ?",
            (view.last_seq, last),
        )
        if any(r.kind == "case" for r in newer):
            self._case_cache = None  # records of a new case show its name
        touched = sorted({r.record_id for r in newer if r.kind in VIEW_KINDS})
        rows: list[Any] = []
        for start in range(0, len(touched), 500):
            chunk = touched[start : start + 500]
            sql = (
                f"SELECT {ENTRY_SELECT} FROM entry WHERE kind IN ('record', 'correction')"
                f" AND record_id IN ({db.placeholders(len(chunk))}) AND seq <= ?"
            )
            rows += db.rows(conn, sql, [*chunk, last])
        view.replace(touched, self._build(conn, rows))
        view.last_seq = last

    def _search_view(self, query: Any, flt: RecordFilter, limit: int | None) -> list[SearchHit]:
        view = self._view
        assert view is not None
        from evidence_locker.search.index import candidate_seqs

        with self._view_lock, self._view_read() as conn:
            self._refresh_view(conn, view)
            case_id = self._resolve_case(conn, flt.case) if flt.case else None
            # The blind index when its list is short, else a scan of memory. A scan
            # for a page reads about limit * n / count items, the index about count
            # entries, at a similar cost each (docs/search.md has the measurements).
            n = view.count_in_range(flt)
            at_most = n // 4 if limit is None else math.isqrt(limit * n)
            candidates = candidate_seqs(conn, query, self.tokenizer, at_most=at_most)
            found = view.search(query.texts, flt, case_id, limit, candidates)
        return [SearchHit(r, query) for r in found]

    def count(self) -> int:
        with self._read() as conn:
            return int(db.value(conn, "SELECT count(*) FROM entry"))

    # -- attachments -------------------------------------------------------------------

    @property
    def blobs(self) -> BlobStore:
        if self._blobs is None:
            if self.path is None:
                raise UsageError("attach.no_directory")
            self._blobs = BlobStore(self.path / BLOB_DIR)
        return self._blobs

    def _store_files(
        self,
        record_id: str,
        files: Sequence[AttachmentDraft],
        logged_at: int,
        stored: list[str],
        sync: DeferredSync | None = None,
    ) -> list[PendingEntry]:
        """Encrypt each file into the blob store; return their ledger entries.

        The blob id is the attachment entry's id, which the stream cipher binds into
        the blob's key: a blob moved under another attachment's name fails. With
        ``sync`` (an import) the fsyncs run on its worker thread and the caller
        calls ``sync.finish()`` before committing.
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
                source, key=self.keyring.attachment_key, blob_id=entry_id, sync=sync
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
        return out

    @contextlib.contextmanager
    def _write_with_files(self) -> Iterator[tuple[Any, list[str]]]:
        """A write transaction that may also store attachment blobs, all or nothing.

        Blobs are written (and fsynced) before the commit; the caller appends each
        stored blob id to the list, and if the transaction fails they are deleted.
        """
        stored: list[str] = []
        try:
            with self._write() as conn:
                yield conn, stored
        except BaseException:
            self._discard_blobs(stored)
            raise

    def _discard_blobs(self, blob_ids: Sequence[str]) -> None:
        for blob_id in blob_ids:
            with contextlib.suppress(OSError):
                self.blobs.delete(blob_id)

    def attach(
        self,
        record_id: str,
        path: str | os.PathLike[str],
        *,
        caption: str | None = None,
        name: str | None = None,
    ) -> AttachmentInfo:
        """Attach a file to an existing record: a new ledger leaf with its SHA-256."""
        history = self.get(record_id)
        if history.deleted:
            raise UsageError("attach.deleted", id=record_id[:8])
        file_path = Path(path)
        if not file_path.is_file():
            raise NotFound("file.missing", path=str(file_path))
        draft = AttachmentDraft(name=name or file_path.name, path=str(file_path), caption=caption)
        with self._write_with_files() as (conn, stored):
            entries = self._store_files(history.latest.record_id, [draft], self._now_us(), stored)
            self._append(conn, entries)
        return next(a for a in self.get(record_id).attachments if a.id == entries[0].id)

    def attachment(self, attachment_id: str) -> AttachmentInfo:
        entry_id = self.resolve_id(attachment_id)
        with self._read() as conn:
            found = self._attachments(conn, [entry_id])
        if not found:
            raise NotFound("attach.unknown", id=attachment_id)
        return found[0]

    def read_attachment(self, info: AttachmentInfo, *, limit: int = 64 * 1024 * 1024) -> bytes:
        """The decrypted bytes of a (small) attachment, e.g. an image for the dossier."""
        if info.size > limit:
            raise UsageError("attach.too_large", name=info.name, size=info.size)
        with self.blobs.reader(info.id, key=self.keyring.attachment_key) as reader:
            data = reader.read()
        if crypto.sha256_hex(data) != info.sha256:
            raise IntegrityError("attachments.hash_mismatch", id=info.id[:8], reason="hash")
        return data

    def extract(
        self, id_or_prefix: str, to_dir: str | os.PathLike[str], *, force: bool = False
    ) -> list[Path]:
        """Decrypt a record's files (or one attachment) into ``to_dir``, byte-identical."""
        entry_id = self.resolve_id(id_or_prefix)
        with self._read() as conn:
            kind = db.value(conn, "SELECT kind FROM entry WHERE id = ?", (entry_id,))
        infos = (
            [self.attachment(entry_id)] if kind == "attachment" else self.get(entry_id).attachments
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
                key=self.keyring.attachment_key,
                force=force,
                expected_sha256=info.sha256,
            )
            out.append(dest)
        return out

    def verify_blobs(self) -> list[tuple[AttachmentInfo, str]]:
        """Decrypt every attachment and compare its SHA-256 with the ledger."""
        problems: list[tuple[AttachmentInfo, str]] = []
        with self._read() as conn:
            ids = [r.id for r in db.rows(conn, "SELECT id FROM entry WHERE kind = 'attachment'")]
            infos = self._attachments(conn, ids)
        if not infos:
            return problems
        from evidence_locker.errors import LockerError

        for info in infos:
            try:
                stats = self.blobs.verify(info.id, key=self.keyring.attachment_key)
            except LockerError as exc:
                problems.append((info, exc.key))
                continue
            if stats.sha256_hex != info.sha256 or stats.size != info.size:
                problems.append((info, "attachments.hash_mismatch"))
        return problems

    # -- rules -------------------------------------------------------------------------

    def check(
        self,
        flt: RecordFilter | None = None,
        *,
        rule_sets: Any,
        tz: Any,
        official_numbers: Any = None,
        include_unverified: bool = True,
    ) -> list[Any]:
        """Possible misconduct, worst first (``evidence_locker.rules.Flag`` objects).

        The rules always judge the whole locker (latest versions, deleted records out):
        a cease letter or the calls of a rolling window before ``--since`` still count.
        The selection only decides which flags are returned: those naming a selected
        record.
        """
        from evidence_locker.rules import check, live_records

        flt = flt or RecordFilter()
        everything = live_records(self.records())
        flags = check(
            everything,
            rule_sets,
            tz=tz,
            official_numbers=official_numbers,
            include_unverified=include_unverified,
        )
        if flt != RecordFilter():
            wanted = {r.record_id for r in self.records(flt)}
            flags = [f for f in flags if not wanted.isdisjoint(f.records)]
        return flags

    # -- dossier -----------------------------------------------------------------------

    def export_dossier(
        self,
        flt: RecordFilter | None = None,
        *,
        trusted_time: bool = True,
        on_problem: Callable[[LockerError], None] | None = None,
        **options: Any,
    ) -> bytes:
        """A signed, verifiable PDF dossier of the selected records (see :mod:`dossier`).

        With ``trusted_time`` and a TSA configured (network): the tree head is stamped
        first, so the dossier's own head carries a token, and the signed PDF gets a
        document time-stamp. A TSA that fails does not stop the export:
        ``on_problem`` hears of it.
        """
        from evidence_locker.report.export import export_dossier

        if trusted_time:
            self.timestamps.before_export(on_problem)
        pdf = export_dossier(self, flt or RecordFilter(), **options)
        if trusted_time:
            pdf = self.timestamps.timestamp_document(pdf, on_problem)
        return pdf

    # -- integrity ---------------------------------------------------------------------

    def verify(self, *, stop_at_first: bool = False) -> VerifyReport:
        """Recompute the ledger and check the signed head; then every time-stamp
        (``report.stamps``), once the ledger itself is sound."""
        with self._read() as conn:
            report = self.ledger.verify(conn, stop_at_first=stop_at_first)
            if report.ok:
                report.stamps = self.timestamps.verify(conn, self.ledger.leaves(conn))
            return report

    # -- trusted time (locker/timestamps.py) ------------------------------------------

    @property
    def timestamps(self) -> Timestamps:
        if self._timestamps is None:
            self._timestamps = Timestamps(self)
        return self._timestamps

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

    def head(self) -> str:
        """The current signed tree head (a C2SP signed note)."""
        with self._read() as conn:
            return self.ledger.head_note(conn)

    @property
    def public_key(self) -> bytes:
        return self.keyring.signer.public_key

    # -- keys --------------------------------------------------------------------------

    def change_passphrase(self, new_passphrase: str) -> None:
        """Rewrap the master key under a new passphrase: one row, one transaction.

        Nothing is re-encrypted, and the old passphrase works until the commit.
        """
        if not new_passphrase:
            raise UsageError("init.empty_passphrase")
        with self._write() as conn:
            self._write_keyslots(
                conn, self.keyring.master, self.locker_id, self._now_us(), new_passphrase, None
            )

    def new_recovery_key(self) -> str:
        """Replace the recovery key (the old one stops working). Shown once."""
        key = crypto.new_recovery_key()
        with self._write() as conn:
            self._write_keyslots(
                conn, self.keyring.master, self.locker_id, self._now_us(), None, key
            )
        return key

    # -- merging a backup (evidence_locker/care/backup.py) ----------------------------

    def entry_ids(self) -> set[str]:
        """Every entry id in the ledger (a merge adds only the ones missing here)."""
        with self._read() as conn:
            return {r.id for r in db.rows(conn, "SELECT id FROM entry")}

    def merge_entries(self, pendings: Sequence[PendingEntry]) -> list[PendingEntry]:
        """Append entries that came from a backup of this locker, in one transaction.

        They keep their ids (so what references them still works) and get new sequence
        numbers. Ids already present are skipped inside the transaction, so two merges
        of the same backup at once cannot add anything twice. Returns what was added.
        """
        with self._write() as conn:
            ids = [p.id for p in pendings]
            present: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                sql = f"SELECT id FROM entry WHERE id IN ({db.placeholders(len(chunk))})"
                present.update(r.id for r in db.rows(conn, sql, chunk))
            todo = [p for p in pendings if p.id not in present]
            if todo and todo[-1].kind == "merge" and len(todo) == 1:
                todo = []  # nothing new: do not record an empty merge
            self._append(conn, todo)
        self._case_cache = None
        return todo


def _check_range(flt: RecordFilter) -> None:
    if flt.since and flt.until and flt.since > flt.until:
        raise UsageError("filter.bad_range")


def _entries_by_seq(conn: DbConn, seqs: Sequence[int]) -> list[Any]:
    """The entry rows of ``seqs`` (at most a few thousand: one statement), any order."""
    sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE seq IN ({db.placeholders(len(seqs))})"
    return db.rows(conn, sql, seqs)


def _draft_from_record(record: Record) -> ContactDraft:
    return ContactDraft(
        channel=record.channel,
        occurred_at=record.occurred_at,
        direction=record.direction,
        counterpart=record.counterpart,
        organisation=record.organisation,
        address=record.address,
        subject=record.subject,
        content=record.content,
        location=record.location,
        people_present=record.people_present,
        notes=record.notes,
        tags=record.tags,
        app=record.app,
        duration_s=record.duration_s,
        outcome=record.outcome,
        third_party=record.third_party,
        event=record.event,
        case=record.case_id,
        source=record.source,
        time_known=record.time_known,
    )


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


def _storage_error(exc: Exception, locker: Locker) -> Exception:
    message = db.error_text(exc)
    if "locked" in message or "busy" in message:
        return StorageError("storage.busy", path=str(locker.path))
    if "full" in message or "disk" in message:
        return StorageError("storage.full", path=str(locker.path), detail=message)
    return StorageError("storage.write", path=str(locker.path), detail=message)
