"""The ``check`` and ``rules list`` commands: flag possible misconduct, show the rules.

``check`` runs the rule engine over the whole locker (latest, non-deleted versions),
then shows the flags that concern the selected records: a window of days, a call
count or a cease letter before ``--since`` still counts, and ``--org`` narrows what is
shown, not what the rules know. Every line says "possible"; nothing here is a legal
conclusion.
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
    rules_zone,
)

if TYPE_CHECKING:
    from evidence_locker.model import Record
    from evidence_locker.rules import Flag

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}

RulesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rules",
        help="Rule sets: cn, us, uk (repeat or comma list). Default: from your timezone"
        " and language, unless --rules-file is given.",
    ),
]
RulesFileOpt = Annotated[
    list[Path] | None,
    typer.Option("--rules-file", help="Your own rule-set TOML file (repeatable); docs/rules.md."),
]


def _set_names(rules: list[str] | None) -> list[str]:
    return [p.strip().lower() for item in rules or () for p in item.split(",") if p.strip()]


def _when(flag: Flag) -> str:
    """``2025-02-09 22:47`` from the flag's ISO time (already on the debtor's clock)."""
    return flag.first_at[:16].replace("T", " ")


def check_cmd(
    rules: RulesOpt = None,
    rules_file: RulesFileOpt = None,
    numbers: Annotated[
        Path | None,
        typer.Option(
            "--numbers",
            help="TOML file of each organisation's official numbers, for the scam-sign rules.",
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
    json_out: Annotated[bool, typer.Option("--json", help="JSON array of flags.")] = False,
) -> None:
    """Flag possible misconduct: night contacts, call floods, third parties, threats,
    scams. Possible issues for a person to review, never a legal conclusion.
    / 标出可能的违规催收（夜间联系、频繁来电、联系第三人、威胁、诈骗迹象），仅供人工复核。"""
    from evidence_locker.rules import (
        default_rule_set_name,
        load_official_numbers,
        resolve_rule_sets,
    )

    tz = rules_zone()
    names = _set_names(rules)
    files = list(rules_file or ())
    if not names and not files:
        names = [default_rule_set_name(STATE.lang, tz if isinstance(tz, str) else None)]
    # Read every file first: a typo in a rule file is reported before the passphrase.
    rule_sets = resolve_rule_sets(names, files)
    official = load_official_numbers(numbers) if numbers is not None else None
    flt = _filter(
        channel=channel, org=org, counterpart=counterpart, since=since, until=until, case=case
    )
    locker = STATE.open_locker()
    flags = locker.check(
        flt,
        rule_sets=rule_sets,
        tz=tz,
        official_numbers=official,
        include_unverified=not verified_only,
    )
    selected: list[Record] = locker.records(flt)
    if json_out:
        render.print_json([f.to_json(STATE.lang) for f in flags])
        return
    set_names = ", ".join(rs.name for rs in rule_sets)
    if not flags:
        STATE.console.print(STATE.t("rules.cli.none", n=len(selected), sets=set_names))
        return
    tz_name = getattr(STATE.tz, "key", None) or str(STATE.tz)
    STATE.console.print(STATE.t("rules.cli.header", sets=set_names, tz=tz_name), markup=False)
    _flags_table(flags)
    # Records of the selection that some flag names (a frequency flag may also name
    # records outside it, which the count leaves out).
    concerned = {r for f in flags for r in f.records} & {r.record_id for r in selected}
    STATE.console.print(
        STATE.t("rules.cli.count", flags=len(flags), records=len(concerned), n=len(selected))
    )
    if any("U" in f.confidence for f in flags):
        STATE.console.print(STATE.t("rules.cli.unverified_note"), markup=False)


def _flags_table(flags: list[Flag]) -> None:
    from rich.table import Table

    table = Table(header_style="bold", show_lines=False)
    for key in ("rules.col.rule", "rules.col.severity", "rules.col.when", "rules.col.records"):
        table.add_column(STATE.t(key), no_wrap=True)
    table.add_column(STATE.t("rules.col.reason"), overflow="fold", ratio=3)
    table.add_column(STATE.t("rules.col.source"), overflow="fold", ratio=2)
    for f in flags:
        ids = [r[: render.SHORT_ID] for r in f.records]
        shown = " ".join(ids[:4]) + (f" +{len(ids) - 4}" if len(ids) > 4 else "")
        sev = STATE.t(f"rules.severity.{f.severity}")
        table.add_row(
            _escape(f"{f.rule} [{f.confidence}]"),
            f"[{_SEVERITY_STYLE[f.severity]}]{sev}[/]",
            _when(f),
            shown,
            _escape(f.reason(STATE.lang)),
            _escape(f.source),
        )
    STATE.console.print(table)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


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

    for rs in described:
        tz = STATE.t("rules.list.tz", tz=rs["default_timezone"]) if rs["default_timezone"] else ""
        STATE.console.print(
            STATE.t(
                "rules.list.set", name=rs["name"], title=rs["title"], count=len(rs["rules"]), tz=tz
            ),
            markup=False,
            style="bold",
        )
        table = Table(header_style="bold")
        table.add_column("id", no_wrap=True)
        for key in ("rules.col.kind", "rules.col.severity", "rules.col.confidence"):
            table.add_column(STATE.t(key), no_wrap=True)
        table.add_column(STATE.t("rules.col.description"), overflow="fold", ratio=3)
        table.add_column(STATE.t("rules.col.source"), overflow="fold", ratio=2)
        for r in rs["rules"]:
            table.add_row(
                r["id"],
                r["kind"],
                STATE.t(f"rules.severity.{r['severity']}"),
                r["confidence"],
                _escape(r["description"]),
                _escape(f"{r['source']} <{r['source_url']}>"),
            )
        STATE.console.print(table)
    STATE.console.print(STATE.t("rules.list.legend"), markup=False)


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)
    app.add_typer(rules_app, name="rules")
