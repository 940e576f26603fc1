"""What Apple's databases share: their epoch, nanosecond dates, and ``attributedBody``.

Messages on newer iOS keep their text only in ``message.attributedBody``, an
``NSAttributedString`` archived with ``NSArchiver`` (the "typedstream" format, not a
plist). It is read with pytypedstream (``typedstream``), whose reader follows the format
as NeXTSTEP and macOS write it; the text is the archive's first ``NSString``.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta, tzinfo

# 2001-01-01T00:00:00Z, Apple's "reference date" (Core Data, Core Foundation, sms.db).
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
# sms.db wrote seconds until iOS 11, nanoseconds since: 10^12 s after 2001 is year 33,000,
# 10^12 ns is 17 minutes after it, so the two never meet.
_NANOSECONDS_FROM = 10**12
_STRING_CLASSES = (b"NSString", b"NSMutableString")


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
    """The plain text inside an ``attributedBody`` archive, or None if it holds none.

    Read with pytypedstream's event reader, stopping at the first ``NSString``'s bytes
    (the text comes first in the archive; its attribute runs and dictionaries after it
    are not needed): a third of the cost of unarchiving the whole object graph.
    """
    from typedstream import stream

    current_class = b""
    take = False
    try:
        for event in stream.TypedStreamReader.from_data(blob):
            if isinstance(event, stream.SingleClass) and not current_class:
                current_class = event.name  # the object's own class, before its superclasses
            elif isinstance(event, stream.BeginObject):
                current_class = b""
            elif isinstance(event, stream.BeginTypedValues):
                take = event.encodings == [b"+"] and current_class in _STRING_CLASSES
            elif take and isinstance(event, bytes):
                return event.decode("utf-8")
    except (
        stream.InvalidTypedStreamError,
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
    return None
