"""Writing: every change to a locker is entries appended to its ledger, one transaction each.

A contact is checked and normalised (:meth:`Writer.prepare`), becomes a pending
entry, and is appended with its files; a correction is a new version pointing at the
old one; a deletion is a tombstone. Nothing is updated in place. Imports write many
contacts in one transaction, skipping those whose source fingerprint is already in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import UsageError
from evidence_locker.ledger.log import ENTRY_SELECT, PendingEntry
from evidence_locker.locker.attachments import Attachments
from evidence_locker.locker.cases import Cases
from evidence_locker.locker.records import Reader
from evidence_locker.locker.session import Session, new_id
from evidence_locker.model import (
    SENSITIVE_FIELDS,
    Channel,
    ContactDraft,
    Record,
    Source,
    micros,
    offset_minutes,
)
from evidence_locker.parsing.phones import normalise_address
from evidence_locker.store import database as db
from evidence_locker.store.blobs import DeferredSync

if TYPE_CHECKING:
    from evidence_locker.store.database import DbConn


# Told of each draft a batch adds (or, dry, would add): the import's preview.
OnAdded = Callable[[ContactDraft], None]


@dataclass
class BatchResult:
    """What :meth:`Locker.log_batch` did: ids of the records added, in order."""

    added: list[str] = field(default_factory=list)
    duplicates: int = 0
    attachments: int = 0


class Writer:
    def __init__(self, session: Session, cases: Cases, reader: Reader, files: Attachments):
        self.session = session
        self.cases = cases
        self.reader = reader
        self.files = files

    # -- one contact -------------------------------------------------------------------

    def prepare(self, draft: ContactDraft, conn: DbConn) -> ContactDraft:
        if draft.occurred_at.tzinfo is None:
            raise UsageError("time.naive")
        if not isinstance(draft.channel, Channel):
            raise UsageError("log.bad_channel", value=str(draft.channel))
        address = normalise_address(draft.address, self.session.region)
        if address == draft.address:
            return draft  # importers hand over normalised numbers: no copy needed
        return replace(draft, address=address)

    def _dedupe_tag(self, source: Source | None) -> str | None:
        if source is None or not source.fingerprint:
            return None
        return self.session.ledger.dedupe_tag(source.fingerprint)

    def _pending_for(self, draft: ContactDraft, conn: DbConn, logged_at: int) -> PendingEntry:
        case_id = self.cases.resolve(conn, draft.case) if draft.case else None
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
        readings = self.files.read_new(draft.attachments)  # slow: before the transaction
        with self.files.write_with_files() as (conn, stored):
            draft = self.prepare(draft, conn)
            logged_at = self.session.now_us()
            pending = self._pending_for(draft, conn, logged_at)
            files = self.files.store(
                pending.id, draft.attachments, logged_at, stored, readings=readings
            )
            seqs = self.session.append(conn, [pending, *files])
            # read back from the row written, built as every read builds records
            sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE seq = ?"
            return self.reader.build(conn, db.rows(conn, sql, (seqs[0],)))[0]

    # -- many contacts -----------------------------------------------------------------

    def log_batch(
        self,
        drafts: Iterable[ContactDraft],
        dry_run: bool,
        flush_every: int,
        keep_ids: bool,
        on_added: OnAdded | None,
    ) -> BatchResult:
        """Store many contacts in ONE transaction, skipping ones already imported.

        A draft whose source fingerprint is already in the locker (or earlier in the
        batch) is a duplicate: importing the same file twice adds nothing. Entries are
        written in chunks of ``flush_every`` inside the transaction, so memory stays
        flat for a 100k-message backup; if ``drafts`` raises half-way, everything is
        rolled back. ``dry_run`` counts what would be added and writes nothing.
        ``keep_ids=False`` puts ``""`` in ``added`` for each record instead of its id
        (as ``dry_run`` does): 100k ids would hold ~10 MB for the whole import.
        ``on_added`` is called with each draft that is (or, dry, would be) added: what
        ``import --dry-run`` lists.
        """
        if dry_run:
            return self._count_batch(drafts, on_added)
        result = BatchResult()
        with self.files.write_with_files() as (conn, stored), DeferredSync() as sync:
            logged_at = self.session.now_us()
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
                    if on_added is not None:
                        on_added(draft)
                    files = self.files.store(pending.id, draft.attachments, logged_at, stored, sync)
                    pendings.extend(files)
                    result.attachments += len(files)
                self.session.append(conn, pendings)
                chunk.clear()

            for draft in drafts:
                draft = self.prepare(draft, conn)
                chunk.append((draft, self._pending_for(draft, conn, logged_at)))
                if len(chunk) >= flush_every:
                    flush()
            flush()
            sync.finish()  # every blob durable under its name before the commit
        return result

    def _count_batch(
        self,
        drafts: Iterable[ContactDraft],
        on_added: Callable[[ContactDraft], None] | None = None,
    ) -> BatchResult:
        """What :meth:`log_batch` would add, read in one transaction, nothing written."""
        result = BatchResult()
        seen: set[str] = set()
        with self.session.read() as conn:
            for draft in drafts:
                draft = self.prepare(draft, conn)
                if draft.case:
                    self.cases.resolve(conn, draft.case)
                tag = self._dedupe_tag(draft.source)
                if tag is not None and (tag in seen or self._known_dedupe(conn, [tag])):
                    result.duplicates += 1
                    continue
                if tag is not None:
                    seen.add(tag)
                result.added.append("")
                if on_added is not None:
                    on_added(draft)
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

    # -- changing what was written -----------------------------------------------------

    def correct(self, record_id: str, *, reason: str, changes: dict[str, Any]) -> Record:
        """Append a new version of a record. ``changes`` maps field name to new value
        (``occurred_at``, ``channel``, ``direction``, ``case`` or any sensitive field;
        None clears a field). The original stays in the ledger."""
        if not reason or not reason.strip():
            raise UsageError("correct.reason_required")
        if not changes:
            raise UsageError("correct.nothing")
        history = self.reader.get(record_id)
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
            updated["address"] = normalise_address(updated["address"], self.session.region)
        if "tags" in updated and updated["tags"] is not None:
            updated["tags"] = tuple(updated["tags"])
        if "case" not in updated:
            updated["case"] = latest.case_id
        draft = replace(draft, **updated)
        with self.session.write() as conn:
            current = self.reader.latest_version(conn, latest.record_id)
            if current is None or current.id != latest.id:
                raise UsageError("correct.concurrent", id=record_id[:8])
            case_id = self.cases.resolve(conn, draft.case) if draft.case else None
            entry_id = new_id()
            fields = draft.sensitive_values()
            fields["reason"] = reason.strip()
            pending = PendingEntry(
                id=entry_id,
                kind="correction",
                target=latest.id,
                record_id=latest.record_id,
                logged_at=self.session.now_us(),
                fields=fields,
                channel=draft.channel.value,
                direction=draft.direction.value,
                occurred_at=micros(draft.occurred_at),
                offset=offset_minutes(draft.occurred_at),
                case_id=case_id,
            )
            self.session.append(conn, [pending])
        return self.reader.get(entry_id).latest

    def delete(self, record_id: str, *, reason: str) -> str:
        """Append a tombstone. Returns the tombstone's id. The record stays in the ledger."""
        if not reason or not reason.strip():
            raise UsageError("delete.reason_required")
        history = self.reader.get(record_id)
        if history.deleted:
            raise UsageError("delete.already", id=record_id[:8])
        entry_id = new_id()
        with self.session.write() as conn:
            pending = PendingEntry(
                id=entry_id,
                kind="tombstone",
                target=history.latest.record_id,
                record_id=history.latest.record_id,
                logged_at=self.session.now_us(),
                fields={"reason": reason.strip()},
            )
            self.session.append(conn, [pending])
        return entry_id

    def merge(self, pendings: Sequence[PendingEntry]) -> list[PendingEntry]:
        """Append entries that came from a backup of this locker, in one transaction.

        They keep their ids (so what references them still works) and get new sequence
        numbers. Ids already present are skipped inside the transaction, so two merges
        of the same backup at once cannot add anything twice. Returns what was added.
        """
        with self.session.write() as conn:
            ids = [p.id for p in pendings]
            present: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                sql = f"SELECT id FROM entry WHERE id IN ({db.placeholders(len(chunk))})"
                present.update(r.id for r in db.rows(conn, sql, chunk))
            todo = [p for p in pendings if p.id not in present]
            if todo and todo[-1].kind == "merge" and len(todo) == 1:
                todo = []  # nothing new: do not record an empty merge
            self.session.append(conn, todo)
        self.cases.forget()
        return todo


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
