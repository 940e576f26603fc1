"""Keeping the blind search index in step with the ledger.

Every append indexes the record versions it adds under their own sequence number,
with their files' names and the text read from their images, in the same transaction
(:meth:`IndexUpkeep.index`); a file attached or read later adds its tokens to the
record's latest version. The index can
be rebuilt from the ledger at any time (:meth:`IndexUpkeep.rebuild`), which is also
how a locker from before chunked postings is upgraded, once, before its first search
or write (:meth:`IndexUpkeep.ensure`). docs/search.md describes the index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import StorageError
from evidence_locker.ledger.log import ENTRY_SELECT, OCR_KIND, RECORD_KINDS, PendingEntry
from evidence_locker.model import OcrResult
from evidence_locker.search.source import RecordSource
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.search.index import Tokenizer
    from evidence_locker.search.spaces import SpaceTokenizers
    from evidence_locker.store.database import DbConn

# The index's format: "2" keys each field in its token space (search/spaces.py);
# "1" (no ``index_format`` in meta) keyed everything alike, and is rebuilt.
INDEX_FORMAT = "2"


class IndexUpkeep:
    """The index of one unlocked locker: its tokenizer, and the writes that keep it.

    ``write_sa`` opens a SQLAlchemy write transaction (the rebuild's DDL needs it);
    ``ledger_rows`` yields every entry row in order; ``token_fn(space, data)`` is the
    locker's keyed index-token function (one key per token space: search/spaces.py).
    """

    def __init__(
        self,
        records: RecordSource,
        *,
        write_sa: Callable[[], AbstractContextManager[Any]],
        ledger_rows: Callable[[DbConn], Iterator[Any]],
        token_fn: Callable[[str, bytes], bytes],
    ):
        self.records = records
        self._write_sa = write_sa
        self._ledger_rows = ledger_rows
        self._token_fn = token_fn
        self._spaces: SpaceTokenizers | None = None
        self.postings_ok = False  # the index is in this version's format (checked once)
        self.usable = True  # False: out of date and cannot be rebuilt (read-only)

    @property
    def spaces(self) -> SpaceTokenizers:
        """Keyed, truncated tokens, one tokenizer per token space (search/spaces.py)."""
        if self._spaces is None:
            from evidence_locker.search.spaces import SpaceTokenizers

            self._spaces = SpaceTokenizers(self._token_fn)
        return self._spaces

    @property
    def tokenizer(self) -> Tokenizer:
        """The ``received`` space's tokenizer (what the counterpart wrote)."""
        from evidence_locker.search.spaces import RECEIVED

        return self.spaces.by_space[RECEIVED]

    def index(self, conn: DbConn, pendings: Sequence[PendingEntry], seqs: Sequence[int]) -> None:
        """Index record versions under their own seq, with their files' names.

        A file attached later adds its name's tokens to the record's latest version.
        One posting chunk per token for the whole call, keyed by its first seq.
        """
        from evidence_locker.search.index import posting_rows

        batch_names: dict[str, list[str]] = defaultdict(list)
        batch_texts: dict[str, list[str]] = defaultdict(list)
        versions_in_batch: set[str] = set()
        for p in pendings:
            if p.kind == "attachment" and p.target:
                batch_names[p.target].append(str(p.fields.get("name", "")))
            elif p.kind == OCR_KIND:
                batch_texts[p.record_id].append(OcrResult.from_fields(p.fields).flowing_text)
            elif p.kind in RECORD_KINDS:
                versions_in_batch.add(p.record_id)
        entries: list[tuple[int, set[bytes]]] = []
        for p, seq in zip(pendings, seqs, strict=True):
            if p.kind in RECORD_KINDS:
                names = list(batch_names.get(p.record_id, ()))
                texts = list(batch_texts.get(p.record_id, ()))
                if p.kind == "correction":
                    old_names, old_texts = self.file_words(conn, p.record_id)
                    names += old_names
                    texts += old_texts
                tokens = self.spaces.entry_tokens(p.fields, names, p.channel, p.direction, texts)
                entries.append((seq, tokens))
            elif p.kind in ("attachment", OCR_KIND) and p.record_id not in versions_in_batch:
                # a file or a reading added later: its words go to every version of the
                # record, as a rebuild indexes them (audit.py holds the index to one rule)
                if p.kind == "attachment":
                    field, text = "attachments", str(p.fields.get("name", ""))
                else:
                    field, text = "image_text", OcrResult.from_fields(p.fields).flowing_text
                for seq, channel, direction in self.records.versions(conn, p.record_id):
                    tokens = self.spaces.field_tokens(field, text, channel, direction)
                    entries.append((seq, tokens))
        if entries:
            _insert_tokens(conn, posting_rows(seqs[0], entries))

    def ensure(self) -> None:
        """Rebuild the search index once if it is not in this version's format.

        A locker from before chunked postings has only the per-entry ``search_token``
        table; one from before token spaces has ``index_format`` absent (version 1).
        Every search and write calls this first (one query per Locker), so the
        rebuild, which needs SQLAlchemy for its DDL, runs in its own transaction
        before them.
        """
        if self.postings_ok:
            return
        with self.records.read() as conn:
            ready = has_postings(conn) and index_format(conn) == INDEX_FORMAT
        if not ready:
            try:
                self.rebuild()
            except StorageError as exc:
                if exc.key != "storage.read_only":
                    raise
                # a read-only copy with an older index: search reads every entry
                self.usable = False
        self.postings_ok = True

    def rebuild(self) -> int:
        """Drop and rebuild the search index from the ledger. Returns the entries indexed.

        Also the upgrade path from the per-entry ``search_token`` table, which it drops,
        and a compaction: a locker filled by many single ``log`` calls holds one chunk
        per entry and token; rebuilt, one chunk per token per ~1,000 entries.
        """
        from evidence_locker.store.tables import SearchPosting

        with self._write_sa() as conn:
            SearchPosting.__table__.create(conn, checkfirst=True)
            conn.execute(SearchPosting.__table__.delete())
            conn.exec_driver_sql("DROP TABLE IF EXISTS search_token")
            count = write_postings(conn, self.expected(conn))
            set_index_format(conn)
        self.postings_ok = True
        return count

    def expected(self, conn: DbConn) -> Iterator[tuple[int, set[bytes]]]:
        """``(seq, tokens)`` of every record version, from the ledger: the index as it
        should be (what :meth:`rebuild` writes, and what search/audit.py compares).

        A version holds the tokens of its searched fields, of the names of all its
        record's files and of every text read from their images, whenever they were
        attached or read (a later reading does not take an earlier one's tokens away:
        the index only grows; search confirms every candidate on the latest texts).
        """
        names, texts = self._words(conn, None)
        for row in self._ledger_rows(conn):
            if row.kind not in RECORD_KINDS:
                continue
            values = self.records.decode_values(row)
            extra = names.get(row.record_id, ()), row.channel, row.direction
            yield row.seq, self.spaces.entry_tokens(values, *extra, texts.get(row.record_id, ()))

    def file_words(self, conn: DbConn, record_id: str) -> tuple[list[str], list[str]]:
        """One record's file names and every text read from its images."""
        names, texts = self._words(conn, record_id)
        return names.get(record_id, []), texts.get(record_id, [])

    def _words(
        self, conn: DbConn, record_id: str | None
    ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """File names and read texts by record (of one record, or all)."""
        names: dict[str, list[str]] = defaultdict(list)
        texts: dict[str, list[str]] = defaultdict(list)
        sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE kind IN ('attachment', '{OCR_KIND}')"
        params: tuple[str, ...] = ()
        if record_id is not None:
            sql += " AND record_id = ?"
            params = (record_id,)
        for row in db.rows(conn, sql + " ORDER BY seq", params):
            values = self.records.decode_values(row)
            if row.kind == "attachment" and row.target:
                names[row.target].append(str(values.get("name", "")))
            elif row.kind == OCR_KIND:
                texts[row.record_id].append(OcrResult.from_fields(values).flowing_text)
        return names, texts


def write_postings(conn: DbConn, entries: Iterable[tuple[int, set[bytes]]]) -> int:
    """Insert the postings of ``(seq, tokens)`` entries, one chunk per ~1,000 entries
    (inside the caller's write transaction, on an empty table). Returns the count."""
    from evidence_locker.search.index import posting_rows

    count = 0
    batch: list[tuple[int, set[bytes]]] = []
    for entry in entries:
        batch.append(entry)
        count += 1
        if len(batch) >= 1000:
            _insert_tokens(conn, posting_rows(batch[0][0], batch))
            batch = []
    if batch:
        _insert_tokens(conn, posting_rows(batch[0][0], batch))
    return count


def index_format(conn: DbConn) -> str:
    """The ``index_format`` the stored index was built in ("1" when absent)."""
    found = db.value(conn, "SELECT value FROM meta WHERE key = 'index_format'")
    return "1" if found is None else str(found)


def set_index_format(conn: DbConn) -> None:
    """Record that the index is in this version's format (inside the write)."""
    sql = "UPDATE meta SET value = ? WHERE key = 'index_format'"
    if db.execute(conn, sql, (INDEX_FORMAT,)) == 0:
        db.execute(
            conn, "INSERT INTO meta (key, value) VALUES ('index_format', ?)", (INDEX_FORMAT,)
        )


def has_postings(conn: DbConn) -> bool:
    """Whether the chunked index table exists (else: a locker from before it)."""
    if db.dialect_of(conn) == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:
        sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(db.value(conn, sql, ("search_posting",)))


def _insert_tokens(conn: DbConn, rows: list[tuple[bytes, int, bytes]]) -> None:
    """Insert posting chunks ``(token, chunk, seqs)`` through the driver's executemany.

    A plain INSERT: chunk keys are fresh sequence numbers, so a clash would be a bug
    that silently lost postings if it were ignored.
    """
    sql = "INSERT INTO search_posting (token, chunk, seqs) VALUES (?, ?, ?)"
    for start in range(0, len(rows), 20000):
        db.execute_many(conn, sql, rows[start : start + 20000])
