"""Selection options shared by list, search, check and export, and their parsing."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from evidence_locker.cli.context import STATE
from evidence_locker.errors import UsageError
from evidence_locker.model import Channel, Direction, RecordFilter


def _enum(kind: type, value: str | None, key: str) -> Any:
    if value is None:
        return None
    normal = value.strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {"in": "incoming", "out": "outgoing", "inperson": "in_person", "visit": "in_person"}
    normal = aliases.get(normal, normal) if kind is Direction else normal
    try:
        return kind(normal)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise UsageError(key, value=value, choices=choices) from None


def _read_content(value: str | None) -> str | None:
    """``-`` reads the content from standard input (a pasted SMS, a long e-mail)."""
    if value == "-":
        data = sys.stdin.read()
        return data.rstrip("\n") if data.strip() else None
    return value


def _filter(
    *,
    channel: list[str] | None,
    direction: str | None = None,
    org: str | None,
    counterpart: str | None,
    since: str | None,
    until: str | None,
    case: str | None,
    deleted: bool = False,
    all_versions: bool = False,
    has_attachment: bool | None = None,
):
    """Build a RecordFilter from the shared selection options."""
    from evidence_locker.parsing.times import parse_bound

    channels: list[Channel] = []
    for item in channel or ():
        for part in item.split(","):
            if part.strip():
                channels.append(_enum(Channel, part, "log.bad_channel"))
    return RecordFilter(
        channels=tuple(channels),
        directions=(_enum(Direction, direction, "log.bad_direction"),) if direction else (),
        organisation=org,
        counterpart=counterpart,
        case=case,
        since=parse_bound(since, tz=STATE.tz, now=STATE.now()) if since else None,
        until=parse_bound(until, tz=STATE.tz, now=STATE.now(), end=True) if until else None,
        include_deleted=deleted,
        all_versions=all_versions,
        has_attachment=has_attachment,
    )


ChannelOpt = Annotated[
    list[str] | None,
    typer.Option("--channel", help="sms, call, visit, email, message, letter, other (comma list)."),
]
OrgOpt = Annotated[str | None, typer.Option("--org", help="Organisation contains this text.")]
CounterpartOpt = Annotated[
    str | None, typer.Option("--counterpart", help="Counterpart name or number contains this.")
]
SinceOpt = Annotated[str | None, typer.Option("--since", help="From this date/time (inclusive).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Up to this date/time (inclusive).")]
CaseOpt = Annotated[str | None, typer.Option("--case", help="Only this case (name or id).")]


def check_report(
    locker: Any, flt: RecordFilter | None = None, names: list[str] | None = None
) -> Any:
    """The rules' report on ``flt`` with ``names`` (else the locker's or the records'
    rule sets), on the zone the user gave for this run (else the locker's...)."""
    from evidence_locker.rules import resolve_rule_sets

    sets = resolve_rule_sets(names) if names else None
    return locker.check(flt, rule_sets=sets, tz=STATE.explicit_tz)
