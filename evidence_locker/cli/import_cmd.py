"""The import command: SMS Backup & Restore, e-mail (.eml, mbox), CSV, WeChat, Google Voice."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE

if TYPE_CHECKING:
    from evidence_locker.locker.importing import Preview


def import_cmd(
    file: Annotated[Path, typer.Argument(help="The export file.")],
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="sms-backup, eml, mbox, csv, wechat-csv, gvoice-html (default: detect).",
        ),
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organisation for every record.")] = None,
    case: Annotated[str | None, typer.Option("--case", help="Case for every record.")] = None,
    map_: Annotated[
        str | None,
        typer.Option(
            "--map", help='CSV columns: "时间=occurred_at,对方号码=address,内容=content".'
        ),
    ] = None,
    date_format: Annotated[
        str | None, typer.Option("--date-format", help="CSV date format, e.g. %Y/%m/%d %H:%M.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Force the text encoding (default: detect).")
    ] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="CSV: channel when no column says it.")
    ] = None,
    own_address: Annotated[
        list[str] | None,
        typer.Option("--own-address", help="Your own e-mail address (marks outgoing mail)."),
    ] = None,
    only_from: Annotated[
        list[str] | None,
        typer.Option(
            "--only-from",
            "--number",
            help='Only these numbers/addresses (repeat or "a,b"); wildcards: "*@x.com", "138*".',
        ),
    ] = None,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="Only contacts whose name contains this.")
    ] = None,
    keyword: Annotated[
        list[str] | None, typer.Option("--keyword", help="Only entries containing this text.")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only from this date.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only up to this date.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be imported; write nothing.")
    ] = False,
    salvage: Annotated[
        bool,
        typer.Option(
            "--salvage", help="A file cut off part-way: import the whole entries before the cut."
        ),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="The summary as JSON.")] = False,
) -> None:
    """Import an export file; safe to run twice. / 导入短信备份、邮件、CSV、微信记录。"""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from evidence_locker.importers import Filters, ImportOptions, parse_column_map
    from evidence_locker.locker.importing import import_file
    from evidence_locker.parsing.times import parse_bound

    tz = STATE.tz
    locker = STATE.open_locker()
    options = ImportOptions(
        region=locker.region,
        timezone=getattr(tz, "key", None),
        column_map=parse_column_map(map_) if map_ else {},
        date_format=date_format,
        encoding=encoding,
        organisation=org,
        case=case,
        own_addresses=tuple(own_address or ()),
        channel=channel,
        filters=Filters(
            addresses=tuple(only_from or ()),
            names=tuple(name or ()),
            keywords=tuple(keyword or ()),
            since=parse_bound(since, tz=tz, now=STATE.now()) if since else None,
            until=parse_bound(until, tz=tz, now=STATE.now(), end=True) if until else None,
        ),
    )
    show_progress = not json_out and STATE.err.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=STATE.err,
        disable=not show_progress,
        transient=True,
    ) as bar:
        task = bar.add_task(STATE.t("import.progress", file=file.name, n=0), total=None)
        summary = import_file(
            locker,
            file,
            format=format,
            options=options,
            dry_run=dry_run,
            salvage=salvage,
            progress=lambda n: bar.update(
                task, description=STATE.t("import.progress", file=file.name, n=n)
            ),
        )
    if json_out:
        render.print_json(summary.to_json(STATE.lang))
        return
    key = "import.summary_dry" if dry_run else "import.summary"
    STATE.console.print(
        STATE.t(
            key,
            file=summary.file,
            format=summary.format,
            read=summary.read,
            imported=summary.imported,
            duplicates=summary.duplicates,
            filtered=summary.filtered,
            rejected=len(summary.rejected),
            attachments=summary.attachments,
        ),
        markup=False,
    )
    if summary.salvaged is not None:
        STATE.err.print(summary.salvage_message(STATE.lang), markup=False)
    if dry_run:
        _print_previews(summary.previews)
    for r in summary.rejected[:20]:
        where = f"{r.entry}" + (f", line {r.line}" if r.line else "")
        STATE.console.print(f"  {where}: {r.render(STATE.lang)}", markup=False)
    if len(summary.rejected) > 20:
        STATE.console.print(STATE.t("import.more_rejected", n=len(summary.rejected) - 20))


DRY_RUN_SHOWN = 50


def _print_previews(previews: list[Preview]) -> None:
    """One line per record a dry run would add: when, channel, who, what it says."""
    for p in previews[:DRY_RUN_SHOWN]:
        when = (
            render.when(p.occurred_at, STATE.tz)
            if p.time_known
            else (p.occurred_at.strftime("%Y-%m-%d") + " " + STATE.t("import.time_unknown"))
        )
        who = " ".join(x for x in (p.counterpart, p.address) if x) or "-"
        arrow = {"incoming": "←", "outgoing": "→"}.get(p.direction, "·")
        clip = f" 📎{p.attachments}" if p.attachments else ""
        line = f"  {when}  {p.channel} {arrow} {render.one_line(who, 28)}  {p.preview or ''}{clip}"
        STATE.console.print(line.rstrip(), markup=False, overflow="ellipsis", no_wrap=True)
    if len(previews) > DRY_RUN_SHOWN:
        STATE.console.print(
            STATE.t("import.more_previews", n=len(previews) - DRY_RUN_SHOWN), markup=False
        )


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
