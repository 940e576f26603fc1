"""Commands import only what they use: ``log`` must not pay for PDF or import code;
and the everyday commands (log, list, show, search, correct, delete, case, verify) not
for SQLAlchemy/SQLModel/pydantic either (their statements are driver-level SQL:
store/database.py), which alone cost more than the rest of such a command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("reportlab", "evidence_locker.report", "evidence_locker.importers", "pypdf", "PIL")


def imported_modules(args: list[str], env: dict[str, str]) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "evidence_locker", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def run(args: list[str], env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "evidence_locker", *args]
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)


def new_locker(tmp_path: Path) -> dict[str, str]:
    """The environment of a command on a fresh locker in ``tmp_path``."""
    env = dict(
        os.environ,
        EVIDENCE_LOCKER_DIR=str(tmp_path / "l"),
        EVIDENCE_LOCKER_PASSPHRASE=PASSPHRASE,
        EVIDENCE_LOCKER_TZ="UTC",
    )
    run(["init"], env)
    return env


def test_log_and_list_do_not_import_heavy_modules(tmp_path: Path) -> None:
    env = new_locker(tmp_path)
    for args in (["log", "sms", "--number", "95577", "--content", "x"], ["list"], ["--help"]):
        loaded = imported_modules(args, env)
        assert "evidence_locker.locker" in loaded or args == ["--help"]
        heavy = {m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)}
        assert not heavy, f"{args}: {sorted(heavy)}"


def test_everyday_commands_run_without_sqlalchemy_or_pydantic(tmp_path: Path) -> None:
    env = new_locker(tmp_path)
    run(["case", "add", "card-1234"], env)
    attachment = tmp_path / "photo.txt"
    attachment.write_text("收据 receipt", encoding="utf-8")
    logs = (
        ["log", "sms", "--number", "95577", "--content", "您的贷款已逾期 overdue"],
        ["log", "call", "--number", "13800138000", "--case", "card-1234", "--duration", "6m"],
        ["log", "visit", "--location", "家门口", "--attach", str(attachment)],
    )
    for args in logs:
        assert_no_orm(args, env)
    proc = subprocess.run(
        [sys.executable, "-m", "evidence_locker", "list", "--json"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    first = json.loads(proc.stdout)[0]["id"][:8]
    for args in (
        ["list"],
        ["list", "--case", "card-1234", "--channel", "call", "--since", "2020-01-01"],
        ["show", first],
        ["search", "逾期"],
        ["search", "13800138000", "--channel", "call", "--json"],
        ["correct", first, "--content", "已更正 corrected", "--reason", "typo"],
        ["delete", first, "--reason", "duplicate"],
        ["case", "list"],
        ["verify"],
    ):
        assert_no_orm(args, env)


def assert_no_orm(args: list[str], env: dict[str, str]) -> None:
    loaded = imported_modules(args, env)
    orm = {m for m in loaded if m.split(".")[0] in ("sqlalchemy", "sqlmodel", "pydantic")}
    assert not orm, f"{args}: {sorted(orm)[:5]}"


def test_every_command_is_mapped_to_its_module() -> None:
    """A command missing from MODULE_OF would still run, but build the whole app."""
    import typer.main

    from evidence_locker.cli.app import MODULE_OF, build_app

    group = typer.main.get_command(build_app())
    assert set(group.commands) <= set(MODULE_OF)  # type: ignore[attr-defined]
    for word, module in MODULE_OF.items():
        try:
            only = typer.main.get_command(build_app([word, "--help"]))
        except ModuleNotFoundError:
            continue  # a command family not installed in this build
        assert word in only.commands, (word, module)  # type: ignore[attr-defined]
