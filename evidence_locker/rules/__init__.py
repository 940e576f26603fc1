"""Rules that flag possible misconduct in collection contacts.

A pure library over :class:`evidence_locker.model.Record`: give it the latest,
non-deleted versions (``live_records`` picks them), one or more rule sets and the
debtor's timezone; it returns :class:`Flag` objects, worst first.

    from evidence_locker.rules import check, live_records, shipped_rule_set
    flags = check(live_records(records), [shipped_rule_set("cn")], tz="Asia/Shanghai")
"""

from evidence_locker.rules.describe import describe_rule_sets, render_rules_markdown
from evidence_locker.rules.engine import check
from evidence_locker.rules.flag import Flag
from evidence_locker.rules.numbers import OfficialNumbers, load_official_numbers
from evidence_locker.rules.records import live_records
from evidence_locker.rules.ruleset import (
    Reference,
    Rule,
    RuleSet,
    default_rule_set_name,
    load_rule_file,
    parse_rule_set,
    resolve_rule_sets,
    shipped_names,
    shipped_rule_set,
    shipped_rule_sets,
)

__all__ = [
    "Flag",
    "OfficialNumbers",
    "Reference",
    "Rule",
    "RuleSet",
    "check",
    "default_rule_set_name",
    "describe_rule_sets",
    "live_records",
    "load_official_numbers",
    "load_rule_file",
    "parse_rule_set",
    "render_rules_markdown",
    "resolve_rule_sets",
    "shipped_names",
    "shipped_rule_set",
    "shipped_rule_sets",
]
