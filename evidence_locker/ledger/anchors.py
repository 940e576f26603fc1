"""Anchors: signed tree heads fixed by someone other than the owner, kept beside the log.

The owner's key signs every tree head, so the owner alone could rebuild the whole
log with other times. An anchor is a head that left the owner's hands and came back
with a third party's word on it: an RFC 3161 time-stamp token today; an
OpenTimestamps proof (a Bitcoin block) fits the same row. Each row keeps:

- ``kind`` (``rfc3161``; ``opentimestamps`` is reserved for the second kind),
- ``destination``: who fixed it (the TSA's name in the settings, or a calendar),
- ``size`` and ``note``: the signed checkpoint exactly as it was sent; the third
  party's proof is over the UTF-8 bytes of ``note`` (for RFC 3161, the message
  imprint is their SHA-256), so the anchor covers entries ``0 .. size-1``,
- ``proof``: the third party's bytes, byte for byte as received (the DER
  TimeStampToken; an ``.ots`` file),
- ``attested_at``: the time the proof attests (genTime; a block's time), in µs, or
  NULL while a proof is pending (OpenTimestamps before its block),
- ``created_at``: the local clock when stored,
- ``replaces``: the id of an earlier anchor this one completes (an upgraded
  OpenTimestamps proof is a new row; rows are never changed),
- ``mac``: HMAC-SHA256 under the locker's ``anchor`` subkey over all of the above,
  written after the proof was verified. Listing times (``show``, ``list``) trusts
  rows whose MAC holds without re-verifying every token; ``verify`` re-verifies
  every proof in full regardless.

The table is append-only (database triggers). Lockers made before this layout have
an ``anchor`` table with only ``id, size, note, created_at, destination`` (never
written by any version); :func:`ensure_columns` adds the rest before the first
anchor is stored, and readers treat the old layout as "no anchors".
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from evidence_locker.ledger.canonical import jcs
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.crypto import KeyRing
    from evidence_locker.store.database import DbConn

RFC3161 = "rfc3161"
OPENTIMESTAMPS = "opentimestamps"  # reserved: the second anchor kind
# A head exported in a dossier: handed out of the owner's hands, but with no third
# party's word on it (``proof`` is the SHA-256 of the PDF, ``attested_at`` NULL). Later
# dossiers carry a consistency proof back to it (locker/earlier_heads.py).
EXPORTED = "dossier"
KINDS = (RFC3161, OPENTIMESTAMPS, EXPORTED)

# the columns added to the first layout, with their SQL types (same on PostgreSQL)
_NEW_COLUMNS = (
    ("kind", "VARCHAR NOT NULL DEFAULT 'rfc3161'"),
    ("proof", "BLOB"),  # BYTEA on PostgreSQL
    ("attested_at", "BIGINT"),
    ("replaces", "INTEGER"),
    ("mac", "BLOB"),
)
_COLUMNS = ("id", "kind", "destination", "size", "note", "proof", "attested_at")
_COLUMNS += ("created_at", "replaces", "mac")


@dataclass(frozen=True, slots=True)
class Anchor:
    """One stored anchor (see the module docstring for each field)."""

    kind: str
    destination: str
    size: int
    note: str
    proof: bytes
    attested_at: int | None
    created_at: int
    replaces: int | None = None
    mac: bytes | None = None
    id: int | None = None

    def stamped_bytes(self) -> bytes:
        """What the third party's proof covers: the signed checkpoint as sent."""
        return self.note.encode("utf-8")

    def receipt(self, origin: str) -> bytes:
        """The message the ``mac`` column authenticates (RFC 8785 JSON)."""
        return jcs(
            {
                "v": 1,
                "origin": origin,
                "kind": self.kind,
                "destination": self.destination,
                "size": self.size,
                "note_sha256": hashlib.sha256(self.stamped_bytes()).hexdigest(),
                "proof_sha256": hashlib.sha256(self.proof).hexdigest(),
                "attested_at": self.attested_at,
                "created_at": self.created_at,
                "replaces": self.replaces,
            }
        )


def _column_names(conn: DbConn) -> set[str]:
    if db.dialect_of(conn) == "postgresql":
        sql = "SELECT column_name FROM information_schema.columns WHERE table_name = 'anchor'"
        return {r[0] for r in db.tuples(conn, sql)}
    return {r[1] for r in db.tuples(conn, "PRAGMA table_info(anchor)")}


def has_anchor_layout(conn: DbConn) -> bool:
    """Whether the table has this layout's columns (else: a locker never stamped)."""
    return "mac" in _column_names(conn)


def ensure_columns(conn: DbConn) -> None:
    """Add the columns a first-layout ``anchor`` table lacks (inside the caller's
    write transaction; ALTER TABLE ADD COLUMN is transactional on both engines)."""
    present = _column_names(conn)
    postgres = db.dialect_of(conn) == "postgresql"
    for name, sql_type in _NEW_COLUMNS:
        if name not in present:
            if postgres:
                sql_type = sql_type.replace("BLOB", "BYTEA")
            db.execute(conn, f"ALTER TABLE anchor ADD COLUMN {name} {sql_type}")


def store(conn: DbConn, anchor: Anchor, keyring: KeyRing, origin: str) -> Anchor:
    """Append ``anchor`` with its MAC (caller owns the write transaction and has
    verified the proof). Returns the row as stored, with its id."""
    if anchor.kind not in KINDS:
        raise ValueError(f"unknown anchor kind {anchor.kind!r}")
    ensure_columns(conn)
    sealed = replace(anchor, mac=keyring.mac("anchor", anchor.receipt(origin)))
    names = _COLUMNS[1:]
    values = [getattr(sealed, n) for n in names]
    db.execute(
        conn,
        f"INSERT INTO anchor ({', '.join(names)}) VALUES ({db.placeholders(len(names))})",
        values,
    )
    new_id = db.value(conn, "SELECT max(id) FROM anchor")
    return replace(sealed, id=int(new_id))


def _anchor(row: Any) -> Anchor:
    return Anchor(
        id=int(row.id),
        kind=str(row.kind),
        destination=str(row.destination or ""),
        size=int(row.size),
        note=str(row.note),
        proof=bytes(row.proof or b""),
        attested_at=None if row.attested_at is None else int(row.attested_at),
        created_at=int(row.created_at),
        replaces=None if row.replaces is None else int(row.replaces),
        mac=None if row.mac is None else bytes(row.mac),
    )


def read_all(conn: DbConn) -> list[Anchor]:
    """Every anchor, oldest first ([] for a locker never stamped)."""
    if not has_anchor_layout(conn):
        return []
    sql = f"SELECT {', '.join(_COLUMNS)} FROM anchor ORDER BY id"
    return [_anchor(r) for r in db.rows(conn, sql)]


def receipt_holds(anchor: Anchor, keyring: KeyRing, origin: str) -> bool:
    """Whether the row is as this locker stored it (its MAC verifies)."""
    from evidence_locker.crypto import constant_time_equal

    if anchor.mac is None:
        return False
    return constant_time_equal(anchor.mac, keyring.mac("anchor", anchor.receipt(origin)))


@dataclass(frozen=True, slots=True)
class Cover:
    """The earliest attested time for entries ``0 .. size-1`` (µs), and by whom."""

    size: int
    attested_at: int
    destination: str
    anchor_id: int | None


def earliest_covers(anchors: Sequence[Anchor]) -> list[Cover]:
    """For each entry, the earliest attested time among anchors covering it, as steps.

    An anchor of size N with time T covers entries 0..N-1. The result lists
    ``Cover(size, time, ...)`` with sizes increasing and times strictly increasing:
    entry ``s`` existed no later than the time of the first step whose size > s.
    Anchors without a time (pending) cover nothing yet.
    """
    steps: list[Cover] = []
    # walk from the largest size down, keeping the earliest time seen so far
    best: Cover | None = None
    for a in sorted(anchors, key=lambda a: (-a.size, a.attested_at or 0)):
        if a.attested_at is None or a.size <= 0:
            continue
        if best is None or a.attested_at < best.attested_at:
            best = Cover(a.size, a.attested_at, a.destination, a.id)
            steps.append(best)
    steps.reverse()
    return steps


def ranges(steps: Sequence[Cover]) -> list[tuple[int, int, Cover]]:
    """``(first, last, cover)`` with 1-based entry numbers: "entries first-last existed
    no later than cover's time"."""
    out = []
    start = 1
    for cover in steps:
        if cover.size >= start:
            out.append((start, cover.size, cover))
            start = cover.size + 1
    return out


def cover_of(steps: Sequence[Cover], seq: int) -> Cover | None:
    """The earliest cover of entry ``seq`` (see :func:`earliest_covers`)."""
    i = bisect.bisect_right(steps, seq, key=lambda c: c.size)
    return steps[i] if i < len(steps) else None
