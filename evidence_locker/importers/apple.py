"""What Apple's databases share: their epoch, nanosecond dates, and ``attributedBody``.

Messages on newer iOS keep their text only in ``message.attributedBody``, an
``NSAttributedString`` archived with ``NSArchiver`` (the "typedstream" format, not a
plist). It is read with pytypedstream (``typedstream``), whose reader follows the format
as NeXTSTEP and macOS write it; the text is the archive's first ``NSString``.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

# 2001-01-01T00:00:00Z, Apple's "reference date" (Core Data, Core Foundation, sms.db).
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
# sms.db wrote seconds until iOS 11, nanoseconds since: 10^12 s after 2001 is year 33,000,
# 10^12 ns is 17 minutes after it, so the two never meet.
_NANOSECONDS_FROM = 10**12
# How deep the text is looked for inside the archived object graph.
_MAX_OBJECT_DEPTH = 8


class BadArchive(ValueError):
    """An ``attributedBody`` that the typedstream reader refuses."""


def apple_time(value: float | int | None, zone: tzinfo) -> datetime | None:
    """An sms.db / Core Data date (seconds or nanoseconds since 2001) in ``zone``."""
    if value is None or isinstance(value, bytes | str):
        return None
    if value <= 0:
        return None
    seconds = value / 1e9 if abs(value) >= _NANOSECONDS_FROM else float(value)
    try:
        return (APPLE_EPOCH + timedelta(seconds=seconds)).astimezone(zone)
    except (OverflowError, ValueError):
        return None


def attributed_text(blob: bytes) -> str | None:
    """The plain text inside an ``attributedBody`` archive, or None if it holds none."""
    import typedstream

    try:
        root = typedstream.unarchive_from_data(blob)
    except (
        typedstream.InvalidTypedStreamError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        EOFError,
        struct.error,
        UnicodeDecodeError,
        RecursionError,  # nesting deeper than the interpreter allows: a crafted blob
    ) as exc:
        raise BadArchive(type(exc).__name__) from exc
    return _first_string(root, 0)


def _first_string(value: Any, depth: int) -> str | None:
    """Depth-first, the first ``NSString`` value in an unarchived object graph."""
    import typedstream
    from typedstream.types import foundation

    if depth > _MAX_OBJECT_DEPTH or value is None:
        return None
    if isinstance(value, foundation.NSString):
        return value.value
    if isinstance(value, typedstream.GenericArchivedObject):
        found = _first_string(value.super_object, depth + 1)
        if found is not None:
            return found
        for group in value.contents:
            found = _first_string(group, depth + 1)
            if found is not None:
                return found
        return None
    if isinstance(value, typedstream.TypedGroup):
        for item in value.values:
            found = _first_string(item, depth + 1)
            if found is not None:
                return found
    return None
