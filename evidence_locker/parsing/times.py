"""Reading the times and durations people type.

Accepted for a moment: ISO 8601 (with or without an offset), ``YYYY-MM-DD HH:MM``,
``YYYY/MM/DD HH:MM`` (one-digit months, days and hours too: ``2025/2/9 9:05``), a bare
``HH:MM`` (today), ``now`` / ``现在``, and days and times in words, Chinese or English
(``昨天 下午3点``, ``2月9日 18:43``, ``上周五 9:00``, ``3 days ago``, ``last Friday 9pm``,
``Feb 9 6:43pm``: :mod:`evidence_locker.parsing.timewords`). A day written without a time
(``2025-02-09``, ``前天``) is a day whose time is unknown, never midnight: the result
says so (:class:`When`). Parsing is strict: an impossible date is an error, never a
guess. Times without an offset are in the user's timezone; the offset that applied
then is kept with the record.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, time, timedelta, tzinfo
from typing import NamedTuple

from evidence_locker.errors import UsageError
from evidence_locker.locale.messages import t

_NOW = {"now", "现在", "刚才", "刚刚"}
FUTURE_TOLERANCE = timedelta(minutes=10)


class When(NamedTuple):
    """A moment typed by the user; ``time_known`` is False when only its day was given
    (``at`` is then the start of that day)."""

    at: datetime
    time_known: bool = True


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    return naive.replace(tzinfo=tz)


def _pad_clock(text: str) -> str:
    """``9:05`` -> ``09:05`` (ISO wants two-digit hours; people type one)."""
    return re.sub(r"(^|[ T])(\d)(?=:)", r"\g<1>0\2", text)


def _refused(text: str) -> UsageError:
    return UsageError("time.bad", value=text, hint="time.hint")


def parse_when(text: str, *, tz: tzinfo, now: datetime, allow_future: bool = False) -> When:
    """When a contact happened, and whether its time of day was given.

    Raises UsageError naming the text on anything odd, with a hint of the accepted forms.
    """
    # NFKC: full-width digits and colons (１８：４３) as typed by Chinese input methods.
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        raise _refused(text)
    local_now = now.astimezone(tz)
    if raw.lower() in _NOW:
        return When(local_now)
    result = _iso(raw, tz)
    if result is None:
        from evidence_locker.parsing.timewords import read_words

        try:
            words = read_words(raw, local_now.replace(tzinfo=None))
        except ValueError:
            raise _refused(text) from None
        if words is None:
            raise _refused(text)
        result = When(_localize(words.at, tz), words.time_known)
    if not allow_future:
        late = (
            result.at > now + FUTURE_TOLERANCE
            if result.time_known
            else result.at.date() > local_now.date()
        )
        if late:
            raise _future(text, result, tz)
    return result


def _future(text: str, result: When, tz: tzinfo) -> UsageError:
    """A moment still to come: refused, showing what the text was read as (in the
    user's zone, named) so a wrong zone or a misread word is seen at once."""
    hint = "time.future_hint"
    if not result.time_known:
        day = result.at.date().isoformat()
        return UsageError("time.future_day", value=text, understood=day, hint=hint)
    local = result.at.astimezone(tz)
    offset = local.strftime("%z")
    shown = local.strftime("%Y-%m-%d %H:%M") + f" {offset[:3]}:{offset[3:]}"
    name = getattr(tz, "key", None)
    understood = f"{shown} {name}" if name else shown
    return UsageError("time.future", value=text, understood=understood, hint=hint)


def parse_moment(text: str, *, tz: tzinfo, now: datetime, allow_future: bool = False) -> datetime:
    """The moment alone (a day without a time is the start of that day)."""
    return parse_when(text, tz=tz, now=now, allow_future=allow_future).at


def _iso(raw: str, tz: tzinfo) -> When | None:
    """ISO 8601 and its everyday spellings (slashes, one-digit parts), or None."""
    candidate = _pad_clock(raw.replace("/", "-"))
    candidate, dated = re.subn(r"^(\d{4})-(\d{1,2})-(\d{1,2})", _pad_date, candidate)
    if not dated:
        return None
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None  # the words reader has the last say (and names the text if it fails)
    when = parsed if parsed.tzinfo else _localize(parsed, tz)
    return When(when, time_known=bool(re.search(r"\d[T ]\d", candidate)))


def _pad_date(m: re.Match[str]) -> str:
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def parse_bound(text: str, *, tz: tzinfo, now: datetime, end: bool = False) -> datetime:
    """A --since/--until bound. A day without a time means the whole day (inclusive)."""
    when = parse_when(text, tz=tz, now=now, allow_future=True)
    if when.time_known:
        return when.at
    clock = time(23, 59, 59, 999999) if end else time(0, 0)
    return _localize(datetime.combine(when.at.date(), clock), tz)


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


def format_duration(seconds: int, lang: str) -> str:
    """``6 min 5 s`` / ``6分5秒``, ``1 h 2 min`` / ``1小时2分钟``, ``45 s`` / ``45秒``.

    The one way every view writes a duration, always with its units: a bare ``6:05``
    beside a time of day reads as a clock time. Zero parts are left out and nothing is
    rounded, so :func:`parse_duration` reads the text back to the same seconds. In
    Chinese a last minute part is 分钟 (a lone 分 also means a point or a cent).
    """
    h, rest = divmod(max(int(seconds), 0), 3600)
    m, s = divmod(rest, 60)
    units = [("hours", h), ("minutes", m), ("seconds", s)]
    shown = [(unit, n) for unit, n in units if n] or [("seconds", 0)]
    parts = []
    for i, (unit, n) in enumerate(shown):
        last = i == len(shown) - 1
        key = "duration.minutes_last" if unit == "minutes" and last else f"duration.{unit}"
        parts.append(t(key, lang, n=n))
    return ("" if lang == "zh" else " ").join(parts)
