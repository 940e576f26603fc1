"""Findings of the rules: grouped for the summary, listed in full in an appendix.

The summary shows one line per organisation and kind of finding (how many, the worst
severity, the contacts concerned), worst first, so a reader sees the pattern on one
page; every finding with its reason and cited source goes to the appendix. Findings
come as ``check --json`` dicts (``Flag.to_json``); grouping is kept thin so the rules
can change what a finding holds without touching the dossier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Spacer

from evidence_locker.report.context import Dossier
from evidence_locker.report.geometry import FRAME_W
from evidence_locker.report.layout import cell, header_cells, table
from evidence_locker.report.page import section_mark

SEVERITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
_NUMBER = re.compile(r"^([A-Z])-(\d+)$")


def severity_rank(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    return SEVERITY_ORDER.get(str(value).lower(), 0)


@dataclass
class Group:
    organisation: str
    kind: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    numbers: set[str] = field(default_factory=set)

    @property
    def worst(self) -> int:
        return max(severity_rank(f.get("severity")) for f in self.findings)


def group_findings(d: Dossier) -> list[Group]:
    """By organisation (of the first contact concerned) and kind; worst first."""
    ctx = d.ctx
    by_id = {c.latest.record_id: c for c in d.contacts}
    groups: dict[tuple[str, str], Group] = {}
    for f in d.findings:
        records = [str(r) for r in f.get("records") or ()]
        first = next((by_id[r] for r in records if r in by_id), None)
        org = (ctx.value(first.latest, "organisation") if first else None) or ctx.L("none")
        kind = str(f.get("kind") or f.get("rule") or "?")
        g = groups.setdefault((org, kind), Group(org, kind))
        g.findings.append(f)
        g.numbers.update(d.no_by_id[r] for r in records if r in d.no_by_id)
    return sorted(
        groups.values(), key=lambda g: (-g.worst, -len(g.findings), g.organisation, g.kind)
    )


def number_ranges(numbers: Iterable[str]) -> str:
    """``E-3, E-5–E-8, E-12``: exhibit numbers in order, runs joined."""
    parsed = sorted((m.group(1), int(m.group(2))) for n in numbers if (m := _NUMBER.match(n)))
    out: list[str] = []
    i = 0
    while i < len(parsed):
        j = i
        while j + 1 < len(parsed) and parsed[j + 1] == (parsed[i][0], parsed[j][1] + 1):
            j += 1
        a, b = parsed[i], parsed[j]
        out.append(f"{a[0]}-{a[1]}" if i == j else f"{a[0]}-{a[1]}–{b[0]}-{b[1]}")
        i = j + 1
    return ", ".join(out)


def kind_label(d: Dossier, kind: str, given: Any = None) -> str:
    """The dossier's own label for a kind of finding, else the one the rules gave the
    finding (``kind_label``, already in the dossier's language), else the kind."""
    label = d.ctx.L(f"kind.{kind}")
    if label != f"report.kind.{kind}":
        return label
    return str(given) if given else kind


def _kind_of(d: Dossier, f: dict[str, Any]) -> str:
    return kind_label(d, str(f.get("kind", "")), f.get("kind_label"))


def severity_label(d: Dossier, value: Any) -> str:
    label = d.ctx.L(f"severity.{str(value).lower()}")
    return str(value) if label.startswith("report.severity.") else label


def rule_caveats(d: Dossier) -> list[Any]:
    """What the reader must know about the rules before reading their findings (that
    they are not the law of the records' region), set apart in bold."""
    if not d.rule_caveats:
        return []
    return [Spacer(1, 1.5 * mm), *(d.ctx.p(text, "label") for text in d.rule_caveats)]


def summary_table(d: Dossier) -> list[Any]:
    """The grouped findings: one line per organisation and kind."""
    ctx = d.ctx
    groups = group_findings(d)
    if not groups:
        return [ctx.p(ctx.L("findings.none"))]
    rows: list[list[Any]] = [
        header_cells(
            ctx,
            "flag.severity",
            "col.organisation",
            "findings.kind",
            "findings.count",
            "flag.records",
        )
    ]
    for g in groups:
        worst = max(g.findings, key=lambda f: severity_rank(f.get("severity")))
        rows.append(
            [
                cell(severity_label(d, worst.get("severity"))),
                cell(g.organisation),
                cell(kind_label(d, g.kind, g.findings[0].get("kind_label"))),
                cell(str(len(g.findings))),
                cell(number_ranges(g.numbers)),
            ]
        )
    widths = [16 * mm, 40 * mm, 40 * mm, 17 * mm]  # "Findings" on one line
    return [
        *table(ctx, rows, [*widths, FRAME_W - sum(widths)]),
        ctx.p(ctx.L("findings.see_appendix"), "note"),
    ]


def appendix(d: Dossier) -> list[Any]:
    """Every finding: severity, rule, contacts, reason, source; worst first."""
    ctx = d.ctx
    out: list[Any] = [
        section_mark("findings", ctx.L("toc.findings")),
        ctx.p(ctx.L("findings.appendix"), "h1"),
        ctx.p(ctx.L("summary.flags_note"), "note"),
        *rule_caveats(d),
    ]
    ordered = sorted(
        d.findings,
        key=lambda f: (
            -severity_rank(f.get("severity")),
            -float(f.get("score") or 0),
            _first(d, f),
        ),
    )
    rows: list[list[Any]] = [
        header_cells(
            ctx, "flag.severity", "flag.rule", "flag.records", "flag.reason", "flag.source"
        )
    ]
    for f in ordered:
        nos = [d.no_by_id.get(str(r), str(r)) for r in f.get("records") or ()]
        rules = "\n".join(str(r) for r in f.get("rules") or [f.get("rule", "")])
        rows.append(
            [
                cell(severity_label(d, f.get("severity", ""))),
                cell(f"{rules}\n{_kind_of(d, f)}"),
                cell(number_ranges(nos) or ", ".join(nos)),
                cell(ctx.mask(str(f.get("reason", "")))),
                cell(_sources(f)),
            ]
        )
    out += table(ctx, rows, [17 * mm, 30 * mm, 20 * mm, FRAME_W - 117 * mm, 50 * mm])
    out.append(PageBreak())
    return out


def _sources(f: dict[str, Any]) -> str:
    """Every rule's citation and address (a finding several rules make cites each),
    or the first one's for findings of the older shape."""
    cited = [
        (c.get("citation"), c.get("url")) for c in f.get("sources") or [] if isinstance(c, dict)
    ] or [(f.get("source"), f.get("source_url"))]
    return "\n".join(str(x) for pair in cited for x in pair if x)


def _first(d: Dossier, f: dict[str, Any]) -> int:
    nums = [
        int(m.group(2))
        for r in f.get("records") or ()
        if (m := _NUMBER.match(d.no_by_id.get(str(r), "")))
    ]
    return min(nums) if nums else 10**9
