"""The words people use for a day and a time of day, in Chinese and English.

``昨天 下午3点``, ``今天 晚上10点半``, ``2月9日 18:43``, ``上周五 9:00``, ``3 days ago``,
``last Friday 9pm``, ``Feb 9 6:43pm``: :func:`read_words` splits such a text into a day
and an optional clock time and resolves both against "now". English month and weekday
names and English dates written with them (``Feb 9``, ``9 February 2025``) are read by
``dateutil``'s parser, imported only when such a word appears. ``dateutil`` has no
relative forms and no Chinese, and ``dateparser`` (which has some) reads none of
``下午3点``, ``2月9日 18:43`` or ``上周五 9:00`` and costs about 0.7 s to import and
load its first language, more than ``log`` may take in all; so the Chinese forms and
the few relative phrases are read here, each by one regular expression below.

Conventions (docs/user-guide): ``上周五`` is the Friday of last calendar week (weeks
start on Monday), ``last Friday`` and a bare ``周五`` / ``Friday`` the latest Friday
before today (``周五`` may be today). A date without a year is the latest such date
not after today. ``晚上12点`` is midnight at the end of that evening.

Words for days to come (``明天``, ``tomorrow``, ``下周五``, ``next Friday`` (the first
after today), ``in 2 days``, ``3小时后``) are read too, so that a contact logged ahead
of time is refused for being in the future, showing the moment read, rather than as
unreadable; ``--since``/``--until`` take them as they are.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

# Chinese numerals as people type them for hours, minutes and small counts (0-99).
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"\d{1,2}|[〇零一二两三四五六七八九十]{1,3}"

# Parts of the day. The value says how a 12-hour clock reading is moved to 24 hours.
_AM, _PM, _NOON, _NIGHT = "am", "pm", "noon", "night"
_PERIODS = {
    "凌晨": _NIGHT,
    "半夜": _NIGHT,
    "早上": _AM,
    "早晨": _AM,
    "上午": _AM,
    "中午": _NOON,
    "下午": _PM,
    "傍晚": _PM,
    "晚上": _PM,
    "夜里": _PM,
    "夜间": _PM,
    "晚": _PM,
    "am": _AM,
    "a.m.": _AM,
    "pm": _PM,
    "p.m.": _PM,
}
_CN_PERIOD = "|".join(sorted((p for p in _PERIODS if not p.isascii()), key=len, reverse=True))
_EN_PERIOD = r"a\.m\.|p\.m\.|am|pm"
# A clock time: "18:43", "9:05:30", "6:43pm", "9pm", "下午3点", "晚上10点半", "3点15分",
# "15时30分", "下午 3:30". A bare number is never a clock (``2025-02-09 9`` is refused).
_CLOCK = (
    rf"(?:(?P<cn_period>{_CN_PERIOD})\s*)?"
    rf"(?:(?P<h>\d{{1,2}})[:：](?P<m>\d{{2}})(?:[:：](?P<s>\d{{2}}))?"
    rf"|(?P<ch>{_NUM})\s*(?:点钟|点|點|时|時)\s*(?:(?P<cm>半|一刻|三刻|{_NUM})\s*分?"
    rf"(?:\s*(?P<cs>\d{{1,2}})\s*秒)?)?"
    rf"|(?P<eh>\d{{1,2}})(?=\s*(?:{_EN_PERIOD})))"
    rf"(?:\s*(?P<en_period>{_EN_PERIOD})(?![a-z]))?"
)
_CLOCK_LAST = re.compile(rf"(?P<day>.*?)\s*(?:\bat\s+|的)?(?P<clock>{_CLOCK})", re.IGNORECASE)
_CLOCK_FIRST = re.compile(rf"(?P<clock>{_CLOCK})\s*(?:on\s+)?(?P<day>.+)", re.IGNORECASE)

_DAYS_BACK = {  # negative: days ahead
    "today": 0,
    "今天": 0,
    "今日": 0,
    "yesterday": 1,
    "昨天": 1,
    "昨日": 1,
    "前天": 2,
    "大前天": 3,
    "tomorrow": -1,
    "明天": -1,
    "明日": -1,
    "后天": -2,
    "大后天": -3,
}
_SPAN = (
    rf"(?P<n>{_NUM}|an?|半)\s*(?P<unit>"
    r"days?|weeks?|hours?|hrs?|minutes?|mins?|天|日|周|个星期|个礼拜|星期|礼拜|个小时|小时|个钟头|分钟)"
)
_AGO = re.compile(rf"{_SPAN}\s*(?:ago|前|之前|以前)")
_AHEAD = (re.compile(rf"in\s+{_SPAN}"), re.compile(rf"{_SPAN}\s*(?:from now|later|后|之后|以后)"))
_UNIT = {"day": "days", "天": "days", "日": "days"}
_UNIT |= dict.fromkeys(("week", "周", "个星期", "个礼拜", "星期", "礼拜"), "weeks")
_UNIT |= dict.fromkeys(("hour", "hr", "个小时", "小时", "个钟头"), "hours")
_UNIT |= dict.fromkeys(("minute", "min", "分钟"), "minutes")
_CN_WEEKDAY = re.compile(
    r"(?P<which>上上|上|下下|下|这|本)?(?:个)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天1-7])"
)
_CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CN_DATE = re.compile(
    r"(?:(?P<y>\d{4})\s*年\s*)?(?P<mo>\d{1,2}|[一二三四五六七八九十]{1,2})\s*月\s*"
    r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号號]?"
)
_NUMERIC_DATE = re.compile(r"(?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})")
_EN_WEEKDAY = re.compile(r"(?:(?P<which>last|this|next)\s+)?(?P<name>[a-z]+)\.?")


class Reading(NamedTuple):
    """What the words said: a local wall-clock moment and whether the time was given."""

    at: datetime  # naive, in the user's zone
    time_known: bool


def cn_number(text: str) -> int:
    """``15``, ``十五``, ``二十三``, ``两``, ``零五`` -> the number (0-99)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            raise ValueError(text)
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    value = 0
    for ch in text:
        value = value * 10 + _CN_DIGITS[ch]
    return value


def read_words(text: str, now: datetime) -> Reading | None:
    """A day in words with an optional clock time, or None when ``text`` is not one.

    ``now`` is the user's local wall-clock time (naive). Raises ValueError for a form
    that is recognised but impossible (``2月30日``, ``25点``).
    """
    raw = " ".join(text.strip().lower().split())
    ago = _AGO.fullmatch(raw)
    if ago:
        return _ago(ago, now)
    for pattern in _AHEAD:
        ahead = pattern.fullmatch(raw)
        if ahead:
            return _ago(ahead, now, sign=-1)
    for pattern in (_CLOCK_LAST, _CLOCK_FIRST):
        m = pattern.fullmatch(raw)
        if m and m.group("clock").strip():
            day = _day(m.group("day").strip(), now.date())
            if day is None:
                continue
            clock, next_day = _clock(m)
            return Reading(datetime.combine(day + timedelta(days=next_day), clock), True)
    day = _day(raw, now.date())
    return Reading(datetime.combine(day, time(0, 0)), False) if day else None


def _ago(m: re.Match[str], now: datetime, sign: int = 1) -> Reading:
    """``3 days ago`` (``sign`` 1) or ``in 3 days`` (-1): a day, or a moment for hours."""
    word = m.group("n")
    n = 0.5 if word == "半" else 1 if word in ("a", "an") else cn_number(word)
    unit = _UNIT[m.group("unit").rstrip("s") if m.group("unit").isascii() else m.group("unit")]
    moment = now - sign * timedelta(**{unit: n})
    if unit in ("days", "weeks"):
        return Reading(datetime.combine(moment.date(), time(0, 0)), False)
    return Reading(moment, True)


def _day(text: str, today: date) -> date | None:
    """The day ``text`` names (empty: today), or None when it names none."""
    if not text or text in _DAYS_BACK:
        return today - timedelta(days=_DAYS_BACK.get(text, 0))
    for pattern, build in (
        (_CN_DATE, _calendar_day),
        (_NUMERIC_DATE, _calendar_day),
        (_CN_WEEKDAY, _cn_weekday),
        (_EN_WEEKDAY, _en_weekday),
    ):
        m = pattern.fullmatch(text)
        if m:
            found = build(m, today)
            if found is not None:
                return found
    return _english_date(text, today)


def _calendar_day(m: re.Match[str], today: date) -> date:
    month, day = cn_number(m.group("mo")), cn_number(m.group("d"))
    if m.group("y"):
        return date(int(m.group("y")), month, day)
    return _latest_date(month, day, today)


def _latest_date(month: int, day: int, today: date) -> date:
    """``2月9日`` without a year: this year's, or last year's if that is still to come."""
    for year in (today.year, today.year - 1, today.year - 4):  # 2月29日: the last leap year
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found <= today:
            return found
    return date(today.year, month, day)  # raises ValueError: no such day


def _cn_weekday(m: re.Match[str], today: date) -> date:
    d = m.group("d")
    weekday = int(d) - 1 if d.isdigit() else _CN_WEEKDAYS[d]
    monday = today - timedelta(days=today.weekday())
    weeks_back = {"上上": 2, "上": 1, "这": 0, "本": 0, "下": -1, "下下": -2}.get(
        m.group("which") or ""
    )
    if weeks_back is None:  # a bare 周五: the latest, today included
        return today - timedelta(days=(today.weekday() - weekday) % 7)
    return monday - timedelta(weeks=weeks_back) + timedelta(days=weekday)


def _en_weekday(m: re.Match[str], today: date) -> date | None:
    from dateutil.parser import parserinfo

    weekday = parserinfo().weekday(m.group("name"))
    if weekday is None:
        return None
    which = m.group("which")
    if which == "this":
        return today - timedelta(days=today.weekday()) + timedelta(days=weekday)
    if which == "next":  # the first such day after today
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    back = (today.weekday() - weekday) % 7
    if which == "last" and back == 0:
        back = 7  # "last Friday" said on a Friday is a week ago
    return today - timedelta(days=back)


def _english_date(text: str, today: date) -> date | None:
    """``Feb 9``, ``9 February 2025``, ``Sunday, Feb 9 2025`` by dateutil; None unless
    the text names a month (all-number dates such as 02/09 are ambiguous: refused)."""
    words = re.findall(r"[a-z]+", text)
    if not words:
        return None
    from dateutil.parser import ParserError, parse, parserinfo

    info = parserinfo()
    if not any(info.month(w) for w in words):
        return None
    numbers = sorted(len(n) for n in re.findall(r"\d+", text))
    if numbers not in ([1], [2], [1, 4], [2, 4]):
        raise ValueError(text)  # one day number and at most a year: "Feb 9 18" is refused
    try:
        found = parse(text, default=datetime(today.year, 1, 1)).date()
    except (ParserError, OverflowError) as exc:
        raise ValueError(text) from exc
    if re.search(r"\d{4}", text):
        return found
    return _latest_date(found.month, found.day, today)


def _clock(m: re.Match[str]) -> tuple[time, int]:
    """The clock time a matched :data:`_CLOCK` names, and 1 when it falls on the next day."""
    if m.group("h") is not None:
        hour, minute, second = int(m.group("h")), int(m.group("m")), int(m.group("s") or 0)
    elif m.group("ch") is not None:
        hour, second = cn_number(m.group("ch")), int(m.group("cs") or 0)
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(m.group("cm") or "")
        if minute is None:
            minute = cn_number(m.group("cm")) if m.group("cm") else 0
    else:
        hour, minute, second = int(m.group("eh")), 0, 0
    period = m.group("cn_period") or m.group("en_period")
    next_day = 0
    if period:
        hour, next_day = _to_24h(hour, _PERIODS[period.lower()], period)
    return time(hour, minute, second), next_day


def _to_24h(hour: int, kind: str, period: str) -> tuple[int, int]:
    if not 0 <= hour <= 12:
        if hour <= 23 and kind in (_PM, _NOON):
            return hour, 0  # 下午15点: already on a 24-hour clock
        raise ValueError(period)
    if kind in (_AM, _NIGHT):
        return (0 if hour == 12 and (kind == _NIGHT or period.isascii()) else hour), 0
    if kind == _NOON:
        return (hour if hour >= 11 else hour + 12), 0
    if hour == 12:  # 12pm is noon; 晚上12点 the midnight that ends the evening
        return (12, 0) if period.isascii() or period == "下午" else (0, 1)
    return hour + 12, 0
