"""Rules that flag possible misconduct in collection contacts.

A pure library over :class:`evidence_locker.model.Record`: give it the latest,
non-deleted versions (``live_records`` picks them) and one or more rule sets; it
returns a :class:`CheckReport`: findings worst first (one per record, or group of
records, and kind, citing every source), the zone it read times in and why, and notes
on what it left out. ``group_findings`` groups findings by organisation and kind, as a
report's summary shows them.

    from evidence_locker.rules import evaluate, live_records, shipped_rule_set
    report = evaluate(live_records(records), [shipped_rule_set("cn")], tz="Asia/Shanghai")
    for group in report.groups(): ...
"""

from evidence_locker.rules.clock import ZoneChoice, resolve_zone
from evidence_locker.rules.context import Note
from evidence_locker.rules.describe import describe_rule_sets, render_rules_markdown
from evidence_locker.rules.engine import CheckReport, check, evaluate, run_check
from evidence_locker.rules.finding import Citation, Finding, FindingGroup, group_findings
from evidence_locker.rules.numbers import OfficialNumbers, load_official_numbers
from evidence_locker.rules.records import live_records
from evidence_locker.rules.region import RuleSetChoice, choose_rule_sets, records_region
from evidence_locker.rules.ruleset import (
    Reference,
    Rule,
    RuleSet,
    Source,
    load_rule_file,
    parse_rule_set,
    resolve_rule_sets,
    shipped_names,
    shipped_rule_set,
    shipped_rule_sets,
)

__all__ = [
    "CheckReport",
    "Citation",
    "Finding",
    "FindingGroup",
    "Note",
    "OfficialNumbers",
    "Reference",
    "Rule",
    "RuleSet",
    "RuleSetChoice",
    "Source",
    "ZoneChoice",
    "check",
    "choose_rule_sets",
    "describe_rule_sets",
    "evaluate",
    "group_findings",
    "live_records",
    "load_official_numbers",
    "load_rule_file",
    "parse_rule_set",
    "records_region",
    "render_rules_markdown",
    "resolve_rule_sets",
    "resolve_zone",
    "run_check",
    "shipped_names",
    "shipped_rule_set",
    "shipped_rule_sets",
]
