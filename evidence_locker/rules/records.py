"""Which versions of the records the rules judge: the latest, and never a deleted one."""

from __future__ import annotations

from collections.abc import Iterable

from evidence_locker.model import Record


def live_records(records: Iterable[Record]) -> list[Record]:
    """The latest version of each contact, dropping contacts whose latest is a deletion.

    Works on any mix of versions: a version is dropped when another names it as
    ``corrects`` or when it says it was ``superseded_by``; among what remains for one
    ``record_id`` the highest ``seq`` wins (the ledger's order). A corrected contact is
    therefore judged by its correction, and a deleted one is not judged at all.
    """
    best: dict[str, Record] = {}
    replaced: set[str] = set()
    for rec in records:
        if rec.corrects:
            replaced.add(rec.corrects)
        cur = best.get(rec.record_id)
        if cur is None or rec.seq > cur.seq:
            best[rec.record_id] = rec
    out = []
    for rec in best.values():
        if rec.deleted or rec.superseded_by is not None or rec.id in replaced:
            continue
        out.append(rec)
    out.sort(key=lambda r: (r.occurred_at, r.record_id))
    return out
