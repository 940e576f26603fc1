"""Reading the times and durations people type.

Accepted for a moment: ISO 8601 (with or without an offset), ``YYYY-MM-DD HH:MM``,
``YYYY/MM/DD HH:MM`` (one-digit months, days and hours too: ``2025/2/9 9:05``), a
bare date, a bare ``HH:MM`` (today), ``now``, and ``today 15:30`` /
``yesterday 21:10`` (also 今天 / 昨天 / 前天 / 现在). Parsing is strict (stdlib
``datetime.fromisoformat``): an impossible date is an error, never a guess. Times
without an offset are in the user's timezone; the offset that applied then is kept
with the record.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from evidence_locker.errors import UsageError

_RELATIVE_DAYS = {
    "today": 0,
    "今天": 0,
    "今日": 0,
    "yesterday": 1,
    "昨天": 1,
    "昨日": 1,
    "前天": 2,
}
_NOW = {"now", "现在", "刚才"}
FUTURE_TOLERANCE = timedelta(minutes=10)


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    return naive.replace(tzinfo=tz)


def _pad_clock(text: str) -> str:
    """``9:05`` -> ``09:05`` (ISO wants two-digit hours; people type one), ``：`` -> ``:``."""
    return re.sub(r"(^|[ T])(\d)(?=:)", r"\g<1>0\2", text.replace("：", ":"))


def _parse_clock(text: str, original: str) -> time:
    try:
        return time.fromisoformat(_pad_clock(text.strip()))
    except ValueError:
        raise UsageError("time.bad", value=original, hint="time.hint") from None


def parse_moment(text: str, *, tz: tzinfo, now: datetime, allow_future: bool = False) -> datetime:
    """When a contact happened. Raises UsageError naming the text on anything odd."""
    raw = text.strip()
    lowered = raw.lower()
    if not raw:
        raise UsageError("time.bad", value=text, hint="time.hint")
    if lowered in _NOW:
        return now.astimezone(tz)
    result: datetime | None = None
    for word, days_back in _RELATIVE_DAYS.items():
        if lowered.startswith(word):
            rest = raw[len(word) :].strip()
            day = now.astimezone(tz).date() - timedelta(days=days_back)
            clock = _parse_clock(rest, text) if rest else time(0, 0)
            result = _localize(datetime.combine(day, clock), tz)
            break
    if result is None and re.fullmatch(r"\d{1,2}[:：]\d{2}(:\d{2})?", raw):
        result = _localize(datetime.combine(now.astimezone(tz).date(), _parse_clock(raw, text)), tz)
    if result is None:
        candidate = _pad_clock(raw.replace("/", "-"))
        candidate = re.sub(r"^(\d{4})-(\d{1,2})-(\d{1,2})", _pad_date, candidate)
        try:
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            raise UsageError("time.bad", value=text, hint="time.hint") from None
        result = parsed if parsed.tzinfo else _localize(parsed, tz)
    if not allow_future and result > now + FUTURE_TOLERANCE:
        raise UsageError("time.future", value=text)
    return result


def _pad_date(m: re.Match[str]) -> str:
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def parse_bound(text: str, *, tz: tzinfo, now: datetime, end: bool = False) -> datetime:
    """A --since/--until bound. A bare date means the whole day (inclusive)."""
    raw = text.strip().replace("/", "-")
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", raw):
        raw = re.sub(r"^(\d{4})-(\d{1,2})-(\d{1,2})", _pad_date, raw)
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise UsageError("time.bad", value=text, hint="time.hint") from None
        clock = time(23, 59, 59, 999999) if end else time(0, 0)
        return _localize(datetime.combine(day, clock), tz)
    return parse_moment(text, tz=tz, now=now, allow_future=True)


_UNIT_SECONDS = {
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "hours": 3600,
    "小时": 3600,
    "时": 3600,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "分钟": 60,
    "分": 60,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "秒": 1,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+|小时|时|分钟|分|秒)")
MAX_DURATION_S = 7 * 24 * 3600


def parse_duration(text: str) -> int:
    """Seconds from ``6m``, ``1h2m``, ``90s``, ``90``, ``6:30``, ``1:02:03``, ``6分30秒``."""
    raw = text.strip().lower().replace("：", ":")
    seconds: float
    if re.fullmatch(r"\d+", raw):
        seconds = int(raw)
    elif re.fullmatch(r"\d+(:\d{1,2}){1,2}", raw):
        parts = [int(p) for p in raw.split(":")]
        if any(p >= 60 for p in parts[1:]):
            raise UsageError("duration.bad", value=text)
        seconds = 0
        for p in parts:
            seconds = seconds * 60 + p
    else:
        compact = raw.replace(" ", "")
        pos, seconds = 0, 0.0
        for m in _DURATION_PART.finditer(compact):
            if m.start() != pos or m.group(2) not in _UNIT_SECONDS:
                raise UsageError("duration.bad", value=text)
            seconds += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
            pos = m.end()
        if pos != len(compact) or pos == 0:
            raise UsageError("duration.bad", value=text)
    if seconds > MAX_DURATION_S:
        raise UsageError("duration.bad", value=text)
    return round(seconds)
