"""``verify`` finds every kind of tampering a person with the files could do, and names it.

The attacker here has the database but not the passphrase: they can drop the
append-only triggers and rewrite rows with plain sqlite3.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.errors import IntegrityError
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft

from .conftest import PASSPHRASE, SHANGHAI


@pytest.fixture
def filled(locker: Locker, locker_dir: Path) -> tuple[Locker, list[str]]:
    ids = []
    for i in range(6):
        r = locker.log(
            ContactDraft(
                channel=Channel.SMS,
                occurred_at=datetime(2025, 2, 1, 9, 0, tzinfo=SHANGHAI) + timedelta(hours=i),
                address="95577",
                content=f"message {i} 第{i}条",
            )
        )
        ids.append(r.id)
    assert locker.verify().ok
    return locker, ids


def attacker(locker_dir: Path) -> sqlite3.Connection:
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    con.execute("DROP TRIGGER entry_no_update")
    con.execute("DROP TRIGGER entry_no_delete")
    return con


def first_problem(locker_dir: Path):  # type: ignore[no-untyped-def]
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as fresh:
        report = fresh.verify()
    assert not report.ok
    return report.problems[0]


def test_triggers_refuse_update_and_delete(
    filled: tuple[Locker, list[str]], locker_dir: Path
) -> None:
    con = sqlite3.connect(locker_dir / "locker.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE entry SET channel='call'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM entry")
    con.close()


@pytest.mark.parametrize("offset", [0, 1, 13, -1, -17])
def test_flipped_byte_in_any_ciphertext_names_the_record(
    filled: tuple[Locker, list[str]], locker_dir: Path, offset: int
) -> None:
    _, ids = filled
    con = attacker(locker_dir)
    blob = bytearray(con.execute("SELECT sealed FROM entry WHERE seq=3").fetchone()[0])
    blob[offset] ^= 0x01
    con.execute("UPDATE entry SET sealed=? WHERE seq=3", (bytes(blob),))
    problem = first_problem(locker_dir)
    assert problem.seq == 3 and problem.entry_id == ids[3] and problem.what == "verify.tampered"
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as fresh, pytest.raises(IntegrityError):
        fresh.get(ids[3])


def test_ciphertexts_swapped_between_rows_are_detected(
    filled: tuple[Locker, list[str]], locker_dir: Path
) -> None:
    con = attacker(locker_dir)
    a = con.execute("SELECT sealed FROM entry WHERE seq=1").fetchone()[0]
    b = con.execute("SELECT sealed FROM entry WHERE seq=4").fetchone()[0]
    con.execute("UPDATE entry SET sealed=? WHERE seq=1", (b,))
    con.execute("UPDATE entry SET sealed=? WHERE seq=4", (a,))
    assert first_problem(locker_dir).seq == 1


def test_whole_rows_swapped_into_each_others_place_are_detected(
    filled: tuple[Locker, list[str]], locker_dir: Path
) -> None:
    con = attacker(locker_dir)
    con.execute("UPDATE entry SET seq=-1 WHERE seq=2")
    con.execute("UPDATE entry SET seq=2 WHERE seq=5")
    con.execute("UPDATE entry SET seq=5 WHERE seq=-1")
    assert first_problem(locker_dir).seq == 2


def test_a_removed_record_is_detected(filled: tuple[Locker, list[str]], locker_dir: Path) -> None:
    con = attacker(locker_dir)
    con.execute("DELETE FROM entry WHERE seq=2")
    problem = first_problem(locker_dir)
    assert problem.seq == 2 and problem.what == "verify.missing"


def test_the_last_record_removed_is_detected_by_the_signed_head(
    filled: tuple[Locker, list[str]], locker_dir: Path
) -> None:
    con = attacker(locker_dir)
    con.execute("DELETE FROM entry WHERE seq=5")
    assert first_problem(locker_dir).what == "verify.cut_back"


def test_a_record_inserted_out_of_order_is_detected(
    filled: tuple[Locker, list[str]], locker_dir: Path
) -> None:
    con = attacker(locker_dir)
    row = con.execute("SELECT * FROM entry WHERE seq=4").fetchone()
    cols = [d[0] for d in con.execute("SELECT * FROM entry LIMIT 0").description]
    for seq in range(5, 1, -1):  # make room at position 2
        con.execute("UPDATE entry SET seq=? WHERE seq=?", (seq + 1, seq))
    values = dict(zip(cols, row, strict=True))
    values.update(seq=2, id="f" * 32)
    con.execute(
        f"INSERT INTO entry ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
        [values[c] for c in cols],
    )
    assert first_problem(locker_dir).seq == 2


def test_changed_clear_column_is_detected(
    filled: tuple[Locker, list[str]], locker_dir: Path
) -> None:
    con = attacker(locker_dir)
    con.execute("UPDATE entry SET occurred_at = occurred_at + 3600000000 WHERE seq=1")
    problem = first_problem(locker_dir)
    assert problem.seq == 1 and problem.what == "verify.tampered"


def test_forged_tree_head_is_detected(filled: tuple[Locker, list[str]], locker_dir: Path) -> None:
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    note = con.execute("SELECT value FROM meta WHERE key='head'").fetchone()[0]
    con.execute("UPDATE meta SET value=? WHERE key='head'", (note.replace("\n6\n", "\n5\n"),))
    assert first_problem(locker_dir).what == "verify.head_signature"
