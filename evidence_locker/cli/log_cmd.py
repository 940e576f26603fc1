"""The log command: one contact typed (or pasted) by the user, one record."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE
from evidence_locker.cli.options import _enum, _read_content
from evidence_locker.errors import UsageError
from evidence_locker.model import APPS, Channel, ContactDraft, Direction, Event, Outcome

# What each channel cannot do without, as groups of which any one option will do
# (an SMS is known by its sender's number or its 【signature】): prompted for on a
# terminal, all named at once in scripts, and marked in each channel's --help.
REQUIRED: dict[Channel, tuple[tuple[str, ...], ...]] = {
    Channel.SMS: (("content",), ("address", "organisation")),
    Channel.CALL: (("address", "organisation", "counterpart"),),
    Channel.VISIT: (("location",),),
    Channel.EMAIL: (("content", "subject"),),
    Channel.MESSAGE: (("app",), ("counterpart",)),
    Channel.LETTER: (("organisation", "counterpart"),),
    Channel.OTHER: (("content",),),
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


def _required_mark(channel: Channel, name: str) -> str:
    """`` [required]`` or `` [required, or --org]`` for the option's help text."""
    for group in REQUIRED[channel]:
        if name in group:
            others = [OPTION_NAME[n] for n in group if n != name]
            return " [required" + "".join(f", or {o}" for o in others) + "]"
    return ""


# A screenshot shows who wrote and what: with --attach, a group of only these may be empty.
SHOWN_BY_FILES = frozenset({"content", "counterpart"})


def _missing(channel: Channel, values: dict[str, Any], files: bool) -> list[tuple[str, ...]]:
    return [
        group
        for group in REQUIRED[channel]
        if not any(values.get(n) for n in group) and not (files and set(group) <= SHOWN_BY_FILES)
    ]


def _missing_error(channel: Channel, groups: list[tuple[str, ...]]) -> UsageError:
    either = STATE.t("log.or")
    named = [
        OPTION_NAME[g[0]] + "".join(f" ({either} {OPTION_NAME[n]})" for n in g[1:]) for g in groups
    ]
    return UsageError(
        "log.missing",
        options=STATE.t("log.and").join(named),
        channel=channel.value,
        hint="log.missing_hint",
    )


DEFAULT_DIRECTION = {Channel.VISIT: Direction.IN_PERSON}


def _make_log_command(channel: Channel):
    def mark(name: str) -> str:
        return _required_mark(channel, name)

    def command(
        at: Annotated[
            str | None,
            typer.Option(
                "--at",
                help=(
                    "When: '2025-02-09 18:43', '昨天 下午3点', '2月9日 18:43', 'last Friday 9pm',"
                    " 'Feb 9 6:43pm', '3 days ago', 'now'. A date alone: time unknown."
                ),
            ),
        ] = None,
        org: Annotated[
            str | None,
            typer.Option(
                "--org", help="Organisation: the creditor or its agency." + mark("organisation")
            ),
        ] = None,
        counterpart: Annotated[
            str | None,
            typer.Option(
                "--counterpart", help="The person: name, staff number." + mark("counterpart")
            ),
        ] = None,
        number: Annotated[
            str | None,
            typer.Option(
                "--number",
                "--address",
                "--from",
                help="Phone number, e-mail or address." + mark("address"),
            ),
        ] = None,
        direction: Annotated[
            str | None, typer.Option("--direction", help="incoming, outgoing or in_person.")
        ] = None,
        content: Annotated[
            str | None,
            typer.Option(
                "--content",
                help="What was said or written; '-' reads standard input." + mark("content"),
            ),
        ] = None,
        subject: Annotated[
            str | None, typer.Option("--subject", help="Subject line." + mark("subject"))
        ] = None,
        duration: Annotated[
            str | None, typer.Option("--duration", help="Call length: 6m, 1h2m, 90s, 6:30.")
        ] = None,
        location: Annotated[
            str | None, typer.Option("--location", help="Where (visits)." + mark("location"))
        ] = None,
        people: Annotated[
            str | None, typer.Option("--people", help="Who was present (visits).")
        ] = None,
        app: Annotated[
            str | None, typer.Option("--app", help="App: " + ", ".join(APPS) + "." + mark("app"))
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
                "--event",
                help="A step the rules use: cease_request, refuses_to_pay, dispute,"
                " verification, attorney, no_calls, no_texts, no_email, writing_only,"
                " repayment_plan, breathing_space, breathing_space_end (docs/rules.md).",
            ),
        ] = None,
        notes: Annotated[str | None, typer.Option("--notes", help="Your notes.")] = None,
        tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
        case: Annotated[str | None, typer.Option("--case", help="Case name or id.")] = None,
        attach: Annotated[
            list[Path] | None, typer.Option("--attach", help="A file to attach (repeatable).")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
        paste: Annotated[
            bool,
            typer.Option(
                "--paste",
                help="Read a message pasted from a phone on standard input: its 【signature】"
                " is the organisation, a number or time line above it is used.",
            ),
        ] = False,
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
        typed = [v for v in (*values.values(), at, direction, duration, people, outcome) if v]
        typed += [v for v in (third_party, event, notes, tag, case, attach) if v]
        # `pbpaste | evidence-locker log sms` with nothing else typed is a paste too.
        implicit = channel is Channel.SMS and not typed and not STATE.interactive
        occurred = None
        if paste or implicit:
            pasted = _pasted(required=paste)
            if pasted is not None:
                values["content"] = values["content"] or pasted.content
                values["organisation"] = values["organisation"] or pasted.organisation
                values["address"] = values["address"] or pasted.address
                if at is None:
                    occurred = pasted.when
                _show_paste(values, occurred)
        for group in _missing(channel, values, bool(attach)):
            if not STATE.interactive:
                break
            values[group[0]] = typer.prompt(STATE.t(f"prompt.{group[0]}")).strip() or None
        missing = _missing(channel, values, bool(attach))
        if missing:
            raise _missing_error(channel, missing)
        if occurred is None:
            occurred = parse_when(at or "now", tz=STATE.tz, now=STATE.now())
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
        if record.attachments:
            from evidence_locker.cli.ocr_cmd import print_readings

            print_readings(locker, record.attachments)

    command.__doc__ = f"Log {_CHANNEL_EN[channel]}. / 记录一次{_CHANNEL_ZH[channel]}。"
    return command


_CHANNEL_EN = {
    Channel.SMS: "an SMS",
    Channel.CALL: "a call",
    Channel.VISIT: "a visit (door, office or counter)",
    Channel.EMAIL: "an email",
    Channel.MESSAGE: "an app message (WeChat, QQ...)",
    Channel.LETTER: "a letter",
    Channel.OTHER: "any other contact",
}
_CHANNEL_ZH = {
    Channel.SMS: "短信",
    Channel.CALL: "电话",
    Channel.VISIT: "上门或柜台接触",
    Channel.EMAIL: "邮件",
    Channel.MESSAGE: "应用消息（微信、QQ 等）",
    Channel.LETTER: "信件",
    Channel.OTHER: "其他联系",
}


def _pasted(*, required: bool) -> Any:
    """The message on standard input, read as a phone copies it (None when nothing was
    piped and ``--paste`` was not asked for)."""
    from evidence_locker.parsing.sms_paste import read_pasted_sms

    if STATE.interactive:
        STATE.err.print(STATE.t("paste.prompt"), markup=False)
    text = sys.stdin.read()
    if not text.strip() and not required:
        return None
    return read_pasted_sms(text, tz=STATE.tz, now=STATE.now())


def _show_paste(values: dict[str, Any], occurred: Any) -> None:
    """What was taken from the pasted text; at a terminal, ask before logging it."""
    when = render.when(occurred.at, STATE.tz) if occurred and occurred.time_known else None
    if occurred and not occurred.time_known:
        when = STATE.t("time.unknown", day=occurred.at.date().isoformat())
    rows = [
        (STATE.t("field.organisation"), values["organisation"]),
        (STATE.t("field.address"), values["address"]),
        (STATE.t("field.occurred_at"), when or STATE.t("paste.now")),
        (STATE.t("field.content"), render.one_line(values["content"], 60)),
    ]
    STATE.err.print(STATE.t("paste.understood"), markup=False)
    for label, value in rows:
        STATE.err.print(f"  {label}: {value or '-'}", markup=False)
    if STATE.interactive and not typer.confirm(STATE.t("paste.confirm"), default=True):
        STATE.err.print(STATE.t("paste.cancelled"), markup=False)
        raise typer.Exit(1)


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
