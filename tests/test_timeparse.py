"""Reading the times people type: every accepted spelling of a moment gives that
moment; anything else is a usage error naming the text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.errors import UsageError
from evidence_locker.parsing.times import parse_bound, parse_duration, parse_moment

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=SHANGHAI)


def moment(text: str) -> datetime:
    return parse_moment(text, tz=SHANGHAI, now=NOW)


@pytest.mark.parametrize(
    "text",
    [
        "2025-02-09 09:05",
        "2025-02-09 9:05",
        "2025-2-9 9:05",
        "2025/02/09 09:05",
        "2025/2/9 9：05",
        "2025-02-09T09:05",
        "2025-02-09T09:05+08:00",
        "2025-02-09T01:05Z",
    ],
)
def test_spellings_of_one_moment(text: str) -> None:
    assert moment(text) == datetime(2025, 2, 9, 9, 5, tzinfo=SHANGHAI)


def test_relative_days_and_bare_clock_times() -> None:
    assert moment("yesterday 21:10") == datetime(2025, 2, 28, 21, 10, tzinfo=SHANGHAI)
    assert moment("昨天 9:10") == datetime(2025, 2, 28, 9, 10, tzinfo=SHANGHAI)
    assert moment("前天") == datetime(2025, 2, 27, 0, 0, tzinfo=SHANGHAI)
    assert moment("8:30") == datetime(2025, 3, 1, 8, 30, tzinfo=SHANGHAI)
    assert moment("现在") == NOW


@pytest.mark.parametrize(
    "bad", ["", "tomorrow", "2025-02-30 10:00", "2025-02-09 25:00", "2025-02-09 9", "+8:00"]
)
def test_impossible_or_unreadable_times_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError) as err:
        moment(bad)
    assert err.value.exit_code == 2


def test_the_future_is_refused_beyond_a_small_tolerance() -> None:
    assert moment("12:05") == datetime(2025, 3, 1, 12, 5, tzinfo=SHANGHAI)
    with pytest.raises(UsageError):
        moment("2025-03-02 12:00")


def test_a_bare_date_bound_covers_the_whole_day() -> None:
    since = parse_bound("2025-2-9", tz=SHANGHAI, now=NOW)
    until = parse_bound("2025-2-9", tz=SHANGHAI, now=NOW, end=True)
    assert (since.hour, since.minute) == (0, 0)
    assert (until.hour, until.minute, until.second) == (23, 59, 59)


@settings(max_examples=200, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2025, 2, 28)),
    sep=st.sampled_from(["-", "/"]),
    pad_date=st.booleans(),
    pad_hour=st.booleans(),
    colon=st.sampled_from([":", "："]),
)
def test_any_typed_spelling_round_trips(
    when: datetime, sep: str, pad_date: bool, pad_hour: bool, colon: str
) -> None:
    """A date and a minute written as people write them (zero-padded or not, dash or
    slash, ASCII or full-width colon) parse to that minute in the user's zone."""
    when = when.replace(second=0, microsecond=0)
    day = f"{when.month:02d}{sep}{when.day:02d}" if pad_date else f"{when.month}{sep}{when.day}"
    hour = f"{when.hour:02d}" if pad_hour else str(when.hour)
    text = f"{when.year}{sep}{day} {hour}{colon}{when.minute:02d}"
    assert moment(text) == when.replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6m", 360), ("1h2m", 3720), ("90", 90), ("6:30", 390), ("6分30秒", 390), ("1:02:03", 3723)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "6x", "1:75", "8 days", "999h"])
def test_bad_durations(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(bad)
