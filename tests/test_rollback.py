"""Rollback (issue 13, item 3a): a locker older than the newest head this computer saw.

Replacing the locker with an older copy of itself, or cutting it back to a head that
was once signed (the one in a dossier already handed out), leaves a locker that
verifies on its own. The newest head is also kept in the user's state directory
(locker/newest_head.py), so the rollback is reported at unlock and by ``verify``,
and writes are refused until the owner finds the newer copy or accepts this one.
"""

from __future__ import annotations

import json
import shutil
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.errors import IntegrityError
from evidence_locker.ledger.consistency import HeadStatus
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft
from tests.attacks.truncate_locker import truncate

from .conftest import PASSPHRASE, SHANGHAI


def draft(i: int, text: str = "threat") -> ContactDraft:
    return ContactDraft(
        channel=Channel.CALL,
        occurred_at=datetime(2025, 2, 1, 23, 15, tzinfo=SHANGHAI) + timedelta(days=i),
        address="13800138000",
        content=f"{text} {i} 第{i}次",
    )


def log_n(locker_dir: Path, start: int, n: int, text: str = "threat") -> str:
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as opened:
        for i in range(start, start + n):
            opened.log(draft(i, text))
        return opened.head()


@pytest.fixture
def three(locker: Locker, locker_dir: Path) -> Path:
    for i in range(3):
        locker.log(draft(i))
    locker.close()
    return locker_dir


def open_locker(locker_dir: Path) -> Locker:
    return Locker.open(locker_dir, passphrase=PASSPHRASE)


def test_the_newest_head_is_kept_outside_the_locker(three: Path, state_dir: Path) -> None:
    with open_locker(three) as opened:
        files = list((state_dir / "heads").iterdir())
        assert len(files) == 1 and files[0].name.startswith(f"{opened.locker_id}-")
        data = json.loads(files[0].read_text())
        assert data["note"] == opened.head()
        assert "\n3\n" in data["note"]
        assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
        assert not str(files[0]).startswith(str(three))
        assert opened.heads.behind is None and opened.verify().ok


def test_an_older_copy_put_back_is_reported_and_refuses_writes(three: Path, tmp_path: Path) -> None:
    old = tmp_path / "old-copy"
    shutil.copytree(three, old)
    log_n(three, 3, 2)
    shutil.rmtree(three)
    shutil.copytree(old, three)
    with open_locker(three) as opened:
        behind = opened.heads.behind
        assert behind is not None and behind.status is HeadStatus.ROLLED_BACK
        assert (behind.head.size, behind.ledger_size) == (5, 3)
        report = opened.verify()
        assert not report.ok and report.newest.status is HeadStatus.ROLLED_BACK
        assert not report.problems  # the copy is sound on its own: only the memory knows
        with pytest.raises(IntegrityError) as caught:
            opened.log(draft(9))
        assert caught.value.key == "error.rolled_back"
        assert opened.count() == 3


def test_cut_back_to_a_head_handed_out_is_reported(three: Path) -> None:
    """The attack of item 3: truncate to the head printed in an earlier dossier and put
    that (genuinely signed) head back, so the locker agrees with itself everywhere."""
    with open_locker(three) as opened:
        handed_out = opened.head()
    log_n(three, 3, 3)
    truncate(three, 3, handed_out)
    with open_locker(three) as opened:
        assert opened.heads.behind is not None
        report = opened.verify()
        assert not report.problems and report.newest.status is HeadStatus.ROLLED_BACK
        with pytest.raises(IntegrityError, match="older than"):
            opened.log(draft(9))


def test_a_rewritten_history_is_reported_as_diverged(
    three: Path, tmp_path: Path, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old-copy"
    shutil.copytree(three, old)
    log_n(three, 3, 2)
    # the attacker writes another history into the old copy, on another machine
    monkeypatch.setenv("EVIDENCE_LOCKER_STATE_DIR", str(tmp_path / "elsewhere"))
    log_n(old, 3, 4, text="invented")
    monkeypatch.setenv("EVIDENCE_LOCKER_STATE_DIR", str(state_dir))
    shutil.rmtree(three)
    shutil.copytree(old, three)
    with open_locker(three) as opened:
        behind = opened.heads.behind
        assert behind is not None and behind.status is HeadStatus.DIVERGED
        report = opened.verify()
        assert report.newest.status is HeadStatus.DIVERGED and report.newest.proof
        with pytest.raises(IntegrityError) as caught:
            opened.log(draft(9))
        assert caught.value.key == "error.diverged"


def test_a_copy_elsewhere_is_its_own_history(three: Path, tmp_path: Path) -> None:
    """An older copy in another folder (a backup restored to look at it, another
    device's copy) is not a rollback of this one: each place has its own memory."""
    elsewhere = tmp_path / "restored-elsewhere"
    shutil.copytree(three, elsewhere)
    log_n(three, 3, 2)
    log_n(elsewhere, 10, 1)  # writes there are not refused
    with open_locker(elsewhere) as other, open_locker(three) as here:
        assert other.heads.behind is None and here.heads.behind is None
        assert other.verify().ok and here.verify().ok


def test_without_the_outside_copy_a_rollback_cannot_be_seen(
    three: Path, tmp_path: Path, state_dir: Path
) -> None:
    """What verification cannot tell (docs/threat-model.md): on a machine that never saw
    the newer head, an older copy is just a sound locker."""
    old = tmp_path / "old-copy"
    shutil.copytree(three, old)
    log_n(three, 3, 2)
    shutil.rmtree(state_dir / "heads")
    shutil.rmtree(three)
    shutil.copytree(old, three)
    with open_locker(three) as opened:
        assert opened.heads.behind is None and opened.verify().ok


def test_a_forged_or_corrupt_memory_file_is_ignored(three: Path, state_dir: Path) -> None:
    with open_locker(three) as opened:
        path = opened._session.memory.path
    data = json.loads(path.read_text())
    data["note"] = data["note"].replace("\n3\n", "\n9\n")  # signature no longer holds
    path.write_text(json.dumps(data))
    with open_locker(three) as opened:
        assert opened.heads.behind is None
        opened.log(draft(9))  # and the next write replaces it with a sound head
    assert "\n4\n" in json.loads(path.read_text())["note"]
    path.write_bytes(b"\xff not json")
    with open_locker(three) as opened:
        assert opened.heads.behind is None and opened.verify().ok


def test_a_failed_memory_write_is_kept_and_does_not_fail_the_write(
    three: Path, state_dir: Path
) -> None:
    heads = state_dir / "heads"
    shutil.rmtree(heads)
    heads.write_text("a file where the folder should be")
    with open_locker(three) as opened:
        opened.log(draft(9))
        assert opened.count() == 4
        assert opened._session.memory.write_error is not None


def test_cli_warns_at_unlock_fails_verify_and_accepts_on_purpose(  # type: ignore[no-untyped-def]
    three: Path, tmp_path: Path, cli
) -> None:
    old = tmp_path / "old-copy"
    shutil.copytree(three, old)
    log_n(three, 3, 2)
    shutil.rmtree(three)
    shutil.copytree(old, three)
    r = cli("list")
    assert r.code == 0 and "older than the one this computer last saw" in r.err
    r = cli("verify")
    assert r.code == 1 and "5 entries then, 3 now" in r.err and "OK" not in r.out
    r = cli("verify", "--json")
    assert r.code == 1 and json.loads(r.out)["newest_seen"]["status"] == "rolled_back"
    r = cli("log", "sms", "--number", "95577", "--content", "after restore")
    assert r.code == 1 and "verify --accept-older" in r.err
    r = cli("verify", "--accept-older")
    assert r.code == 0, r.err
    assert "no longer expected" in r.out
    r = cli("log", "sms", "--number", "95577", "--content", "after restore")
    assert r.code == 0 and "older" not in r.err
    assert cli("verify").code == 0
