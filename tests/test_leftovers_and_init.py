"""Temporary files and folders (issue 13, low items).

``doctor --salvage`` writes plaintext through a temporary file: it must be created
exclusively, so a file or a symbolic link put at a guessable name cannot redirect it.
``init`` takes over its folder (owner-only modes on every file): it must refuse a
folder that already holds something, and never chmod through a link. What a killed
``backup`` or ``restore`` leaves is named by ``doctor`` and removed by the next run,
but never while the process that made it is alive.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from evidence_locker.care import backup, leftovers
from evidence_locker.care.doctor import diagnose
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft

from .conftest import PASSPHRASE, SHANGHAI


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def one(locker: Locker, locker_dir: Path) -> Path:
    locker.log(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=datetime(2025, 2, 1, 9, 0, tzinfo=SHANGHAI),
            address="95577",
            content="secret 秘密",
        )
    )
    locker.close()
    return locker_dir


def test_salvage_never_writes_through_a_planted_link(one: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    out = tmp_path / "salvage.json"
    (tmp_path / ".salvage.json.part").symlink_to(victim)  # the name used to be fixed
    report = diagnose(one, passphrase=PASSPHRASE, salvage_to=out)
    assert report.salvaged == 1
    assert victim.read_text() == "do not touch"
    assert json.loads(out.read_text())["entries"][0]["fields"]["content"] == "secret 秘密"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part")) == [
        ".salvage.json.part"  # only the planted link: no temporary file left behind
    ]


def test_init_refuses_a_folder_that_holds_something(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "notes.txt").chmod(0o644)
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's")
    outside.chmod(0o644)
    (folder / "link").symlink_to(outside)
    r = cli("init", env={"EVIDENCE_LOCKER_DIR": str(folder)})
    assert r.code == 2 and "not empty" in r.err
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644
    assert stat.S_IMODE((folder / "notes.txt").stat().st_mode) == 0o644
    assert sorted(p.name for p in folder.iterdir()) == ["link", "notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("init", env={"EVIDENCE_LOCKER_DIR": str(empty)}).code == 0


def test_a_killed_backups_leftovers_are_named_then_removed(one: Path, tmp_path: Path) -> None:
    gone, mine = dead_pid(), os.getpid()
    stale = one / f".elb-{gone}-0123456789abcdef.db.part"
    stale.write_bytes(b"snapshot of a killed backup")
    busy = one / f".elb-{mine}-fedcba9876543210.db.part"  # a backup running right now
    busy.write_bytes(b"in progress")
    old_style = one / ".elb-00aa11bb22cc33dd.db.part"
    old_style.write_bytes(b"from an older version")
    report = diagnose(one, passphrase=PASSPHRASE)
    named = next(f for f in report.findings if f.key == "doctor.temp").params["names"]
    assert stale.name in named and busy.name in named
    with Locker.open(one, passphrase=PASSPHRASE) as opened:
        backup.create_backup(opened, tmp_path / "b.elb")
    assert not stale.exists() and busy.exists()
    assert old_style.exists()  # no owner named: left until it is an hour old
    os.utime(old_style, (0, 0))
    with Locker.open(one, passphrase=PASSPHRASE) as opened:
        backup.create_backup(opened, tmp_path / "b2.elb")
    assert not old_style.exists() and busy.exists()
    assert not [p for p in one.iterdir() if p.name.endswith(".db.part") and p != busy]


def test_a_killed_restores_folder_is_named_then_removed(one: Path, tmp_path: Path) -> None:
    with Locker.open(one, passphrase=PASSPHRASE) as opened:
        backup.create_backup(opened, tmp_path / "b.elb")
    work = one.parent / f".elb-restore-{dead_pid()}-0123456789abcdef.part"
    work.mkdir()
    (work / "locker.db").write_bytes(b"half a database")
    report = diagnose(one, passphrase=PASSPHRASE)
    named = next(f for f in report.findings if f.key == "doctor.temp").params["names"]
    assert work.name in named
    backup.restore_backup(tmp_path / "b.elb", one.parent / "restored", passphrase=PASSPHRASE)
    assert not work.exists()
    assert leftovers.find(one.parent, ".elb-restore-", ".part") == []
