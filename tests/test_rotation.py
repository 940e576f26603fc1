"""``passwd --rotate`` (issue 13, item 7): a new master key, everything rewritten.

Plain ``passwd`` rewraps the same master key, so the old passphrase with any old copy
still decrypts records written later (tested below: that is what it does not
protect). A rotation rewrites every sealed value, blob, index token and key slot; the
evidence (leaves, roots, signed heads, the signing key) stays exactly as it was; and a
``kill -9`` at any point leaves a locker that opens with exactly one of the two
passphrases and has lost nothing (a real subprocess killed at five points).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from evidence_locker.errors import IntegrityError, WrongPassphrase
from evidence_locker.locker import Locker
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft, RecordFilter, Source

from .conftest import PASSPHRASE, SHANGHAI

NEW = "a new passphrase 新口令"
VICTIM = Path(__file__).parent / "rotate_victim.py"


def fill(locker: Locker) -> None:
    case = locker.add_case("card-1234", creditor="农商银行")
    night = locker.log(
        ContactDraft(
            channel=Channel.CALL,
            occurred_at=datetime(2025, 2, 3, 23, 15, tzinfo=SHANGHAI),
            address="13800138000",
            content="再不还钱就去你单位",
            notes="my lawyer 张律师 13912345678",
            case=case.id,
            attachments=(AttachmentDraft(name="录音.m4a", data=os.urandom(70_000)),),
        )
    )
    sms = locker.log(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=datetime(2025, 2, 4, 9, 30, tzinfo=SHANGHAI),
            address="95577",
            content="【农商银行】您的借款已逾期",
            attachments=(AttachmentDraft(name="shot.png", data=b"\x89PNG" + os.urandom(500)),),
        )
    )
    locker.correct(sms.id, reason="wrong number", changes={"address": "95588"})
    twice = locker.log(
        ContactDraft(
            channel=Channel.VISIT,
            occurred_at=datetime(2025, 2, 5, 15, 0, tzinfo=SHANGHAI),
            location="楼下",
        )
    )
    locker.delete(twice.id, reason="logged twice")
    assert night.attachments
    locker.log_batch(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=datetime(2025, 2, 6, 8, 0, tzinfo=SHANGHAI) + timedelta(hours=i),
            address="10690000",
            content=f"imported {i} 导入",
            source=Source(kind="import", format="csv", file_name="x.csv", fingerprint=f"fp-{i}"),
        )
        for i in range(3)
    )
    locker.heads.record_export(locker.head(), b"%PDF a dossier handed out")


def evidence(locker: Locker) -> dict[str, Any]:
    """Everything that must survive a rotation unchanged."""
    records = locker.records(RecordFilter(all_versions=True, include_deleted=True))
    files = {
        a.id: hashlib.sha256(locker.read_attachment(a)).hexdigest()
        for a in locker.all_attachments()
    }
    with locker.engine.connect() as conn:
        roots = [
            (bytes(r[0]), bytes(r[1]))
            for r in conn.exec_driver_sql("SELECT leaf, root FROM entry ORDER BY seq")
        ]
    return {
        "records": [r.to_json() for r in records],
        "files": files,
        "tree": roots,
        "head": locker.head(),
        "public_key": locker.public_key,
        "search": sorted(h.record.id for h in locker.search("律师")),
    }


def stored(locker_dir: Path) -> dict[str, Any]:
    """What a rotation must have rewritten, as bytes on disk."""
    con = sqlite3.connect(locker_dir / "locker.db")
    try:
        return {
            "sealed": {r[0]: bytes(r[1]) for r in con.execute("SELECT id, sealed FROM entry")},
            "dedupe": {
                r[0] for r in con.execute("SELECT dedupe FROM entry WHERE dedupe IS NOT NULL")
            },
            "tokens": {bytes(r[0]) for r in con.execute("SELECT token FROM search_posting")},
            "slots": {r[0]: bytes(r[1]) for r in con.execute("SELECT kind, wrapped FROM keyslot")},
            "macs": {bytes(r[0]) for r in con.execute("SELECT mac FROM anchor")},
            "blobs": {p.name: p.read_bytes() for p in (locker_dir / "blobs").iterdir()},
        }
    finally:
        con.close()


@pytest.fixture
def filled(created: tuple[Locker, str], locker_dir: Path) -> Path:
    locker, recovery = created
    fill(locker)
    locker.close()
    (locker_dir.parent / "old-recovery.txt").write_text(recovery)
    return locker_dir


def opens_with(locker_dir: Path, passphrase: str) -> bool:
    try:
        Locker.open(locker_dir, passphrase=passphrase).close()
    except WrongPassphrase:
        return False
    return True


def test_rotation_rewrites_every_secret_and_keeps_the_evidence(
    filled: Path, tmp_path: Path
) -> None:
    with Locker.open(filled, passphrase=PASSPHRASE) as opened:
        before = evidence(opened)
    raw_before = stored(filled)
    old_copy = tmp_path / "copy-taken-before"
    shutil.copytree(filled, old_copy)
    with Locker.open(filled, passphrase=PASSPHRASE) as opened:
        recovery = opened.rotate_keys(NEW)
        assert evidence(opened) == before  # the same session goes on, under the new key
        later = opened.log(
            ContactDraft(
                channel=Channel.SMS,
                occurred_at=datetime(2025, 3, 1, 22, 0, tzinfo=SHANGHAI),
                address="95577",
                content="written after the rotation 轮换之后",
            )
        )
    raw_after = stored(filled)
    for name in ("sealed", "blobs"):
        common = set(raw_before[name]) & set(raw_after[name])
        assert common and all(raw_before[name][k] != raw_after[name][k] for k in common), name
    assert not raw_before["tokens"] & raw_after["tokens"]
    assert not raw_before["dedupe"] & raw_after["dedupe"]
    assert not raw_before["macs"] & raw_after["macs"]
    assert "signing" in raw_after["slots"]
    assert not opens_with(filled, PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        Locker.open(filled, recovery_key=(filled.parent / "old-recovery.txt").read_text())
    with Locker.open(filled, recovery_key=recovery) as opened:
        after = evidence(opened)
        assert after["records"][: len(before["records"])] == before["records"]
        assert after["tree"][: len(before["tree"])] == before["tree"]
        assert after["public_key"] == before["public_key"] and after["files"] == before["files"]
        assert opened.verify().ok and opened.verify_blobs() == [] and opened.check_index().ok
        # an import's dedupe still works under the new index key
        again = opened.log_batch(
            [
                ContactDraft(
                    channel=Channel.SMS,
                    occurred_at=datetime(2025, 2, 6, 8, 0, tzinfo=SHANGHAI),
                    address="10690000",
                    content="imported 0 导入",
                    source=Source(
                        kind="import", format="csv", file_name="x.csv", fingerprint="fp-0"
                    ),
                )
            ]
        )
        assert again.duplicates == 1
    # the old passphrase with the old copy: everything from before, nothing after
    with Locker.open(old_copy, passphrase=PASSPHRASE) as old:
        con = sqlite3.connect(filled / "locker.db")
        row = con.execute("SELECT * FROM entry WHERE id = ?", (later.id,)).fetchone()
        names = [d[0] for d in con.execute("SELECT * FROM entry LIMIT 0").description]
        con.close()
        from types import SimpleNamespace

        from evidence_locker.crypto import DecryptionFailed

        with pytest.raises(DecryptionFailed):
            old.ledger.decode(SimpleNamespace(**dict(zip(names, row, strict=True))))


def test_plain_passwd_does_not_protect_old_copies(filled: Path, tmp_path: Path) -> None:
    """What the threat model says of plain passwd: the old passphrase and an old copy
    still decrypt what is written after it (the master key did not change)."""
    old_copy = tmp_path / "copy"
    shutil.copytree(filled, old_copy)
    with Locker.open(filled, passphrase=PASSPHRASE) as opened:
        opened.change_passphrase(NEW)
        later = opened.log(
            ContactDraft(
                channel=Channel.SMS,
                occurred_at=datetime(2025, 3, 1, tzinfo=SHANGHAI),
                address="1",
                content="after passwd",
            )
        )
    with Locker.open(old_copy, passphrase=PASSPHRASE) as old:
        con = sqlite3.connect(filled / "locker.db")
        row = con.execute("SELECT * FROM entry WHERE id = ?", (later.id,)).fetchone()
        names = [d[0] for d in con.execute("SELECT * FROM entry LIMIT 0").description]
        con.close()
        from types import SimpleNamespace

        opened_values = old.ledger.open_values(
            SimpleNamespace(**dict(zip(names, row, strict=True)))
        )
        assert opened_values["content"] == "after passwd"


def test_a_session_from_before_cannot_write_after(filled: Path) -> None:
    stale = Locker.open(filled, passphrase=PASSPHRASE)
    with Locker.open(filled, passphrase=PASSPHRASE) as other:
        other.rotate_keys(NEW)
    with pytest.raises(IntegrityError) as caught:
        stale.log(
            ContactDraft(
                channel=Channel.SMS,
                occurred_at=datetime(2025, 3, 1, tzinfo=SHANGHAI),
                address="1",
                content="x",
            )
        )
    stale.close()
    assert caught.value.key == "error.keys_rotated"
    with Locker.open(filled, passphrase=NEW) as opened:
        assert opened.verify().ok


def test_a_damaged_locker_is_not_rotated(filled: Path) -> None:
    blob = next((filled / "blobs").iterdir())
    saved = blob.read_bytes()
    blob.unlink()
    with (
        Locker.open(filled, passphrase=PASSPHRASE) as opened,
        pytest.raises(IntegrityError) as caught,
    ):
        opened.rotate_keys(NEW)
    assert caught.value.key == "rotate.blob_missing"
    assert opens_with(filled, PASSPHRASE) and not opens_with(filled, NEW)
    assert [p.name for p in filled.iterdir() if p.name.startswith("blobs.")] == []
    blob.write_bytes(saved)
    con = sqlite3.connect(filled / "locker.db", isolation_level=None)
    con.execute("DROP TRIGGER entry_no_update")
    first = "(SELECT min(seq) FROM entry WHERE kind = 'record')"
    con.execute(f"UPDATE entry SET occurred_at = occurred_at + 1 WHERE seq = {first}")
    con.close()
    with Locker.open(filled, passphrase=PASSPHRASE) as opened, pytest.raises(IntegrityError):
        opened.rotate_keys(NEW)
    assert opens_with(filled, PASSPHRASE)


def test_cli_rotate_prints_a_new_recovery_key(filled: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("passwd", "--rotate", env={"EVIDENCE_LOCKER_NEW_PASSPHRASE": NEW})
    assert r.code == 0, r.err
    assert "New master key" in r.out and "Backups made before this" in r.out
    r = cli("verify", env={"EVIDENCE_LOCKER_PASSPHRASE": NEW})
    assert r.code == 0
    assert cli("list").code == 1  # the old passphrase


# -- kill -9 at any point -----------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    base = tmp_path_factory.mktemp("rotate-template")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("EVIDENCE_LOCKER_STATE_DIR", str(base / "state"))
        locker, _ = Locker.create(base / "locker", PASSPHRASE)
        with locker:
            fill(locker)
            for i in range(40):  # enough rows that the rewrite takes a moment
                locker.log(
                    ContactDraft(
                        channel=Channel.MESSAGE,
                        occurred_at=datetime(2025, 1, 1, tzinfo=SHANGHAI) + timedelta(hours=i),
                        app="wechat",
                        counterpart="催收员",
                        content=f"message {i} 第{i}条",
                    )
                )
            facts = evidence(locker)
    return base / "locker", facts


@pytest.mark.parametrize(
    ("point", "committed"),
    [
        ("staging", False),
        ("before_commit", False),
        ("after_commit", True),
        ("mid_swap", True),
        ("after_swap", True),
    ],
)
def test_kill_9_at_any_point_loses_nothing(
    template: tuple[Path, dict[str, Any]], tmp_path: Path, point: str, committed: bool
) -> None:
    source, facts = template
    locker_dir = tmp_path / "locker"
    shutil.copytree(source, locker_dir)
    env = {
        **os.environ,
        "EVIDENCE_LOCKER_DIR": str(locker_dir),
        "EVIDENCE_LOCKER_PASSPHRASE": PASSPHRASE,
        "EVIDENCE_LOCKER_NEW_PASSPHRASE": NEW,
    }
    proc = subprocess.run(
        [sys.executable, str(VICTIM), point], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == -9, proc.stdout + proc.stderr
    old_opens, new_opens = opens_with(locker_dir, PASSPHRASE), opens_with(locker_dir, NEW)
    assert (old_opens, new_opens) == (not committed, committed)
    with Locker.open(locker_dir, passphrase=NEW if committed else PASSPHRASE) as opened:
        assert evidence(opened) == facts
        assert opened.verify().ok and opened.verify_blobs() == [] and opened.check_index().ok
    leftovers = sorted(p.name for p in locker_dir.iterdir() if p.name.startswith("blobs."))
    if committed:
        assert leftovers == []  # opening finished the swap and removed the old folder
    else:
        # an uncommitted staging folder stays until the next rotation; doctor names it
        from evidence_locker.care.doctor import diagnose

        report = diagnose(locker_dir, passphrase=PASSPHRASE)
        assert not report.damaged
        if leftovers:
            assert any(f.key == "doctor.rotation_leftovers" for f in report.findings)
        with Locker.open(locker_dir, passphrase=PASSPHRASE) as opened:
            opened.rotate_keys(NEW)  # the next run cleans up and completes
        assert sorted(p.name for p in locker_dir.iterdir() if p.name.startswith("blobs.")) == []
        assert opens_with(locker_dir, NEW)
