"""The same locker on PostgreSQL: a legal-aid organisation's shared server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from evidence_locker.errors import LockerExists, WrongPassphrase
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft, RecordFilter

from .conftest import PASSPHRASE, SHANGHAI

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    url = os.environ.get("EVIDENCE_LOCKER_TEST_PG_URL")
    if url:
        yield url
        return
    pytest.importorskip("psycopg")
    from .pg_server import find_bin, temporary_server

    if find_bin() is None:
        pytest.skip("no PostgreSQL server binaries (apt-get install postgresql)")
    with temporary_server() as started:
        yield started


def test_locker_on_postgres(pg_url: str, tmp_path: Path) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(pg_url)
    with engine.begin() as conn:  # a clean schema for this test
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    locker, recovery = Locker.create(tmp_path / "blobs", PASSPHRASE, database_url=pg_url)
    r = locker.log(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI),
            address="138 0013 8000",
            content="您的贷款已逾期",
        )
    )
    fixed = locker.correct(r.id, reason="typo", changes={"content": "您的贷款已逾期3天"})
    locker.add_case("card-1234")
    other = locker.log(
        ContactDraft(
            channel=Channel.CALL,
            occurred_at=datetime(2025, 2, 10, 9, 0, tzinfo=SHANGHAI),
            address="95577",
            case="card-1234",
        )
    )
    locker.delete(other.id, reason="duplicate")
    assert [x.content for x in locker.records()] == ["您的贷款已逾期3天"]
    assert len(locker.records(RecordFilter(all_versions=True, include_deleted=True))) == 3
    assert locker.verify().ok
    locker.close()
    with pytest.raises(LockerExists):
        Locker.create(tmp_path / "blobs", PASSPHRASE, database_url=pg_url)
    with pytest.raises(WrongPassphrase):
        Locker.open(tmp_path / "blobs", passphrase="wrong", database_url=pg_url)
    again = Locker.open(tmp_path / "blobs", recovery_key=recovery, database_url=pg_url)
    assert again.get(fixed.id).latest.content == "您的贷款已逾期3天"
    # the database itself refuses to rewrite the ledger
    with again.engine.connect() as conn, pytest.raises(sqlalchemy.exc.DBAPIError):
        conn.exec_driver_sql("UPDATE entry SET channel = 'call'")
    # nothing sensitive in clear on the server
    with again.engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM entry"))
    assert "逾期" not in dump and "8613800138000" not in dump
    # search, through the index and through the decrypted view, which follows writes
    assert [h.record.id for h in again.search("逾期")] == [fixed.id]
    again.keep_decrypted()
    assert [h.record.id for h in again.search("逾期 3天")] == [fixed.id]
    later = again.log(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=datetime(2025, 2, 11, 9, 0, tzinfo=SHANGHAI),
            content="再次逾期 overdue",
        )
    )
    assert [h.record.id for h in again.search("逾期")] == [later.id, fixed.id]
    again.close()


def test_stamps_on_postgres(pg_url: str, tmp_path: Path, tsa, tsa_pki) -> None:  # type: ignore[no-untyped-def]
    """Trusted time on the shared server: the anchor table, its first-layout upgrade
    (ALTER TABLE on PostgreSQL), settings, verify and the records' trusted times."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    locker, _ = Locker.create(tmp_path / "blobs", PASSPHRASE, database_url=pg_url)
    with locker.engine.begin() as conn:  # the layout of lockers made before stamps
        conn.exec_driver_sql("DROP TABLE anchor")
        conn.exec_driver_sql(
            "CREATE TABLE anchor (id SERIAL PRIMARY KEY, size INTEGER NOT NULL,"
            " note VARCHAR NOT NULL, created_at BIGINT NOT NULL, destination VARCHAR)"
        )
    locker.log(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI),
            content="还款提醒",
        )
    )
    locker.add_tsa("local", tsa.url, tsa_pki.root_pem)
    [result] = locker.stamp()
    assert result.anchor is not None and result.anchor.id is not None
    report = locker.verify()
    assert report.ok and [(a, b) for a, b, _ in report.stamps.ranges()] == [(1, 1)]
    assert locker.records()[0].existed_by_tsa == "local"
    locker.close()
