"""Failures a user can hit leave the locker exactly as it was: disk full, killed mid-write."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence_locker.locker import Locker

from .conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[1]


def run_cli(
    locker_dir: Path, *args: str, fsize_limit: int | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        EVIDENCE_LOCKER_DIR=str(locker_dir),
        EVIDENCE_LOCKER_PASSPHRASE=PASSPHRASE,
        EVIDENCE_LOCKER_TZ="Asia/Shanghai",
        LANG="en_US.UTF-8",
    )

    def limit() -> None:
        if fsize_limit is not None:
            import resource

            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of dying
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_limit, fsize_limit))

    return subprocess.run(
        [sys.executable, "-m", "evidence_locker", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        input=stdin,
    )


def snapshot(locker_dir: Path) -> list[dict]:
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as locker:
        assert locker.verify().ok
        return [r.to_json() for r in locker.records()]


def test_disk_full_is_a_clear_error_and_changes_nothing(locker: Locker, locker_dir: Path) -> None:
    locker.close()
    first = run_cli(locker_dir, "log", "sms", "--number", "95577", "--content", "before")
    assert first.returncode == 0
    before = snapshot(locker_dir)
    size = sum(p.stat().st_size for p in locker_dir.iterdir())
    huge = "催收" * 400_000  # ~2.4 MB of content: cannot fit under the limit
    result = run_cli(
        locker_dir,
        "log",
        "sms",
        "--number",
        "95577",
        "--content",
        "-",
        fsize_limit=size + 64 * 1024,
        stdin=huge,
    )
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    assert "nothing was changed" in result.stderr or "disk" in result.stderr
    assert snapshot(locker_dir) == before


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from evidence_locker.locker import Locker
    from evidence_locker.model import Channel, ContactDraft
    locker = Locker.open(sys.argv[1], passphrase=sys.argv[2])
    i = 0
    while True:
        r = locker.log(ContactDraft(channel=Channel.SMS, occurred_at=datetime.now(timezone.utc),
                                    address="95577", content=f"message {i} 第{i}条" * 50))
        print(r.id, flush=True)  # only after the commit returned
        i += 1
    """
)


@pytest.mark.slow
def test_kill_minus_nine_during_logging_loses_nothing_reported(
    locker: Locker, locker_dir: Path
) -> None:
    locker.close()
    rng = random.Random(20251122)
    reported: list[str] = []
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(locker_dir), PASSPHRASE],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the writer is up and committing
        time.sleep(rng.uniform(0.0, 0.6))  # then kill it at a random point
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        reported.extend((first + out).split())
        with Locker.open(locker_dir, passphrase=PASSPHRASE) as check:
            report = check.verify()
            assert report.ok, report.problems
            stored = {r.id for r in check.records()}
        assert set(reported) <= stored  # every reported record is fully there
        assert len(stored) - len(reported) <= 6  # at most one unreported commit per kill
    assert reported
    assert json.dumps(reported)


def test_a_write_lock_held_elsewhere_is_a_clear_busy_error(
    locker: Locker, locker_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program holding the write lock past the busy timeout: ``log`` (on its
    driver-level transaction) says the locker is busy and writes nothing."""
    import sqlite3

    from evidence_locker.errors import StorageError
    from evidence_locker.model import Channel, ContactDraft
    from evidence_locker.store import database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(
        database,
        "SQLITE_PRAGMAS",
        tuple(
            "PRAGMA busy_timeout=200" if p.startswith("PRAGMA busy_timeout") else p
            for p in database.SQLITE_PRAGMAS
        ),
    )
    before = locker.count()
    holder = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        draft = ContactDraft(
            channel=Channel.SMS,
            occurred_at=datetime.now(UTC),
            address="95577",
            content="您的贷款已逾期",
        )
        with pytest.raises(StorageError) as caught:
            locker.log(draft)
        assert caught.value.key == "storage.busy"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert locker.count() == before
    assert locker.verify().ok
