"""The Locker API: log, read back, correct, delete, cases, filters, keys."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from evidence_locker.errors import (
    IntegrityError,
    LockerExists,
    LockerMissing,
    NotFound,
    UsageError,
    WrongPassphrase,
)
from evidence_locker.locker import Locker
from evidence_locker.model import (
    Channel,
    ContactDraft,
    Direction,
    Outcome,
    RecordFilter,
    Source,
)

from .conftest import PASSPHRASE, SHANGHAI


def sms(content: str, *, at: datetime | None = None, **kw: object) -> ContactDraft:
    return ContactDraft(
        channel=Channel.SMS,
        occurred_at=at or datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI),
        address=kw.pop("address", "95577"),  # type: ignore[arg-type]
        content=content,
        **kw,  # type: ignore[arg-type]
    )


def test_log_and_read_back_keeps_every_field_and_the_original_offset(locker: Locker) -> None:
    at = datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI)
    draft = ContactDraft(
        channel=Channel.CALL,
        occurred_at=at,
        direction=Direction.INCOMING,
        counterpart="王经理 工号1024",
        organisation="某催收公司",
        address="138 0013 8000",
        content="说要通知我单位 and my employer",
        duration_s=360,
        outcome=Outcome.CONNECTED,
        tags=("threat", "单位"),
        notes="second call today",
    )
    record = locker.log(draft)
    again = locker.get(record.id[:6]).latest
    assert again == record
    assert record.occurred_at == at and record.occurred_at.utcoffset() == timedelta(hours=8)
    assert record.address == "+8613800138000"
    assert record.tags == ("threat", "单位") and record.duration_s == 360
    assert record.outcome is Outcome.CONNECTED
    assert record.logged_at.year == 2025 and record.logged_at.month == 3  # the clock, not --at
    assert len(record.leaf_hash) == 64


def test_json_shape_has_the_keys_later_features_read(locker: Locker) -> None:
    data = locker.log(sms("您的贷款已逾期")).to_json()
    for key in (
        "id",
        "channel",
        "direction",
        "occurred_at",
        "logged_at",
        "counterpart",
        "organisation",
        "address",
        "subject",
        "content",
        "duration_s",
        "location",
        "notes",
        "case",
        "corrects",
        "superseded_by",
        "deleted",
        "leaf_hash",
    ):
        assert key in data
    assert data["occurred_at"] == "2025-02-09T18:43:00+08:00"
    json.dumps(data, ensure_ascii=False)


def test_numbers_written_differently_are_the_same_counterpart(locker: Locker) -> None:
    for written in ("138 0013 8000", "+86 13800138000", "13800138000", "138-0013-8000"):
        locker.log(sms("x", address=written))
    addresses = {r.address for r in locker.records()}
    assert addresses == {"+8613800138000"}
    assert len(locker.records(RecordFilter(address="+8613800138000"))) == 4


def test_short_codes_and_hotlines_stay_as_written(locker: Locker) -> None:
    assert locker.log(sms("x", address="95577")).address == "95577"
    assert locker.log(sms("x", address="400-800-1234")).address == "4008001234"


def test_correction_supersedes_and_keeps_the_original(locker: Locker) -> None:
    original = locker.log(sms("您的贷款已逾期"))
    fixed = locker.correct(original.id, reason="typo", changes={"content": "您的贷款已逾期3天"})
    assert fixed.corrects == original.id and fixed.record_id == original.record_id
    latest = locker.records()
    assert [r.content for r in latest] == ["您的贷款已逾期3天"]
    history = locker.get(original.id)
    assert [v.content for v in history.versions] == ["您的贷款已逾期", "您的贷款已逾期3天"]
    assert history.versions[0].superseded_by == fixed.id
    assert history.versions[1].correction_reason == "typo"
    both = locker.records(RecordFilter(all_versions=True))
    assert len(both) == 2
    # correcting through the old id corrects the latest version, never a branch
    third = locker.correct(
        original.id[:8],
        reason="time",
        changes={"occurred_at": datetime(2025, 2, 9, 19, 0, tzinfo=SHANGHAI)},
    )
    assert third.corrects == fixed.id and third.content == "您的贷款已逾期3天"


def test_correction_errors(locker: Locker) -> None:
    r = locker.log(sms("x"))
    with pytest.raises(UsageError):
        locker.correct(r.id, reason="", changes={"content": "y"})
    with pytest.raises(UsageError):
        locker.correct(r.id, reason="why", changes={})
    with pytest.raises(UsageError):
        locker.correct(r.id, reason="why", changes={"logged_at": "now"})


def test_delete_is_a_tombstone(locker: Locker) -> None:
    r = locker.log(sms("wrong number"))
    keep = locker.log(sms("keep"))
    locker.delete(r.id, reason="not a collector")
    assert [x.id for x in locker.records()] == [keep.id]
    everything = locker.records(RecordFilter(include_deleted=True))
    deleted = next(x for x in everything if x.id == r.id)
    assert deleted.deleted and deleted.delete_reason == "not a collector"
    with pytest.raises(UsageError):
        locker.delete(r.id, reason="again")
    with pytest.raises(UsageError):
        locker.correct(r.id, reason="x", changes={"content": "y"})
    assert locker.verify().ok


def test_cases_group_records(locker: Locker) -> None:
    case = locker.add_case(
        "card-1234", creditor="XX农商银行", account="6222 **** 1234", amount="¥12,000"
    )
    a = locker.log(sms("in case", case="card-1234"))
    locker.log(sms("no case"))
    assert a.case == "card-1234" and a.case_id == case.id
    assert [r.id for r in locker.records(RecordFilter(case="card-1234"))] == [a.id]
    assert [c.name for c in locker.cases()] == ["card-1234"]
    with pytest.raises(UsageError):
        locker.add_case("card-1234")
    with pytest.raises(NotFound):
        locker.log(sms("x", case="nope"))


def test_filters(locker: Locker) -> None:
    d = datetime(2025, 1, 1, 9, 0, tzinfo=SHANGHAI)
    locker.log(sms("a", at=d, organisation="XX农商银行"))
    locker.log(
        ContactDraft(
            channel=Channel.CALL,
            occurred_at=d + timedelta(days=40),
            organisation="某催收公司",
            counterpart="王经理",
            address="13800138000",
        )
    )
    locker.log(sms("c", at=d + timedelta(days=80), organisation="XX农商银行"))
    assert len(locker.records(RecordFilter(channels=(Channel.SMS,)))) == 2
    assert len(locker.records(RecordFilter(organisation="农商"))) == 2
    assert len(locker.records(RecordFilter(counterpart="王"))) == 1
    assert len(locker.records(RecordFilter(since=d + timedelta(days=1)))) == 2
    assert len(locker.records(RecordFilter(until=d + timedelta(days=41)))) == 2
    with pytest.raises(UsageError):
        locker.records(RecordFilter(since=d + timedelta(days=1), until=d))
    times = [r.occurred_at for r in locker.records()]
    assert times == sorted(times)


def test_unknown_and_ambiguous_ids(locker: Locker) -> None:
    with pytest.raises(NotFound):
        locker.get("ffffffff")
    with pytest.raises(UsageError) as short:  # too short to be a prefix: not "no record"
        locker.get("zz")
    assert short.value.key == "record.short_id"
    for _ in range(40):
        locker.log(sms("x"))
    prefixes = [r.id[:4] for r in locker.records()]
    dup = next((p for p in prefixes if prefixes.count(p) > 1), None)
    if dup:
        with pytest.raises(UsageError):
            locker.get(dup)


def test_batch_skips_duplicates_by_source_fingerprint(locker: Locker) -> None:
    def draft(i: int) -> ContactDraft:
        return sms(f"msg {i}", source=Source(kind="import", format="test", fingerprint=f"fp{i}"))

    first = locker.log_batch([draft(i) for i in range(5)])
    assert len(first.added) == 5 and first.duplicates == 0
    second = locker.log_batch([draft(i) for i in range(3, 8)] + [draft(7)])
    assert len(second.added) == 3 and second.duplicates == 3
    assert len(locker.records()) == 8


def test_open_with_wrong_passphrase_or_missing_locker(
    created: tuple[Locker, str], locker_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(WrongPassphrase):
        Locker.open(locker_dir, passphrase="wrong")
    with pytest.raises(WrongPassphrase):
        Locker.open(locker_dir, recovery_key="AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")
    with pytest.raises(LockerMissing):
        Locker.open(tmp_path / "nowhere", passphrase=PASSPHRASE)
    with pytest.raises(LockerExists):
        Locker.create(locker_dir, "another")


def test_recovery_key_and_passphrase_change(created: tuple[Locker, str], locker_dir: Path) -> None:
    locker, recovery = created
    r = locker.log(sms("keep me"))
    via_recovery = Locker.open(locker_dir, recovery_key=recovery)
    via_recovery.change_passphrase("新的口令 new")
    with pytest.raises(WrongPassphrase):
        Locker.open(locker_dir, passphrase=PASSPHRASE)
    reopened = Locker.open(locker_dir, passphrase="新的口令 new")
    assert reopened.get(r.id).latest.content == "keep me"
    new_key = reopened.new_recovery_key()
    with pytest.raises(WrongPassphrase):
        Locker.open(locker_dir, recovery_key=recovery)
    assert Locker.open(locker_dir, recovery_key=new_key).count() == 1


def test_forged_kdf_parameters_in_the_header_are_refused(
    created: tuple[Locker, str], locker_dir: Path
) -> None:
    con = sqlite3.connect(locker_dir / "locker.db")
    kdf = json.loads(con.execute("select kdf from keyslot where kind='passphrase'").fetchone()[0])
    kdf["memory_kib"] = 100 * 1024 * 1024  # 100 GiB
    con.execute("update keyslot set kdf=? where kind='passphrase'", (json.dumps(kdf),))
    con.commit()
    con.close()
    with pytest.raises(IntegrityError):
        Locker.open(locker_dir, passphrase=PASSPHRASE)


def test_not_a_locker_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "locker.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(IntegrityError):
        Locker.open(tmp_path, passphrase=PASSPHRASE)


def test_naive_time_is_refused(locker: Locker) -> None:
    with pytest.raises(UsageError):
        locker.log(ContactDraft(channel=Channel.SMS, occurred_at=datetime(2025, 1, 1)))


def test_offsets_from_other_zones_survive(locker: Locker) -> None:
    ny = timezone(timedelta(hours=-5))
    r = locker.log(sms("x", at=datetime(2025, 1, 1, 21, 30, tzinfo=ny)))
    assert r.occurred_at.isoformat() == "2025-01-01T21:30:00-05:00"


def test_a_day_without_a_time_is_kept_as_time_unknown(locker: Locker) -> None:
    day = datetime(2025, 2, 9, tzinfo=SHANGHAI)
    logged = locker.log(sms("上门了", at=day, time_known=False))
    timed = locker.log(sms("电话"))
    assert logged.time_known is False
    assert locker.get(logged.id).latest.time_known is False
    assert locker.get(timed.id).latest.time_known is True
    assert json.loads(json.dumps(logged.to_json()))["time_known"] is False
    # A correction that leaves the time alone keeps it unknown.
    fixed = locker.correct(logged.id, changes={"content": "两人上门"}, reason="typo")
    assert fixed.time_known is False
    assert locker.verify().ok
