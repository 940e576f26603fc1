"""Trusted time in the locker: stamp, store, show, verify (locker/timestamps.py).

Every test talks to the local TSA of tests/tsa_server.py on 127.0.0.1.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.errors import IntegrityError, NotFound, UsageError
from evidence_locker.ledger import anchors as anchor_store
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft
from tests.tsa_server import Behaviour, TsaServer, make_pki, unused_port

from .conftest import PASSPHRASE, SHANGHAI


def _sms(text: str) -> ContactDraft:
    return ContactDraft(
        channel=Channel.SMS,
        occurred_at=datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI),
        address="95577",
        content=text,
    )


def _db_rows(locker_dir: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(locker_dir / "locker.db") as conn:
        return conn.execute(sql).fetchall()


def _anchor_count(locker_dir: Path) -> int:
    if "mac" not in {r[1] for r in _db_rows(locker_dir, "PRAGMA table_info(anchor)")}:
        return 0
    return int(_db_rows(locker_dir, "SELECT count(*) FROM anchor")[0][0])


@pytest.fixture
def stamped(locker: Locker, tsa, tsa_pki) -> Locker:  # type: ignore[no-untyped-def]
    locker.add_tsa("local", tsa.url, tsa_pki.root_pem)
    return locker


def test_stamp_stores_the_token_and_records_gain_a_trusted_time(
    stamped: Locker, tsa, locker_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    first = stamped.log(_sms("第一条 first"))
    assert first.existed_by is None and first.to_json()["existed_no_later_than"] is None
    [result] = stamped.stamp()
    assert result.error is None and result.anchor is not None
    assert result.anchor.size == 1 and result.anchor.note == stamped.head()
    assert tsa.last_response is not None and result.anchor.proof in tsa.last_response
    again = stamped.get(first.id).latest
    assert again.existed_by is not None and again.existed_by_tsa == "local"
    assert abs(again.existed_by - datetime.now(UTC)) < timedelta(minutes=5)
    assert again.to_json()["existed_no_later_than"] == again.existed_by.isoformat()
    later = stamped.log(_sms("second"))
    assert later.existed_by is None  # logged after the stamp: not covered yet
    assert _anchor_count(locker_dir) == 1


def test_a_second_stamp_of_the_same_head_asks_nobody(stamped: Locker, tsa) -> None:  # type: ignore[no-untyped-def]
    stamped.log(_sms("one"))
    stamped.stamp()
    asked = tsa.requests
    [again] = stamped.stamp()
    assert again.up_to_date and tsa.requests == asked


@pytest.mark.parametrize(
    ("behaviour", "key"),
    [
        (Behaviour.HTTP_ERROR, "tsa.http_error"),
        (Behaviour.OTHER_HASH, "tsa.token.imprint"),
        (Behaviour.OTHER_SIGNER, "tsa.token.untrusted"),
        (Behaviour.MALFORMED, "tsa.malformed_reply"),
        (Behaviour.REJECTION, "tsa.rejected"),
    ],
)
def test_a_failed_stamp_stores_nothing_and_leaves_the_locker_unchanged(
    stamped: Locker, tsa, locker_dir: Path, behaviour: Behaviour, key: str
) -> None:  # type: ignore[no-untyped-def]
    stamped.log(_sms("one"))
    head = stamped.head()
    before = _db_rows(locker_dir, "SELECT seq, leaf FROM entry ORDER BY seq")
    tsa.behaviour = behaviour
    [result] = stamped.stamp()
    assert result.anchor is None and result.error is not None and result.error.key == key
    assert _anchor_count(locker_dir) == 0
    assert stamped.head() == head
    assert _db_rows(locker_dir, "SELECT seq, leaf FROM entry ORDER BY seq") == before


def test_an_expired_root_is_refused_when_added(locker: Locker, tsa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = make_pki(tmp_path / "old", root_not_after=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(UsageError) as info:
        locker.add_tsa("old", tsa.url, old.root_pem)
    assert info.value.key == "tsa.root_expired" and "2020-01-01" in str(info.value)
    assert locker.tsas() == []


def test_a_root_expired_by_the_time_of_the_token_stores_nothing(
    locker: Locker, locker_dir: Path, tmp_path: Path
) -> None:
    """Valid when added (the locker's clock is in 2025), expired at the token's genTime."""
    now = datetime.now(UTC)
    pki = make_pki(
        tmp_path / "lapsed",
        root_not_after=now - timedelta(days=1),
        tsa_not_after=now + timedelta(days=300),
    )
    with TsaServer(pki) as server:
        locker.add_tsa("lapsed", server.url, pki.root_pem)
        locker.log(_sms("one"))
        [result] = locker.stamp()
        assert server.requests == 1
    assert result.anchor is None and result.error is not None
    assert result.error.key == "tsa.token.root_expired" and "\n" not in str(result.error)
    assert _anchor_count(locker_dir) == 0


def test_stamp_without_a_tsa_or_with_an_unknown_name(locker: Locker) -> None:
    locker.log(_sms("one"))
    with pytest.raises(UsageError) as info:
        locker.stamp()
    assert info.value.key == "tsa.none"
    with pytest.raises(UsageError):
        locker.stamp(["nobody"])


def test_tsa_settings_add_list_remove(locker: Locker, tsa, tsa_pki) -> None:  # type: ignore[no-untyped-def]
    locker.add_tsa("本地", tsa.url, tsa_pki.root_pem, auto=False)
    with pytest.raises(UsageError) as info:
        locker.add_tsa("本地", tsa.url, tsa_pki.root_pem)
    assert info.value.key == "tsa.exists"
    for bad_name, bad_url in (("has space", tsa.url), ("ok", "ftp://example.org/tsr")):
        with pytest.raises(UsageError):
            locker.add_tsa(bad_name, bad_url, tsa_pki.root_pem)
    with pytest.raises(UsageError):
        locker.add_tsa("junkroot", tsa.url, b"not a certificate")
    [status] = locker.tsas()
    assert status.config.name == "本地" and status.stamps == 0
    assert "Test TSA Root" in status.roots[0][0]
    locker.remove_tsa("本地")
    assert locker.tsas() == []
    with pytest.raises(NotFound):
        locker.remove_tsa("本地")


def test_a_swapped_root_is_noticed(stamped: Locker, locker_dir: Path, tsa_pki) -> None:  # type: ignore[no-untyped-def]
    """Someone without the passphrase puts their own root in the settings."""
    import base64
    import json

    from evidence_locker.crypto.tsp_token import load_roots

    stamped.log(_sms("one"))
    stamped.stamp()
    raw = _db_rows(locker_dir, "SELECT value FROM meta WHERE key = 'tsa'")[0][0]
    data = json.loads(raw)
    stranger = load_roots((tsa_pki.directory / "stranger-root.pem").read_bytes())[0]
    data["tsas"][0]["roots"] = [base64.b64encode(stranger).decode()]
    with sqlite3.connect(locker_dir / "locker.db") as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'tsa'", (json.dumps(data),))
    with pytest.raises(IntegrityError) as info:
        stamped.stamp()
    assert info.value.key == "tsa.settings_altered"
    report = stamped.verify()
    assert not report.ok and report.stamps.settings_problem == "tsa.settings_altered"


def test_verify_names_the_ranges_each_stamp_covers(stamped: Locker) -> None:
    for i in range(3):
        stamped.log(_sms(f"early {i}"))
    stamped.stamp()
    for i in range(2):
        stamped.log(_sms(f"late {i}"))
    stamped.stamp()
    stamped.log(_sms("unstamped"))
    report = stamped.verify()
    assert report.ok, report.stamps.verdicts
    ranges = report.stamps.ranges()
    assert [(a, b) for a, b, _ in ranges] == [(1, 3), (4, 5)]
    assert ranges[0][2].attested_at <= ranges[1][2].attested_at
    assert all(v.ok for v in report.stamps.verdicts)
    records = stamped.records()
    assert [r.existed_by is not None for r in records] == [True] * 5 + [False]


def test_removed_tsa_stamps_still_verify(stamped: Locker) -> None:
    stamped.log(_sms("one"))
    stamped.stamp()
    stamped.remove_tsa("local")
    report = stamped.verify()
    assert report.ok and report.stamps.ranges()


def _copy_anchors(src: Path, dst: Path) -> None:
    """What an attacker (or a careless restore) does: old ledger, newer anchor rows."""
    with sqlite3.connect(dst / "locker.db") as conn:
        conn.execute("ATTACH DATABASE ? AS newer", (str(src / "locker.db"),))
        cols = [r[1] for r in conn.execute("PRAGMA newer.table_info(anchor)")]
        conn.execute("DROP TABLE anchor")
        conn.execute("CREATE TABLE anchor AS SELECT * FROM newer.anchor")
        assert "mac" in cols


def test_a_stamped_head_larger_than_the_ledger_means_rolled_back(
    stamped: Locker, locker_dir: Path, tmp_path: Path
) -> None:
    for i in range(3):
        stamped.log(_sms(f"kept {i}"))
    old = tmp_path / "old-copy"
    shutil.copytree(locker_dir, old)
    for i in range(2):
        stamped.log(_sms(f"later removed {i}"))
    stamped.stamp()
    stamped.close()
    _copy_anchors(locker_dir, old)
    with Locker.open(old, passphrase=PASSPHRASE) as rolled:
        report = rolled.verify()
        assert not report.ok
        [verdict] = report.stamps.verdicts
        assert verdict.problem == "stamp.rolled_back"
        assert verdict.params["size"] == 5 and verdict.params["ledger"] == 3
        assert all(r.existed_by is None for r in rolled.records())  # shown nowhere


def test_a_stamped_head_from_another_history_is_named(
    stamped: Locker, locker_dir: Path, tmp_path: Path
) -> None:
    stamped.log(_sms("shared"))
    fork = tmp_path / "fork"
    shutil.copytree(locker_dir, fork)
    with Locker.open(fork, passphrase=PASSPHRASE) as other:
        other.log(_sms("the version that was stamped"))
        assert other.stamp()[0].anchor is not None
    stamped.log(_sms("the version kept"))
    stamped.close()
    _copy_anchors(fork, locker_dir)
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as mine:
        [verdict] = mine.verify().stamps.verdicts
        assert verdict.problem == "stamp.diverged"
        assert mine.records()[-1].existed_by is None


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE anchor SET attested_at = attested_at - 86400000000", "stamp.time_column"),
        ("UPDATE anchor SET destination = 'other'", "tsa.token.untrusted"),
        ("UPDATE anchor SET proof = substr(proof, 1, 100)", "tsa.token.malformed"),
        ("UPDATE anchor SET mac = zeroblob(32)", "stamp.receipt"),
        ("UPDATE anchor SET kind = 'opentimestamps'", "stamp.unknown_kind"),
    ],
)
def test_edited_anchor_rows_are_reported(
    stamped: Locker, locker_dir: Path, sql: str, problem: str
) -> None:
    stamped.log(_sms("one"))
    stamped.stamp()
    with sqlite3.connect(locker_dir / "locker.db") as conn:
        conn.execute("DROP TRIGGER anchor_no_update")
        conn.execute(sql)
    [verdict] = stamped.verify().stamps.verdicts
    assert verdict.problem == problem
    assert stamped.records()[0].existed_by is None  # the receipt no longer holds


def test_without_auto_only_stamp_asks_the_tsa(locker_dir: Path, tsa, tsa_pki, clock) -> None:  # type: ignore[no-untyped-def]
    with Locker.create(locker_dir, PASSPHRASE, clock=clock)[0] as locker:
        locker.add_tsa("local", tsa.url, tsa_pki.root_pem)
        first = locker.log(_sms("one"))
        locker.correct(first.id, reason="typo", changes={"content": "one, corrected"})
        locker.records()
        assert locker.verify().ok
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as again:
        again.log(_sms("two"))
    assert tsa.requests == 0 and _anchor_count(locker_dir) == 0
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as again:
        again.stamp()
    assert tsa.requests == 1


def test_auto_stamp_at_close_and_silently_queued_when_offline(
    locker_dir: Path, tsa, tsa_pki, clock
) -> None:  # type: ignore[no-untyped-def]
    locker, _ = Locker.create(locker_dir, PASSPHRASE, clock=clock)
    locker.add_tsa("down", f"http://127.0.0.1:{unused_port()}/tsr", tsa_pki.root_pem, auto=True)
    locker.log(_sms("while offline"))
    locker.close()  # no error, nothing stored: the entry waits
    assert _anchor_count(locker_dir) == 0
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as again:
        assert again.tsas()[0].unstamped == 1
        again.remove_tsa("down")
        again.add_tsa("up", tsa.url, tsa_pki.root_pem, auto=True)
    # adding a TSA is a write too: closing stamped the waiting entry
    assert _anchor_count(locker_dir) == 1
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as again:
        again.log(_sms("online now"))
    assert _anchor_count(locker_dir) == 2
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as again:
        assert all(r.existed_by_tsa == "up" for r in again.records())
        assert again.verify().ok


def test_auto_stamp_is_short_when_the_server_hangs(locker_dir: Path, tsa_pki, clock) -> None:  # type: ignore[no-untyped-def]
    import time

    with TsaServer(tsa_pki, Behaviour.SLOW, slow_s=6.0) as slow:
        locker, _ = Locker.create(locker_dir, PASSPHRASE, clock=clock)
        locker.add_tsa("slow", slow.url, tsa_pki.root_pem, auto=True)
        locker.log(_sms("one"))
        started = time.monotonic()
        locker.close()
        assert time.monotonic() - started < 5.0
    assert _anchor_count(locker_dir) == 0


def test_a_locker_from_before_the_anchor_columns_opens_and_stamps(
    locker: Locker, locker_dir: Path, tsa, tsa_pki
) -> None:  # type: ignore[no-untyped-def]
    locker.log(_sms("old"))
    with sqlite3.connect(locker_dir / "locker.db") as conn:  # the first layout, unused
        conn.execute("DROP TABLE anchor")
        conn.execute(
            "CREATE TABLE anchor (id INTEGER PRIMARY KEY, size INTEGER NOT NULL,"
            " note VARCHAR NOT NULL, created_at BIGINT NOT NULL, destination VARCHAR)"
        )
    assert locker.records()[0].existed_by is None
    assert locker.verify().ok
    locker.add_tsa("local", tsa.url, tsa_pki.root_pem)
    assert locker.stamp()[0].anchor is not None
    assert locker.records()[0].existed_by is not None
    assert locker.verify().ok
    assert anchor_store.RFC3161 in {r[0] for r in _db_rows(locker_dir, "SELECT kind FROM anchor")}
