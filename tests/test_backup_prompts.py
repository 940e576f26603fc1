"""A passphrase typed at the prompt for a backup gets as many tries as unlocking the
locker does (``list``, ``log``: context.PROMPT_TRIES), with the same words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_locker.cli.context import PROMPT_TRIES, State
from evidence_locker.locker import Locker

from .conftest import PASSPHRASE


@pytest.fixture(scope="module")
def backup_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One backup of a one-record locker, made once for the module."""
    from evidence_locker.care.backup import create_backup
    from evidence_locker.model import Channel, ContactDraft
    from tests.conftest import SHANGHAI

    folder = tmp_path_factory.mktemp("backed-up")
    locker, _ = Locker.create(folder / "locker", PASSPHRASE)
    with locker:
        from datetime import datetime

        locker.log(ContactDraft(Channel.SMS, datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI)))
        create_backup(locker, folder / "backup.elb")
    return folder / "backup.elb"


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str]], list[str]]:
    """A person at a terminal typing ``answers`` at the hidden prompt, one a prompt;
    returns the list of prompts shown."""
    import getpass

    monkeypatch.setattr(State, "interactive", property(lambda self: True))
    prompts: list[str] = []

    def given(answers: list[str]) -> list[str]:
        left = list(answers)

        def ask(prompt: str = "") -> str:
            prompts.append(prompt)
            return left.pop(0)

        monkeypatch.setattr(getpass, "getpass", ask)
        return prompts

    return given


def _command(name: str, backup: Path, tmp_path: Path) -> list[str]:
    if name == "verify":
        return ["backup", "--verify", str(backup)]
    return ["restore", str(backup), "--locker", str(tmp_path / "restored")]


NO_ENV = {"EVIDENCE_LOCKER_PASSPHRASE": None}


@pytest.mark.parametrize("command", ["verify", "restore"])
def test_wrong_then_right_passphrase(cli, typed, backup_file, tmp_path, command) -> None:  # type: ignore[no-untyped-def]
    prompts = typed(["wrong", PASSPHRASE])
    r = cli(*_command(command, backup_file, tmp_path), env=NO_ENV)
    assert r.code == 0, r.err
    assert len(prompts) == 2
    assert f"wrong passphrase; try again ({PROMPT_TRIES - 1} left)" in r.err
    if command == "restore":
        assert Locker.exists(tmp_path / "restored")


@pytest.mark.parametrize("command", ["verify", "restore"])
def test_wrong_every_time(cli, typed, backup_file, tmp_path, command) -> None:  # type: ignore[no-untyped-def]
    prompts = typed(["wrong"] * PROMPT_TRIES)
    r = cli("--lang", "zh", *_command(command, backup_file, tmp_path), env=NO_ENV)
    assert r.code == 1
    assert len(prompts) == PROMPT_TRIES and prompts[0].startswith("口令")
    assert "口令错误；请重试（还剩 1 次）" in r.err
    assert r.err.strip().splitlines()[-1].endswith("错误: 口令错误")
    assert not (tmp_path / "restored").exists()
