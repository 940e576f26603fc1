"""The append-only log of entries in the database: append, decode, verify.

Statements are driver-level SQL (``store/database.py``), so appending and reading
need no SQLAlchemy. Appending happens inside the caller's write transaction: the frontier (the right
edge of the Merkle tree) is read, each new entry gets the next sequence number, its
fields are sealed with a fresh salt each, its leaf hash and the new root are stored
with it, and the signed tree head is replaced, all or nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evidence_locker.crypto import DecryptionFailed, KeyRing
from evidence_locker.errors import IntegrityError
from evidence_locker.ledger import merkle, meta_seal, sealing
from evidence_locker.ledger.canonical import HEADER_COLUMNS, commitment, entry_leaf_hash
from evidence_locker.ledger.checkpoint import Checkpoint, open_note, sign_note
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.store.database import DbConn

# Every column of the ``entry`` table (store/tables.py), in the order statements use.
ENTRY_COLUMNS = (*HEADER_COLUMNS, "dedupe", "sealed", "leaf", "root")
# Quoted: ``offset`` is an SQL keyword.
ENTRY_SELECT = ", ".join(f'"{c}"' for c in ENTRY_COLUMNS)
_ENTRY_INSERT = f"INSERT INTO entry ({ENTRY_SELECT}) VALUES ({db.placeholders(len(ENTRY_COLUMNS))})"
AD_PREFIX = sealing.AD_PREFIX  # what version-1 seals bind (ledger/sealing.py)
# The locker format new writes produce, and the ones this version reads. Format 2 seals
# entries with their clear columns bound (ledger/sealing.py); a format-1 locker is
# raised to 2 by its first append (older programs then refuse it instead of calling
# every new entry tampered).
FORMAT = "evidence-locker/2"
READABLE_FORMATS = ("evidence-locker/1", FORMAT)
# The entry kinds that are versions of a record (the others point at one, or stand alone).
RECORD_KINDS = ("record", "correction")
# Text read from an image attachment (OCR), targeting the attachment it read
# (locker/reading.py, docs/file-format.md).
OCR_KIND = "ocr"
MAX_SEALED_BYTES = sealing.MAX_SEALED_BYTES


@dataclass(slots=True)
class PendingEntry:
    """An entry about to be appended. ``fields`` are the values to seal and commit."""

    id: str
    kind: str
    record_id: str
    logged_at: int
    fields: dict[str, Any]
    target: str | None = None
    channel: str | None = None
    direction: str | None = None
    occurred_at: int | None = None
    offset: int | None = None
    case_id: str | None = None
    dedupe: str | None = None


@dataclass(slots=True)
class DecodedEntry:
    """A stored entry, decrypted: clear header plus (salt, value) per field."""

    header: dict[str, Any]
    fields: dict[str, tuple[bytes, Any]]
    leaf: bytes

    @property
    def seq(self) -> int:
        return int(self.header["seq"])

    def value(self, name: str, default: Any = None) -> Any:
        item = self.fields.get(name)
        return default if item is None else item[1]

    def values(self) -> dict[str, Any]:
        return {k: v for k, (_, v) in self.fields.items()}


@dataclass
class Problem:
    seq: int | None
    entry_id: str | None
    record_id: str | None
    what: str  # an i18n key: verify.tampered, verify.missing, verify.head ...


@dataclass
class VerifyReport:
    size: int = 0
    problems: list[Problem] = field(default_factory=list)
    head: Checkpoint | None = None
    # the time-stamps' verdicts (locker/timestamps.py StampsReport), once the ledger
    # itself verified; anything with an ``ok`` property
    stamps: Any = None
    # the newest head remembered outside the locker against this ledger
    # (locker/newest_head.py; a ledger/consistency.py HeadCheck), None if none is
    newest: Any = None

    @property
    def ok(self) -> bool:
        stamps_ok = self.stamps is None or self.stamps.ok
        newest_ok = self.newest is None or self.newest.ok
        return not self.problems and self.head is not None and stamps_ok and newest_ok


def header_of(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in HEADER_COLUMNS}


class Ledger:
    """Entries in one database, under one key ring and one origin name."""

    def __init__(self, keyring: KeyRing, origin: str):
        self.keyring = keyring
        self.origin = origin
        # A head the ledger must extend before anything is appended: the newest head
        # remembered outside the locker (locker/newest_head.py), None if unknown.
        self.floor: Checkpoint | None = None
        # The last head this object signed (what the caller remembers after commit).
        self.last_note: str | None = None

    # -- writing ---------------------------------------------------------------------

    def seal(
        self, header: dict[str, Any], fields: dict[str, Any], dedupe: str | None = None
    ) -> tuple[bytes, bytes]:
        """Encrypt the fields with a fresh salt each, bound to the clear ``header`` and
        ``dedupe`` (ledger/sealing.py); return the blob and the entry's leaf hash."""
        return sealing.seal(self.keyring.fields, header, dedupe, fields)

    def read_frontier(self, conn: DbConn) -> merkle.Frontier:
        sql = "SELECT value FROM meta WHERE key = 'frontier'"
        if db.dialect_of(conn) == "postgresql":
            sql += " FOR UPDATE"  # serialise writers on a shared server
        raw = db.value(conn, sql)
        if raw is None:
            raise IntegrityError("error.bad_header", detail="the ledger's frontier is missing")
        data = json.loads(raw)
        return merkle.Frontier(data["size"], [base64.b64decode(h) for h in data["stack"]])

    def checked_frontier(self, conn: DbConn) -> merkle.Frontier:
        """The frontier to append to, once it agrees with the last signed head.

        Someone with the files but not the key can delete the newest entries and
        rebuild the frontier from the leaf hashes, which are clear; appending to it
        and signing a new head would launder the deletion (issue 13). The head's
        signature cannot be forged, so the frontier, the number of rows, the last
        sequence number and the last row's root must all be the signed head's, or
        nothing is written. Four indexed look-ups and one signature check.
        """
        frontier = self.read_frontier(conn)
        key_id = db.value(conn, "SELECT value FROM meta WHERE key = 'key_id'")
        if key_id is not None and key_id != self.keyring.key_id:  # rotated since unlock
            raise IntegrityError("error.keys_rotated", hint="hint.reopen")
        try:
            head = open_note(self.head_note(conn), self.origin, self.keyring.signer.public_key)
        except ValueError:
            raise IntegrityError("error.head_unsigned", hint="hint.cut_back") from None
        count = int(db.value(conn, "SELECT count(*) FROM entry"))
        last = db.value(conn, "SELECT max(seq) FROM entry")
        last_root = db.value(conn, "SELECT root FROM entry WHERE seq = ?", (head.size - 1,))
        agrees = (
            frontier.size == head.size
            and frontier.root() == head.root
            and count == head.size
            and (last is None if head.size == 0 else last == head.size - 1)
            and (head.size == 0 or (last_root is not None and bytes(last_root) == head.root))
        )
        if not agrees:
            raise IntegrityError("error.cut_back", hint="hint.cut_back", head=head.size, rows=count)
        # the region decides how the numbers written now are read: never write under a
        # setting someone changed (the newest entry says whether it must be sealed)
        newest = db.value(conn, "SELECT sealed FROM entry WHERE seq = ?", (head.size - 1,))
        v2 = newest is not None and not sealing.is_legacy_seal(newest)
        if meta_seal.problems(conn, self.keyring, must_be_sealed=v2):
            raise IntegrityError("error.meta_changed", hint="hint.meta_changed")
        floor = self.floor
        if floor is not None and floor.size > 0:
            if head.size < floor.size:
                raise IntegrityError(
                    "error.rolled_back", hint="hint.rolled_back", seen=floor.size, now=head.size
                )
            root = db.value(conn, "SELECT root FROM entry WHERE seq = ?", (floor.size - 1,))
            if root is None or bytes(root) != floor.root:
                raise IntegrityError("error.diverged", hint="hint.rolled_back", seen=floor.size)
        return frontier

    def append(self, conn: DbConn, pending: Sequence[PendingEntry]) -> list[int]:
        """Append entries in order; caller owns the (write) transaction.

        The frontier is checked against the signed head first (:meth:`checked_frontier`).
        """
        if not pending:
            return []
        frontier = self.checked_frontier(conn)
        rows = []
        seqs = []
        for p in pending:
            seq = frontier.size
            row = {
                "seq": seq,
                "id": p.id,
                "kind": p.kind,
                "target": p.target,
                "record_id": p.record_id,
                "channel": p.channel,
                "direction": p.direction,
                "occurred_at": p.occurred_at,
                "offset": p.offset,
                "logged_at": p.logged_at,
                "case_id": p.case_id,
            }
            sealed, leaf = self.seal(row, p.fields, p.dedupe)
            frontier.append(leaf)
            rows.append((*row.values(), p.dedupe, sealed, leaf, frontier.root()))
            seqs.append(seq)
        db.execute_many(conn, _ENTRY_INSERT, rows)
        upgraded = db.execute(
            conn, "UPDATE meta SET value = ? WHERE key = 'format' AND value <> ?", (FORMAT, FORMAT)
        )
        if upgraded:  # a format-1 locker's first write: its settings sealed from now on
            meta_seal.seal(conn, self.keyring)
        self.write_head(conn, frontier)
        return seqs

    def write_head(self, conn: DbConn, frontier: merkle.Frontier) -> str:
        note = sign_note(
            Checkpoint(self.origin, frontier.size, frontier.root()), self.keyring.signer
        )
        state = json.dumps(
            {"size": frontier.size, "stack": [base64.b64encode(h).decode() for h in frontier.stack]}
        )
        for key, value in (("frontier", state), ("head", note)):
            if db.execute(conn, "UPDATE meta SET value = ? WHERE key = ?", (value, key)) == 0:
                db.execute(conn, "INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
        self.last_note = note
        return note

    # -- reading ---------------------------------------------------------------------

    def decode(self, row: Any) -> DecodedEntry:
        """Decrypt one row with its salts. Raises DecryptionFailed if it was altered
        or moved, or if its clear columns no longer match it (ledger/sealing.py)."""
        plaintext, legacy = sealing.open_plaintext(self.keyring.fields, row)
        fields = sealing.salted_fields(plaintext)
        if legacy:
            sealing.check_legacy_leaf(row, fields)
        return DecodedEntry(header=header_of(row), fields=fields, leaf=row.leaf)

    def open_values(self, row: Any) -> dict[str, Any]:
        """Decrypt one row's field values only (no salts): the fast path for reading.

        Authentication is the same as :meth:`decode`, clear columns included; the
        salts, needed only to recompute commitments (verify, dossier), are left
        undecoded, except for a version-1 entry, whose leaf is recomputed.
        """
        plaintext, legacy = sealing.open_plaintext(self.keyring.fields, row)
        if legacy:
            fields = sealing.salted_fields(plaintext)
            sealing.check_legacy_leaf(row, fields)
            return {k: v for k, (_, v) in fields.items()}
        return sealing.plain_values(plaintext)

    def head_note(self, conn: DbConn) -> str:
        note = db.value(conn, "SELECT value FROM meta WHERE key = 'head'")
        if note is None:
            raise ValueError("no signed tree head")  # verify reports it as a bad signature
        return str(note)

    def leaves(self, conn: DbConn) -> list[bytes]:
        return [bytes(r[0]) for r in db.rows(conn, "SELECT leaf FROM entry ORDER BY seq")]

    def rows(self, conn: DbConn, batch: int = 2000) -> Iterator[Any]:
        """Every entry in sequence order, fetched in batches (memory stays flat)."""
        last = -1
        sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE seq > ? ORDER BY seq LIMIT ?"
        while True:
            chunk = db.rows(conn, sql, (last, batch))
            if not chunk:
                return
            yield from chunk
            last = chunk[-1].seq

    # -- verification ----------------------------------------------------------------

    def dedupe_tag(self, fingerprint: str) -> str:
        """The ``dedupe`` column for an imported entry's source fingerprint: a keyed
        hash, so the file shows only which entries share a source, not what it is."""
        token = self.keyring.index_token(b"dedupe\x00" + fingerprint.encode())
        return token[:16].hex()

    def _dedupe_holds(self, row: Any, decoded: DecodedEntry) -> bool:
        """A version-1 entry's ``dedupe`` (not in its leaf, nor bound by its seal) is
        empty or the tag of the source fingerprint sealed in it."""
        if row.dedupe is None:
            return True
        source = decoded.value("source")
        fingerprint = source.get("fingerprint") if isinstance(source, dict) else None
        return isinstance(fingerprint, str) and row.dedupe == self.dedupe_tag(fingerprint)

    def _frontier_holds(self, conn: DbConn, frontier: merkle.Frontier) -> bool:
        """Whether the stored frontier (what the next write appends to) is the one the
        rows give; a write refuses a frontier that is not (checked_frontier)."""
        try:
            stored = self.read_frontier(conn)
        except (IntegrityError, ValueError, TypeError, KeyError, AttributeError):
            return False
        return stored.size == frontier.size and stored.stack == frontier.stack

    def verify(self, conn: DbConn, *, stop_at_first: bool = False) -> VerifyReport:
        """Recompute every leaf and root from the rows and check the signed head.

        Names the first entry whose ciphertext, leaf or position does not match.
        """
        report = VerifyReport()
        frontier = merkle.Frontier()
        expected_seq = 0
        sealed_v2 = False  # any entry sealed in version 2: the settings were sealed too
        for row in self.rows(conn):
            if row.seq != expected_seq:
                report.problems.append(Problem(expected_seq, None, None, "verify.missing"))
                if stop_at_first:
                    return report
                expected_seq = row.seq
            expected_seq += 1
            problem = None
            try:
                decoded = self.decode(row)
                commitments = {k: commitment(s, v) for k, (s, v) in decoded.fields.items()}
                leaf = entry_leaf_hash(header_of(row), commitments)
                if leaf != row.leaf:
                    problem = "verify.leaf"
                elif sealing.is_legacy(row) and not self._dedupe_holds(row, decoded):
                    problem = "verify.tampered"
            except DecryptionFailed:
                problem = "verify.tampered"
                leaf = row.leaf
            sealed_v2 = sealed_v2 or not sealing.is_legacy(row)
            frontier.append(leaf)
            if problem is None and frontier.root() != row.root:
                problem = "verify.position"
            if problem:
                report.problems.append(Problem(row.seq, row.id, row.record_id, problem))
                if stop_at_first:
                    return report
        report.size = frontier.size
        report.head = self._check_head(conn, frontier, report.problems)
        if not report.problems and not self._frontier_holds(conn, frontier):
            report.problems.append(Problem(None, None, None, "verify.frontier"))
        for what in meta_seal.problems(conn, self.keyring, must_be_sealed=sealed_v2):
            report.problems.append(Problem(None, None, None, what))
        return report

    def _check_head(
        self, conn: DbConn, frontier: merkle.Frontier, problems: list[Problem]
    ) -> Checkpoint | None:
        """The signed head, once its signature holds; what it disagrees on goes into
        ``problems``."""
        try:
            head = open_note(self.head_note(conn), self.origin, self.keyring.signer.public_key)
        except ValueError:
            problems.append(Problem(None, None, None, "verify.head_signature"))
            return None
        if head.size > frontier.size:  # the newest entries were deleted
            problems.append(Problem(head.size, None, None, "verify.cut_back"))
        elif head.size != frontier.size or head.root != frontier.root():
            problems.append(Problem(head.size, None, None, "verify.head_mismatch"))
        return head
