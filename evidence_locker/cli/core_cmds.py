"""Core commands: init, list, show, correct, delete, case, verify, passwd."""

from pathlib import Path
from typing import Annotated, Any

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import (
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    RECOVERY_ENV,
    STATE,
)
from evidence_locker.cli.options import (
    CaseOpt,
    ChannelOpt,
    CounterpartOpt,
    OrgOpt,
    SinceOpt,
    UntilOpt,
    _enum,
    _filter,
    _read_content,
)
from evidence_locker.locale.words import value_label
from evidence_locker.model import Channel, Direction, Outcome
from evidence_locker.parsing.phones import grouped_number


def list_cmd(
    channel: ChannelOpt = None,
    direction: Annotated[str | None, typer.Option("--direction")] = None,
    org: OrgOpt = None,
    counterpart: CounterpartOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    case: CaseOpt = None,
    deleted: Annotated[bool, typer.Option("--deleted", help="Include deleted records.")] = False,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Show every version, not only the latest.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="JSON array.")] = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="CSV with a header row.")] = False,
) -> None:
    """List records, oldest first. / 按时间列出记录。"""
    flt = _filter(
        channel=channel,
        direction=direction,
        org=org,
        counterpart=counterpart,
        since=since,
        until=until,
        case=case,
        deleted=deleted,
        all_versions=all_versions,
    )
    records = STATE.open_locker().records(flt)
    if json_out:
        render.print_json([r.to_json() for r in records])
    elif csv_out:
        render.print_csv(records)
    elif not records:
        STATE.err.print(STATE.t("list.empty"))
    else:
        render.records_table(STATE, records)
        STATE.console.print(STATE.t("list.count", n=len(records)))


def show_cmd(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="Record id (or a prefix).")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one record with its corrections, attachments and leaf hash. / 查看一条记录。"""
    history = STATE.open_locker().get(record_id)
    if json_out:
        data = history.latest.to_json()
        data["versions"] = [v.to_json() for v in history.versions]
        render.print_json(data)
        return
    r = history.latest
    c = STATE.console
    from evidence_locker.cli.direct import Direct
    from evidence_locker.cli.linebreak import labelled_lines, say

    rows: list[tuple[str, Any]] = [
        ("field.id", r.id),
        ("field.record_id", r.record_id if r.record_id != r.id else None),  # once if equal
        ("field.channel", render.channel_label(STATE, r)),
        ("field.direction", STATE.t(f"direction.{r.direction.value}")),
        ("field.occurred_at", render.occurred(STATE, r, seconds=True)),
        ("field.logged_at", render.when(r.logged_at, STATE.tz, seconds=True)),
        ("field.existed_by", _trusted_time(r)),
        ("field.organisation", r.organisation),
        ("field.counterpart", r.counterpart),
        ("field.address", grouped_number(r.address) if r.address else None),
        ("field.subject", r.subject),
        ("field.duration", render.duration(STATE, r.duration_s) if r.duration_s else None),
        (
            "field.outcome",
            value_label("outcome", r.outcome.value, STATE.lang) if r.outcome else None,
        ),
        ("field.location", r.location),
        ("field.people_present", r.people_present),
        ("field.third_party", r.third_party),
        ("field.event", value_label("event", r.event.value, STATE.lang) if r.event else None),
        ("field.case", r.case),
        ("field.tags", ", ".join(r.tags) if r.tags else None),
        ("field.notes", r.notes),
        ("field.source", _source_text(r)),
        ("field.leaf_hash", r.leaf_hash),
    ]
    shown = [(STATE.t(key), str(value)) for key, value in rows if value]
    out = Direct(c)
    out.text(labelled_lines(shown, out.width, indent=0, style="bold", gap=2))
    out.flush()
    if r.content:
        c.print()
        c.print(f"[bold]{STATE.t('field.content')}[/bold]")
        say(c, r.content)
    if history.deleted:
        c.print()
        c.print(f"[bold]{STATE.t('show.deleted', reason=history.delete_reason)}[/bold]")
    if len(history.versions) > 1:
        c.print()
        c.print(f"[bold]{STATE.t('show.versions', n=len(history.versions))}[/bold]")
        for v in history.versions:
            reason = f" — {v.correction_reason}" if v.correction_reason else ""
            c.print(
                f"  {v.id[:8]}  {render.when(v.logged_at, STATE.tz)}{reason}\n"
                f"      {render.one_line(v.content or v.subject or '', 70)}",
                markup=False,
            )
    if history.attachments:
        c.print()
        c.print(f"[bold]{STATE.t('show.attachments', n=len(history.attachments))}[/bold]")
        from evidence_locker.cli.ocr_cmd import print_read_text

        for a in history.attachments:
            c.print(f"  {a.id[:8]}  {a.name}  {a.size} B", markup=False)
            c.print(render.digest_lines("sha256", a.sha256, c.width, indent=6), markup=False)
            print_read_text(a)


def _trusted_time(r: Any) -> str | None:
    if r.existed_by is None:
        return None
    from evidence_locker.cli.tsa_cmd import trusted_time_text

    return trusted_time_text(STATE, r)


def _source_text(r: Any) -> str | None:
    s = r.source
    if not s or s.kind == "manual":
        return None
    parts = [s.format, s.file_name, s.entry]
    return " · ".join(p for p in parts if p)


def correct_cmd(
    record_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why the correction (required).")],
    at: Annotated[str | None, typer.Option("--at")] = None,
    channel: Annotated[str | None, typer.Option("--channel")] = None,
    direction: Annotated[str | None, typer.Option("--direction")] = None,
    org: Annotated[str | None, typer.Option("--org")] = None,
    counterpart: Annotated[str | None, typer.Option("--counterpart")] = None,
    number: Annotated[str | None, typer.Option("--number", "--address")] = None,
    content: Annotated[str | None, typer.Option("--content", help="'-' reads stdin.")] = None,
    subject: Annotated[str | None, typer.Option("--subject")] = None,
    duration: Annotated[str | None, typer.Option("--duration")] = None,
    location: Annotated[str | None, typer.Option("--location")] = None,
    people: Annotated[str | None, typer.Option("--people")] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    case: Annotated[str | None, typer.Option("--case")] = None,
    third_party: Annotated[str | None, typer.Option("--third-party")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome")] = None,
) -> None:
    """Correct a record: a new version that supersedes it; the original stays. / 更正记录。"""
    from evidence_locker.parsing.times import parse_duration, parse_when

    changes: dict[str, Any] = {}
    if at is not None:  # a full time makes a day-only record's time known again
        occurred = parse_when(at, tz=STATE.tz, now=STATE.now())
        changes["occurred_at"], changes["time_known"] = occurred.at, occurred.time_known
    if channel is not None:
        changes["channel"] = _enum(Channel, channel, "log.bad_channel")
    if direction is not None:
        changes["direction"] = _enum(Direction, direction, "log.bad_direction")
    if outcome is not None:
        changes["outcome"] = _enum(Outcome, outcome, "log.bad_outcome")
    if duration is not None:
        changes["duration_s"] = parse_duration(duration)
    for name, value in (
        ("organisation", org),
        ("counterpart", counterpart),
        ("address", number),
        ("content", _read_content(content)),
        ("subject", subject),
        ("location", location),
        ("people_present", people),
        ("notes", notes),
        ("case", case),
        ("third_party", third_party),
    ):
        if value is not None:
            changes[name] = value or None
    record = STATE.open_locker().correct(record_id, reason=reason, changes=changes)
    STATE.console.print(STATE.t("correct.done", id=record.id[:8], old=(record.corrects or "")[:8]))


def delete_cmd(
    record_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
) -> None:
    """Mark a record deleted with a reason; it stays in the ledger. / 删除记录（保留在账本中）。"""
    locker = STATE.open_locker()
    full = locker.get(record_id).latest.record_id
    locker.delete(record_id, reason=reason)
    STATE.console.print(STATE.t("delete.done", id=full[:8]))


case_app = typer.Typer(help="Group records by debt. / 按债务分组。", no_args_is_help=True)


@case_app.command("add")
def case_add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. card-1234.")],
    creditor: Annotated[str | None, typer.Option("--creditor")] = None,
    account: Annotated[str | None, typer.Option("--account")] = None,
    amount: Annotated[str | None, typer.Option("--amount")] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
) -> None:
    """Add a case. / 新建案件。"""
    case = STATE.open_locker().add_case(
        name, creditor=creditor, account=account, amount=amount, notes=notes
    )
    STATE.console.print(STATE.t("case.done", name=case.name, id=case.id[:8]))


@case_app.command("list")
def case_list(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List cases. / 列出案件。"""
    cases = STATE.open_locker().cases()
    if json_out:
        render.print_json([c.to_json() for c in cases])
        return
    if not cases:
        STATE.err.print(STATE.t("case.none"))
        return
    from rich.table import Table

    table = Table(header_style="bold")
    for key in ("col.id", "col.case", "col.creditor", "col.account", "col.amount"):
        table.add_column(STATE.t(key))
    for c in cases:
        table.add_row(c.id[:8], c.name, c.creditor or "", c.account or "", c.amount or "")
    STATE.console.print(table)


def verify_cmd(
    json_out: Annotated[bool, typer.Option("--json")] = False,
    accept_older: Annotated[
        bool,
        typer.Option(
            "--accept-older",
            help="This locker is older than the newest head this computer saw, on purpose "
            "(an older backup restored): take its head as the newest from now on.",
        ),
    ] = False,
    against: Annotated[
        list[Path] | None,
        typer.Option(
            "--against",
            metavar="FILE",
            help="A dossier, a backup or a saved tree head of this locker: prove the ledger "
            "still extends it (repeatable).",
        ),
    ] = None,
    deep: Annotated[
        bool,
        typer.Option("--deep", help="Also rebuild the search index in memory and compare it."),
    ] = False,
) -> None:
    """Recompute every hash and the signature; name the first bad record. / 校验完整性。"""
    from evidence_locker.care.against import verify_against
    from evidence_locker.cli.integrity import print_against, print_verify

    locker = STATE.open_locker()
    earlier = [verify_against(locker, path) for path in against or ()]
    report = locker.verify()
    if accept_older and report.newest is not None and not report.newest.ok:
        seen = report.newest.head.size
        report.newest = None
        head = locker.heads.accept_older()
        STATE.console.print(STATE.t("verify.accepted_older", now=head.size, seen=seen))
    ledger_ok = not report.problems and report.head is not None
    blob_problems = locker.verify_blobs() if ledger_ok else []
    index = locker.check_index() if deep and ledger_ok else None
    ok = print_verify(
        STATE, locker, report, blob_problems, json_out=json_out, against=earlier, index=index
    )
    if not json_out:
        print_against(STATE, earlier)
    if not ok:
        raise typer.Exit(1)


def passwd_cmd(
    recovery: Annotated[
        bool, typer.Option("--recovery", help="Unlock with the recovery key instead.")
    ] = False,
    new_recovery_key: Annotated[
        bool, typer.Option("--new-recovery-key", help="Also replace the recovery key.")
    ] = False,
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="Also change the master key: re-encrypt everything, so the old "
            "passphrase opens no copy made from now on (prints a new recovery key).",
        ),
    ] = False,
) -> None:
    """Set a new passphrase (unlock with the old one or the recovery key). / 修改口令。"""
    from evidence_locker.locker import Locker

    directory = STATE.resolved_dir()
    if recovery:
        if STATE.database_url is None and not Locker.exists(directory):
            from evidence_locker.errors import LockerMissing

            raise LockerMissing(path=str(directory), hint="hint.init")
        locker = STATE.unlock(
            "secret.recovery",
            env=RECOVERY_ENV,
            attempt=lambda key: Locker.open(
                directory, recovery_key=key, database_url=STATE.database_url
            ),
        )
        STATE._locker = locker
    else:
        locker = STATE.open_locker()
    new = STATE.ask_new_passphrase("secret.new_passphrase", env=NEW_PASSPHRASE_ENV)
    if rotate:
        recovery_key = locker.rotate_keys(new)
        STATE.console.print(STATE.t("passwd.rotated"))
        _print_recovery_key(recovery_key)
        return
    locker.change_passphrase(new)
    STATE.console.print(STATE.t("passwd.done"))
    if new_recovery_key:
        _print_recovery_key(locker.new_recovery_key())


def _print_recovery_key(key: str) -> None:
    from rich.panel import Panel

    STATE.console.print(
        Panel(
            f"[bold]{key}[/bold]\n\n{STATE.t('init.recovery_note')}",
            title=STATE.t("init.recovery_title"),
        )
    )


def init_cmd() -> None:
    """Create a new locker: asks a passphrase twice, prints a recovery key once. / 新建证据库。"""
    from evidence_locker.locker import Locker

    directory = STATE.resolved_dir()
    if STATE.database_url is None and Locker.exists(directory):
        from evidence_locker.errors import LockerExists

        raise LockerExists(path=str(directory))
    passphrase = STATE.ask_new_passphrase("secret.choose_passphrase", env=PASSPHRASE_ENV)
    locker, recovery_key = Locker.create(directory, passphrase, database_url=STATE.database_url)
    STATE._locker = locker
    STATE.console.print(STATE.t("init.done", path=str(directory)))
    _print_recovery_key(recovery_key)


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
    app.command("list")(list_cmd)
    app.command("show")(show_cmd)
    app.command("correct")(correct_cmd)
    app.command("delete")(delete_cmd)
    app.add_typer(case_app, name="case")
    app.command("verify")(verify_cmd)
    app.command("passwd")(passwd_cmd)
