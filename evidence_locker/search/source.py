"""What search needs from the locker that owns it, written down as a protocol.

``search/`` sits below ``locker/``: it keeps the blind index, answers queries and holds
the decrypted view, but it does not build Records or open entries itself. The
locker's records part (:class:`evidence_locker.locker.records.Reader`) provides these.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from evidence_locker.model import Record, RecordFilter


class RecordSource(Protocol):
    def read(self) -> AbstractContextManager[Any]:
        """A read transaction (one snapshot) yielding a driver-level connection."""
        ...

    def decode_values(self, row: Any) -> dict[str, Any]:
        """An entry row's field values, decrypted (no salts)."""
        ...

    def build(
        self, conn: Any, rows: Sequence[Any], decoded: dict[str, Any] | None = None
    ) -> list[Record]:
        """Records from version rows, complete with corrections, tombstone and files."""
        ...

    def record_rows_sql(
        self, conn: Any, flt: RecordFilter, columns: str | None = None
    ) -> tuple[str, list[Any]]:
        """The SELECT of record versions matching ``flt``'s clear columns, with params."""
        ...

    def entries_by_seq(self, conn: Any, seqs: Sequence[int]) -> list[Any]: ...

    def file_texts(self, conn: Any, record_id: str) -> tuple[list[str], list[str]]:
        """A record's file names, and the text read from its images (latest readings)."""
        ...

    def versions(self, conn: Any, record_id: str) -> list[tuple[int, str, str]]:
        """``(seq, channel, direction)`` of every version of a record, oldest first."""
        ...

    def latest_version(self, conn: Any, record_id: str) -> Any:
        """The (id, seq) row of a record's newest version, or None."""
        ...

    def resolve_case(self, conn: Any, name_or_id: str) -> str: ...

    def forget_cases(self) -> None:
        """Cases changed (a new one was seen): read them again."""
        ...
