"""The log command: one contact typed (or pasted) by the user, one record."""

from pathlib import Path
from typing import Annotated, Any

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE
from evidence_locker.cli.options import _enum, _read_content
from evidence_locker.errors import UsageError
from evidence_locker.model import APPS, Channel, ContactDraft, Direction, Event, Outcome

# What each channel cannot do without: prompted for on a terminal, an error in scripts.
REQUIRED: dict[Channel, tuple[str, ...]] = {
    Channel.SMS: ("address", "content"),
    Channel.CALL: ("address",),
    Channel.VISIT: ("location",),
    Channel.EMAIL: ("address", "subject"),
    Channel.MESSAGE: ("app", "counterpart"),
    Channel.LETTER: ("organisation",),
    Channel.OTHER: ("content",),
}
OPTION_NAME = {
    "address": "--number",
    "content": "--content",
    "location": "--location",
    "subject": "--subject",
    "app": "--app",
    "counterpart": "--counterpart",
    "organisation": "--org",
}
DEFAULT_DIRECTION = {Channel.VISIT: Direction.IN_PERSON}


def _make_log_command(channel: Channel):
    def command(
        at: Annotated[
            str,
            typer.Option(
                "--at",
                help=(
                    "When: '2025-02-09 18:43', '昨天 下午3点', '2月9日 18:43', 'last Friday 9pm',"
                    " 'Feb 9 6:43pm', '3 days ago', 'now'. A date alone: time unknown."
                ),
            ),
        ] = "now",
        org: Annotated[
            str | None, typer.Option("--org", help="Organisation: the creditor or its agency.")
        ] = None,
        counterpart: Annotated[
            str | None, typer.Option("--counterpart", help="The person: name, staff number.")
        ] = None,
        number: Annotated[
            str | None,
            typer.Option(
                "--number", "--address", "--from", help="Phone number, e-mail or address."
            ),
        ] = None,
        direction: Annotated[
            str | None, typer.Option("--direction", help="incoming, outgoing or in_person.")
        ] = None,
        content: Annotated[
            str | None,
            typer.Option("--content", help="What was said or written; '-' reads standard input."),
        ] = None,
        subject: Annotated[str | None, typer.Option("--subject", help="Subject line.")] = None,
        duration: Annotated[
            str | None, typer.Option("--duration", help="Call length: 6m, 1h2m, 90s, 6:30.")
        ] = None,
        location: Annotated[str | None, typer.Option("--location", help="Where (visits).")] = None,
        people: Annotated[
            str | None, typer.Option("--people", help="Who was present (visits).")
        ] = None,
        app: Annotated[
            str | None, typer.Option("--app", help="App: " + ", ".join(APPS) + ".")
        ] = None,
        outcome: Annotated[
            str | None,
            typer.Option(
                "--outcome", help="connected, missed, voicemail, rejected, blocked, failed."
            ),
        ] = None,
        third_party: Annotated[
            str | None,
            typer.Option(
                "--third-party", help="Contact reported by someone else: who (e.g. mother)."
            ),
        ] = None,
        event: Annotated[
            str | None,
            typer.Option(
                "--event", help="Your own step: cease_request, dispute, attorney, repayment_plan."
            ),
        ] = None,
        notes: Annotated[str | None, typer.Option("--notes", help="Your notes.")] = None,
        tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
        case: Annotated[str | None, typer.Option("--case", help="Case name or id.")] = None,
        attach: Annotated[
            list[Path] | None, typer.Option("--attach", help="A file to attach (repeatable).")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
    ) -> None:
        from evidence_locker.parsing.times import parse_duration, parse_when

        values: dict[str, Any] = {
            "address": number,
            "content": _read_content(content),
            "location": location,
            "subject": subject,
            "app": app.lower() if app else None,
            "counterpart": counterpart,
            "organisation": org,
        }
        if values["app"] and values["app"] not in APPS:
            raise UsageError("log.bad_app", value=app, choices=", ".join(APPS))
        for name in REQUIRED[channel]:
            if values.get(name):
                continue
            if not STATE.interactive:
                raise UsageError("log.missing", option=OPTION_NAME[name], channel=channel.value)
            values[name] = typer.prompt(STATE.t(f"prompt.{name}")).strip() or None
            if not values[name]:
                raise UsageError("log.missing", option=OPTION_NAME[name], channel=channel.value)
        occurred = parse_when(at, tz=STATE.tz, now=STATE.now())
        draft = ContactDraft(
            channel=channel,
            occurred_at=occurred.at,
            time_known=occurred.time_known,
            direction=_enum(Direction, direction, "log.bad_direction")
            or DEFAULT_DIRECTION.get(channel, Direction.INCOMING),
            counterpart=values["counterpart"],
            organisation=values["organisation"],
            address=values["address"],
            subject=values["subject"],
            content=values["content"],
            location=values["location"],
            people_present=people,
            notes=notes,
            tags=tuple(tag or ()),
            app=values["app"],
            duration_s=parse_duration(duration) if duration else None,
            outcome=_enum(Outcome, outcome, "log.bad_outcome"),
            third_party=third_party,
            event=_enum(Event, event, "log.bad_event"),
            case=case,
            attachments=_attachment_drafts(attach),
        )
        locker = STATE.open_locker()
        record = locker.log(draft)
        if json_out:
            render.print_json(record.to_json())
            return
        STATE.console.print(
            STATE.t(
                "log.done",
                channel=render.channel_label(STATE, record),
                id=record.id[: render.SHORT_ID],
                when=render.occurred(STATE, record),
            )
        )
        for att in record.attachments:
            STATE.console.print(
                STATE.t("attach.done", name=att.name, size=att.size, sha=att.sha256[:16])
            )

    command.__doc__ = f"Log a {channel.value} contact. / 记录一次{_CHANNEL_ZH[channel]}。"
    return command


_CHANNEL_ZH = {
    Channel.SMS: "短信",
    Channel.CALL: "电话",
    Channel.VISIT: "上门或柜台接触",
    Channel.EMAIL: "邮件",
    Channel.MESSAGE: "应用消息（微信、QQ 等）",
    Channel.LETTER: "信件",
    Channel.OTHER: "其他联系",
}


def _attachment_drafts(paths: list[Path] | None) -> tuple:
    from evidence_locker.model import AttachmentDraft

    out = []
    for p in paths or ():
        if not p.is_file():
            from evidence_locker.errors import NotFound

            raise NotFound("file.missing", path=str(p))
        out.append(AttachmentDraft(name=p.name, path=str(p)))
    return tuple(out)


def register(app: typer.Typer) -> None:
    log_app = typer.Typer(help="Log a contact. / 记录一次联系。", no_args_is_help=True)
    for channel in Channel:
        log_app.command(channel.value)(_make_log_command(channel))
    app.add_typer(log_app, name="log")
