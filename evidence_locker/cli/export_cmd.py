"""export pdf (the dossier) and verify-dossier (anyone can run it, no locker needed)."""

from __future__ import annotations

import shlex
from datetime import tzinfo
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE
from evidence_locker.cli.files import check_target, write_new
from evidence_locker.cli.linebreak import say
from evidence_locker.cli.options import (
    CaseOpt,
    ChannelOpt,
    CounterpartOpt,
    OrgOpt,
    SinceOpt,
    UntilOpt,
    _filter,
    check_report,
)
from evidence_locker.errors import UsageError

# Where a rule set or zone came from when the user chose it (rules/region.py, clock.py).
USERS_CHOICE = ("option", "locker")

export_app = typer.Typer(help="Export records. / 导出记录。", no_args_is_help=True)


@export_app.command("pdf")
def export_pdf(
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="PDF file (default: dossier-YYYY-MM-DD.pdf)."),
    ] = None,
    channel: ChannelOpt = None,
    org: OrgOpt = None,
    counterpart: CounterpartOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    case: CaseOpt = None,
    title: Annotated[str | None, typer.Option("--title", help="Title on the cover.")] = None,
    claimant: Annotated[
        str | None, typer.Option("--claimant", help="Your name, as it should appear.")
    ] = None,
    redact: Annotated[
        str | None,
        typer.Option(
            "--redact",
            help="Mask third parties' data: numbers, addresses, ids, names (in screenshots).",
        ),
    ] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help="Rule sets for the flagged contacts: cn, us, uk (default: the locker's,"
            " else from the records).",
        ),
    ] = None,
    no_flags: Annotated[
        bool, typer.Option("--no-flags", help="Leave the rule findings out.")
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help="Language of the dossier: zh or en (default: the interface's)."
        ),
    ] = None,
    bates: Annotated[
        str | None,
        typer.Option("--bates", help="Bates prefix for page numbers, e.g. ZS- (default: the id)."),
    ] = None,
    include_deleted: Annotated[
        bool,
        typer.Option(
            "--include-deleted",
            help="Show withdrawn (deleted) records' content, not just the list.",
        ),
    ] = False,
    declaration: Annotated[
        Path | None,
        typer.Option("--declaration", help="A UTF-8 text file: your own declaration statements."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the signed PDF dossier for a lawyer, court or regulator. / 生成 PDF 证据档案。"""
    flt = _filter(
        channel=channel, org=org, counterpart=counterpart, since=since, until=until, case=case
    )
    if lang is not None and lang.lower() not in ("zh", "en", "zh-cn", "zh_cn"):
        raise UsageError("export.bad_lang", value=lang)
    dossier_lang = ("zh" if lang.lower().startswith("zh") else "en") if lang else STATE.lang
    declared = _read_declaration(declaration)
    now = STATE.now()
    target = output or Path(f"dossier-{now.date().isoformat()}.pdf")
    check_target(target, force=force)
    redactions = [r.strip() for r in (redact or "").split(",") if r.strip()]
    locker = STATE.open_locker()
    flags, rule_sets, caveats, zone = (
        ([], [], [], None) if no_flags else _flags(locker, flt, rules, dossier_lang)
    )
    # The dossier's times are on the clock its findings were judged on (the user's
    # zone, else the rule set's default): a 22:47 Beijing call shown as "14:47 +00:00"
    # beside a night flag would contradict it.
    tz = zone or STATE.tz
    now = now.astimezone(tz)
    from evidence_locker.report import fonts_in_use
    from evidence_locker.report.export import export_dossier

    with render.counted_progress(STATE, STATE.t("export.progress")) as progress:
        pdf = export_dossier(
            locker,
            flt,
            generated_at=now,
            tz=tz,
            lang=dossier_lang,
            title=title,
            claimant=claimant,
            redact=redactions,
            flags=flags,
            rule_sets=rule_sets,
            rule_caveats=caveats,
            include_deleted=include_deleted,
            bates=bates,
            declaration=declared,
            progress=progress,
            on_problem=lambda exc: STATE.err.print(
                STATE.t("export.trusted_problem", detail=exc.render(STATE.lang)), markup=False
            ),
        )
    write_new(target, pdf, force=force)
    STATE.console.print(STATE.t("export.done", path=str(target), size=len(pdf)), markup=False)
    # its own line, never wrapped: it is copied into a shell as it stands
    command = f"evidence-locker verify-dossier {shlex.quote(str(target))}"
    STATE.console.print(f"  {command}", markup=False, soft_wrap=True)
    bundled = str(resources.files("evidence_locker.report") / "fonts")
    for font in fonts_in_use():  # the bundled fonts go unsaid; a font of the user's is named
        if not font.path.startswith(bundled):
            STATE.console.print(STATE.t("export.font_own", path=font.path), markup=False)


def _flags(
    locker, flt, rules: str | None, lang: str
) -> tuple[list[dict], list[tuple[str, str]], list[str], tzinfo | None]:  # type: ignore[no-untyped-def]
    """The findings in the dossier's language, the rule sets that made them (the
    dossier states them), what the dossier must say about them and the zone they were
    judged on (None: each record on its own offset); which rule sets and clock were
    used, and why, are printed here too, so the person exporting sees what law the
    PDF's findings rest on."""
    names = [n.strip() for n in (rules or "").split(",") if n.strip()]
    report = check_report(locker, flt, names)
    warnings = [n for n in report.notes if n.kind in ("region_mismatch", "offsets")]
    # What the user chose (--rules, config rules, --tz, config tz) goes unsaid, unless
    # a warning below needs it said; a choice made for them is always said.
    if warnings or report.choice.source not in USERS_CHOICE:
        say(STATE.err, report.choice.describe(STATE.lang))
    if warnings or report.zone.source not in USERS_CHOICE:
        say(STATE.err, report.zone.describe(STATE.lang))
    for note in warnings:
        say(STATE.err, note.text(STATE.lang))
    sets = [(rs.name, rs.title_zh if lang == "zh" else rs.title_en) for rs in report.choice.sets]
    findings = [f.to_json(lang) for f in report.findings]
    return findings, sets, _caveats(report, lang), report.zone.zone


def _caveats(report, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    """When the rule sets are not the law of the region the records point to, the
    findings pages say so in the dossier's language: a lawyer reads the PDF, not the
    terminal this warning was printed on."""
    if report.region is None:
        return []
    from evidence_locker.rules.region import mismatch_text

    key = "report.findings.region_mismatch"
    return [mismatch_text(key, report.choice, report.region, lang)]


def _read_declaration(path: Path | None) -> str | None:
    if path is None:
        return None
    from evidence_locker.errors import NotFound

    if not path.is_file():
        raise NotFound("file.missing", path=str(path))
    try:
        text = path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise UsageError("export.bad_declaration", path=str(path)) from None
    if not text or len(text) > 20_000:
        raise UsageError("export.bad_declaration", path=str(path))
    return text


def verify_dossier_cmd(
    file: Annotated[Path, typer.Argument(help="The dossier PDF.")],
    expect_key: Annotated[
        str | None,
        typer.Option(
            "--expect-key",
            help="The locker key fingerprint the claimant gave you separately; "
            "without it the dossier is only shown to be self-consistent.",
        ),
    ] = None,
    tsa_root: Annotated[
        list[Path] | None,
        typer.Option(
            "--tsa-root",
            help="A time-stamp authority's root certificate you trust (PEM or DER; "
            "repeatable); without it the roots the dossier lists are used and named.",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            metavar="OLD.pdf",
            help="An earlier dossier of the same locker: prove this one extends it.",
        ),
    ] = None,
) -> None:
    """Check a dossier from the PDF alone: signatures, every record's proof. / 校验证据档案。"""
    from evidence_locker.cli.integrity import dossier_link_for, link_json, print_link
    from evidence_locker.errors import NotFound
    from evidence_locker.report import parse_fingerprint, verify_dossier

    if expect_key is not None:
        try:
            parse_fingerprint(expect_key)
        except ValueError:
            raise UsageError("export.bad_fingerprint", value=expect_key) from None
    if not file.is_file():
        raise NotFound("file.missing", path=str(file))
    from evidence_locker.cli.tsa_cmd import trusted_json

    roots = _read_roots(tsa_root or [])
    pdf = file.read_bytes()
    report = verify_dossier(pdf, lang=STATE.lang, expect_key=expect_key, tsa_roots=roots)
    link = dossier_link_for(pdf, against) if against is not None else None
    if json_out:
        from evidence_locker.cli.render import print_json

        print_json(
            {
                "ok": report.ok,
                "format": report.format_version,
                "dossier_id": report.dossier_id,
                "tree_size": report.tree_size,
                "fingerprint": report.fingerprint,
                "dossier_key_fingerprint": report.dossier_key_fingerprint,
                "key_matches_expected": report.key_matches_expected,
                "records_verified": report.records_verified,
                "failed_records": report.failed_records,
                "signed": report.signed,
                "endorsed": report.endorsed,
                "originals_verified": report.originals_verified,
                "later_additions": report.later_additions,
                "trusted_time": trusted_json(report.trusted),
                "messages": report.messages,
                "against": link_json(link),
            }
        )
    else:
        console = STATE.console if report.ok else STATE.err
        for line in report.messages:
            console.print(line, markup=False)
        print_link(STATE, link, against)
    if not report.ok or (link is not None and not link.ok):
        raise typer.Exit(1)


def _read_roots(paths: list[Path]) -> list[bytes]:
    from evidence_locker.crypto.tsp_token import load_roots

    roots: list[bytes] = []
    for path in paths:
        try:
            roots += load_roots(path.read_bytes())
        except OSError as exc:
            raise UsageError("tsa.root_missing", path=str(path), detail=exc.strerror) from None
    return roots


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.command("verify-dossier")(verify_dossier_cmd)
