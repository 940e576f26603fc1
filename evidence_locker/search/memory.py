"""Decrypted records held in memory, for a process that searches many times.

A one-shot ``search`` command decrypts only the candidates the blind index gives it:
nothing else is worth opening for one query. A process that keeps the locker open
and searches again and again (``search --interactive``, a script, a service for a
shared deployment) can instead decrypt every record version once and answer each
query by scanning normalised text in memory: for a 100k-record locker, a page in well
under a millisecond instead of several milliseconds, and every hit of a common word in
tens of milliseconds instead of seconds (docs/search.md has the figures).

This module is the data structure only; :class:`evidence_locker.Locker` fills it with
the Records it builds, and tells it which records changed when the ledger grew (the
ledger is append-only, so "what changed" is "the entries after the last one seen").
Nothing here is written anywhere: the view lives and dies with the process, and
``Locker.close`` drops it (docs/threat-model.md).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Collection, Iterable
from typing import Any

from evidence_locker.model import Record, RecordFilter, micros, text_filter
from evidence_locker.search.normalize import normalize_joined

# One item of the view: (occurred_at in µs, seq, record, normalised searched text).
# Sorted by the first two, which are unique (seq is), so the Record is never compared.
Item = tuple[int, int, Record, str]


def record_fields(record: Record) -> dict[str, str]:
    """A Record's searched fields as ``{name: text}``, the shape ``searchable_fields``
    gives for its decrypted values and attachment names."""
    from evidence_locker.search.index import searchable_fields

    values = {
        "content": record.content,
        "subject": record.subject,
        "notes": record.notes,
        "counterpart": record.counterpart,
        "organisation": record.organisation,
        "address": record.address,
        "location": record.location,
        "tags": record.tags,
    }
    texts = [a.ocr.flowing_text for a in record.attachments if a.ocr is not None and a.ocr.lines]
    return searchable_fields(values, [a.name for a in record.attachments], texts)


class DecryptedView:
    """Every version of every record, newest last, with its normalised searched text.

    ``last_seq`` is the newest ledger entry reflected; the owner compares it with the
    database's before each search and calls :meth:`replace` for the records touched
    by newer entries.
    """

    def __init__(self) -> None:
        self._items: list[Item] = []
        self._by_seq: dict[int, Item] = {}
        self.last_seq = 0

    def __len__(self) -> int:
        return len(self._items)

    def replace(self, record_ids: Iterable[str], versions: Iterable[Record]) -> None:
        """Drop every item of ``record_ids``, then add ``versions`` (all versions of
        those records as they now stand: corrected, deleted, with their files)."""
        gone = set(record_ids)
        if gone:  # after a write: one pass (milliseconds at 100k) beats a map by record
            kept: list[Item] = []
            for item in self._items:
                if item[2].record_id in gone:
                    del self._by_seq[item[1]]
                else:
                    kept.append(item)
            self._items = kept
        new = [_item(r) for r in versions]
        self._by_seq.update((item[1], item) for item in new)
        if len(new) > 64:
            self._items.extend(new)
            self._items.sort(key=_key)
        else:
            for item in new:
                bisect.insort(self._items, item, key=_key)

    def search(
        self,
        terms: tuple[str, ...],
        flt: RecordFilter,
        case_id: str | None,
        limit: int | None,
        candidates: Collection[int] | None = None,
    ) -> list[Record]:
        """Records whose text holds every term and that pass ``flt``, newest first.

        ``case_id`` is ``flt.case`` resolved by the caller. ``candidates``, seqs from
        the blind index, when it narrows the search to a few: only those are checked;
        otherwise every item in the date range is, newest first. The selection is the
        same as the SQL filters plus ``text_filter`` of the indexed path; the
        tests check both against one oracle.
        """
        if candidates is not None:
            lo, hi = self._window(flt)
            picked = [self._by_seq[s] for s in candidates if s in self._by_seq]
            picked = [item for item in picked if lo <= item[0] <= hi]
            picked.sort(key=_key, reverse=True)
            ordered: Iterable[Item] = picked
        else:
            start, stop = self._range(flt)
            n = len(self._items)  # newest first, without copying the list
            ordered = itertools.islice(reversed(self._items), n - stop, n - start)
        passes = _clear_filter(flt, case_id)
        first, *rest = sorted(terms, key=len, reverse=True)  # the longest is the rarest
        if limit is None:  # every hit: comprehensions, about a third faster than the loop
            found = [item for item in ordered if first in item[3]]
            if rest:
                found = [item for item in found if all(t in item[3] for t in rest)]
            return [item[2] for item in found if passes(item[2])]
        out: list[Record] = []
        for _, _, record, text in ordered:
            if first in text and (not rest or all(t in text for t in rest)) and passes(record):
                out.append(record)
                if len(out) >= limit:
                    break
        return out

    def count_in_range(self, flt: RecordFilter) -> int:
        """How many versions fall in ``flt``'s date range (what a scan would read)."""
        start, stop = self._range(flt)
        return stop - start

    @staticmethod
    def _window(flt: RecordFilter) -> tuple[int, int]:
        lo = micros(flt.since) if flt.since else -(1 << 62)
        hi = micros(flt.until) if flt.until else 1 << 62
        return lo, hi

    def _range(self, flt: RecordFilter) -> tuple[int, int]:
        """The slice of items (sorted by time) in ``flt``'s date range."""
        lo, hi = self._window(flt)
        items = self._items
        start = bisect.bisect_left(items, (lo, -1), key=_key) if flt.since else 0
        stop = bisect.bisect_right(items, (hi, 1 << 62), key=_key) if flt.until else len(items)
        return start, stop


def _clear_filter(flt: RecordFilter, case_id: str | None) -> Callable[[Record], bool]:
    """``flt`` (apart from its date range) as a test on a Record."""
    channels = set(flt.channels)
    directions = set(flt.directions)
    latest_only, live_only = not flt.all_versions, not flt.include_deleted
    text_ok = text_filter(flt)
    if not (channels or directions or case_id or flt.has_attachment is not None or text_ok):
        # the common case, kept short: it runs for every hit of a common word
        return lambda r: not (latest_only and r.superseded_by) and not (live_only and r.deleted)

    def passes(record: Record) -> bool:
        return not (
            (channels and record.channel not in channels)
            or (directions and record.direction not in directions)
            or (case_id is not None and record.case_id != case_id)
            or (latest_only and record.superseded_by is not None)
            or (live_only and record.deleted)
            or (flt.has_attachment is not None and bool(record.attachments) != flt.has_attachment)
            or (text_ok and not text_ok(record.organisation, record.counterpart, record.address))
        )

    return passes


def _key(item: Any) -> tuple[int, int]:
    return item[0], item[1]


def _item(record: Record) -> Item:
    text = normalize_joined(record_fields(record).values())
    return micros(record.occurred_at), record.seq, record, text
