"""kill -9 at random points of log, import, attach, backup and passwd.

Each scenario first times one full run of the command, then starts it again and
again as a subprocess (the real CLI, as a user runs it) and SIGKILLs it after a delay
drawn from a seeded RNG over that whole duration, so kills land in start-up, key
derivation, the work itself, the commit and the exit. After every kill the locker
must open, verify, hold everything a command reported as done, and nothing half done.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from evidence_locker.care import backup
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft

from .conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[1]
NEW_PASSPHRASE = "新的口令 new passphrase"
pytestmark = pytest.mark.slow


def env_for(locker_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        EVIDENCE_LOCKER_DIR=str(locker_dir),
        EVIDENCE_LOCKER_PASSPHRASE=PASSPHRASE,
        EVIDENCE_LOCKER_TZ="Asia/Shanghai",
        LANG="en_US.UTF-8",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def start(locker_dir: Path, *args: str, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "evidence_locker", *args],
        env=env_for(locker_dir, **extra),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


KILLED: list[bool] = []  # per test: was each run really killed mid-command?


@pytest.fixture(autouse=True)
def at_least_one_kill():  # type: ignore[no-untyped-def]
    """A scenario where every run finished before the kill tested nothing: fail it."""
    KILLED.clear()
    yield
    if KILLED:
        assert any(KILLED), "no run was killed mid-command; the delays are too long"


def run_killed(locker_dir: Path, delay: float, *args: str, **extra: str) -> tuple[bool, str]:
    """Run the command and SIGKILL it after ``delay`` s; (reported success, stdout)."""
    proc = start(locker_dir, *args, **extra)
    try:
        proc.wait(timeout=delay)
        KILLED.append(False)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        KILLED.append(True)
    out, err = proc.communicate()
    assert "Traceback" not in err, err
    return proc.returncode == 0, out


def timed(locker_dir: Path, *args: str, **extra: str) -> float:
    t0 = time.monotonic()
    proc = start(locker_dir, *args, **extra)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    return time.monotonic() - t0


def check(locker_dir: Path, passphrase: str = PASSPHRASE) -> Locker:
    locker = Locker.open(locker_dir, passphrase=passphrase)
    report = locker.verify()
    assert report.ok, report.problems
    assert locker.verify_blobs() == []  # no record points at a missing or partial file
    return locker


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "locker"
    locker, recovery = Locker.create(path, PASSPHRASE)
    locker.close()
    return path, recovery


def test_kill_during_log(fresh) -> None:
    path, _ = fresh
    rng = random.Random(81)
    total = timed(path, "log", "sms", "--number", "95577", "--content", "warm-up")
    done, all_tags = set(), set()
    for i in range(8):
        tag = f"kill-log-{i} 第{i}次"
        all_tags.add(tag)
        ok, _ = run_killed(
            path,
            rng.uniform(0.2, 1.2) * total,
            "log",
            "sms",
            "--number",
            "95577",
            "--content",
            tag,
        )
        if ok:
            done.add(tag)
    with check(path) as locker:
        contents = [r.content for r in locker.records()]
    assert done <= set(contents)  # everything reported is there
    assert set(contents) - {"warm-up"} <= all_tags  # and nothing else
    assert len(contents) == len(set(contents))  # nothing twice


def sms_xml(n: int, tag: str) -> str:
    """An SMS Backup & Restore export with n messages (realistic fields, zh and en)."""
    rows = []
    base = 1_735_689_600_000
    for k in range(n):
        body = f"{tag} 【催收】您的账户已逾期{k}天，请尽快还款 overdue {k}"
        rows.append(
            f'  <sms protocol="0" address="9557{k % 10}" date="{base + k * 60_000}" '
            f'type="1" subject="null" body={quoteattr(body)} toa="null" sc_toa="null" '
            f'service_center="null" read="1" status="-1" locked="0" date_sent="0" '
            f'sub_id="1" readable_date="" contact_name="(Unknown)" />'
        )
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        f'<smses count="{n}" backup_set="x" backup_date="{base}" type="full">\n'
        + "\n".join(rows)
        + "\n</smses>\n"
    )


def test_kill_during_import_is_all_or_nothing(fresh, tmp_path: Path) -> None:
    path, _ = fresh
    rng = random.Random(82)
    n = 4000
    warm = tmp_path / "warm.xml"
    warm.write_text(sms_xml(n, "warm"), encoding="utf-8")
    total = timed(path, "import", str(warm))
    imported = {"warm"}
    for i in range(5):
        tag = f"batch{i}"
        f = tmp_path / f"{tag}.xml"
        f.write_text(sms_xml(n, tag), encoding="utf-8")
        ok, _ = run_killed(path, rng.uniform(0.2, 1.1) * total, "import", str(f))
        if ok:
            imported.add(tag)
    with check(path) as locker:
        per_tag: dict[str, int] = {}
        for r in locker.records():
            per_tag[(r.content or "").split()[0]] = per_tag.get((r.content or "").split()[0], 0) + 1
    assert set(imported) <= set(per_tag)
    assert all(count == n for count in per_tag.values()), per_tag  # never a half import


def test_kill_during_attach_of_a_large_file(fresh, tmp_path: Path) -> None:
    path, _ = fresh
    rng = random.Random(83)
    with Locker.open(path, passphrase=PASSPHRASE) as locker:
        rec = locker.log(
            ContactDraft(
                channel=Channel.CALL,
                occurred_at=locker.clock(),
                address="10086",
            )
        )
    big = tmp_path / "recording.m4a"
    big.write_bytes(os.urandom(48 * 1024 * 1024))
    total = timed(path, "attach", rec.id, str(big))
    reported = 1
    for _ in range(6):
        ok, _ = run_killed(path, rng.uniform(0.2, 1.1) * total, "attach", rec.id, str(big))
        reported += ok
    with check(path) as locker:  # verify_blobs: every attachment decrypts to its SHA-256
        files = locker.get(rec.id).attachments
        assert reported <= len(files) <= 7
        assert {a.size for a in files} == {big.stat().st_size}


def test_kill_during_backup_never_leaves_a_half_file(fresh, tmp_path: Path) -> None:
    path, recovery = fresh
    rng = random.Random(84)
    with Locker.open(path, passphrase=PASSPHRASE) as locker:
        locker.log_batch(
            ContactDraft(
                channel=Channel.SMS,
                occurred_at=locker.clock(),
                address="95577",
                content=f"message {k} 消息",
            )
            for k in range(2000)
        )
        head = locker.head()
    big = tmp_path / "video.mp4"
    big.write_bytes(os.urandom(40 * 1024 * 1024))
    with Locker.open(path, passphrase=PASSPHRASE) as locker:
        rec = locker.records()[0]
        locker.attach(rec.id, big)
        head = locker.head()
    out_dir = tmp_path / "usb"
    out_dir.mkdir()
    total = timed(path, "backup", str(out_dir / "warm.elb"))
    for i in range(6):
        target = out_dir / f"b{i}.elb"
        ok, _ = run_killed(path, rng.uniform(0.2, 1.1) * total, "backup", str(target))
        if ok:
            assert target.exists()
        if target.exists():  # under its final name only if complete
            info = backup.verify_backup(target, recovery_key=recovery)
            assert info.ok and info.head == head
    assert not [p for p in out_dir.iterdir() if p.suffix == ".elb" and p.stat().st_size == 0]
    with check(path) as locker:
        assert locker.head() == head


def test_kill_during_passwd_leaves_one_of_the_two_passphrases(fresh) -> None:
    path, _ = fresh
    rng = random.Random(85)
    total = 0.0
    passphrases = [PASSPHRASE, NEW_PASSPHRASE]
    current = 0
    total = timed(
        path,
        "passwd",
        EVIDENCE_LOCKER_PASSPHRASE=passphrases[current],
        EVIDENCE_LOCKER_NEW_PASSPHRASE=passphrases[1 - current],
    )
    current = 1
    for _ in range(6):
        ok, _ = run_killed(
            path,
            rng.uniform(0.2, 1.1) * total,
            "passwd",
            EVIDENCE_LOCKER_PASSPHRASE=passphrases[current],
            EVIDENCE_LOCKER_NEW_PASSPHRASE=passphrases[1 - current],
        )
        opened = []
        for k in (current, 1 - current):
            try:
                Locker.open(path, passphrase=passphrases[k]).close()
                opened.append(k)
            except Exception:
                continue
        assert len(opened) == 1  # never neither (and the old one stops once changed)
        if ok:
            assert opened == [1 - current]
        current = opened[0]
    check(path, passphrases[current]).close()
