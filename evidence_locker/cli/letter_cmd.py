"""``letter``: complaints and letters drafted from the records, and ``letter sent``.

Each kind is a subcommand (``letter cease``, ``letter complaint-12378``...). The
command gathers what only the user knows (options, a ``--details`` template file,
prompts at a terminal; nothing is stored), makes one library call
(:func:`evidence_locker.letters.draft_letter`), and writes the PDF or prints the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from evidence_locker.cli.context import STATE
from evidence_locker.cli.files import check_target, write_new
from evidence_locker.cli.options import CaseOpt, OrgOpt, SinceOpt, UntilOpt, _filter
from evidence_locker.errors import NotFound, UsageError
from evidence_locker.letters.kinds import REGIONS, get_kind, kind_ids, kinds_for, regions_of

letter_app = typer.Typer(
    help="Letters and complaints drafted from your records. / 依据记录起草函件和投诉。",
    no_args_is_help=True,
)

RegionOpt = Annotated[
    str | None,
    typer.Option("--region", help="cn, us or uk (default: the kind's region, else your timezone)."),
]


def _region(region: str | None) -> str | None:
    if region is None:
        return None
    value = region.strip().lower()
    if value not in REGIONS:
        raise UsageError(
            "letters.kind_region", kind="letter", region=value, choices=", ".join(REGIONS)
        )
    return value


def _zone(region: str) -> Any:
    """One zone for the letter's dates and the rules' clock: ``--tz``, else the
    locker's setting, else the default of the letter's rule set (cn: Asia/Shanghai,
    as ``check`` reads it), else this computer's. An IANA name when it has one."""
    from evidence_locker.rules import shipped_rule_set

    if STATE.explicit_tz is None and STATE.locker_zone() is None:
        default = shipped_rule_set(region).default_timezone
        if default:
            return default
    return getattr(STATE.tz, "key", None) or STATE.tz


def _default_region() -> str:
    """The region of the law a bare ``check`` reads the records against: the locker's
    ``rules`` setting, else the region the records point to (rules/region.py), never
    the interface language alone."""
    from evidence_locker.rules import choose_rule_sets

    locker = STATE.open_locker()
    choice = choose_rule_sets(locker.records(), setting=locker.settings().get("rules"))
    return choice.sets[0].name


def _resolve_kind(kind_id: str, region: str | None):  # type: ignore[no-untyped-def]
    chosen = _region(region)
    if chosen is None and len(regions_of(kind_id)) > 1:
        chosen = _default_region()
        return get_kind(kind_id, chosen)
    return get_kind(kind_id, chosen, chosen=chosen is not None)


@letter_app.command("list")
def list_cmd(
    region: RegionOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON array of kinds.")] = False,
) -> None:
    """The letter kinds, per region, and what sending each one logs. / 列出各地区的函件类型。"""
    wanted = _region(region)
    kinds = kinds_for(wanted)
    if json_out:
        from evidence_locker.cli.render import print_json

        print_json(
            [
                {
                    "kind": k.id,
                    "region": k.region,
                    "title": STATE.t(k.title_key()),
                    "about": STATE.t(f"letters.{k.region}.{k.id}.about"),
                    "event": k.event,
                    "needs_findings": k.needs_findings,
                    "required": list(k.required),
                    "channel": k.channel.name,
                    "limit": k.channel.limit,
                }
                for k in kinds
            ]
        )
        return
    from rich.table import Table

    for reg in REGIONS:
        rows = [k for k in kinds if k.region == reg]
        if not rows:
            continue
        STATE.console.print(
            STATE.t(
                "letters.cli.list_header", region=reg, title=STATE.t(f"letters.cli.region.{reg}")
            ),
            style="bold",
            markup=False,
        )
        table = Table(header_style="bold")
        for key in ("kind", "what", "event", "channel"):
            table.add_column(STATE.t(f"letters.cli.col.{key}"), overflow="fold")
        for k in rows:
            channel = STATE.t(f"letters.cli.channel.{k.channel.name}")
            channel += f" ≤{k.channel.limit}" if k.channel.limit else ""
            table.add_row(
                k.id, STATE.t(f"letters.{k.region}.{k.id}.about"), k.event or "-", channel
            )
        STATE.console.print(table)
    STATE.console.print(STATE.t("letters.cli.list_footer"), markup=False)


def _kind_command(kind_id: str):  # type: ignore[no-untyped-def]
    def command(
        org: OrgOpt = None,
        case: CaseOpt = None,
        since: SinceOpt = None,
        until: UntilOpt = None,
        region: RegionOpt = None,
        letter_lang: Annotated[
            str | None,
            typer.Option(
                "--letter-lang", help="Language of the letter: en or zh (default: --lang)."
            ),
        ] = None,
        dossier: Annotated[
            Path | None,
            typer.Option(
                "--dossier", help="The dossier PDF to annex: verified, its E-numbers used."
            ),
        ] = None,
        details: Annotated[
            Path | None,
            typer.Option(
                "--details", help="TOML file with name, address, phone... (docs/letters.md)."
            ),
        ] = None,
        name: Annotated[str | None, typer.Option("--name", help="Your name.")] = None,
        address: Annotated[
            str | None, typer.Option("--address", help="Your postal address.")
        ] = None,
        phone: Annotated[str | None, typer.Option("--phone", help="Your phone number.")] = None,
        email: Annotated[str | None, typer.Option("--email", help="Your e-mail address.")] = None,
        id_number: Annotated[
            str | None, typer.Option("--id-number", help="Your ID number (12378).")
        ] = None,
        account: Annotated[
            str | None, typer.Option("--account", help="Account or agreement reference.")
        ] = None,
        request: Annotated[
            str | None, typer.Option("--request", help="What you ask for, in your words.")
        ] = None,
        reason: Annotated[
            str | None, typer.Option("--reason", help="Why you dispute or object.")
        ] = None,
        to: Annotated[
            str | None, typer.Option("--to", help="Recipient, if not the organisation.")
        ] = None,
        to_address: Annotated[
            str | None, typer.Option("--to-address", help="Recipient's address.")
        ] = None,
        breathing_space: Annotated[
            str | None,
            typer.Option(
                "--breathing-space", help="contact-log: the date a breathing space began."
            ),
        ] = None,
        text: Annotated[
            bool, typer.Option("--text", help="Plain text for a web form, on stdout (or -o).")
        ] = False,
        output: Annotated[Path | None, typer.Option("-o", "--output", help="Output file.")] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    ) -> None:
        given = {
            "name": name,
            "address": address,
            "phone": phone,
            "email": email,
            "id_number": id_number,
            "account": account,
            "request": request,
            "reason": reason,
            "to": to,
            "to_address": to_address,
        }
        _draft(
            kind_id,
            given,
            filters={"org": org, "case": case, "since": since, "until": until},
            region=region,
            letter_lang=letter_lang,
            dossier=dossier,
            details=details,
            breathing_space=breathing_space,
            text=text,
            output=output,
            force=force,
        )

    return command


def _draft(
    kind_id: str,
    given: dict[str, str | None],
    *,
    filters: dict[str, str | None],
    region: str | None,
    letter_lang: str | None,
    dossier: Path | None,
    details: Path | None,
    breathing_space: str | None,
    text: bool,
    output: Path | None,
    force: bool,
) -> None:
    from evidence_locker.letters import Request, draft_letter, load_details, merge, missing
    from evidence_locker.parsing.times import parse_bound

    kind = _resolve_kind(kind_id, region)
    lang = _lang(letter_lang)
    values = merge(load_details(details) if details else {}, given)
    values.update(_ask(kind, values))
    flt = _filter(channel=None, counterpart=None, **filters)
    moratorium = None
    if breathing_space:
        if kind.id != "contact-log":
            raise UsageError("letters.only_contact_log", option="--breathing-space")
        moratorium = parse_bound(breathing_space, tz=STATE.tz, now=STATE.now())
    now = STATE.now()
    target = None if text and output is None else output or Path(f"{kind.id}-{now.date()}.pdf")
    if target is not None:
        check_target(target, force=force)
    if dossier is not None and not dossier.is_file():
        raise NotFound("file.missing", path=str(dossier))
    if missing(kind, values):  # before the passphrase: nothing to unlock for
        from evidence_locker.letters.details import require

        require(kind, values)
    locker = STATE.open_locker()
    ref = None
    if dossier is not None:
        from evidence_locker.letters import open_dossier

        ref = open_dossier(
            dossier.read_bytes(), file_name=dossier.name, public_key=locker.public_key, lang=lang
        )
    from evidence_locker.rules import resolve_rule_sets

    letter = draft_letter(
        locker,
        Request(kind, flt, values, lang, now, moratorium),
        rule_sets=resolve_rule_sets([kind.region]),
        tz=_zone(kind.region),
        dossier=ref,
    )
    for label, body, limit in letter.limited:
        STATE.err.print(
            STATE.t("letters.cli.length", part=label, n=len(body), limit=limit), markup=False
        )
    if text:
        out = letter.text()
        if target is None:
            typer.echo(out, nl=False)
        else:
            write_new(target, out.encode("utf-8"), force=force)
        STATE.err.print(letter.footer, markup=False)
        return
    from evidence_locker.letters.pdf import render_pdf

    pdf = render_pdf(letter, generated_at=now)
    assert target is not None
    write_new(target, pdf, force=force)
    _report(letter, target, pdf, ref)


def _lang(letter_lang: str | None) -> str:
    if letter_lang is None:
        return STATE.lang
    value = letter_lang.strip().lower()
    if value not in ("en", "zh", "zh-cn", "zh_cn"):
        raise typer.BadParameter("use en or zh", param_hint="--letter-lang")
    return "zh" if value.startswith("zh") else "en"


def _ask(kind: Any, values: dict[str, str]) -> dict[str, str]:
    """Prompt for each missing required field at a terminal (never stored)."""
    from evidence_locker.letters import missing

    answers: dict[str, str] = {}
    if not STATE.interactive:
        return answers
    for field in missing(kind, values):
        answer = typer.prompt(
            STATE.t("letters.cli.prompt", field=STATE.t(f"letters.ask.{field}")),
            default="",
            show_default=False,
        )
        if answer.strip():
            answers[field] = answer.strip()
    return answers


def _report(letter: Any, target: Path, pdf: bytes, ref: Any) -> None:
    import shlex
    from io import BytesIO

    from pypdf import PdfReader

    pages = len(PdfReader(BytesIO(pdf)).pages)
    say = STATE.console.print
    written = "letters.cli.written_one" if pages == 1 else "letters.cli.written"
    say(
        STATE.t(written, path=str(target), size=len(pdf), pages=pages, title=letter.title),
        markup=False,
    )
    dossier = f" ({ref.id})" if ref else ""
    cited = "letters.cli.cited_one" if len(letter.cited) == 1 else "letters.cli.cited"
    say(STATE.t(cited, n=len(letter.cited), dossier=dossier), markup=False)
    say(STATE.t("letters.cli.next"), markup=False)
    # its own line, never wrapped: it is copied into a shell as it stands
    command = (
        f'evidence-locker letter sent {shlex.quote(str(target))} --via post --at "YYYY-MM-DD HH:MM"'
    )
    say(f"  {command}", markup=False, soft_wrap=True)


def sent_cmd(
    file: Annotated[Path, typer.Argument(help="The letter you sent (the PDF, or the text).")],
    via: Annotated[
        str, typer.Option("--via", help="post, hand, email, web, phone, sms or message.")
    ] = "post",
    at: Annotated[str, typer.Option("--at", help="When it was sent (default: now).")] = "now",
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="The letter kind, for a file this tool did not make."),
    ] = None,
    org: OrgOpt = None,
    case: CaseOpt = None,
    region: RegionOpt = None,
    notes: Annotated[
        str | None, typer.Option("--notes", help="e.g. the tracking number of recorded delivery.")
    ] = None,
    attach: Annotated[
        list[Path] | None, typer.Option("--attach", help="A receipt or screenshot (repeatable).")
    ] = None,
) -> None:
    """Log that you sent a letter: an outgoing record with the letter attached and the
    event it implies, which the rules judge later contacts against.
    / 登记已发出的函件：附函件原件，并记录相应事件，供此后的检查使用。"""
    from dataclasses import replace

    from evidence_locker.letters import Sent, sent_draft, sent_from_meta
    from evidence_locker.letters.pdf import read_meta
    from evidence_locker.parsing.times import parse_moment

    if not file.is_file():
        raise NotFound("file.missing", path=str(file))
    meta = read_meta(file.read_bytes())
    if meta is not None:
        sent = sent_from_meta(meta)
    elif kind and org:
        k = _resolve_kind(kind, region)
        sent = Sent(k.id, org, org, k.event, STATE.t(k.title_key()))
    else:
        raise UsageError("letters.not_a_letter", path=str(file))
    sent = replace(sent, organisation=org or sent.organisation, case=case or sent.case)
    when = parse_moment(at, tz=STATE.tz, now=STATE.now())
    draft = sent_draft(
        sent,
        file,
        via=via.strip().lower(),
        at=when,
        lang=STATE.lang,
        notes=notes,
        receipts=tuple(attach or ()),
    )
    locker = STATE.open_locker()
    record = locker.log(draft)
    from evidence_locker.cli import render

    event = STATE.t("letters.cli.sent_event", event=sent.event) if sent.event else ""
    STATE.console.print(
        STATE.t(
            "letters.cli.sent",
            id=record.id[: render.SHORT_ID],
            title=sent.title,
            when=render.when(record.occurred_at, STATE.tz),
            via=via,
            event=event,
        ),
        markup=False,
    )


def _kind_help(kind_id: str) -> str:
    from evidence_locker.locale.messages import t

    regions = regions_of(kind_id)
    key = f"letters.{regions[0]}.{kind_id}.about"
    text = f"{t(key, 'en')} / {t(key, 'zh')}"
    return text + (f" ({', '.join(regions)}: --region)" if len(regions) > 1 else "")


for _kind_id in kind_ids():
    letter_app.command(_kind_id, help=_kind_help(_kind_id))(_kind_command(_kind_id))
letter_app.command("sent")(sent_cmd)


def register(app: typer.Typer) -> None:
    app.add_typer(letter_app, name="letter")
