"""The locker's clear settings are checked by verify (issue 13, low item).

``meta.region`` decides how every new phone number is read; ``meta.public_key``,
``locker_id`` and ``created_at`` describe the locker. Someone with the files could
change them with sqlite3 and ``verify`` said OK. Now each is held by a MAC under the
master key (ledger/meta_seal.py) and ``verify`` and ``doctor`` name the one changed.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from evidence_locker.care.doctor import diagnose
from evidence_locker.locker import Locker

from .conftest import PASSPHRASE
from .test_clear_columns import V1, V1_PASSPHRASE, night_call


def edit_meta(locker_dir: Path, sql: str, *params: object) -> None:
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    con.execute(sql, params)
    con.close()


def problems(locker_dir: Path, passphrase: str = PASSPHRASE) -> list[str]:
    with Locker.open(locker_dir, passphrase=passphrase) as opened:
        return [p.what for p in opened.verify().problems]


@pytest.fixture
def closed(locker: Locker, locker_dir: Path) -> Path:
    locker.log(night_call())
    locker.close()
    assert problems(locker_dir) == []
    return locker_dir


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("region", "US"),
        ("created_at", "0"),
        ("public_key", "00" * 32),
    ],
)
def test_a_changed_setting_is_named_by_verify_and_doctor(
    closed: Path, key: str, value: str
) -> None:
    edit_meta(closed, "UPDATE meta SET value = ? WHERE key = ?", value, key)
    assert problems(closed) == [f"verify.meta.{key}"]
    report = diagnose(closed, passphrase=PASSPHRASE)
    assert any(
        f.key == "doctor.ledger_bad" and f.params["what"] == f"verify.meta.{key}"
        for f in report.findings
    )


def test_the_seal_removed_or_damaged_is_named(closed: Path) -> None:
    saved = shutil.copy(closed / "locker.db", closed.parent / "saved.db")
    edit_meta(closed, "UPDATE meta SET value = 'not json' WHERE key = 'sealed_meta'")
    assert problems(closed) == ["verify.meta.unsealed"]
    shutil.copy(saved, closed / "locker.db")
    # deleted, and the locker made to look like format 1: its version-2 entries tell
    edit_meta(closed, "DELETE FROM meta WHERE key = 'sealed_meta'")
    edit_meta(closed, "UPDATE meta SET value = 'evidence-locker/1' WHERE key = 'format'")
    assert problems(closed) == ["verify.meta.unsealed"]


def test_the_cli_says_the_region_was_changed(closed: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit_meta(closed, "UPDATE meta SET value = 'US' WHERE key = 'region'")
    r = cli("verify", env={"EVIDENCE_LOCKER_DIR": str(closed)})
    assert r.code == 1 and "region setting" in r.err and "OK" not in r.out


def test_a_format_1_locker_is_sealed_by_its_first_write_and_rotation_keeps_it(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "v1"
    shutil.copytree(V1, copy)
    assert problems(copy, V1_PASSPHRASE) == []  # nothing to check against yet
    with Locker.open(copy, passphrase=V1_PASSPHRASE) as opened:
        opened.log(night_call())
        opened.rotate_keys("a new passphrase 新口令")
    assert problems(copy, "a new passphrase 新口令") == []
    edit_meta(copy, "UPDATE meta SET value = 'GB' WHERE key = 'region'")
    assert problems(copy, "a new passphrase 新口令") == ["verify.meta.region"]


def test_no_write_under_a_changed_region(closed: Path, cli) -> None:  # type: ignore[no-untyped-def]
    edit_meta(closed, "UPDATE meta SET value = 'US' WHERE key = 'region'")
    r = cli("log", "sms", "--number", "95577", "--at", "2025-02-05 10:00", "--content", "催款")
    assert r.code == 1 and "settings" in r.err and "Traceback" not in r.err
    with Locker.open(closed, passphrase=PASSPHRASE) as opened:
        assert len(opened.records()) == 1
    assert problems(closed) == ["verify.meta.region"]
    # made to look like format 1 with the seal deleted: the newest entry tells
    edit_meta(closed, "DELETE FROM meta WHERE key = 'sealed_meta'")
    edit_meta(closed, "UPDATE meta SET value = 'evidence-locker/1' WHERE key = 'format'")
    r = cli("log", "sms", "--number", "95577", "--at", "2025-02-05 10:00", "--content", "催款")
    assert r.code == 1 and "settings" in r.err
    assert problems(closed) == ["verify.meta.unsealed"]
