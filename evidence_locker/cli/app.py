"""Assemble the typer app from one module per command family.

Heavy libraries (reportlab, importers) are imported inside the commands that use
them, so ``evidence-locker log`` starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_locker.cli.context import DATABASE_URL_ENV, STATE
from evidence_locker.locale.messages import detect_lang

COMMAND_MODULES = ("core_cmds", "log_cmd")
OPTIONAL_MODULES = (
    "search_cmd",
    "import_cmd",
    "attach_cmd",
    "export_cmd",
    "rules_cmd",
    "config_cmd",
    "backup_cmd",
    "ocr_cmd",
    "tsa_cmd",
    "letter_cmd",
)
# Which module defines each top-level command. Building typer's command tree costs
# ~2 ms per command (it evaluates every annotation), so a run builds only the module
# of the command it runs; help and unknown commands get everything.
MODULE_OF = {
    **dict.fromkeys(
        ("init", "list", "show", "correct", "delete", "case", "verify", "passwd"),
        "core_cmds",
    ),
    **dict.fromkeys(("attach", "attachments", "extract"), "attach_cmd"),
    "log": "log_cmd",
    "import": "import_cmd",
    **dict.fromkeys(("search", "rebuild-index"), "search_cmd"),
    **dict.fromkeys(("export", "verify-dossier"), "export_cmd"),
    **dict.fromkeys(("check", "rules"), "rules_cmd"),
    "config": "config_cmd",
    **dict.fromkeys(("backup", "restore", "doctor"), "backup_cmd"),
    "ocr": "ocr_cmd",
    **dict.fromkeys(("tsa", "stamp"), "tsa_cmd"),
    "letter": "letter_cmd",
}
_VALUE_OPTIONS = ("--locker", "--lang", "--tz", "--database-url")


def command_word(args: list[str]) -> str | None:
    """The top-level command in ``args``, skipping global options and their values."""
    i = 0
    while i < len(args):
        word = args[i]
        if word in _VALUE_OPTIONS:
            i += 2
            continue
        if word.startswith("-"):
            if word in ("-h", "--help"):
                return None
            i += 1
            continue
        return word
    return None


def _print_version(value: bool) -> None:
    if value:
        from evidence_locker import __version__

        print(f"evidence-locker {__version__}")
        raise typer.Exit(0)


def _global_options(
    locker: Annotated[
        Path | None,
        typer.Option(
            "--locker",
            envvar="EVIDENCE_LOCKER_DIR",
            help="Locker directory (default: the platform's user data directory).",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Language of messages: en or zh (default: from the locale)."),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="Your IANA timezone, e.g. Asia/Shanghai (default: system)."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar=DATABASE_URL_ENV,
            help="PostgreSQL URL for a shared deployment (default: SQLite in the locker).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            envvar="EVIDENCE_LOCKER_READ_ONLY",
            help="Never write to the locker (a forensic copy); a write-blocked locker is "
            "opened so anyway.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Keep an encrypted, tamper-evident record of debt-collection contacts.

    记录催收联系（短信、电话、上门、邮件、微信、信件），加密保存，防篡改，可出具 PDF 证据档案。
    """
    if lang is not None and lang.lower() not in ("en", "zh", "zh-cn", "zh_cn"):
        raise typer.BadParameter("use en or zh", param_hint="--lang")
    STATE.lang = detect_lang(lang)
    STATE.tz_name = tz
    STATE.locker_dir = locker.expanduser() if locker else None
    STATE.database_url = database_url
    STATE.debug = debug
    STATE.read_only = read_only


def build_app(args: list[str] | None = None) -> typer.Typer:
    """The app; given the command line, only the module of the command it runs."""
    import importlib

    app = typer.Typer(
        name="evidence-locker",
        add_completion=False,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_global_options)
    word = command_word(args) if args is not None else None
    if word in MODULE_OF:
        try:
            module = importlib.import_module(f"evidence_locker.cli.{MODULE_OF[word]}")
        except ModuleNotFoundError as exc:
            if exc.name != f"evidence_locker.cli.{MODULE_OF[word]}":
                raise
        else:
            module.register(app)
            return app
    for name in COMMAND_MODULES:
        importlib.import_module(f"evidence_locker.cli.{name}").register(app)
    for name in OPTIONAL_MODULES:
        try:
            module = importlib.import_module(f"evidence_locker.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"evidence_locker.cli.{name}":
                raise
            continue
        module.register(app)
    return app
