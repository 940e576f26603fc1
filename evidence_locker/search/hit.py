"""One search result: the record, and (when asked for) where the query matched it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evidence_locker.model import Record


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
