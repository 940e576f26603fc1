"""The chunked posting lists, the two search plans, and the upgrade from the old index."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.locker import Locker
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft, RecordFilter
from evidence_locker.search.blind import BlindSearch
from evidence_locker.search.index import pack_seqs, posting_rows, unpack_seqs

from .conftest import PASSPHRASE, SHANGHAI
from .test_search_locker import oracle, text

START = datetime(2025, 1, 1, 8, 0, tzinfo=SHANGHAI)


@settings(max_examples=150, deadline=None)
@given(chunk=st.integers(0, 1 << 40), offsets=st.lists(st.integers(-5, 1 << 33), max_size=40))
def test_pack_round_trips_any_seqs(chunk: int, offsets: list[int]) -> None:
    seqs = [max(chunk + o, 0) for o in offsets]
    blob = pack_seqs(chunk, seqs)
    assert unpack_seqs(chunk, blob) == sorted(set(seqs))
    if seqs and min(seqs) >= chunk and max(seqs) - chunk < 1 << 16:
        assert len(blob) == 1 + 2 * len(set(seqs))  # an import flush: two bytes an entry


def test_unpack_rejects_garbage() -> None:
    for bad in (b"", b"\x03ab", b"\x09"):
        with pytest.raises(ValueError):
            unpack_seqs(0, bad)


def test_posting_rows_one_row_per_token() -> None:
    rows = posting_rows(10, [(10, {b"aaaa", b"bbbb"}), (12, {b"aaaa"})])
    assert [(t, c, unpack_seqs(c, b)) for t, c, b in rows] == [
        (b"aaaa", 10, [10, 12]),
        (b"bbbb", 10, [10]),
    ]


def _rows(locker: Locker, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    assert locker.path is not None
    db = sqlite3.connect(locker.path / "locker.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


@pytest.fixture
def mixed(locker: Locker) -> Locker:
    """300 records over 300 days, corrections, deletions, files; 还款 in most of them."""
    rng = random.Random(3)
    drafts = [
        ContactDraft(
            channel=rng.choice([Channel.SMS, Channel.CALL, Channel.VISIT]),
            occurred_at=START + timedelta(days=i, minutes=rng.randrange(600)),
            organisation=rng.choice(["XX农商银行", "Acme Recovery", None]),
            content=("还款 " if rng.random() < 0.7 else "") + text(rng),
            attachments=(AttachmentDraft(name=f"还款{i}.png", data=b"x"),) if i % 23 == 0 else (),
        )
        for i in range(300)
    ]
    locker.log_batch(drafts, flush_every=70)  # several chunks per token
    records = locker.records()
    for r in records[::29]:
        locker.correct(r.id, reason="fix", changes={"content": "更正 " + text(rng)})
    for r in records[5::31]:
        locker.delete(r.id, reason="wrong")
    return locker


FILTERS = [
    RecordFilter(),
    RecordFilter(channels=(Channel.CALL,)),
    RecordFilter(organisation="农商"),
    RecordFilter(since=START + timedelta(days=40), until=START + timedelta(days=90)),
    RecordFilter(all_versions=True, include_deleted=True),
]


@pytest.mark.parametrize("keyed_max", [0, 10**9])
def test_first_page_is_the_head_of_all_hits_under_both_plans(
    mixed: Locker, keyed_max: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keyed_max 0 forces the time-index walk; a huge one forces the keyed plan."""
    monkeypatch.setattr(BlindSearch, "KEYED_PLAN_MAX", keyed_max)
    for q in ("还款", "还款 上门", "更正", "x", "律师函 7", "png"):
        for flt in FILTERS:
            every = mixed.search(q, flt, limit=None)
            assert {h.record.id for h in every} == oracle(mixed, q, flt), (q, flt)
            keys = [(h.record.occurred_at, h.record.seq) for h in every]
            assert keys == sorted(keys, reverse=True)
            for limit in (1, 7, 50):
                page = [h.record.id for h in mixed.search(q, flt, limit=limit)]
                assert page == [h.record.id for h in every[:limit]], (q, flt, limit)


def test_an_import_writes_one_chunk_per_token_and_rebuild_compacts(locker: Locker) -> None:
    drafts = [
        ContactDraft(channel=Channel.SMS, occurred_at=START + timedelta(hours=i), content=c)
        for i, c in enumerate(["逾期还款", "还款提醒", "逾期"])
    ]
    locker.log_batch(drafts)
    chunks = _rows(locker, "SELECT count(*), count(DISTINCT token) FROM search_posting")[0]
    assert chunks[0] == chunks[1]  # one write: each token has one row
    for d in drafts:
        locker.log(d)
    assert _rows(locker, "SELECT count(DISTINCT chunk) FROM search_posting")[0][0] == 4
    assert locker.rebuild_index() == 6
    assert _rows(locker, "SELECT count(DISTINCT chunk) FROM search_posting")[0][0] == 1
    assert len(locker.search("还款", limit=None)) == 4


def _downgrade(locker: Locker) -> None:
    """Turn the index back into the per-entry table of earlier versions."""
    assert locker.path is not None
    db = sqlite3.connect(locker.path / "locker.db")
    db.execute("DROP TABLE search_posting")
    db.execute(
        "CREATE TABLE search_token (token BLOB NOT NULL, seq INTEGER NOT NULL,"
        " PRIMARY KEY (token, seq)) WITHOUT ROWID"
    )
    db.execute("INSERT INTO search_token VALUES (x'00000000', 1)")
    db.commit()
    db.close()


@pytest.mark.parametrize("first", ["search", "log"])
def test_a_locker_with_the_old_index_is_rebuilt_once(
    locker: Locker, locker_dir: Path, first: str
) -> None:
    locker.log_batch(
        ContactDraft(channel=Channel.SMS, occurred_at=START + timedelta(hours=i), content=c)
        for i, c in enumerate(["逾期还款", "律师函已寄出", "还款计划"])
    )
    locker.close()
    old = Locker.open(locker_dir, passphrase=PASSPHRASE)
    _downgrade(old)
    if first == "log":  # a write reaches the index first: it rebuilds in its transaction
        old.log(ContactDraft(channel=Channel.CALL, occurred_at=START, content="还款电话"))
    assert len(old.search("还款", limit=None)) == (3 if first == "log" else 2)
    tables = {r[0] for r in _rows(old, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "search_posting" in tables and "search_token" not in tables
    assert [h.record.content for h in old.search("律师函")] == ["律师函已寄出"]
    old.close()
