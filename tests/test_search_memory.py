"""The decrypted view (``Locker.keep_decrypted``): fresh after any writer's changes,
gone after ``forget_decrypted`` / ``close``, never on disk.

The oracle tests of ``test_search_locker.py`` run through the view as well (its
``searching`` fixture); these cover what only the view has.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.locker import Locker
from evidence_locker.model import (
    AttachmentDraft,
    Channel,
    ContactDraft,
    Direction,
    RecordFilter,
)

from .conftest import PASSPHRASE, SHANGHAI

AT = datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI)


def ids(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.record.id for h in hits]


def sms(content: str, minutes: int = 0, **kw) -> ContactDraft:  # type: ignore[no-untyped-def]
    return ContactDraft(
        channel=kw.pop("channel", Channel.SMS),
        occurred_at=AT + timedelta(minutes=minutes),
        content=content,
        **kw,
    )


def test_keep_decrypted_counts_versions_and_reports_progress(locker: Locker) -> None:
    locker.log_batch(sms(f"催收 {i}", i) for i in range(5))
    first = locker.records()[0]
    locker.correct(first.id, reason="typo", changes={"content": "催收 fixed"})
    seen: list[tuple[int, int]] = []
    assert locker.keep_decrypted(progress=lambda done, total: seen.append((done, total))) == 6
    assert seen[-1] == (6, 6)
    assert len(locker.search("催收", limit=None)) == 5
    assert len(locker.search("催收", RecordFilter(all_versions=True), limit=None)) == 6


def test_writes_by_another_locker_are_seen_at_the_next_search(
    locker: Locker, locker_dir: Path, tmp_path: Path
) -> None:
    """Another process (here a second Locker on the same files) adds, corrects,
    deletes, attaches and files under a new case: the warm view follows each."""
    kept = locker.log(sms("第一条 first"))
    locker.keep_decrypted()
    other = Locker.open(locker_dir, passphrase=PASSPHRASE)
    try:
        added = other.log(sms("第二条 上门 visit", 5))
        assert ids(locker.search("上门")) == [added.id]
        fixed = other.correct(added.id, reason="wrong", changes={"content": "第二条 改正 fixed"})
        assert ids(locker.search("上门")) == []
        assert ids(locker.search("改正")) == [fixed.id]
        assert ids(locker.search("上门", RecordFilter(all_versions=True))) == [added.id]
        f = tmp_path / "催收函.jpg"
        f.write_bytes(b"jpeg")
        other.attach(kept.id, f)
        assert ids(locker.search("催收函")) == [kept.id]
        assert ids(locker.search("第一条", RecordFilter(has_attachment=True))) == [kept.id]
        other.delete(kept.id, reason="not a collector")
        assert locker.search("第一条") == []
        assert ids(locker.search("第一条", RecordFilter(include_deleted=True))) == [kept.id]
        case = other.add_case("信用卡 card-1234", creditor="XX银行")
        filed = other.log(sms("第三条 律师函", 9, case=case.id))
        hits = locker.search("律师函", RecordFilter(case="信用卡 card-1234"))
        assert ids(hits) == [filed.id] and hits[0].record.case == "信用卡 card-1234"
    finally:
        other.close()


def test_filters_through_the_view_equal_the_index(locker: Locker) -> None:
    drafts = [
        sms("还款 提醒", 1, address="95577", organisation="XX农商银行"),
        sms("还款 call", 2, channel=Channel.CALL, direction=Direction.OUTGOING),
        sms("还款 上门", 3, channel=Channel.VISIT, counterpart="王经理"),
        sms("还款 附件", 4, attachments=(AttachmentDraft(name="录音.m4a", data=b"x"),)),
    ]
    locker.log_batch(drafts)
    filters = [
        RecordFilter(),
        RecordFilter(channels=(Channel.CALL, Channel.VISIT)),
        RecordFilter(directions=(Direction.OUTGOING,)),
        RecordFilter(organisation="农商"),
        RecordFilter(counterpart="王"),
        RecordFilter(counterpart="95577"),
        RecordFilter(has_attachment=True),
        RecordFilter(has_attachment=False),
        RecordFilter(since=AT + timedelta(minutes=2), until=AT + timedelta(minutes=3)),
        RecordFilter(until=AT + timedelta(minutes=1)),
    ]
    expected = [ids(locker.search("还款", flt, limit=None)) for flt in filters]
    locker.keep_decrypted()
    assert [ids(locker.search("还款", flt, limit=None)) for flt in filters] == expected
    assert [len(x) for x in expected] == [4, 2, 1, 1, 1, 1, 1, 3, 2, 1]


def test_forget_and_close_drop_the_view(locker: Locker, locker_dir: Path) -> None:
    r = locker.log(sms("逾期 overdue"))
    locker.keep_decrypted()
    kept = locker._search.kept
    assert kept.view is not None and kept.conn is None  # the connection opens on a search
    assert ids(locker.search("逾期")) == [r.id]
    assert kept.conn is not None
    locker.forget_decrypted()
    assert kept.view is None and kept.conn is None
    assert ids(locker.search("逾期")) == [r.id]  # the blind index again
    again = Locker.open(locker_dir, passphrase=PASSPHRASE)
    again.keep_decrypted()
    again.close()
    assert again._search.kept.view is None and again._search.kept.conn is None


def test_the_view_writes_nothing_to_disk(locker: Locker, locker_dir: Path) -> None:
    """The plaintext the view holds exists only in this process: the locker's files
    are byte for byte the same after warming it and searching."""
    locker.log(sms("明文标记 PLAINTEXT-MARKER-7731"))
    locker.search("明文标记")  # the first search settles the index; compare after it

    def snapshot() -> dict[str, bytes]:
        return {
            p.name: p.read_bytes()
            for p in sorted(locker_dir.rglob("*"))
            if p.is_file() and not p.name.endswith("-shm")
        }

    before = snapshot()
    locker.keep_decrypted()
    assert len(locker.search("明文标记")) == 1
    assert len(locker.search("PLAINTEXT-MARKER-7731")) == 1
    after = snapshot()
    assert after == before
    assert all(b"PLAINTEXT-MARKER-7731" not in data for data in after.values())


def test_search_from_another_thread_uses_its_own_connection(locker: Locker) -> None:
    r = locker.log(sms("通讯录 contacts"))
    locker.keep_decrypted()
    assert ids(locker.search("通讯录")) == [r.id]  # this thread's connection opens
    found: list[list[str]] = []
    worker = threading.Thread(target=lambda: found.append(ids(locker.search("通讯录"))))
    worker.start()
    worker.join()
    assert found == [[r.id]]


def test_an_old_index_is_upgraded_before_the_view_uses_it(locker: Locker) -> None:
    locker.log_batch(sms(f"仲裁委员会 {i}", i) for i in range(3))
    locker._search.upkeep.postings_ok = False
    with locker._session.write() as conn:
        conn.execute("DROP TABLE search_posting")
        conn.execute("CREATE TABLE search_token (token BLOB, seq INTEGER)")
    locker._search.upkeep.postings_ok = False
    locker.keep_decrypted()
    assert len(locker.search("仲裁委员会", limit=None)) == 3


@pytest.mark.parametrize("limit", [1, 2, None])
def test_first_pages_are_the_head_of_every_hit(locker: Locker, limit: int | None) -> None:
    locker.log_batch(sms(f"家人 {i}", (i * 37) % 11) for i in range(11))
    every = ids(locker.search("家人", limit=None))
    locker.keep_decrypted()
    assert ids(locker.search("家人", limit=limit)) == every[:limit]


def test_threads_search_while_records_are_written(locker: Locker) -> None:
    """Searches from several threads, while this process logs more: no error, and
    each answer is a newest-first prefix-consistent list of real records."""
    locker.log_batch(sms(f"逾期 {i}", i) for i in range(20))
    locker.keep_decrypted()
    errors: list[BaseException] = []
    counts: list[int] = []

    def searcher() -> None:
        try:
            for _ in range(15):
                hits = locker.search("逾期", limit=None)
                times = [h.record.occurred_at for h in hits]
                assert times == sorted(times, reverse=True)
                counts.append(len(hits))
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(10):
        locker.log(sms(f"逾期 later {i}", 100 + i))
    for t in threads:
        t.join()
    assert errors == []
    assert min(counts) >= 20 and max(counts) <= 30
    assert len(locker.search("逾期", limit=None)) == 30
