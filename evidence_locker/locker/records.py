"""Reading records: ledger entries back into Records, with their versions, tombstones, files.

Every read builds Records the same way (:meth:`Reader.build`): a version row plus the
entries that change how it reads (a later correction, a tombstone, attached files)
and the name of its case. Filters on clear columns become SQL; filters on encrypted
values are tested after decryption.
"""

from __future__ import annotations

import contextlib
import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import NotFound, UsageError
from evidence_locker.ledger.log import ENTRY_SELECT, RECORD_KINDS, DecodedEntry, VerifyReport
from evidence_locker.locker.cases import Cases
from evidence_locker.locker.reading import latest_readings, texts_of
from evidence_locker.locker.session import Session
from evidence_locker.locker.timestamps import Timestamps, trusted_time
from evidence_locker.model import (
    AttachmentInfo,
    Channel,
    Direction,
    Event,
    Outcome,
    Record,
    RecordFilter,
    Source,
    check_range,
    micros,
    shared,
    slot_constructor,
    text_filter,
    utc_from_micros,
    with_offset,
)
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from datetime import datetime

    from evidence_locker.store.database import DbConn


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


class Reader:
    def __init__(self, session: Session, cases: Cases, timestamps: Timestamps):
        self.session = session
        self.cases = cases
        self.timestamps = timestamps

    # the reading half of the session, so that search/ can take a Reader alone
    def read(self) -> Any:
        return self.session.read()

    def decode_values(self, row: Any) -> dict[str, Any]:
        return self.session.decode_values(row)

    def resolve_case(self, conn: DbConn, name_or_id: str) -> str:
        return self.cases.resolve(conn, name_or_id)

    def forget_cases(self) -> None:
        self.cases.forget()

    # -- ids ---------------------------------------------------------------------------

    def resolve_id(self, prefix: str) -> str:
        """A full entry id from any unique prefix of at least 4 characters."""
        text = (prefix or "").strip().lower()
        if len(text) < 4:  # "no record" would send the user looking for one that exists
            raise UsageError("record.short_id", id=prefix, hint="hint.list")
        if not all(c in "0123456789abcdef" for c in text):
            raise NotFound("record.unknown", id=prefix, hint="hint.list")
        with self.read() as conn:
            # ids are lowercase hex (checked above): a range scan on the unique index
            sql = "SELECT id FROM entry WHERE id >= ? AND id < ? ORDER BY id LIMIT 2"
            found = [r.id for r in db.rows(conn, sql, (text, text + "g"))]
        if not found:
            raise NotFound("record.unknown", id=prefix, hint="hint.list")
        if len(found) > 1:
            raise UsageError("record.ambiguous", id=prefix)
        return found[0]

    @staticmethod
    def latest_version(conn: DbConn, record_id: str) -> Any:
        """The (id, seq) of a record's newest version, or None for an unknown record."""
        sql = (
            "SELECT id, seq FROM entry WHERE record_id = ? AND kind IN ('record', 'correction')"
            " ORDER BY seq DESC LIMIT 1"
        )
        found = db.rows(conn, sql, (record_id,))
        return found[0] if found else None

    @staticmethod
    def versions(conn: DbConn, record_id: str) -> list[tuple[int, str, str]]:
        """``(seq, channel, direction)`` of every version of a record, oldest first."""
        sql = (
            "SELECT seq, channel, direction FROM entry"
            " WHERE record_id = ? AND kind IN ('record', 'correction') ORDER BY seq"
        )
        return [(int(r[0]), r[1], r[2]) for r in db.tuples(conn, sql, (record_id,))]

    @staticmethod
    def entries_by_seq(conn: DbConn, seqs: Sequence[int]) -> list[Any]:
        """The entry rows of ``seqs`` (at most a few thousand: one statement), any order."""
        sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE seq IN ({db.placeholders(len(seqs))})"
        return db.rows(conn, sql, seqs)

    # -- one record --------------------------------------------------------------------

    def get(self, id_or_prefix: str) -> RecordHistory:
        """A record with all its versions, whichever version's id (or prefix) is given."""
        entry_id = self.resolve_id(id_or_prefix)
        by_id = f"SELECT {ENTRY_SELECT} FROM entry WHERE id = ?"
        with self.read() as conn:
            row = db.rows(conn, by_id, (entry_id,))[0]
            if row.kind not in RECORD_KINDS:
                if row.kind in ("tombstone", "attachment") and row.target:
                    found = db.rows(conn, by_id, (row.record_id,))
                    row = found[0] if found else None
                if row is None or row.kind not in RECORD_KINDS:
                    raise NotFound("record.unknown", id=id_or_prefix, hint="hint.list")
            sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE record_id = ? ORDER BY seq"
            records = self.build(conn, db.rows(conn, sql, (row.record_id,)))
        versions = [r for r in records if r.record_id == row.record_id]
        latest = versions[-1]
        return RecordHistory(
            versions=versions,
            deleted=latest.deleted,
            delete_reason=latest.delete_reason,
            attachments=list(latest.attachments),
        )

    # -- building Records --------------------------------------------------------------

    def build(
        self,
        conn: DbConn,
        rows: Sequence[Any],
        decoded: dict[str, Any] | None = None,
    ) -> list[Record]:
        """Turn record/correction rows into Records, resolving versions and tombstones.

        ``rows`` may contain any entries; tombstones, corrections and attachments of
        the same records are looked up so that each Record is complete. ``decoded``
        maps entry ids to what was already opened (anything with ``.values()``).
        """
        with collector_paused():
            return self._build(conn, rows, decoded)

    def _build(
        self, conn: DbConn, rows: Sequence[Any], decoded: dict[str, Any] | None
    ) -> list[Record]:
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
        reasons = self.decode_ids(conn, list(tombstones.values()))
        attachments = self.attachments(conn, attachment_ids)
        cases = self.cases.in_tx(conn) if any(r.case_id for r in version_rows) else {}
        files: dict[str, list[AttachmentInfo]] = defaultdict(list)
        for a in attachments:
            files[a.record_id].append(a)
        covers = self.timestamps.covers(conn)
        out = []
        for row in version_rows:
            if decoded and row.id in decoded:
                values = decoded[row.id].values()
            else:
                values = self.decode_values(row)
            tomb = tombstones.get(row.record_id)
            out.append(
                record_from(
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

    def decode_ids(self, conn: DbConn, ids: Sequence[str]) -> dict[str, DecodedEntry]:
        out: dict[str, DecodedEntry] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE id IN ({db.placeholders(len(chunk))})"
            for row in db.rows(conn, sql, chunk):
                out[row.id] = self.session.decode(row)
        return out

    def attachments(self, conn: DbConn, ids: Sequence[str]) -> list[AttachmentInfo]:
        decoded = self.decode_ids(conn, ids)
        readings = latest_readings(conn, self.decode_values, list(decoded))
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
                    ocr=readings.get(entry_id),
                )
            )
        return out

    def all_attachments(self) -> list[AttachmentInfo]:
        """Every attachment in the ledger, oldest first."""
        with self.read() as conn:
            ids = [r.id for r in db.rows(conn, "SELECT id FROM entry WHERE kind = 'attachment'")]
            return self.attachments(conn, ids)

    def file_texts(self, conn: DbConn, record_id: str) -> tuple[list[str], list[str]]:
        """A record's file names and the text read from its images, for search."""
        sql = "SELECT id FROM entry WHERE record_id = ? AND kind = 'attachment'"
        ids = [r.id for r in db.rows(conn, sql, (record_id,))]
        infos = self.attachments(conn, ids)
        return [a.name for a in infos], texts_of(infos)

    # -- many records ------------------------------------------------------------------

    def record_rows_sql(
        self, conn: DbConn, flt: RecordFilter, columns: str | None = None
    ) -> tuple[str, list[Any]]:
        """SELECT of record versions (or of ``columns``) matching the clear-column
        filters, and its parameters; callers add ``AND ...`` and ``ORDER BY``."""
        check_range(flt)
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
            params.append(self.cases.resolve(conn, flt.case))
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

    def records(self, flt: RecordFilter | None = None) -> list[Record]:
        """Every Record :meth:`iter_records` yields, as a list built with the cycle
        collector paused throughout (see :func:`collector_paused`)."""
        with collector_paused():
            return list(self.iter_records(flt))

    def iter_records(self, flt: RecordFilter | None = None, batch: int = 2000) -> Iterator[Record]:
        """Records in the order they happened, read ``batch`` rows at a time.

        The order comes from the covering time index (sequence numbers only); the
        rows, with their sealed blobs, are fetched and decrypted one batch at a time,
        so memory does not hold every ciphertext of a large locker at once.
        """
        flt = flt or RecordFilter()
        text_ok = text_filter(flt)
        with self.read() as conn:
            sql, params = self.record_rows_sql(conn, flt, "seq")
            order = sql + " ORDER BY occurred_at, seq"
            with collector_paused():
                seqs = [r[0] for r in db.tuples(conn, order, params)]
            for start in range(0, len(seqs), batch):
                chunk = seqs[start : start + batch]
                with collector_paused():  # never across a yield: the caller's code runs there
                    rows = {r.seq: r for r in self.entries_by_seq(conn, chunk)}
                    built = self.build(conn, [rows[seq] for seq in chunk])
                for r in built:
                    if text_ok is None or text_ok(r.organisation, r.counterpart, r.address):
                        yield r

    def count(self) -> int:
        with self.read() as conn:
            return int(db.value(conn, "SELECT count(*) FROM entry"))

    def entry_ids(self) -> set[str]:
        """Every entry id in the ledger (a merge adds only the ones missing here)."""
        with self.read() as conn:
            return {r.id for r in db.rows(conn, "SELECT id FROM entry")}

    # -- the ledger as a whole ---------------------------------------------------------

    def verify(self, *, stop_at_first: bool = False) -> VerifyReport:
        """Recompute the ledger and check the signed head; then, once the ledger itself
        is sound, every time-stamp (``report.stamps``) and the newest head remembered
        outside the locker (``report.newest``: was it rolled back?)."""
        ledger = self.session.ledger
        with self.read() as conn:
            report = ledger.verify(conn, stop_at_first=stop_at_first)
            if report.ok:
                leaves = ledger.leaves(conn)
                report.stamps = self.timestamps.verify(conn, leaves)
                report.newest = self.session.memory.check_full(leaves)
            return report

    def head(self) -> str:
        """The current signed tree head (a C2SP signed note)."""
        with self.read() as conn:
            return self.session.ledger.head_note(conn)

    def proof_material(
        self, entry_ids: Sequence[str], *, deletions_of: Sequence[str] = ()
    ) -> tuple[dict[str, DecodedEntry], list[bytes], str]:
        """Entries opened with their salts, every leaf, and the signed head, read in one
        transaction so that all three describe the same tree (what a dossier proves).
        ``deletions_of``: record ids whose deletion entries (tombstones) to add, so a
        dossier can prove when and why each was withdrawn."""
        with self.read() as conn:
            decoded = self.decode_ids(conn, [*entry_ids, *self._tombstones(conn, deletions_of)])
            leaves = self.session.ledger.leaves(conn)
            note = self.session.ledger.head_note(conn)
        return decoded, leaves, note

    @staticmethod
    def _tombstones(conn: DbConn, record_ids: Sequence[str]) -> list[str]:
        out: list[str] = []
        for start in range(0, len(record_ids), 500):
            chunk = list(record_ids[start : start + 500])
            out += [r.id for r in db.rows(conn, _tombstone_sql(len(chunk)), chunk)]
        return out


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector paused while a batch of Records is built.

    A batch allocates a dozen objects per Record and makes no reference cycles, yet
    every allocation counts towards a collection, and the older generations rescan
    all the Records a caller already holds (a whole locker for ``records()``): 0.15 s
    of reading 100k. Paused, it runs once after the batch instead; reference counting
    frees as usual meanwhile. Never held across a ``yield``.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _tombstone_sql(n: int) -> str:
    return (
        "SELECT id FROM entry WHERE kind = 'tombstone'"
        f" AND record_id IN ({db.placeholders(n)}) ORDER BY seq"
    )


def record_from(
    row: Any,
    v: dict[str, Any],
    *,
    superseded_by: str | None = None,
    deleted: bool = False,
    delete_reason: str | None = None,
    case: str | None = None,
    attachments: tuple[AttachmentInfo, ...] = (),
    existed_by: datetime | None = None,
    existed_by_tsa: str | None = None,
) -> Record:
    """A Record from a version's entry row and its opened field values."""
    get = v.get
    correction = row.kind == "correction"
    outcome = get("outcome")
    event = get("event")
    # Every field in Record's order, by position: matching 34 keywords costs 1 µs more.
    return _new_record(
        row.id,  # id
        row.id if row.record_id == row.id else row.record_id,  # record_id
        row.seq,  # seq
        _member(_CHANNELS, Channel, row.channel),  # channel
        _member(_DIRECTIONS, Direction, row.direction),  # direction
        with_offset(row.occurred_at, row.offset),  # occurred_at
        utc_from_micros(row.logged_at),  # logged_at
        shared(get("counterpart")),  # counterpart
        shared(get("organisation")),  # organisation
        shared(get("address")),  # address
        get("subject"),  # subject
        get("content"),  # content
        get("location"),  # location
        get("people_present"),  # people_present
        get("notes"),  # notes
        tuple(get("tags") or ()),  # tags
        get("app"),  # app
        get("duration_s"),  # duration_s
        _member(_OUTCOMES, Outcome, outcome) if outcome else None,  # outcome
        get("third_party"),  # third_party
        _member(_EVENTS, Event, event) if event else None,  # event
        row.case_id,  # case_id
        case,  # case
        Source.from_json(get("source")),  # source
        row.target if correction else None,  # corrects
        get("reason") if correction else None,  # correction_reason
        superseded_by,  # superseded_by
        deleted,  # deleted
        delete_reason,  # delete_reason
        row.leaf.hex(),  # leaf_hash
        attachments,  # attachments
        get("time_known", True) is not False,  # time_known
        existed_by,  # existed_by
        existed_by_tsa,  # existed_by_tsa
    )


# Record(...), twice as fast (model.slot_constructor); tests/test_records_build.py checks
# that record_from passes each value in its field's place.
_new_record = slot_constructor(Record)
# Each enum's members by value, for :func:`_member`.
_CHANNELS = {m.value: m for m in Channel}
_DIRECTIONS = {m.value: m for m in Direction}
_OUTCOMES = {m.value: m for m in Outcome}
_EVENTS = {m.value: m for m in Event}


def _member(members: dict[str, Any], enum: Any, value: Any) -> Any:
    """``enum(value)`` by a dict lookup (calling an enum costs ~0.6 µs, four per
    record); a value that is not a member's goes to the enum, which raises as ever."""
    try:
        return members[value]
    except (KeyError, TypeError):
        return enum(value)
