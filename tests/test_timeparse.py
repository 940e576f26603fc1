"""Reading the times people type: every accepted spelling of a moment gives that
moment; anything else is a usage error naming the text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.errors import UsageError
from evidence_locker.parsing.times import (
    MAX_DURATION_S,
    When,
    format_duration,
    parse_bound,
    parse_duration,
    parse_moment,
    parse_when,
)

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
    "bad", ["", "tomorrow", "in", "2025-02-30 10:00", "2025-02-09 25:00", "2025-02-09 9", "+8:00"]
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


@pytest.mark.parametrize(
    ("seconds", "lang", "text"),
    [
        (365, "en", "6 min 5 s"),
        (365, "zh", "6分5秒"),
        (3720, "en", "1 h 2 min"),
        (3720, "zh", "1小时2分钟"),
        (3605, "en", "1 h 5 s"),
        (45, "en", "45 s"),
        (45, "zh", "45秒"),
        (360, "zh", "6分钟"),
        (0, "en", "0 s"),
        (0, "zh", "0秒"),
    ],
)
def test_a_duration_is_written_with_its_units(seconds: int, lang: str, text: str) -> None:
    """Never "6:00", which beside a time of day reads as a clock time."""
    assert format_duration(seconds, lang) == text


@settings(max_examples=300, deadline=None)
@given(st.integers(0, MAX_DURATION_S), st.sampled_from(["en", "zh"]))
def test_a_written_duration_reads_back(seconds: int, lang: str) -> None:
    assert parse_duration(format_duration(seconds, lang)) == seconds


# -- days and times in words (evidence_locker.parsing.timewords) ------------------------------

CN_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """How people write 0-59 in Chinese numerals: 三, 十, 十五, 二十三."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=0, max_value=99))
def test_chinese_numerals_read_back(n: int) -> None:
    from evidence_locker.parsing.timewords import cn_number

    assert cn_number(cn_numeral(n)) == n
    assert cn_number(str(n)) == n


def chinese_clock(hour: int, minute: int, numerals: bool) -> str:
    """A 24-hour time written as a Chinese speaker does: a part of the day, a 12-hour
    hour with 点, and 半 / 一刻 / N分 for the minutes."""
    if hour < 6:
        period, h = "凌晨", hour or 12
    elif hour < 12:
        period, h = "上午", hour
    elif hour == 12:
        period, h = "中午", 12
    elif hour < 18:
        period, h = "下午", hour - 12
    else:
        period, h = "晚上", hour - 12

    def num(n: int) -> str:
        return cn_numeral(n) if numerals else str(n)

    words = {0: "", 30: "半", 15: "一刻", 45: "三刻"}
    tail = words[minute] if minute in words else f"{num(minute)}分"
    return f"{period}{num(h)}点{tail}"


@settings(max_examples=150, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(2024, 3, 2), max_value=datetime(2025, 3, 1, 11, 59)),
    numerals=st.booleans(),
    with_year=st.booleans(),
    space=st.sampled_from(["", " "]),
)
def test_any_chinese_day_and_clock_round_trips(
    when: datetime, numerals: bool, with_year: bool, space: str
) -> None:
    """``[2025年]2月9日 下午6点43分``: every minute of the past year written in Chinese
    (with the part of the day, Arabic or Chinese numerals) is read back as that minute."""
    when = when.replace(second=0, microsecond=0)
    year = f"{when.year}年" if with_year else ""
    clock = chinese_clock(when.hour, when.minute, numerals)
    text = f"{year}{when.month}月{when.day}日{space}{clock}"
    assert parse_when(text, tz=SHANGHAI, now=NOW) == When(when.replace(tzinfo=SHANGHAI), True)


@settings(max_examples=60, deadline=None)
@given(days_back=st.integers(min_value=0, max_value=20), hour=st.integers(0, 23))
def test_relative_days_in_both_languages_agree(days_back: int, hour: int) -> None:
    """``N天前`` and ``N days ago`` name the same day, its time unknown; a day word with
    a clock (``昨天 21:00``, ``yesterday 9pm``) gives that hour."""
    day = (NOW - timedelta(days=days_back)).replace(hour=0)
    for text in (f"{days_back}天前", f"{days_back} days ago"):
        assert parse_when(text, tz=SHANGHAI, now=NOW) == When(day, False)
    yesterday = (NOW - timedelta(days=1)).replace(hour=hour)
    twelve = f"{hour % 12 or 12}{'am' if hour < 12 else 'pm'}"
    for text in (f"昨天 {hour}:00", f"yesterday {twelve}", f"昨天{chinese_clock(hour, 0, True)}"):
        assert parse_when(text, tz=SHANGHAI, now=NOW) == When(yesterday, True)


@pytest.mark.parametrize(
    ("text", "day"),
    [  # NOW is Saturday 1 March 2025
        ("上周五", datetime(2025, 2, 21)),
        ("上上周一", datetime(2025, 2, 10)),
        ("这周一", datetime(2025, 2, 24)),
        ("周五", datetime(2025, 2, 28)),
        ("星期六", datetime(2025, 3, 1)),
        ("last Friday", datetime(2025, 2, 28)),
        ("last Saturday", datetime(2025, 2, 22)),
        ("friday", datetime(2025, 2, 28)),
        ("Feb 9", datetime(2025, 2, 9)),
        ("12月24日", datetime(2024, 12, 24)),  # no year, not yet this year: last year's
        ("9 February 2025", datetime(2025, 2, 9)),
        ("大前天", datetime(2025, 2, 26)),
        ("三天前", datetime(2025, 2, 26)),
    ],
)
def test_named_days(text: str, day: datetime) -> None:
    assert parse_when(text, tz=SHANGHAI, now=NOW) == When(day.replace(tzinfo=SHANGHAI), False)


@pytest.mark.parametrize(
    "bad",
    [
        "下午25点",
        "上午15点",
        "2月30日",
        "Feb 30",
        "Feb 9 18",
        "02/09/2025",
        "下下下周五",
        "banana 9pm",
    ],
)
def test_impossible_words_are_refused(bad: str) -> None:
    with pytest.raises(UsageError) as err:
        moment(bad)
    assert err.value.key == "time.bad" and err.value.params["value"] == bad


@pytest.mark.parametrize(
    ("typed", "understood"),
    [
        ("tomorrow 9am", "2025-03-02 09:00 +08:00"),
        ("明天 上午9点", "2025-03-02 09:00 +08:00"),
        ("明日 9:00", "2025-03-02 09:00 +08:00"),
        ("后天 下午3点", "2025-03-03 15:00 +08:00"),
        ("Tomorrow at 9pm", "2025-03-02 21:00 +08:00"),
        ("next Friday 9pm", "2025-03-07 21:00 +08:00"),
        ("下周五 9:00", "2025-03-07 09:00 +08:00"),
        ("下个星期一", "2025-03-03"),
        ("in 2 days", "2025-03-03"),
        ("in 3 hours", "2025-03-01 15:00 +08:00"),
        ("2小时后", "2025-03-01 14:00 +08:00"),
        ("3天后", "2025-03-04"),
        ("明天", "2025-03-02"),
        ("2026-03-01 10:00", "2026-03-01 10:00 +08:00"),
        ("2026年3月1日", "2026-03-01"),
    ],
)
def test_a_future_time_is_refused_as_future_showing_what_was_read(
    typed: str, understood: str
) -> None:
    """Future words are read, then refused for being in the future (review 7, item 7),
    never as unreadable: the message shows the moment understood, with its zone."""
    with pytest.raises(UsageError) as err:
        moment(typed)
    known = " " in understood
    assert err.value.key == ("time.future" if known else "time.future_day"), err.value.render()
    assert err.value.exit_code == 2
    assert err.value.params["understood"] == understood
    for lang in ("en", "zh"):
        assert understood in err.value.render(lang)
    assert "future times are not accepted" in err.value.render("en")
    assert "不接受将来的时间" in err.value.render("zh")


def test_a_future_time_names_its_zone() -> None:
    from zoneinfo import ZoneInfo

    with pytest.raises(UsageError) as err:
        parse_when("明天 上午9点", tz=ZoneInfo("Asia/Shanghai"), now=NOW)
    assert err.value.params["understood"] == "2025-03-02 09:00 +08:00 Asia/Shanghai"
    assert err.value.render("zh").count("Asia/Shanghai") == 1


def test_future_words_are_fine_as_search_bounds() -> None:
    assert parse_bound("明天", tz=SHANGHAI, now=NOW, end=True) == datetime(
        2025, 3, 2, 23, 59, 59, 999999, tzinfo=SHANGHAI
    )


def test_a_day_in_the_future_is_refused_but_today_is_not() -> None:
    assert parse_when("今天", tz=SHANGHAI, now=NOW).time_known is False
    with pytest.raises(UsageError) as err:
        moment("下午3点")  # NOW is noon
    assert err.value.key == "time.future"
