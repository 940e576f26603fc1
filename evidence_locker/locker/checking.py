"""Running the rules over a locker: judge everything, report on the selection.

The rules always judge the whole locker (latest versions, deleted records out): a
cease letter or the calls of a rolling window before ``--since`` still count. The
selection only decides which findings are returned: those naming a selected record.
The locker adds what only it knows: its cases (an institution with its agencies, a
debt) and its settings (the zone, the rule sets; locker/settings.py).
"""

from __future__ import annotations

from typing import Any

from evidence_locker.locker.cases import Cases
from evidence_locker.locker.records import Reader, collector_paused
from evidence_locker.locker.settings import Settings
from evidence_locker.model import RecordFilter


def check(
    reader: Reader,
    cases: Cases,
    settings: Settings,
    flt: RecordFilter | None,
    *,
    rule_sets: Any = None,
    tz: Any = None,
    official_numbers: Any = None,
    include_unverified: bool = True,
) -> Any:
    """An ``evidence_locker.rules.CheckReport`` (see ``rules.run_check``)."""
    from evidence_locker.rules import run_check

    flt = flt or RecordFilter()
    selected = None if flt == RecordFilter() else {r.record_id for r in reader.iter_records(flt)}
    # One pause for reading and judging: between the two the collector would scan
    # every Record just read (a quarter of a second at 100,000), to find no cycle.
    with collector_paused():
        return run_check(
            reader.records(),
            selected=selected,
            cases=cases.by_id(),
            rule_sets=rule_sets,
            tz=tz,
            settings=settings.read(),
            official_numbers=official_numbers,
            include_unverified=include_unverified,
        )
