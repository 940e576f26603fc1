"""Disk full (RLIMIT_FSIZE in the child) during attach, import and backup: a clear
error, and the locker exactly as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evidence_locker.locker import Locker

from .conftest import PASSPHRASE
from .test_crash import sms_xml
from .test_failures import run_cli

pytestmark = pytest.mark.slow


def fingerprint(path: Path) -> tuple[str, int, list[str]]:
    with Locker.open(path, passphrase=PASSPHRASE) as locker:
        assert locker.verify().ok and locker.verify_blobs() == []
        return locker.head(), locker.count(), sorted(locker.blobs.ids())


@pytest.fixture
def base(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "locker"
    Locker.create(path, PASSPHRASE)[0].close()
    r = run_cli(path, "log", "sms", "--number", "95577", "--content", "before 之前", "--json")
    assert r.returncode == 0, r.stderr
    with Locker.open(path, passphrase=PASSPHRASE) as locker:
        rid = locker.records()[0].id
    return path, rid


def used(path: Path) -> int:
    return max(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_attach_and_import_on_a_full_disk(base, tmp_path: Path) -> None:
    path, rid = base
    before = fingerprint(path)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(4 * 1024 * 1024))
    r = run_cli(path, "attach", rid, str(big), fsize_limit=used(path) + 256 * 1024)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "disk" in r.stderr or "nothing was left behind" in r.stderr, r.stderr
    assert fingerprint(path) == before
    xml = tmp_path / "big.xml"
    xml.write_text(sms_xml(20_000, "full"), encoding="utf-8")
    r = run_cli(path, "import", str(xml), fsize_limit=used(path) + 64 * 1024)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert fingerprint(path) == before


def test_backup_on_a_full_disk_leaves_no_file(base, tmp_path: Path) -> None:
    path, rid = base
    with Locker.open(path, passphrase=PASSPHRASE) as locker:
        for name in ("video.mp4", "call.m4a"):
            locker.attach(rid, _random_file(tmp_path / name, 2 * 1024 * 1024))
    before = fingerprint(path)
    usb = tmp_path / "usb"
    usb.mkdir()
    limit = 2 * 1024 * 1024 + 256 * 1024  # room for the snapshot, not the backup
    r = run_cli(path, "backup", str(usb / "b.elb"), fsize_limit=limit)
    assert r.returncode == 1 and "disk is full" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert list(usb.iterdir()) == []  # no half file, no temp file
    assert not [p for p in path.iterdir() if p.name.startswith(".elb-")]
    assert fingerprint(path) == before
    r = run_cli(path, "backup", str(usb / "b.elb"))  # with room again it works
    assert r.returncode == 0, r.stderr


def _random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path
