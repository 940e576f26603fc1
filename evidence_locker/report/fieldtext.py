"""How a field's value reads on the page, for the renderer and the verifier alike.

The verifier checks that each record's page shows the values its proofs reveal
(:mod:`evidence_locker.report.binding`), so the text it expects must come from the
very functions the renderer prints with: they live here, and take either a
:class:`~evidence_locker.model.Record` attribute or the JSON value a proof reveals.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from evidence_locker.locale.messages import t
from evidence_locker.locale.words import value_label
from evidence_locker.model import SENSITIVE_FIELDS
from evidence_locker.parsing.phones import grouped_number
from evidence_locker.parsing.times import format_duration
from evidence_locker.report.fonts import runs

# Fields whose printed form is the value itself (no formatting, no label lookup):
# format 1 dossiers are checked on these only, since formatting may change.
FREE_TEXT_FIELDS = tuple(
    name
    for name in SENSITIVE_FIELDS
    if name not in ("tags", "duration_s", "outcome", "event", "source", "time_known")
)
_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d\d):(\d\d)$")


def label(key: str, lang: str, **params: object) -> str:
    return t(f"report.{key}", lang, **params)


def zone_label(tz: tzinfo) -> str:
    """An IANA name when there is one (so daylight saving is kept), else ``+08:00``."""
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key:
        return key
    off = datetime(2000, 1, 1, tzinfo=tz).utcoffset() or timedelta(0)
    return _offset_text(off)


def zone_from_label(text: str) -> tzinfo:
    """Inverse of :func:`zone_label`; raises ValueError for an unknown zone."""
    m = _OFFSET.match(text)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    try:
        return ZoneInfo(text)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for hostile keys
        raise ValueError(f"unknown time zone {text[:40]!r}") from exc


def _offset_text(off: timedelta) -> str:
    minutes = int(off.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}"


@lru_cache(maxsize=8192)
def format_when(dt: datetime, tz: tzinfo, seconds: bool = False) -> str:
    """``2026-10-03 09:12 +08:00`` in the dossier's zone."""
    local = dt.astimezone(tz)
    off = _offset_text(local.utcoffset() or timedelta(0))
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {off}"


def format_occurred(dt: datetime, tz: tzinfo, time_known: bool, lang: str) -> str:
    """When a contact happened; a day without a time stays that day (in the offset it
    was logged with: moving midnight to another zone could change the day)."""
    if not time_known:
        return f"{dt.strftime('%Y-%m-%d')} ({label('time_unknown', lang)})"
    return format_when(dt, tz)


# Channels whose "connected" outcome is a message received or sent, not a call answered
MESSAGE_CHANNELS = frozenset({"sms", "email", "message", "letter"})


def format_field(
    name: str, raw: Any, lang: str, channel: str | None = None, direction: str | None = None
) -> str:
    """A field's value as printed (before masking). An outcome reads in the words of
    its ``channel`` and ``direction``: a message "connected" was received or sent."""
    if name == "tags":
        return ", ".join(str(x) for x in raw)
    if name == "duration_s":
        return format_duration(int(raw), lang)
    if name == "source":
        return format_source(raw.to_json() if hasattr(raw, "to_json") else dict(raw), lang)
    value = raw.value if hasattr(raw, "value") else raw
    if name == "outcome" and value == "connected" and channel in MESSAGE_CHANNELS:
        return label("outcome.sent" if direction == "outgoing" else "outcome.received", lang)
    if name in ("outcome", "event", "app"):
        return value_label(name, str(value), lang)
    if name == "address":
        return grouped_number(str(value))
    return str(value)


def format_source(src: dict[str, Any], lang: str) -> str:
    """Where a record came from, in words: typed by hand, or which file and entry."""
    if src.get("kind") == "manual":
        parts = [label("source.manual", lang)]
    elif src.get("file_name"):
        parts = [label("source.import", lang, file=src["file_name"])]
    else:
        parts = [str(src.get("kind", "?"))]
    if src.get("format"):
        parts.append(label("source.format", lang, format=src["format"]))
    if src.get("entry"):
        parts.append(label("source.entry", lang, entry=src["entry"]))
    if src.get("file_sha256"):
        parts.append(label("source.sha", lang, sha=src["file_sha256"]))
    return " · ".join(parts)


def heading_start(no: str, occurred: str) -> str:
    """How a record's heading in "Records in full" begins: ``E-3 · <when>``."""
    return f"{no} · {occurred}"


def printed(text: str) -> str:
    """What text extraction reads back from ``text`` as drawn: the font fallback's
    placeholders for characters no font has, control characters dropped."""
    return "".join(piece for _, piece in runs(text))


def comparable(text: str) -> str:
    """Text reduced for comparison with what a PDF reader extracts: Unicode NFKC
    (one glyph can stand for compatibility variants), all whitespace removed (line
    breaks fall differently in every extractor)."""
    return "".join(unicodedata.normalize("NFKC", text).split())
