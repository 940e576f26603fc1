"""Running a check: records and rule sets in, a report of findings and notes out.

Input is the latest, non-deleted version of each record (``live_records``). The
records are prepared once (``prepare.py``: the debtor's clock, whose contact each is),
each rule kind makes one pass over the records it can concern (``kinds/``), and the
hits of all rules are merged into findings, one per record (or group) and kind, citing
every source (``finding.py``). Phrase rules share one matcher, so text is normalised
and scanned once per record however many rule sets look at it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from typing import Any

from evidence_locker.locale.messages import t
from evidence_locker.model import Case, Record
from evidence_locker.rules.clock import ZoneChoice, offset_note, resolve_zone, zone_of
from evidence_locker.rules.context import Context, Note
from evidence_locker.rules.finding import Finding, FindingGroup, Hit, group_findings, merge_hits
from evidence_locker.rules.kinds.after_event import check_after_event
from evidence_locker.rules.kinds.disclosure import check_disclosure
from evidence_locker.rules.kinds.frequency import check_frequency
from evidence_locker.rules.kinds.phrases import check_phrases
from evidence_locker.rules.kinds.quiet_hours import check_quiet_hours
from evidence_locker.rules.kinds.scam import check_scam_signs
from evidence_locker.rules.kinds.third_party import check_third_party
from evidence_locker.rules.numbers import OfficialNumbers, as_official_numbers
from evidence_locker.rules.prepare import Prepared
from evidence_locker.rules.records import live_records
from evidence_locker.rules.region import (
    Evidence,
    RuleSetChoice,
    choose_rule_sets,
    mismatch,
    mismatch_note,
)
from evidence_locker.rules.ruleset import Rule, RuleSet
from evidence_locker.rules.schema import PHRASE_KINDS

KIND_CHECKS: dict[str, Callable[[Rule, Prepared, Context], list[Hit]]] = {
    "quiet_hours": check_quiet_hours,
    "frequency": check_frequency,
    "after_event": check_after_event,
    "third_party": check_third_party,
    "scam_signs": check_scam_signs,
    "disclosure": check_disclosure,
}
JSON_FORMAT = "evidence-locker/check"
JSON_VERSION = 2


@dataclass
class CheckReport:
    """What a check found, how it read the records, and what it left out."""

    findings: list[Finding]
    choice: RuleSetChoice
    zone: ZoneChoice
    notes: list[Note] = field(default_factory=list)
    records: int = 0  # how many records the rules judged
    # The records the findings name, by record id: what a report shows beside them.
    lookup: dict[str, Record] = field(default_factory=dict)
    # What points the records to a region the rule sets are not for (None: they fit).
    region: Evidence | None = None
    # The records the findings were narrowed to (``only``: a filter); None: all judged.
    narrowed_to: frozenset[str] | None = None

    @property
    def rule_sets(self) -> tuple[RuleSet, ...]:
        return self.choice.sets

    @property
    def records_selected(self) -> int:
        """How many records the report is about: those judged, or those it was
        narrowed to (a filter), without reading the records again."""
        return self.records if self.narrowed_to is None else len(self.narrowed_to)

    def records_concerned(self) -> set[str]:
        """The selected records some finding names (a finding may also name one
        outside the selection: the cease letter before ``--since``)."""
        named = {r for f in self.findings for r in f.records}
        return named if self.narrowed_to is None else named & self.narrowed_to

    def groups(self) -> list[FindingGroup]:
        return group_findings(self.findings)

    def only(self, record_ids: set[str]) -> CheckReport:
        """The same report with only the findings that name one of ``record_ids``."""
        kept = [f for f in self.findings if not record_ids.isdisjoint(f.records)]
        return replace(self, findings=kept, narrowed_to=frozenset(record_ids))

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        """``check --json`` (documented in docs/rules.md; only ever add keys)."""
        memo: dict[Any, Any] = {}  # words the findings share (Finding.to_json)
        with _collector_paused():  # tens of thousands of dicts, no cycles (see run_check)
            return self._json(lang, memo)

    def _json(self, lang: str, memo: dict[Any, Any]) -> dict[str, Any]:
        return {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "possible": True,
            "disclaimer": t("rules.cli.disclaimer", lang),
            "rule_sets": [
                {"name": rs.name, "jurisdiction": rs.jurisdiction, "title": rs.title(lang)}
                for rs in self.rule_sets
            ],
            "rule_sets_chosen": {"source": self.choice.source, "text": self.choice.describe(lang)},
            "time_zone": {
                "name": self.zone.name or None,
                "source": self.zone.source,
                "text": self.zone.describe(lang),
            },
            "records_judged": self.records,
            "notes": [n.to_json(lang) for n in self.notes],
            "groups": [g.to_json(lang) for g in self.groups()],
            "findings": [f.to_json(lang, memo) for f in self.findings],
        }


def _as_choice(rule_sets: RuleSet | Iterable[RuleSet] | RuleSetChoice) -> RuleSetChoice:
    """Rule sets given by the caller are the sets asked for."""
    if isinstance(rule_sets, RuleSetChoice):
        return rule_sets
    sets = (rule_sets,) if isinstance(rule_sets, RuleSet) else tuple(rule_sets)
    return RuleSetChoice(sets, "option")


def _as_zone(tz: str | tzinfo | ZoneChoice | None, sets: tuple[RuleSet, ...]) -> ZoneChoice:
    if isinstance(tz, ZoneChoice):
        return tz
    if tz is None:
        return resolve_zone(rule_sets=sets)
    return ZoneChoice(*zone_of(tz), "option")


def evaluate(
    records: Iterable[Record],
    rule_sets: RuleSet | Iterable[RuleSet] | RuleSetChoice,
    *,
    tz: str | tzinfo | ZoneChoice | None = None,
    official_numbers: OfficialNumbers | Mapping[str, Any] | str | Path | None = None,
    include_unverified: bool = True,
    cases: Mapping[str, Case] | None = None,
) -> CheckReport:
    """Run the rule sets over ``records`` (latest, non-deleted versions).

    ``tz`` is the debtor's zone: an IANA name, a tzinfo, or a ``ZoneChoice`` saying
    where it came from; None takes the rule sets' default (then this computer's).
    ``cases`` (id -> Case) lets the rules count an institution with its agencies and
    a debt by its case. ``official_numbers`` (object, dict or TOML path) enables the
    unofficial-sender and look-alike signs. ``include_unverified=False`` skips rules
    whose only confidence is "U".
    """
    choice = _as_choice(rule_sets)
    zone = _as_zone(tz, choice.sets)
    rules = [
        rule
        for rs in choice.sets
        for rule in rs.rules
        if include_unverified or rule.confidence != "U"
    ]
    ctx = Context(as_official_numbers(official_numbers), rules)
    records = records if isinstance(records, list) else list(records)
    # A run allocates a few objects per record and per finding and makes no reference
    # cycles; the cyclic collector would still rescan the whole live heap (all records
    # included) many times over, about a quarter of the run time at 100k records.
    # Reference counting frees everything as usual while it is paused.
    with _collector_paused():
        prep = Prepared(records, zone.zone, zone.name, cases)
        hits: list[Hit] = []
        phrase_rules: list[Rule] = []
        for rule in rules:
            if rule.kind in PHRASE_KINDS:
                phrase_rules.append(rule)
            else:
                hits.extend(KIND_CHECKS[rule.kind](rule, prep, ctx))
        hits.extend(check_phrases(phrase_rules, prep, ctx))
        findings = merge_hits(hits)
        del hits
        region = None
        if choice.source in ("option", "locker") and all(
            rs.jurisdiction.upper() in ("CN", "US", "UK") for rs in choice.sets
        ):
            region = mismatch(choice, records)
        notes = _notes(ctx, prep, zone, choice, region)
        # Every record a hit names is in a finding: the records the findings name.
        report = CheckReport(findings, choice, zone, notes, len(records), prep.shown, region)
        # Free the prepared records while the collector is paused: otherwise its first
        # run after the pause scans every object the check allocated.
        del prep, ctx
    return report


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic collector paused for a block that makes many objects and no cycles
    (reference counting frees them as usual); restored as it was after."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _notes(
    ctx: Context, prep: Prepared, zone: ZoneChoice, choice: RuleSetChoice, region: Evidence | None
) -> list[Note]:
    notes: list[Note] = []
    if region is not None:
        notes.append(mismatch_note(choice, region))
    if zone.other_defaults:
        notes.append(
            Note(
                "zone_defaults",
                t(
                    "rules.note.zone_defaults",
                    "en",
                    tz=zone.name,
                    others=", ".join(zone.other_defaults),
                ),
                t(
                    "rules.note.zone_defaults",
                    "zh",
                    tz=zone.name,
                    others="、".join(zone.other_defaults),
                ),
            )
        )
    offsets = offset_note(prep.items, prep.odd, zone)
    if offsets is not None:
        notes.append(offsets)
    notes.extend(ctx.notes.build())
    return notes


def check(
    records: Iterable[Record],
    rule_sets: RuleSet | Iterable[RuleSet] | RuleSetChoice,
    **options: Any,
) -> list[Finding]:
    """The findings of ``evaluate`` alone, worst first."""
    return evaluate(records, rule_sets, **options).findings


def run_check(
    records: Iterable[Record],
    *,
    selected: set[str] | None = None,
    cases: Mapping[str, Case] | None = None,
    rule_sets: RuleSetChoice | Iterable[RuleSet] | None = None,
    tz: str | tzinfo | None = None,
    settings: Mapping[str, str] | None = None,
    official_numbers: OfficialNumbers | Mapping[str, Any] | str | Path | None = None,
    include_unverified: bool = True,
) -> CheckReport:
    """A check over a locker's records, as ``Locker.check`` runs it.

    The rules judge every live record (a cease letter or the calls of a rolling window
    before ``--since`` still count); ``selected`` (record ids) only narrows which
    findings are returned. Rule sets: ``rule_sets`` if given, else the locker's
    ``rules`` setting, else the records' region. Zone: ``tz`` if given, else the
    locker's ``tz`` setting, else the rule sets' default, else each record's own offset.
    """
    settings = settings or {}
    with _collector_paused():  # choosing the versions too: a set per record (see evaluate)
        live = live_records(records)
        if rule_sets is None:
            choice = choose_rule_sets(live, setting=settings.get("rules"))
        else:
            choice = _as_choice(rule_sets)
        zone = resolve_zone(explicit=tz, locker=settings.get("tz"), rule_sets=choice.sets)
        report = evaluate(
            live,
            choice,
            tz=zone,
            cases=cases,
            official_numbers=official_numbers,
            include_unverified=include_unverified,
        )
        del live
    return report if selected is None else report.only(selected)
