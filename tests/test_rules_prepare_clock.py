"""The prepared records' clock and order against the plain datetime computation.

``rules.prepare`` finds each record's wall clock on the debtor's zone from integer
microseconds and one offset per hour, and orders records by time with ties broken by
record id. These properties compare it, record by record, with ``astimezone`` and a
sort on (instant, record id), and the times a finding shows, written from the integers,
with ``isoformat``, across DST changes (a half-hour one included), records
logged with other offsets, and a zone given as a fixed offset or not at all.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.model import Channel, Direction, Record
from evidence_locker.rules.instants import EPOCH_ORDINAL, date_text, iso_text, time_text
from evidence_locker.rules.prepare import Prepared

ZONES = [
    None,
    timezone(timedelta(hours=8)),
    timezone(timedelta(hours=-3, minutes=-30)),
    ZoneInfo("Asia/Shanghai"),  # DST 1986-1991
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/London"),
    ZoneInfo("Australia/Lord_Howe"),  # a half-hour DST shift
    ZoneInfo("Asia/Kolkata"),
]
# Offsets records are logged with: fixed ones (as records read back carry) and a zone.
OWN = [
    timezone(timedelta(hours=8)),
    UTC,
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=10, minutes=30)),
    ZoneInfo("Europe/London"),
]
# Instants near DST changes of the zones above, and anywhere in 1985-2030.
NEAR = [
    datetime(1986, 5, 3, 18, tzinfo=UTC),  # Shanghai's first DST start
    datetime(2025, 3, 9, 7, tzinfo=UTC),  # New York spring forward
    datetime(2025, 11, 2, 6, tzinfo=UTC),  # New York fall back
    datetime(2025, 3, 30, 1, tzinfo=UTC),  # London
    datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2025, 4, 5, 14, 30, tzinfo=UTC),  # Lord Howe, half an hour
    datetime(2025, 10, 4, 15, 30, tzinfo=UTC),
]
instants = st.one_of(
    st.builds(
        lambda base, us: base + timedelta(microseconds=us),
        st.sampled_from(NEAR),
        st.integers(-3 * 3600 * 10**6, 3 * 3600 * 10**6),
    ),
    st.datetimes(datetime(1985, 1, 1), datetime(2030, 12, 31)).map(lambda d: d.replace(tzinfo=UTC)),
)
moments = st.tuples(instants, st.sampled_from(OWN)).map(lambda p: p[0].astimezone(p[1]))


def _record(i: int, when: datetime, rid: str) -> Record:
    return Record(
        id=f"v{i}",
        record_id=rid,
        seq=i,
        channel=Channel.CALL,
        direction=Direction.INCOMING,
        occurred_at=when,
        logged_at=when,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(moments, min_size=1, max_size=30), st.sampled_from(ZONES))
def test_wall_clock_matches_astimezone(whens: list[datetime], zone) -> None:
    prep = Prepared([_record(i, w, f"r{i}") for i, w in enumerate(whens)], zone, "")
    odd = set(prep.odd)
    for it in prep.items:
        occurred = it.rec.occurred_at
        local = occurred.astimezone(zone) if zone is not None else occurred
        assert it.local == local and it.local.utcoffset() == local.utcoffset()
        assert it.day == local.toordinal()
        expected = local.hour * 3600 + local.minute * 60 + local.second
        assert it.sod == expected + local.microsecond / 1e6
        assert (it in odd) == (local.hour != occurred.hour or local.minute != occurred.minute)
        assert it.date_s == local.date().isoformat()
        assert it.iso == local.isoformat()
        seconds = f":{local.second:02d}" if local.second or local.microsecond else ""
        assert it.time_s == f"{local.hour:02d}:{local.minute:02d}{seconds}"
        assert it.when_s == f"{it.date_s} {it.time_s}"


@settings(max_examples=500, deadline=None)
@given(
    st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30)),
    st.integers(-(86_340 * 10**6), 86_340 * 10**6),  # within a day, less a minute
    st.booleans(),
)
def test_times_as_text_match_isoformat(naive: datetime, off_us: int, whole: bool) -> None:
    """Any offset (old local mean times have seconds; a tzinfo may give microseconds)
    and any wall clock, written from the integers as ``isoformat`` writes them."""
    if whole:  # the offsets records carry: whole minutes
        off_us -= off_us % 60_000_000
    local = naive.replace(tzinfo=timezone(timedelta(microseconds=off_us)))
    wall = (
        (naive.toordinal() - EPOCH_ORDINAL) * 86400
        + naive.hour * 3600
        + naive.minute * 60
        + naive.second
    ) * 1_000_000 + naive.microsecond
    assert iso_text(wall, off_us) == local.isoformat()
    assert date_text(naive.toordinal()) == naive.date().isoformat()
    seconds = f":{naive.second:02d}" if naive.second or naive.microsecond else ""
    assert time_text(wall) == f"{naive.hour:02d}:{naive.minute:02d}{seconds}"


def test_a_day_alone_has_no_time_of_day() -> None:
    when = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
    rec = replace(_record(0, when, "r0"), time_known=False)
    it = Prepared([rec], ZoneInfo("Asia/Shanghai"), "Asia/Shanghai").items[0]
    assert (it.time_s, it.when_s, it.date_s) == ("", "2025-06-01", "2025-06-01")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),  # few distinct instants: many ties
            st.sampled_from(OWN),
            st.text("abc0", min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=40,
        unique_by=lambda x: x[2],
    )
)
def test_time_order_is_instant_then_record_id(spec) -> None:
    base = datetime(2025, 6, 1, tzinfo=UTC)
    records = [
        _record(i, (base + timedelta(minutes=m)).astimezone(own), rid)
        for i, (m, own, rid) in enumerate(spec)
    ]
    prep = Prepared(records, ZoneInfo("Asia/Shanghai"), "Asia/Shanghai")
    got = [it.rid for it in prep.items]
    assert got == [r.record_id for r in sorted(records, key=lambda r: (r.occurred_at, r.record_id))]
    assert [it.n for it in prep.items] == list(range(len(records)))
    assert [it.us for it in prep.items] == sorted(it.us for it in prep.items)
