"""The ``check`` and ``rules list`` commands: flag possible misconduct, show the rules.

``check`` asks the locker for the rules' report (the rules judge the whole locker;
``--org`` or ``--since`` narrow what is shown, not what the rules know) and prints it
for the person who will read it: which law and whose clock, how to read the marks,
what was left out, a summary by organisation and kind, then one block per finding
(when, who, what happened, why it may breach, the sources). A terminal of 120
columns or more gets a table per group instead (cli/checktable.py), unless its columns
cannot fit. Every line says "possible"; nothing here is a legal conclusion.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE
from evidence_locker.cli.options import (
    CaseOpt,
    ChannelOpt,
    CounterpartOpt,
    OrgOpt,
    SinceOpt,
    UntilOpt,
    _filter,
)
from evidence_locker.parsing.phones import grouped_number

if TYPE_CHECKING:
    from evidence_locker.cli.direct import Direct
    from evidence_locker.model import Record
    from evidence_locker.rules import CheckReport, Finding, FindingGroup

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_WIDE = 120  # columns from which groups are tables
_SHOWN_IDS = 4
_INDENT = 5  # a finding's lines sit under its number

RulesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rules",
        help="Rule sets: cn, us, uk (repeat or comma list). Default: the locker's setting"
        " (config rules), else the region the records point to.",
    ),
]
RulesFileOpt = Annotated[
    list[Path] | None,
    typer.Option("--rules-file", help="Your own rule-set TOML file (repeatable); docs/rules.md."),
]


def _set_names(rules: list[str] | None) -> list[str]:
    return [p.strip().lower() for item in rules or () for p in item.split(",") if p.strip()]


def check_cmd(
    rules: RulesOpt = None,
    rules_file: RulesFileOpt = None,
    numbers: Annotated[
        Path | None,
        typer.Option(
            "--numbers",
            help="TOML file of each organisation's official numbers and web sites,"
            " for the scam-sign rules.",
        ),
    ] = None,
    verified_only: Annotated[
        bool,
        typer.Option("--verified-only", help="Leave out rules whose sources are unverified (U)."),
    ] = False,
    channel: ChannelOpt = None,
    org: OrgOpt = None,
    counterpart: CounterpartOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    case: CaseOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="The report as JSON (docs/rules.md).")
    ] = False,
) -> None:
    """Flag possible misconduct: night contacts, call floods, third parties, threats,
    scams. Possible issues for a person to review, never a legal conclusion.
    / 标出可能的违规催收（夜间联系、频繁来电、联系第三人、威胁、诈骗迹象），仅供人工复核。"""
    from evidence_locker.rules import RuleSetChoice, load_official_numbers, resolve_rule_sets

    names, files = _set_names(rules), list(rules_file or ())
    # Read every file first: a typo in a rule file is reported before the passphrase.
    choice = (
        RuleSetChoice(tuple(resolve_rule_sets(names, files)), "option") if names or files else None
    )
    official = load_official_numbers(numbers) if numbers is not None else None
    flt = _filter(
        channel=channel, org=org, counterpart=counterpart, since=since, until=until, case=case
    )
    locker = STATE.open_locker()
    report = locker.check(
        flt,
        rule_sets=choice,
        tz=STATE.explicit_tz,
        official_numbers=official,
        include_unverified=not verified_only,
    )
    if json_out:
        render.print_json(report.to_json(STATE.lang))
        return
    print_report(report)


def print_report(report: CheckReport) -> None:
    """The report as a borrower reads it (see the module docstring). Its lines are
    written as rich would write them, without rich where that is sure (cli/direct.py):
    rich's own printing was three quarters of a 20,000-record check."""
    from evidence_locker.cli.direct import Direct

    out = Direct(STATE.console)
    try:
        _print_report(report, out)
    finally:
        out.flush()


def _print_report(report: CheckReport, out: Direct) -> None:
    t, lang = STATE.t, STATE.lang
    findings, n_selected = report.findings, report.records_selected
    if findings:
        concerned = len(report.records_concerned())
        header = t("rules.cli.header", findings=len(findings), records=concerned, n=n_selected)
        _para(out, header, style="bold")
    else:
        _para(out, t("rules.cli.none", n=n_selected))
    _para(out, t("rules.cli.disclaimer"))
    _para(out, "· " + report.choice.describe(lang))
    _para(out, "· " + report.zone.describe(lang))
    for note in report.notes:
        _para(out, t("rules.cli.note") + note.text(lang), style="yellow")
        if note.records:  # which records, so the reader can look at (or correct) them
            sep = "：" if lang == "zh" else ": "
            _para(out, f"  {t('rules.cli.records')}{sep}{_ids(note.records)}", style="yellow")
    if not findings:
        return
    _para(out, t("rules.cli.legend"), style="dim")
    groups = report.groups()
    _summary(out, groups)
    wide = out.width >= _WIDE
    number = 0
    for group in groups:
        out.text([[]])
        _para(out, _group_title(group), style="bold")
        if not (wide and _group_table(out, report, group, number)):
            for i, f in enumerate(group.findings, number + 1):
                _block(out, report, f, i)
        number += group.count
    if any("U" in c.rule.confidence for f in findings for c in f.citations):
        _para(out, t("rules.cli.unverified_note"), style="dim")


def _para(out: Direct, text: str, style: str | None = None) -> None:
    """A paragraph broken where Chinese and English text may break (cli/linebreak.py)."""
    from evidence_locker.cli.linebreak import wrap

    out.say(wrap(text, out.width), style)


def _severity(sev: str) -> str:
    return STATE.t(f"rules.severity.{sev}")


def _group_title(group: FindingGroup) -> str:
    t = STATE.t
    return t(
        "rules.cli.group",
        org=group.organisation or t("rules.cli.no_org"),
        kind=t(f"rules.kind.{group.kind}"),
        count=group.count,
        severity=_severity(group.severity),
    )


def _summary(out: Direct, groups: list[FindingGroup]) -> None:
    """One line per group; a longer one goes on under its own text (a hanging indent),
    broken where Chinese and English may break."""
    from rich.cells import cell_len

    from evidence_locker.cli.linebreak import wrap

    _para(out, STATE.t("rules.cli.summary"))
    for g in groups:
        severity, count = f"{_severity(g.severity):<7}", f"{g.count:>3}  "
        indent = cell_len("  " + severity + count)
        text = f"{g.organisation or STATE.t('rules.cli.no_org')} — "
        text += STATE.t(f"rules.kind.{g.kind}")
        first, *rest = wrap(text, out.width - indent)
        parts = [("  ", None), (severity, _SEVERITY_STYLE[g.severity]), (count + first, None)]
        out.text([parts])
        out.say(" " * indent + more for more in rest)


def _when(report: CheckReport, f: Finding) -> str:
    rec = report.lookup.get(f.records[0])
    if rec is not None and not rec.time_known:
        return _on_clock(report, rec)
    return f.first_at[:16].replace("T", " ")


def _on_clock(report: CheckReport, rec: Record) -> str:
    """A record's time on the check's clock (its own offset when none was chosen); the
    day alone, said so, when only the day is known: never a made-up 00:00."""
    zone = report.zone.zone
    local = rec.occurred_at.astimezone(zone) if zone is not None else rec.occurred_at
    if not rec.time_known:
        unknown = STATE.t("rules.cli.time_unknown")
        day = local.date().isoformat()
        return f"{day}（{unknown}）" if STATE.lang == "zh" else f"{day} ({unknown})"
    return local.strftime("%Y-%m-%d %H:%M")


def _who(report: CheckReport, f: Finding, sep: str = " · ") -> str:
    """Organisation, person and number (a table puts each on its own line: ``sep``)."""
    rec = report.lookup.get(f.records[0])
    if rec is None:
        return f.organisation or ""
    parts = [rec.organisation or f.organisation, rec.counterpart]
    if rec.address and (
        len(f.records) == 1
        or len({report.lookup[r].address for r in f.records if r in report.lookup}) == 1
    ):  # in groups joined by no-break spaces, as list prints it: no line splits it
        parts.append(grouped_number(rec.address, "\u00a0"))
    return sep.join(p for p in parts if p)


def _what(report: CheckReport, f: Finding) -> str:
    """The record itself in one line, or the span of a group of contacts."""
    recs = [report.lookup[r] for r in f.records if r in report.lookup]
    if not recs:
        return ""
    if len(recs) > 1 and f.kind == "frequency":
        ordered = sorted(recs, key=lambda r: r.occurred_at)
        first, last = (_on_clock(report, r) for r in (ordered[0], ordered[-1]))
        if first == last:
            return STATE.t("rules.cli.contacts_at", n=len(recs), when=first)
        return STATE.t("rules.cli.contacts", n=len(recs), first=first, last=last)
    rec = recs[0]
    label = render.channel_label(STATE, rec)
    text = rec.content or rec.subject or rec.notes or ""
    extra: list[str] = []
    if rec.duration_s:
        extra.append(_lasted(rec.duration_s))
    if rec.third_party:
        extra.append(rec.third_party)
    zh = STATE.lang == "zh"
    if extra:
        label += f"（{'，'.join(extra)}）" if zh else f" ({', '.join(extra)})"
    if not text:
        return label
    return f"{label}{'：' if zh else ': '}“{render.one_line(text, 160)}”"


def _keep_scores(text: str) -> str:
    """ "(score 5)" kept on one line: a no-break space (printed as a space) where the
    line breaker would otherwise leave "(score" at one line's end and "5)" alone."""
    return text.replace("(score ", "(score\u00a0").replace("评分 ", "评分\u00a0")


def _lasted(seconds: int) -> str:
    """ "lasted 6 min 5 s" / "通话6分5秒", in brackets after "call"."""
    return STATE.t("rules.cli.lasted", duration=render.duration(STATE, seconds))


def _records(f: Finding) -> str:
    return _ids(f.records)


def _ids(records: tuple[str, ...]) -> str:
    ids = [r[: render.SHORT_ID] for r in records]
    shown = " ".join(ids[:_SHOWN_IDS])
    if len(ids) > _SHOWN_IDS:
        return STATE.t("rules.cli.more_records", shown=shown, more=len(ids) - _SHOWN_IDS)
    return shown


def _sources(f: Finding) -> list[str]:
    # In Chinese no space after the mark: a space is where the terminal would break.
    sep = "" if STATE.lang == "zh" else " "
    return [
        f"[{c.rule.confidence}]{sep}{c.rule.citation(STATE.lang)} ({c.rule.id})"
        for c in f.citations
    ]


def _block(out: Direct, report: CheckReport, f: Finding, number: int) -> None:
    """One finding: a numbered heading line, then labelled lines wrapped under it (no
    trailing padding: a copied block pastes as it reads). Written by cli/direct.py
    where it can (rich costs about 0.1 ms a print), else printed by rich at once."""

    from evidence_locker.cli.linebreak import labelled_lines

    t, width = STATE.t, out.width
    score = t("rules.cli.score", score=f"{f.score:.3g}")
    lines: list[list[tuple[str, str | None]]] = [
        [
            (f"{number:>3}. ", None),
            (_severity(f.severity).upper(), _SEVERITY_STYLE[f.severity]),
            (f"  {_when(report, f)}  ·  {score}", None),
        ]
    ]
    rows = [
        ("rules.cli.who", _who(report, f)),
        ("rules.cli.what", _what(report, f)),
        ("rules.cli.why", _keep_scores("\n".join(f.reasons(STATE.lang)))),
        ("rules.cli.sources", "\n".join(_sources(f))),
        ("rules.cli.records", _records(f)),
    ]
    labels = [(t(k), v) for k, v in rows]
    lines += labelled_lines(labels, width, indent=_INDENT, style="dim")
    out.text(lines)


def _group_table(out: Direct, report: CheckReport, group: FindingGroup, start: int) -> bool:
    """The group as a table (cli/checktable.py); False when its columns cannot fit."""
    from evidence_locker.cli import checktable
    from evidence_locker.cli.columns import Column

    t, found = STATE.t, group.findings
    who = [_who(report, f, "\n") for f in found]
    what = [_what(report, f) for f in found]
    why = [_keep_scores("\n".join(f.reasons(STATE.lang))) for f in found]
    sources = ["\n".join(_sources(f)) for f in found]
    weight = checktable.weight
    columns = [
        Column("#", [str(i) for i in range(start + 1, start + 1 + len(found))]),
        Column(t("rules.cli.severity"), [_severity(f.severity) for f in found]),
        Column(
            t("rules.cli.when"),
            [checktable.when_cell(_when(report, f), _records(f)) for f in found],
        ),
        Column(t("rules.cli.who"), who, free=True, weight=weight(who)),
        Column(t("rules.cli.what"), what, free=True, weight=weight(what)),
        Column(t("rules.cli.why"), why, free=True, weight=weight(why)),
        Column(t("rules.cli.sources"), sources, free=True, weight=weight(sources)),
    ]
    styles = [_SEVERITY_STYLE[f.severity] for f in found]
    return checktable.write(out, columns, styles)


rules_app = typer.Typer(
    help="The rule sets behind check. / check 使用的规则集。", no_args_is_help=True
)


@rules_app.command("list")
def rules_list_cmd(
    rules_file: RulesFileOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON array of rule sets.")] = False,
) -> None:
    """Every rule set, each rule, its source and how sure it is (with --rules-file: your
    file too, checked). / 列出规则集、每条规则及其依据和可信度。"""
    from evidence_locker.rules import describe_rule_sets, load_rule_file, shipped_rule_sets

    sets = [*shipped_rule_sets(), *(load_rule_file(p) for p in rules_file or ())]
    described = describe_rule_sets(STATE.lang, sets)
    if json_out:
        render.print_json(described)
        return
    from rich.table import Table
    from rich.text import Text

    t = STATE.t
    for rs in described:
        tz = t("rules.list.tz", tz=rs["default_timezone"]) if rs["default_timezone"] else ""
        STATE.console.print(
            t("rules.list.set", name=rs["name"], title=rs["title"], count=len(rs["rules"]), tz=tz),
            markup=False,
            style="bold",
        )
        table = Table(header_style="bold")
        table.add_column("id", no_wrap=True)
        for key in ("rules.col.kind", "rules.col.severity", "rules.col.confidence"):
            table.add_column(t(key), no_wrap=True)
        table.add_column(t("rules.col.description"), overflow="fold", ratio=3)
        table.add_column(t("rules.col.source"), overflow="fold", ratio=2)
        for r in rs["rules"]:
            when = ""
            if r["in_force_from"]:
                when = "\n" + t("rules.list.in_force", date=r["in_force_from"])
            elif r["in_force_until"]:
                when = "\n" + t("rules.list.until", date=r["in_force_until"])
            table.add_row(
                r["id"],
                r["kind"],
                t(f"rules.severity.{r['severity']}"),
                r["confidence"],
                Text(r["description"]),
                Text(f"{r['source']} <{r['source_url']}>{when}"),
            )
        STATE.console.print(table)
    STATE.console.print(t("rules.list.legend"), markup=False)


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)
    app.add_typer(rules_app, name="rules")
