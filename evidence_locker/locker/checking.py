"""Running the rules over a locker: judge everything, report on the selection.

The rules always judge the whole locker (latest versions, deleted records out): a
cease letter or the calls of a rolling window before ``--since`` still count. The
selection only decides which flags are returned: those naming a selected record.
"""

from __future__ import annotations

from typing import Any

from evidence_locker.locker.records import Reader
from evidence_locker.model import RecordFilter


def check(
    reader: Reader,
    flt: RecordFilter | None,
    *,
    rule_sets: Any,
    tz: Any,
    official_numbers: Any = None,
    include_unverified: bool = True,
) -> list[Any]:
    """Possible misconduct, worst first (``evidence_locker.rules.Flag`` objects)."""
    from evidence_locker.rules import check as run_rules
    from evidence_locker.rules import live_records

    flt = flt or RecordFilter()
    everything = live_records(list(reader.iter_records()))
    flags = run_rules(
        everything,
        rule_sets,
        tz=tz,
        official_numbers=official_numbers,
        include_unverified=include_unverified,
    )
    if flt != RecordFilter():
        wanted = {r.record_id for r in reader.iter_records(flt)}
        flags = [f for f in flags if not wanted.isdisjoint(f.records)]
    return flags
