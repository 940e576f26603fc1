"""``verify --against FILE`` (issue 13, item 3b): does the ledger still extend the head
in a dossier or a backup handed out earlier? A consistency proof decides, even on a
machine that never saw the newer head (no outside copy): the file is the outside copy.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.care import backup
from evidence_locker.care.against import verify_against
from evidence_locker.errors import FormatError, IntegrityError, NotFound
from evidence_locker.ledger import merkle
from evidence_locker.ledger.consistency import HeadStatus
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft

from .conftest import PASSPHRASE, SHANGHAI


def draft(i: int, text: str = "threat") -> ContactDraft:
    return ContactDraft(
        channel=Channel.SMS,
        occurred_at=datetime(2025, 2, 1, 21, 0, tzinfo=SHANGHAI) + timedelta(days=i),
        address="95577",
        content=f"{text} {i} 第{i}条",
    )


def log_n(locker_dir: Path, start: int, n: int, text: str = "threat") -> None:
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as opened:
        for i in range(start, start + n):
            opened.log(draft(i, text))


def forget_newest(state_dir: Path) -> None:
    """As on another computer: no outside copy of the newest head."""
    shutil.rmtree(state_dir / "heads", ignore_errors=True)


@pytest.fixture
def four(locker: Locker, locker_dir: Path) -> Path:
    for i in range(4):
        locker.log(draft(i))
    locker.close()
    return locker_dir


def test_a_saved_head_backup_and_dossier_are_extended(  # type: ignore[no-untyped-def]
    four: Path, tmp_path: Path, cli
) -> None:
    note = tmp_path / "head.txt"
    with Locker.open(four, passphrase=PASSPHRASE) as opened:
        note.write_text(opened.head())
        backup.create_backup(opened, tmp_path / "b.elb")
    dossier = tmp_path / "d.pdf"
    assert cli("export", "pdf", "-o", str(dossier), "--no-flags").code == 0
    log_n(four, 4, 3)
    with Locker.open(four, passphrase=PASSPHRASE) as opened:
        for path, kind in ((note, "note"), (tmp_path / "b.elb", "backup"), (dossier, "dossier")):
            result = verify_against(opened, path)
            assert result.kind == kind and result.ok
            check = result.check
            assert (check.head.size, check.ledger_size) == (4, 7) and check.proof
            # the proof verifies as a reader without the locker would check it
            with opened.engine.connect() as conn:
                current = merkle.root(opened.ledger.leaves(conn))
            assert merkle.verify_consistency(4, 7, check.head.root, current, check.proof)
    r = cli("verify", "--against", str(dossier), "--against", str(tmp_path / "b.elb"))
    assert r.code == 0, r.err
    assert "OK:" in r.out and r.out.count("The ledger extends the head in") == 2
    data = json.loads(cli("verify", "--json", "--against", str(note)).out)
    assert data["ok"] and data["against"][0]["status"] == "consistent"


def test_an_older_copy_fails_against_a_dossier_handed_out(  # type: ignore[no-untyped-def]
    four: Path, tmp_path: Path, state_dir: Path, cli
) -> None:
    old = tmp_path / "old"
    shutil.copytree(four, old)
    log_n(four, 4, 2)
    dossier = tmp_path / "handed-out.pdf"
    assert cli("export", "pdf", "-o", str(dossier), "--no-flags").code == 0
    shutil.rmtree(four)
    shutil.copytree(old, four)
    forget_newest(state_dir)
    assert cli("verify").code == 0  # on its own, the older copy is sound
    r = cli("verify", "--against", str(dossier))
    assert r.code == 1
    assert "covers 6 entries, this ledger only 4" in r.err and "OK:" not in r.out
    data = json.loads(cli("verify", "--json", "--against", str(dossier)).out)
    assert data["ok"] is False and data["against"][0]["status"] == "rolled_back"


def test_a_rewritten_history_fails_against_a_backup(
    four: Path, tmp_path: Path, state_dir: Path
) -> None:
    old = tmp_path / "old"
    shutil.copytree(four, old)
    log_n(four, 4, 2)
    with Locker.open(four, passphrase=PASSPHRASE) as opened:
        backup.create_backup(opened, tmp_path / "b.elb")
    log_n(old, 4, 5, text="invented")  # another history from entry 4 on, longer
    forget_newest(state_dir)
    with Locker.open(old, passphrase=PASSPHRASE) as opened:
        result = verify_against(opened, tmp_path / "b.elb")
    assert result.check.status is HeadStatus.DIVERGED and not result.ok


def test_files_that_say_nothing_about_this_locker_are_refused(
    four: Path, tmp_path: Path, clock
) -> None:  # type: ignore[no-untyped-def]
    other_dir = tmp_path / "other"
    other, _ = Locker.create(other_dir, PASSPHRASE, clock=clock)
    with other:
        other.log(draft(0))
        (tmp_path / "other-head.txt").write_text(other.head())
        backup.create_backup(other, tmp_path / "other.elb")
    (tmp_path / "junk.bin").write_bytes(b"\x00\xff" * 10)
    (tmp_path / "plain.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    with Locker.open(four, passphrase=PASSPHRASE) as opened:
        for name in ("other-head.txt", "other.elb"):
            with pytest.raises(IntegrityError) as caught:
                verify_against(opened, tmp_path / name)
            assert caught.value.key == "against.not_this_locker"
        with pytest.raises(FormatError):
            verify_against(opened, tmp_path / "junk.bin")
        with pytest.raises(FormatError) as caught:
            verify_against(opened, tmp_path / "plain.pdf")
        assert caught.value.key == "against.no_head"
        with pytest.raises(NotFound):
            verify_against(opened, tmp_path / "missing.pdf")


def test_cli_names_a_missing_or_foreign_file(four: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("verify", "--against", str(tmp_path / "nope.pdf"))
    assert r.code == 1 and "no such file" in r.err
    (tmp_path / "x.txt").write_text("not a head")
    r = cli("verify", "--against", str(tmp_path / "x.txt"))
    assert r.code == 1 and "no tree head signed by this locker" in r.err
