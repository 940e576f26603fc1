"""The facts a letter may state, read from the records and the rules' findings only.

Everything a letter says about what happened comes from here: which contacts, when,
how many, which were flagged and by which public text, and each record's E-number.
Nothing is estimated or filled in: a kind of problem the rules did not find is not
mentioned, and a record outside the selection is never counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from evidence_locker.errors import UsageError
from evidence_locker.letters.findings import (
    SEVERITY_RANK,
    Citation,
    read_findings,
    rule_params,
)
from evidence_locker.letters.numbering import DossierRef, exhibit_numbers
from evidence_locker.model import Case, Direction, Record, RecordFilter


class LetterSource(Protocol):
    """What a letter reads from a locker (:class:`evidence_locker.Locker` has it all)."""

    @property
    def public_key(self) -> bytes: ...

    def records(self, flt: RecordFilter | None = None) -> list[Record]: ...

    def check(self, flt: RecordFilter | None = None, *, rule_sets: Any, tz: Any) -> Any: ...

    def cases(self) -> list[Case]: ...


@dataclass(frozen=True, slots=True)
class Concern:
    """One kind of problem the rules found in the selected records, all rules merged."""

    kind: str
    severity: str
    records: tuple[Record, ...]  # the selection's records only, in time order
    citations: tuple[Citation, ...]
    params: tuple[dict[str, Any], ...]  # the cited rules' parameters (hours, limits)


@dataclass(frozen=True, slots=True)
class Facts:
    region: str
    tz: tzinfo
    organisation: str | None  # as the records name it most often
    organisations: tuple[str, ...]
    contacts: tuple[Record, ...]  # the collector's contacts: not the user's own steps
    steps: tuple[Record, ...]  # the user's own logged steps (a cease letter sent...)
    concerns: tuple[Concern, ...]  # worst first
    numbers: dict[str, str]  # record id -> E-number
    case: Case | None = None
    dossier: DossierRef | None = None

    def no(self, rec: Record) -> str:
        return self.numbers.get(rec.record_id, "")

    def concern(self, kind: str) -> Concern | None:
        return next((c for c in self.concerns if c.kind == kind), None)

    def cited(self) -> list[Record]:
        """Every record some concern names, in time order, once."""
        seen: dict[str, Record] = {}
        for c in self.concerns:
            for r in c.records:
                seen.setdefault(r.record_id, r)
        return sorted(seen.values(), key=lambda r: (r.occurred_at, r.record_id))


def zone(tz: Any) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def gather_facts(
    source: LetterSource,
    flt: RecordFilter,
    *,
    region: str,
    rule_sets: Sequence[Any],
    tz: Any,
    lang: str,
    dossier: DossierRef | None = None,
) -> Facts:
    """The facts of the records ``flt`` selects (usage errors for an unknown
    organisation or an empty selection: no letter is written about nothing)."""
    if flt.organisation and not source.records(RecordFilter(organisation=flt.organisation)):
        known = sorted({r.organisation for r in source.records() if r.organisation})
        raise UsageError(
            "letters.unknown_org",
            org=flt.organisation,
            choices=", ".join(known[:8]) or "-",
            hint="letters.hint_orgs",
        )
    latest = source.records(flt)
    if not latest:
        raise UsageError("letters.empty")
    numbers = (
        dossier.numbers
        if dossier is not None
        else exhibit_numbers(source.records(replace(flt, all_versions=True)))
    )
    found = read_findings(source.check(flt, rule_sets=rule_sets, tz=tz), rule_sets, lang)
    by_id = {r.record_id: r for r in latest}
    concerns = _concerns(found, by_id, rule_sets)
    contacts = tuple(r for r in latest if r.event is None and r.direction != Direction.OUTGOING)
    steps = tuple(r for r in latest if r.event is not None)
    orgs = Counter(r.organisation for r in contacts if r.organisation)
    case = _case(source, flt.case)
    facts = Facts(
        region=region,
        tz=zone(tz),
        organisation=orgs.most_common(1)[0][0] if orgs else flt.organisation,
        organisations=tuple(sorted(orgs)),
        contacts=contacts,
        steps=steps,
        concerns=concerns,
        numbers=numbers,
        case=case,
        dossier=dossier,
    )
    if dossier is not None:
        _in_dossier(facts, [*facts.cited(), *contacts, *steps])
    return facts


def _concerns(
    found: Sequence[Any], by_id: dict[str, Record], rule_sets: Sequence[Any]
) -> tuple[Concern, ...]:
    """Findings merged per kind, keeping only the selection's records."""
    merged: dict[str, dict[str, Any]] = {}
    for f in found:
        recs = [by_id[r] for r in f.records if r in by_id]
        if not recs:
            continue
        m = merged.setdefault(f.kind, {"severity": f.severity, "records": {}, "cites": {}})
        if SEVERITY_RANK.get(f.severity, 0) > SEVERITY_RANK.get(m["severity"], 0):
            m["severity"] = f.severity
        for r in recs:
            m["records"][r.record_id] = r
        for c in f.citations:
            m["cites"].setdefault(c.rule, c)
    out = []
    for kind, m in merged.items():
        recs = sorted(m["records"].values(), key=lambda r: (r.occurred_at, r.record_id))
        cites = tuple(m["cites"].values())
        params = tuple(rule_params(rule_sets, (c.rule for c in cites)))
        out.append(Concern(kind, m["severity"], tuple(recs), cites, params))
    out.sort(key=lambda c: (-SEVERITY_RANK.get(c.severity, 0), -len(c.records), c.kind))
    return tuple(out)


def _case(source: LetterSource, name: str | None) -> Case | None:
    if not name:
        return None
    return next((c for c in source.cases() if name in (c.name, c.id)), None)


def _in_dossier(facts: Facts, records: Sequence[Record]) -> None:
    """Every record the letter may cite must be in the annexed dossier."""
    for rec in records:
        if rec.record_id not in facts.numbers:
            raise UsageError(
                "letters.not_in_dossier",
                record=rec.record_id[:8],
                path=facts.dossier.file_name if facts.dossier else "",
                hint="letters.hint_same_selection",
            )
