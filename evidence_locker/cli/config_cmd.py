"""The ``config`` command: the locker's settings (its zone, its rule sets).

    evidence-locker config                       # every setting
    evidence-locker config tz Asia/Shanghai      # set one
    evidence-locker config tz --unset            # back to the default

Settings live in the locker, sealed and in the ledger (locker/settings.py), so they
travel with its backups and ``verify`` checks them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE


def config_cmd(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Setting: tz (your zone: the times you type, the rules' clock)"
            " or rules (cn, us, uk)."
        ),
    ] = None,
    value: Annotated[str | None, typer.Argument(help="The new value.")] = None,
    unset: Annotated[bool, typer.Option("--unset", help="Remove the setting.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Settings as JSON.")] = False,
) -> None:
    """Show or change the locker's settings: tz (your zone: the times you type and read,
    the rules' clock) and rules (which law).
    / 查看或更改证据库设置：tz（您的时区：输入和显示的时间、规则用的时区）
    和 rules（按哪套规则）。"""
    from evidence_locker.errors import UsageError
    from evidence_locker.locker.settings import KNOWN, check_name

    if name is not None:
        check_name(name)
    if value is not None and unset:
        raise UsageError("config.value_and_unset")
    locker = STATE.open_locker()
    if name is not None and (value is not None or unset):
        stored = locker.set_setting(name, None if unset else value)
        key = "config.unset" if stored is None else "config.set"
        STATE.console.print(STATE.t(key, name=name, value=stored or ""), markup=False)
        return
    current = locker.settings()
    shown = {name: current.get(name)} if name is not None else {k: current.get(k) for k in KNOWN}
    if json_out:
        render.print_json(shown)
        return
    for key, val in shown.items():
        text = val if val is not None else STATE.t("config.not_set")
        STATE.console.print(f"{key} = {text}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("config")(config_cmd)
