"""A read-only locker can be read (issue 13, item 9).

A forensic copy is write-blocked. Reading commands (``list``, ``show``, ``search``,
``verify``, ``export`` elsewhere, ``doctor``) must work on it and change nothing,
``doctor`` must say "read-only", not "damaged", and a write must say why it failed.
The tests run as root, for whom permissions do not stop a write, so a read-only
locker is made three ways: ``chmod -R a-w`` (noticed by the missing write bits),
``--read-only`` (SQLite's immutable / read-only URI), and a file system that refuses
writes (SQLite answering "readonly database" to every write). A nearly full disk
gets its own message, not a misdiagnosis.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import pytest

from evidence_locker.locker import Locker
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft

from .conftest import SHANGHAI
from .test_failures import run_cli


def snapshot(directory: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under ``directory``: size, mtime and bytes."""
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def copy(locker: Locker, locker_dir: Path) -> Path:
    case = locker.add_case("card-1234")
    r = locker.log(
        ContactDraft(
            channel=Channel.CALL,
            occurred_at=datetime(2025, 2, 3, 23, 15, tzinfo=SHANGHAI),
            address="13800138000",
            content="再不还钱就去你单位",
            case=case.id,
            attachments=(AttachmentDraft(name="shot.png", data=b"\x89PNG" + bytes(300)),),
        )
    )
    locker.correct(r.id, reason="typo", changes={"content": "再不还钱就去你家"})
    locker.close()
    return locker_dir


def chmod_read_only(directory: Path) -> None:
    for p in [*directory.rglob("*"), directory]:
        mode = stat.S_IMODE(p.stat().st_mode)
        p.chmod(mode & ~0o222)


def reading_commands(cli, copy: Path, tmp_path: Path, *extra: str) -> None:  # type: ignore[no-untyped-def]
    """Every reading command works; a write says read-only; nothing is written."""
    before = snapshot(copy)
    for args in (["list"], ["search", "你家"], ["verify"], ["verify", "--deep"]):
        r = cli(*extra, *args)
        assert r.code == 0, (args, r.out, r.err)
    rid = cli(*extra, "list", "--json").out.split('"record_id": "')[1][:8]
    assert cli(*extra, "show", rid).code == 0
    out = tmp_path / "elsewhere" / "dossier.pdf"
    out.parent.mkdir()
    r = cli(*extra, "export", "pdf", "-o", str(out), "--no-flags")
    assert r.code == 0, r.err
    assert out.read_bytes().startswith(b"%PDF")
    assert cli(*extra, "verify-dossier", str(out)).code == 0
    r = cli(*extra, "doctor")
    assert r.code == 0, r.out + r.err
    assert "read-only" in r.out and "DAMAGED" not in r.out
    r = cli(*extra, "log", "sms", "--number", "95577", "--content", "new")
    assert r.code == 1 and "read-only" in r.err and "Traceback" not in r.err
    assert snapshot(copy) == before  # not a byte, not a new file


def test_a_chmod_read_only_copy_is_read_and_left_as_it_is(copy: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    chmod_read_only(copy)
    try:
        reading_commands(cli, copy, tmp_path)
    finally:
        for p in [copy, *copy.rglob("*")]:
            p.chmod(stat.S_IMODE(p.stat().st_mode) | 0o200)


def test_read_only_on_request(copy: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    reading_commands(cli, copy, tmp_path, "--read-only")


def test_a_file_system_that_refuses_writes(  # type: ignore[no-untyped-def]
    copy: Path, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No write bit is missing, but every write fails as on a write-blocked mount: the
    read-only open is chosen by statvfs's ST_RDONLY flag."""
    real = os.statvfs

    class ReadOnlyFs:
        def __init__(self, result: os.statvfs_result):
            self._r = result

        def __getattr__(self, name: str) -> object:
            if name == "f_flag":
                return self._r.f_flag | os.ST_RDONLY
            return getattr(self._r, name)

    monkeypatch.setattr(
        os, "statvfs", lambda p: ReadOnlyFs(real(p)) if str(copy) in str(p) else real(p)
    )
    reading_commands(cli, copy, tmp_path)


def test_a_write_refused_by_sqlite_says_read_only(copy: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A locker not recognised as read-only, where SQLite then refuses the write."""
    from evidence_locker.store import transactions

    original = transactions.Transactions.refuse_if_read_only
    try:
        transactions.Transactions.refuse_if_read_only = lambda self: None  # type: ignore[method-assign]
        r = cli("--read-only", "log", "sms", "--number", "95577", "--content", "new")
    finally:
        transactions.Transactions.refuse_if_read_only = original  # type: ignore[method-assign]
    assert r.code == 1 and "read-only" in r.err, r.err


def test_an_index_from_an_older_version_is_searched_without_rebuilding(copy: Path, cli) -> None:  # type: ignore[no-untyped-def]
    con = sqlite3.connect(copy / "locker.db", isolation_level=None)
    con.execute("DELETE FROM meta WHERE key = 'index_format'")  # as an older locker
    con.close()
    before = snapshot(copy)
    r = cli("--read-only", "search", "你家")
    assert r.code == 0 and "你家" in r.out
    assert snapshot(copy) == before


def test_a_nearly_full_disk_is_said_not_misdiagnosed(copy: Path) -> None:
    """The disk cannot take even SQLite's small working file: a clear message, and
    doctor says it is the disk, not the locker."""
    for name in ("locker.db-shm", "locker.db-wal"):
        (copy / name).unlink(missing_ok=True)
    r = run_cli(copy, "list", fsize_limit=1024)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "the disk refused" in r.stderr and "damaged" not in r.stderr.replace(
        "says nothing about whether the locker is damaged", ""
    )
    r = run_cli(copy, "doctor", fsize_limit=1024)
    assert "DAMAGED" not in r.stdout and "reason of the disk" in r.stdout, r.stdout + r.stderr
    assert run_cli(copy, "list").returncode == 0  # with room again, all is well
