"""The locker's tables.

Only the ``entry`` table is evidence; it is append-only (triggers refuse UPDATE and
DELETE). Each row is one ledger entry: a record, a correction, a tombstone, a case,
an attachment. Columns in clear are the ones listed in docs/threat-model.md
(sequence, ids, kind, channel, direction, times, case id); everything a person wrote
or an importer read is inside ``sealed``, one AEAD blob per row.

``search_posting`` is the blind search index (docs/search.md), derived from ``entry``
and rebuilt from it at will.

``meta`` and ``keyslot`` are small mutable tables: the signed tree head, the
Merkle frontier, and the wrapped master key. Changing them cannot alter evidence:
``verify`` recomputes the tree from ``entry`` and checks the signature.
"""

from __future__ import annotations

from sqlmodel import BigInteger, Field, Index, LargeBinary, SQLModel
from sqlmodel import Column as _Column


def _blob(nullable: bool = False) -> _Column:
    return _Column(LargeBinary, nullable=nullable)


class Meta(SQLModel, table=True):
    """Key/value settings: format version, locker id, frontier, signed head."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class KeySlot(SQLModel, table=True):
    """The master key wrapped by one unlock method (passphrase or recovery key)."""

    __tablename__ = "keyslot"
    kind: str = Field(primary_key=True)  # "passphrase" | "recovery"
    kdf: str  # JSON parameters (Argon2id for passphrases, salt for the recovery key)
    wrapped: bytes = Field(sa_column=_blob())
    updated_at: int = Field(sa_type=BigInteger)  # microseconds since the epoch


class Entry(SQLModel, table=True):
    """One ledger entry (the evidence). Never updated, never deleted."""

    __tablename__ = "entry"
    # Newest-first search walks this covering index in order and can stop after the
    # first page, instead of reading every row (each carries its sealed blob) to sort.
    __table_args__ = (
        Index(
            "ix_entry_time_seq",
            "occurred_at",
            "seq",
            "kind",
            "id",
            "record_id",
            "channel",
            "direction",
            "case_id",
        ),
    )
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    id: str = Field(unique=True)
    kind: str = Field(index=True)  # record | correction | tombstone | case | attachment
    target: str | None = Field(default=None, index=True)  # the entry this one acts on
    record_id: str = Field(index=True)  # the first version's id (or the case id)
    channel: str | None = None
    direction: str | None = None
    occurred_at: int | None = Field(default=None, index=True, sa_type=BigInteger)  # µs, UTC
    offset: int | None = None  # original UTC offset in minutes
    logged_at: int = Field(sa_type=BigInteger)  # µs since epoch, UTC, system clock
    case_id: str | None = Field(default=None, index=True)
    dedupe: str | None = Field(default=None, index=True)  # keyed hash of the source entry
    sealed: bytes = Field(sa_column=_blob())
    leaf: bytes = Field(sa_column=_blob())
    root: bytes = Field(sa_column=_blob())  # Merkle root of entries 0..seq


class Anchor(SQLModel, table=True):
    """A signed tree head fixed by a third party: a time-stamp token (append-only).

    ``ledger/anchors.py`` documents each column; lockers from before it have only
    ``id, size, note, created_at, destination`` and gain the rest on first use.
    """

    __tablename__ = "anchor"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = "rfc3161"  # rfc3161 | opentimestamps
    destination: str | None = None  # the TSA's (or calendar's) name in the settings
    size: int  # tree size of the stamped checkpoint
    note: str  # the signed checkpoint, exactly as stamped
    proof: bytes | None = Field(default=None, sa_column=_blob(nullable=True))
    attested_at: int | None = Field(default=None, sa_type=BigInteger)  # µs (genTime)
    created_at: int = Field(sa_type=BigInteger)
    replaces: int | None = None  # an earlier anchor this one completes
    mac: bytes | None = Field(default=None, sa_column=_blob(nullable=True))


class SearchPosting(SQLModel, table=True):
    """One chunk of one token's posting list: the entries, written together, holding it.

    Every indexing call (one ``log``, one import flush of ~1,000 records, one slice of a
    rebuild) writes one row per distinct token, keyed by the first sequence number that
    call wrote, so keys never collide. Reading a common token's list is then tens of
    rows, not one row per entry. ``seqs`` is packed by ``search.index.pack_seqs``. WITHOUT ROWID
    on SQLite: the table is its own primary-key index.
    """

    __tablename__ = "search_posting"
    __table_args__ = {"sqlite_with_rowid": False}

    token: bytes = Field(sa_column=_Column(LargeBinary, primary_key=True))
    chunk: int = Field(
        sa_column=_Column(BigInteger, primary_key=True, autoincrement=False),
    )
    seqs: bytes = Field(sa_column=_Column(LargeBinary, nullable=False))
