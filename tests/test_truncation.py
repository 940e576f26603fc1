"""Truncation laundering (issue 13, item 2): a ledger cut back is never signed over.

The attack (``tests/attacks/truncate_locker.py``, written without project code)
deletes the newest entries and rebuilds the stored frontier from the clear leaf
hashes. The owner's next ordinary write must refuse, say the ledger was cut back and
point to ``doctor`` and the backups; ``verify`` and ``doctor`` must say the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.errors import IntegrityError
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft
from tests.attacks.truncate_locker import truncate

from .conftest import PASSPHRASE, SHANGHAI

ATTACK = Path(__file__).parent / "attacks" / "truncate_locker.py"


def draft(i: int) -> ContactDraft:
    return ContactDraft(
        channel=Channel.CALL,
        occurred_at=datetime(2025, 2, 1, 23, 15, tzinfo=SHANGHAI) + timedelta(days=i),
        address="13800138000",
        content=f"threat {i} 第{i}次",
    )


@pytest.fixture
def six(locker: Locker, locker_dir: Path) -> Path:
    for i in range(6):
        locker.log(draft(i))
    locker.close()
    return locker_dir


def test_a_write_after_truncation_is_refused(six: Path) -> None:
    truncate(six, 4)
    with Locker.open(six, passphrase=PASSPHRASE) as opened:
        with pytest.raises(IntegrityError) as caught:
            opened.log(draft(9))
        assert caught.value.key == "error.cut_back"
        assert "doctor" in (caught.value.render_hint("en") or "")
        with pytest.raises(IntegrityError):
            opened.delete(opened.records()[0].id, reason="tidy up")
        # nothing was written: the four entries left are all there is
        assert opened.count() == 4
        report = opened.verify()
    assert not report.ok
    assert report.problems[0].what == "verify.cut_back"


def test_a_write_after_a_middle_deletion_is_refused(six: Path) -> None:
    """Rows missing below the top (the count disagrees with the head) also stop writes."""
    import sqlite3

    con = sqlite3.connect(six / "locker.db", isolation_level=None)
    con.execute("DROP TRIGGER entry_no_delete")
    con.execute("DELETE FROM entry WHERE seq = 2")
    con.close()
    with Locker.open(six, passphrase=PASSPHRASE) as opened, pytest.raises(IntegrityError) as caught:
        opened.log(draft(9))
    assert caught.value.key == "error.cut_back"


def test_a_forged_frontier_without_truncation_is_refused(six: Path) -> None:
    """A frontier that is not the signed head's (rows untouched) is not appended to."""
    import json
    import sqlite3

    con = sqlite3.connect(six / "locker.db", isolation_level=None)
    raw = json.loads(con.execute("SELECT value FROM meta WHERE key='frontier'").fetchone()[0])
    raw["stack"][-1] = raw["stack"][0]
    con.execute("UPDATE meta SET value=? WHERE key='frontier'", (json.dumps(raw),))
    con.close()
    with Locker.open(six, passphrase=PASSPHRASE) as opened, pytest.raises(IntegrityError) as caught:
        opened.log(draft(9))
    assert caught.value.key == "error.cut_back"


def test_cli_log_after_truncation_fails_and_points_to_doctor(six: Path, cli) -> None:  # type: ignore[no-untyped-def]
    truncate(six, 3)
    r = cli("log", "sms", "--number", "95577", "--content", "hello")
    assert r.code == 1
    assert "cut back" in r.err and "doctor" in r.err and "backup" in r.err
    r = cli("verify")
    assert r.code == 1 and "cut back" in r.err
    r = cli("doctor")
    assert r.code == 1 and "cut back" in r.out + r.err


def test_the_attack_script_then_an_ordinary_log_fails(six: Path, tmp_path: Path) -> None:
    """The independent attack, on a copy, as processes: truncate, log once, verify."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(six, copy)
    attack = subprocess.run(
        [sys.executable, str(ATTACK), str(copy), "2"], capture_output=True, text=True
    )
    assert attack.returncode == 0, attack.stderr
    env = {
        **os.environ,
        "EVIDENCE_LOCKER_DIR": str(copy),
        "EVIDENCE_LOCKER_PASSPHRASE": PASSPHRASE,
        "EVIDENCE_LOCKER_LANG": "en",
    }
    cmd = [sys.executable, "-m", "evidence_locker"]
    log = subprocess.run(
        [*cmd, "log", "sms", "--number", "95577", "--content", "later"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert log.returncode == 1, log.stdout + log.stderr
    assert "cut back" in log.stderr
    verify = subprocess.run([*cmd, "verify"], env=env, capture_output=True, text=True)
    assert verify.returncode == 1 and "OK" not in verify.stdout
