"""The import command: export files, iPhone backup folders and IMAP mailboxes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE
from evidence_locker.locale import words

if TYPE_CHECKING:
    from evidence_locker.locker.importing import Preview


def import_cmd(
    source: Annotated[
        str,
        typer.Argument(
            help="The export file, an iPhone backup folder, or imap://user@host/INBOX.",
            metavar="SOURCE",
        ),
    ],
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
    ca_file: Annotated[
        Path | None,
        typer.Option("--ca-file", help="IMAP: a private CA certificate to trust (PEM)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="The summary as JSON.")] = False,
) -> None:
    """Import an export, an iPhone backup or a mailbox; safe to run twice. / 导入记录。"""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from evidence_locker.importers import Filters, ImportOptions, parse_column_map, secrets_needed
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
        # Asked now, before the progress display would hide the prompt.
        secret={key: _ask_secret(key) for key in secrets_needed(source, format)}.get,
        tls_ca_file=str(ca_file) if ca_file else None,
        filters=Filters(
            addresses=tuple(only_from or ()),
            names=tuple(name or ()),
            keywords=tuple(keyword or ()),
            since=parse_bound(since, tz=tz, now=STATE.now()) if since else None,
            until=parse_bound(until, tz=tz, now=STATE.now(), end=True) if until else None,
        ),
    )
    shown = source if "://" in source else Path(source).name
    show_progress = not json_out and STATE.err.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=STATE.err,
        disable=not show_progress,
        transient=True,
    ) as bar:
        task = bar.add_task(STATE.t("import.progress", file=shown, n=0), total=None)

        def progress(read: int, position: tuple[int, int] | None) -> None:
            done, total = position if position else (None, None)
            description = STATE.t("import.progress", file=shown, n=read)
            bar.update(task, description=description, completed=done, total=total)

        summary = import_file(
            locker,
            source,
            format=format,
            options=options,
            dry_run=dry_run,
            salvage=salvage,
            progress=progress,
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
# For scripts: secrets from the environment (as EVIDENCE_LOCKER_PASSPHRASE); else asked.
SECRET_ENV = {
    "backup_password": "EVIDENCE_LOCKER_BACKUP_PASSWORD",
    "imap_password": "EVIDENCE_LOCKER_IMAP_PASSWORD",
}


def _ask_secret(what: str) -> str | None:
    """A password an input needs: from its environment variable, else asked at a
    terminal without echo; None when neither can answer (the importer then says so)."""
    value = os.environ.get(SECRET_ENV.get(what, ""), "")
    if value:
        return value
    if not STATE.err.is_terminal:
        return None
    return str(typer.prompt(STATE.t(f"import.ask_{what}"), hide_input=True, err=True)) or None


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
        said = p.preview or ""
        if p.duration_s:
            said = f"[{render.duration(STATE, p.duration_s)}] {said}"
        channel = words.channel_label(p.channel, p.app, STATE.lang)
        line = f"  {when}  {channel} {arrow} {render.one_line(who, 28)}  {said}{clip}"
        STATE.console.print(line.rstrip(), markup=False, overflow="ellipsis", no_wrap=True)
    if len(previews) > DRY_RUN_SHOWN:
        STATE.console.print(
            STATE.t("import.more_previews", n=len(previews) - DRY_RUN_SHOWN), markup=False
        )


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
