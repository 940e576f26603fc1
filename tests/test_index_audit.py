"""The search index under the integrity checks (issue 13, item 5).

Deleting index rows made ``search`` answer "No records match" while ``verify`` and
``doctor`` said OK. Now ``doctor`` and ``verify --deep`` rebuild the index in memory and
compare (search/audit.py), and ``rebuild-index`` repairs it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft

from .conftest import PASSPHRASE, SHANGHAI


def draft(i: int, content: str) -> ContactDraft:
    return ContactDraft(
        channel=Channel.SMS,
        occurred_at=datetime(2025, 2, 1, 9, 0, tzinfo=SHANGHAI) + timedelta(hours=i),
        address="95577",
        content=content,
    )


@pytest.fixture
def filled(locker: Locker, locker_dir: Path, tmp_path: Path) -> Locker:
    """Versions, a correction, files attached with the record and after a correction."""
    photo = tmp_path / "催收函_scan.png"
    photo.write_bytes(b"\x89PNG not really")
    first = locker.log(draft(0, "明天上门到你单位 we will visit"))
    locker.log(draft(1, "您的借款已逾期"))
    locker.correct(first.id, reason="typo", changes={"content": "明天上门到你家 visit home"})
    locker.attach(first.id, photo, caption="letter")
    locker.log(draft(2, "third 第三条"))
    return locker


def drop_postings_of(locker_dir: Path, locker: Locker, word: str) -> None:
    """What someone with the files does: delete the index rows of a word's tokens."""
    from evidence_locker.search.index import query_tokens
    from evidence_locker.search.query import parse_query

    tokens = query_tokens(parse_query(word), locker.tokenizer) or []
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    con.executemany("DELETE FROM search_posting WHERE token = ?", [(t,) for t in tokens])
    con.close()


def test_a_sound_index_passes_whatever_order_files_came_in(filled: Locker) -> None:
    audit = filled.check_index()
    assert audit.ok and audit.entries == 4
    assert [h.record.id for h in filled.search("scan")]  # the later file's name is found


def test_deleted_index_rows_are_found_and_rebuild_repairs(  # type: ignore[no-untyped-def]
    filled: Locker, locker_dir: Path, cli
) -> None:
    assert filled.search("逾期")
    drop_postings_of(locker_dir, filled, "逾期")
    assert filled.search("逾期") == []  # the attack works on search...
    assert cli("verify").code == 0  # ...and verify alone does not look at the index
    audit = filled.check_index()
    assert not audit.ok and audit.wrong == [1]
    r = cli("verify", "--deep")
    assert r.code == 1 and "indexed wrongly" in r.err and "rebuild-index" in r.err
    assert "OK:" not in r.out
    r = cli("doctor")
    assert r.code == 1 and "indexed wrongly" in r.out
    r = cli("rebuild-index")
    assert r.code == 0 and "4 record versions" in r.out
    assert filled.search("逾期") and filled.check_index().ok
    r = cli("verify", "--deep")
    assert r.code == 0 and "Search index: matches the ledger (4 record versions)" in r.out
    assert "search index: matches" in cli("doctor").out


def test_strays_extra_tokens_and_unreadable_rows_are_named(
    filled: Locker, locker_dir: Path
) -> None:
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    token = con.execute("SELECT token FROM search_posting LIMIT 1").fetchone()[0]
    # an entry that is no record version (the correction's target is; the file is not)
    con.execute(
        "INSERT INTO search_posting VALUES (?, 1000, ?)",
        (b"zzzz", b"\x08" + (3).to_bytes(8, "little")),
    )
    con.execute(
        "INSERT INTO search_posting VALUES (?, 1001, ?)", (token, b"\x02\x00\x00")
    )  # seq 1001
    con.execute("INSERT INTO search_posting VALUES (?, 1002, ?)", (token, b"\x07junk"))
    con.close()
    audit = filled.check_index()
    assert audit.malformed == 1 and 1001 in audit.strays and 3 in audit.strays
    assert not audit.ok


def test_a_token_added_to_an_entry_is_found(filled: Locker, locker_dir: Path) -> None:
    """Making a record match a search it should not (a planted token) is caught too."""
    from evidence_locker.search.index import query_tokens
    from evidence_locker.search.query import parse_query

    (planted,) = query_tokens(parse_query("律"), filled.tokenizer) or [b""]  # a unigram
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    # the third record (after it: the file's entry and, with OCR, its reading's)
    (third,) = con.execute("SELECT max(seq) FROM entry WHERE kind = 'record'").fetchone()
    con.execute(
        "INSERT INTO search_posting VALUES (?, 5000, ?)",
        (planted, b"\x08" + third.to_bytes(8, "little")),
    )
    con.close()
    assert filled.check_index().wrong == [third]


def test_the_same_token_written_twice_for_an_entry_is_not_an_error(
    locker: Locker, tmp_path: Path
) -> None:
    """A file named like words already in the record adds the same tokens again in a
    new chunk: the index means a set, and the audit reads it as one."""
    record = locker.log(draft(0, "scan of the letter"))
    name = tmp_path / "scan.png"
    name.write_bytes(b"x")
    locker.attach(record.id, name)
    assert locker.check_index().ok


def test_an_index_from_before_chunked_postings_is_not_damage(
    filled: Locker, locker_dir: Path
) -> None:
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    con.execute("DROP TABLE search_posting")
    con.close()
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as opened:
        audit = opened.check_index()
        assert audit.ok and audit.missing_table
        assert opened.search("逾期")  # rebuilt before the first search, as always
        assert opened.check_index().ok
