"""The recovery key's check group, and a missing recovery slot (issue 13, low items).

A new recovery key ends with a ninth group that checks the other eight, so a letter
copied wrong is a typo, not "wrong recovery key"; keys printed before it (eight
groups) still open their lockers. A locker whose recovery slot was removed says so
instead of "wrong recovery key".
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker import crypto
from evidence_locker.errors import IntegrityError, UsageError, WrongPassphrase
from evidence_locker.locker import Locker

V1 = Path(__file__).parent / "fixtures" / "lockers" / "v1"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def test_a_new_key_has_a_check_group_and_opens(
    created: tuple[Locker, str], locker_dir: Path
) -> None:
    locker, recovery = created
    locker.close()
    assert len(recovery.split("-")) == 9
    with Locker.open(locker_dir, recovery_key=recovery.lower().replace("-", " ")) as opened:
        assert opened.count() == 0


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=35), st.sampled_from(ALPHABET))
def test_any_letter_copied_wrong_is_a_typo(position: int, letter: str) -> None:
    key = crypto.new_recovery_key()
    plain = key.replace("-", "")
    if plain[position] == letter:
        return
    changed = plain[:position] + letter + plain[position + 1 :]
    with pytest.raises(crypto.RecoveryKeyMistyped):
        crypto.parse_recovery_key(changed)


def test_a_typo_is_said_as_such(created: tuple[Locker, str], locker_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    locker, recovery = created
    locker.close()
    wrong = ("B" if recovery[0] != "B" else "C") + recovery[1:]
    with pytest.raises(UsageError) as caught:
        Locker.open(locker_dir, recovery_key=wrong)
    assert caught.value.key == "error.recovery_key_typo"
    r = cli(
        "passwd",
        "--recovery",
        env={"EVIDENCE_LOCKER_RECOVERY_KEY": wrong, "EVIDENCE_LOCKER_NEW_PASSPHRASE": "x"},
    )
    assert r.code == 2 and "check of the eight" in r.err


def test_an_old_key_without_the_check_still_opens(tmp_path: Path) -> None:
    copy = tmp_path / "v1"
    shutil.copytree(V1, copy)
    old_key = (V1 / "RECOVERY").read_text().strip()
    assert len(old_key.split("-")) == 8
    with Locker.open(copy, recovery_key=old_key) as opened:
        assert opened.verify().ok
    wrong = ("B" if old_key[0] != "B" else "C") + old_key[1:]
    with pytest.raises(WrongPassphrase):  # no check group: nothing to say but "wrong"
        Locker.open(copy, recovery_key=wrong)


def test_a_missing_recovery_slot_says_so(created: tuple[Locker, str], locker_dir: Path) -> None:
    locker, recovery = created
    locker.close()
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    con.execute("DELETE FROM keyslot WHERE kind = 'recovery'")
    con.close()
    with pytest.raises(IntegrityError) as caught:
        Locker.open(locker_dir, recovery_key=recovery)
    assert caught.value.key == "error.no_recovery_slot"
