"""Reads check the clear columns (issue 13, item 4).

Someone with the files shifts a 23:15 call to 13:15 with sqlite3. Before, ``show``,
``check`` and ``export`` used the false time silently (the night flag vanished, and the
dossier then failed in the recipient's hands). Now every read notices that the clear
columns no longer match the sealed entry, names the record, and nothing is exported.
New entries bind the clear columns as associated data (format 2); entries of a
format-1 locker (``tests/fixtures/lockers/v1``) are checked by recomputing their leaf.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.errors import IntegrityError
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft, RecordFilter, Source

from .conftest import PASSPHRASE, SHANGHAI

V1 = Path(__file__).parent / "fixtures" / "lockers" / "v1"
V1_PASSPHRASE = "fixture passphrase 电池"
TEN_HOURS_US = 10 * 3600 * 1_000_000


def night_call() -> ContactDraft:
    return ContactDraft(
        channel=Channel.CALL,
        occurred_at=datetime(2025, 2, 3, 23, 15, tzinfo=SHANGHAI),
        address="13800138000",
        organisation="农商银行",
        content="再不还钱就去你单位",
        duration_s=300,
    )


def sqlite_attacker(locker_dir: Path) -> sqlite3.Connection:
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    con.execute("DROP TRIGGER IF EXISTS entry_no_update")
    return con


@pytest.fixture
def shifted(locker: Locker, locker_dir: Path) -> tuple[Path, str]:
    """A locker whose 23:15 call was moved to 13:15 by someone with the files."""
    case = locker.add_case("card-1234")
    call = locker.log(night_call())
    locker.log(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=datetime(2025, 2, 4, 9, 0, tzinfo=SHANGHAI),
            address="95577",
            content="还款提醒",
            case=case.id,
        )
    )
    locker.close()
    con = sqlite_attacker(locker_dir)
    con.execute(
        "UPDATE entry SET occurred_at = occurred_at - ? WHERE id = ?", (TEN_HOURS_US, call.id)
    )
    con.close()
    return locker_dir, call.id


def names_the_record(exc: IntegrityError, record_id: str) -> bool:
    return exc.key == "error.record_tampered" and exc.params["id"] == record_id[:8]


def test_every_read_of_a_shifted_call_names_it(shifted: tuple[Path, str]) -> None:
    from evidence_locker.rules import shipped_rule_set

    locker_dir, call_id = shifted
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as opened:
        reads = {
            "get": lambda: opened.get(call_id[:8]),
            "records": lambda: opened.records(),
            "records by channel": lambda: opened.records(RecordFilter(channels=(Channel.CALL,))),
            "search": lambda: opened.search("单位"),
            "check": lambda: opened.check(
                rule_sets=[shipped_rule_set("cn")], tz=SHANGHAI, include_unverified=True
            ),
        }
        for name, read in reads.items():
            with pytest.raises(IntegrityError) as caught:
                read()
            assert names_the_record(caught.value, call_id), name
        # the untouched record still reads
        sms = opened.records(RecordFilter(channels=(Channel.SMS,)))
        assert [r.content for r in sms] == ["还款提醒"]
        report = opened.verify()
    assert report.problems[0].entry_id == call_id and report.problems[0].what == "verify.tampered"


def test_the_cli_names_the_record_and_exports_nothing(  # type: ignore[no-untyped-def]
    shifted: tuple[Path, str], cli, tmp_path: Path
) -> None:
    _, call_id = shifted
    for args in (["show", call_id[:8]], ["list"], ["check"], ["search", "单位"]):
        r = cli(*args)
        assert r.code == 1, args
        assert call_id[:8] in r.err and "altered" in r.err, (args, r.err)
    out = tmp_path / "dossier.pdf"
    r = cli("export", "pdf", "-o", str(out))
    assert r.code == 1 and call_id[:8] in r.err
    assert not out.exists()
    assert not list(tmp_path.glob("*.pdf"))


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("channel", "'sms'"),
        ("direction", "'outgoing'"),
        ("occurred_at", "occurred_at + 1"),
        ("offset", "0"),
        ("logged_at", "logged_at - 86400000000"),
        ("case_id", "NULL"),
        ("record_id", "'0123456789abcdef0123456789abcdef'"),
        ("dedupe", "'00112233445566778899aabbccddeeff'"),
        ("leaf", "zeroblob(32)"),
        ("seq", "seq + 100"),
        ("occurred_at", "occurred_at + 0.5"),
        ("occurred_at", "'soon'"),
        ("channel", "CAST('call' AS BLOB)"),
        # values the fast encoding of the associated data leaves to the JSON encoder
        ("case_id", "'案件'"),
        ("channel", "'call' || char(127)"),
    ],
)
def test_any_changed_clear_column_fails_on_reading(
    locker: Locker, locker_dir: Path, column: str, value: str
) -> None:
    case = locker.add_case("card-1234")
    draft = night_call()
    from dataclasses import replace

    draft = replace(draft, case=case.id, source=Source(kind="import", fingerprint="fp-1"))
    record = locker.log(draft)
    locker.close()
    con = sqlite_attacker(locker_dir)
    con.execute(f'UPDATE entry SET "{column}" = {value} WHERE id = ?', (record.id,))
    con.close()
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as opened:
        with pytest.raises(IntegrityError) as caught:
            opened.get(record.id)
        assert caught.value.params["id"] == record.id[:8]
        assert not opened.verify().ok


def test_a_format_1_locker_opens_reads_and_upgrades_on_its_first_write(tmp_path: Path) -> None:
    copy = tmp_path / "v1"
    shutil.copytree(V1, copy)
    with Locker.open(copy, passphrase=V1_PASSPHRASE) as opened:
        records = opened.records(RecordFilter(include_deleted=True))
        assert len(records) == 6
        night = next(r for r in records if r.channel is Channel.CALL)
        assert night.occurred_at.astimezone(SHANGHAI).hour == 23
        assert night.notes == "my lawyer 张律师 13912345678"
        assert [a.name for a in night.attachments] == ["note.txt"]
        assert opened.verify().ok and opened.verify_blobs() == []
        new = opened.log(night_call())
    con = sqlite3.connect(copy / "locker.db")
    assert con.execute("SELECT value FROM meta WHERE key='format'").fetchone() == (
        "evidence-locker/2",
    )
    versions = dict(con.execute("SELECT id, substr(sealed, 1, 1) FROM entry").fetchall())
    con.close()
    assert versions[new.id] == b"\x02" and versions[night.id] == b"\x01"
    with Locker.open(copy, recovery_key=(V1 / "RECOVERY").read_text()) as opened:
        assert opened.verify().ok and len(opened.records()) == 6


def test_a_shifted_call_in_a_format_1_locker_is_caught_by_its_leaf(tmp_path: Path) -> None:
    copy = tmp_path / "v1"
    shutil.copytree(V1, copy)
    con = sqlite_attacker(copy)
    (call_id,) = con.execute("SELECT id FROM entry WHERE channel = 'call'").fetchone()
    con.execute(
        "UPDATE entry SET occurred_at = occurred_at - ? WHERE id = ?", (TEN_HOURS_US, call_id)
    )
    con.close()
    with Locker.open(copy, passphrase=V1_PASSPHRASE) as opened:
        for read in (lambda: opened.get(call_id), opened.records, lambda: opened.search("单位")):
            with pytest.raises(IntegrityError) as caught:
                read()
            assert names_the_record(caught.value, call_id)
        assert opened.verify().problems[0].entry_id == call_id


def test_a_changed_dedupe_in_a_format_1_locker_is_caught_by_verify(tmp_path: Path) -> None:
    """``dedupe`` is in neither a version-1 leaf nor its seal: verify recomputes it."""
    copy = tmp_path / "v1"
    shutil.copytree(V1, copy)
    con = sqlite_attacker(copy)
    rows = con.execute(
        "SELECT seq, dedupe FROM entry WHERE dedupe IS NOT NULL ORDER BY seq"
    ).fetchall()
    con.execute("UPDATE entry SET dedupe = ? WHERE seq = ?", (rows[1][1], rows[0][0]))
    con.close()
    with Locker.open(copy, passphrase=V1_PASSPHRASE) as opened:
        problem = opened.verify().problems[0]
    assert (problem.seq, problem.what) == (rows[0][0], "verify.tampered")


def test_a_new_locker_is_format_2(locker: Locker, locker_dir: Path) -> None:
    locker.log(night_call())
    con = sqlite3.connect(locker_dir / "locker.db")
    assert con.execute("SELECT value FROM meta WHERE key='format'").fetchone() == (
        "evidence-locker/2",
    )
    assert {r[0] for r in con.execute("SELECT substr(sealed, 1, 1) FROM entry")} == {b"\x02"}
    con.close()


def test_a_time_change_is_a_correction_not_an_edit(locker: Locker) -> None:
    """The honest way to change a time still works, and both versions read."""
    record = locker.log(night_call())
    fixed = locker.correct(
        record.id,
        reason="it was 22:15",
        changes={"occurred_at": record.occurred_at - timedelta(hours=1)},
    )
    history = locker.get(record.id)
    assert [v.id for v in history.versions] == [record.id, fixed.id]
    assert locker.verify().ok
