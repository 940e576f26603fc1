"""Records are built faster and exactly as before (locker/records.py, model.py).

Reading 100k records spends most of its time building Records, not decrypting
them. The shortcuts: times made from whole seconds and a cached epoch per offset,
Records and Sources made without their frozen dataclass ``__init__``
(``model.slot_constructor``), enum members found by value, the cycle collector
paused while a batch is built. Each is compared here with what it replaces: the same
values, the same errors, the collector left as it was found.
"""

from __future__ import annotations

import dataclasses
import gc
from collections import namedtuple
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evidence_locker import model
from evidence_locker.locker import records as records_module
from evidence_locker.locker.records import collector_paused
from evidence_locker.model import (
    Channel,
    ContactDraft,
    Direction,
    Event,
    Outcome,
    Record,
    Source,
    slot_constructor,
    utc_from_micros,
    with_offset,
)

# -- times ----------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_US = -62135596800 * 10**6
_MAX_US = 253402300800 * 10**6 - 1


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(st.integers(_MIN_US - 10**12, _MAX_US + 10**12), st.integers()),
    st.integers(-1439, 1439),
)
@example(_MIN_US, 0)
@example(_MAX_US, 0)
@example(_MIN_US, -1)  # the local time would be before year 1
@example(_MAX_US, 60)  # after year 9999
@example(_MIN_US - 1, 60)  # before year 1 in UTC, not at +01:00: still refused
@example(-1, 480)
def test_times_from_microseconds_are_exact(us: int, minutes: int) -> None:
    zone = timezone(timedelta(minutes=minutes))
    try:
        utc = _EPOCH + timedelta(microseconds=us)
    except OverflowError:
        with pytest.raises(OverflowError):
            utc_from_micros(us)
        with pytest.raises(OverflowError):
            with_offset(us, minutes)
        return
    assert utc_from_micros(us) == utc
    assert repr(utc_from_micros(us)) == repr(utc)
    try:
        local = utc.astimezone(zone)
    except OverflowError:
        with pytest.raises(OverflowError):
            with_offset(us, minutes)
        return
    got = with_offset(us, minutes)
    assert (repr(got), got.utcoffset(), got.fold) == (repr(local), local.utcoffset(), 0)


# -- Records and Sources -------------------------------------------------------------


def every_field_set() -> dict[str, Any]:
    """A value for every field of Record, each distinct from its default."""
    when = datetime(2025, 2, 3, 23, 15, tzinfo=timezone(timedelta(hours=8)))
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Record):
        out[f.name] = f"{f.name}-value"
    out.update(
        seq=41,
        channel=Channel.CALL,
        direction=Direction.OUTGOING,
        occurred_at=when,
        logged_at=when.astimezone(UTC),
        existed_by=when,
        tags=("a", "b"),
        duration_s=300,
        outcome=Outcome.MISSED,
        event=Event.DISPUTE,
        source=Source(kind="import", format="csv", entry="line 4"),
        deleted=True,
        time_known=False,
        attachments=(),
    )
    return out


def test_the_slot_constructor_makes_the_record_record_makes() -> None:
    new_record = slot_constructor(Record)
    fields = every_field_set()
    made = new_record(**fields)
    expected = Record(**fields)
    assert type(made) is Record
    assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.content = "changed"  # type: ignore[misc]
    required = {"id", "record_id", "seq", "channel", "direction", "occurred_at", "logged_at"}
    least = {k: v for k, v in fields.items() if k in required}
    assert new_record(**least) == Record(**least)  # the defaults are Record's
    with pytest.raises(TypeError):
        new_record(**{k: v for k, v in least.items() if k != "seq"})
    with pytest.raises(TypeError):
        new_record(**least, colour="red")


def test_record_from_puts_each_value_in_its_field() -> None:
    """record_from passes Record's fields by position: each lands in its own."""
    from evidence_locker.ledger.log import ENTRY_COLUMNS

    row = namedtuple("Row", ENTRY_COLUMNS)(
        seq=7,
        id="v2",
        kind="correction",
        target="v1",
        record_id="r0",
        channel="call",
        direction="outgoing",
        occurred_at=1738595700000000,  # 2025-02-03 15:15 UTC
        offset=480,
        logged_at=1738595800123456,
        case_id="c1",
        dedupe="d",
        sealed=b"",
        leaf=bytes(range(32)),
        root=b"",
    )
    as_sealed = {  # fields whose sealed value is the Record's
        "counterpart": "张三",
        "organisation": "农商银行",
        "address": "+8613800138000",
        "subject": "subject",
        "content": "content",
        "location": "location",
        "people_present": "people",
        "notes": "notes",
        "app": "wechat",
        "duration_s": 300,
        "third_party": "family",
    }
    values = {
        **as_sealed,
        "tags": ["t1", "t2"],
        "outcome": "missed",
        "event": "dispute",
        "source": {"kind": "import", "format": "csv", "entry": "line 4"},
        "reason": "typo",
        "time_known": False,
    }
    file = model.AttachmentInfo(id="a1", record_id="r0", name="a.png", mime=None, size=1, sha256="")
    files = (file,)
    extra = {
        "superseded_by": "v3",
        "deleted": True,
        "delete_reason": "duplicate",
        "case": "card-1234",
        "attachments": files,
        "existed_by": datetime(2025, 3, 1, tzinfo=UTC),
        "existed_by_tsa": "tsa.example",
    }
    expected = Record(
        **as_sealed,
        **extra,
        id=row.id,
        record_id=row.record_id,
        seq=row.seq,
        case_id=row.case_id,
        corrects=row.target,
        channel=Channel.CALL,
        direction=Direction.OUTGOING,
        occurred_at=datetime(2025, 2, 3, 23, 15, tzinfo=timezone(timedelta(hours=8))),
        logged_at=datetime(2025, 2, 3, 15, 16, 40, 123456, tzinfo=UTC),
        tags=("t1", "t2"),
        outcome=Outcome.MISSED,
        event=Event.DISPUTE,
        source=Source(kind="import", format="csv", entry="line 4"),
        correction_reason="typo",
        leaf_hash=bytes(range(32)).hex(),
        time_known=False,
    )
    assert records_module.record_from(row, values, **extra) == expected
    first = row._replace(kind="record", id="r0", target=None)
    got = records_module.record_from(first, {"time_known": True})
    assert (got.id, got.record_id, got.corrects, got.correction_reason) == ("r0", "r0", None, None)
    assert (got.tags, got.source, got.time_known, got.existed_by) == ((), None, True, None)


def test_a_class_whose_construction_does_more_keeps_its_own() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            if self.n < 0:
                raise ValueError("negative")

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        n: int

    for cls in (Checked, WithFactory, NoSlots):
        assert slot_constructor(cls) is cls


def test_a_source_reads_back_whole() -> None:
    """A field added to Source must be read back too (Source.from_json's fast path)."""
    full = Source(**{f.name: f"{f.name}-value" for f in dataclasses.fields(Source)})
    assert Source.from_json(full.to_json()) == full
    assert Source.from_json({"entry": "sms #3"}) == Source(entry="sms #3")  # kind: manual
    assert Source.from_json({"kind": None, "other": 1}) == Source(kind=None)  # type: ignore[arg-type]
    assert Source.from_json({}) is None and Source.from_json(None) is None


def test_enum_members_by_value_fail_as_the_enum_does() -> None:
    member = records_module._member
    assert member(records_module._CHANNELS, Channel, "sms") is Channel.SMS
    for bad in ("fax", None, ["sms"], 3):
        with pytest.raises(ValueError):
            Channel(bad)
        with pytest.raises(ValueError):
            member(records_module._CHANNELS, Channel, bad)


# -- the cycle collector ---------------------------------------------------------------


def test_the_collector_is_paused_only_inside_and_restored_as_found() -> None:
    assert gc.isenabled()
    with pytest.raises(KeyError), collector_paused():
        assert not gc.isenabled()
        raise KeyError("a failure inside")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # whoever paused it resumes it
    finally:
        gc.enable()


def test_reading_never_leaves_the_collector_paused(locker: Any) -> None:
    for minute in range(3):
        when = datetime(2025, 2, 3, 9, minute, tzinfo=UTC)
        locker.log(ContactDraft(channel=Channel.SMS, occurred_at=when, content="还款提醒"))
    seen = [gc.isenabled() for _ in locker.iter_records(batch=2)]  # at each yield
    assert seen == [True, True, True]
    assert len(locker.records()) == 3 and gc.isenabled()
