"""An SMS as it is copied from a phone: who sent it, when, and the message.

Chinese senders sign a message with their name in 【】 (``【XX银行】您的贷款已逾期…`` or
at its end); that is the organisation. Phones and messaging apps that copy more than
the text put the sender's number and the time on lines of their own before it
(``95577``, ``2025/2/9 18:43``, ``95577 2025-02-09 18:43``, ``发件人：95577``,
``From: +86 138 0013 8000``), or the time on the line after it. Those lines are read
and left out of the content; the message itself is kept exactly as pasted. A number
or time inside the message (``请致电 4008 123 456``) is never taken: it is what the
collector wrote, not who sent it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from evidence_locker.errors import UsageError
from evidence_locker.parsing.phones import looks_like_phone
from evidence_locker.parsing.times import When, parse_when

_SIGNATURE = re.compile(r"^\s*【(?P<a>[^】\n]{1,40})】|【(?P<b>[^】\n]{1,40})】\s*$")
_LABEL = re.compile(
    r"(?P<label>发件人|发信人|来自|号码|发送方|from|sender|时间|日期|发送时间|接收时间|date|time|sent|received)"
    r"\s*[:：]\s*(?P<value>.+)",
    re.IGNORECASE,
)
_NUMBER_LABELS = {"发件人", "发信人", "来自", "号码", "发送方", "from", "sender"}
_NUMBER_FIRST = re.compile(r"(?P<number>\+?[\d\s\-]{3,20}?\d)\s+(?P<rest>\S.*)")
_HEADER_LINES = 3  # at most this many lines above the message are read as its header


@dataclass(frozen=True, slots=True)
class PastedSms:
    content: str
    organisation: str | None = None
    address: str | None = None
    when: When | None = None


def read_pasted_sms(text: str, *, tz: tzinfo, now: datetime) -> PastedSms:
    """Split a pasted SMS into its header (number, time) and message. Raises UsageError
    when nothing but a header was pasted."""
    lines = text.strip().splitlines()
    address: str | None = None
    when: When | None = None
    body_start = 0
    for i, line in enumerate(lines[:_HEADER_LINES]):
        found = _header_line(line.strip(), tz=tz, now=now)
        if found is None:
            break
        address = found[0] or address
        when = found[1] or when
        body_start = i + 1
    body = lines[body_start:]
    if body and when is None and len(body) > 1:  # the time after the message
        trailing = _header_line(body[-1].strip(), tz=tz, now=now)
        if trailing is not None and trailing[0] is None and trailing[1] is not None:
            when, body = trailing[1], body[:-1]
    content = "\n".join(body).strip()
    if not content:
        raise UsageError("paste.empty")
    signature = _SIGNATURE.search(content)
    organisation = (signature.group("a") or signature.group("b")).strip() if signature else None
    return PastedSms(content, organisation or None, address, when)


def _header_line(line: str, *, tz: tzinfo, now: datetime) -> tuple[str | None, When | None] | None:
    """(number, time) when ``line`` is a header line, else None."""
    if not line:
        return None
    labelled = _LABEL.fullmatch(line)
    if labelled:
        value = labelled.group("value").strip()
        if labelled.group("label").lower() in _NUMBER_LABELS:
            return (value, None) if looks_like_phone(value) else None
        moment = _moment(value, tz=tz, now=now)
        return (None, moment) if moment else None
    if looks_like_phone(line):
        return line, None
    moment = _moment(line, tz=tz, now=now)
    if moment:
        return None, moment
    split = _NUMBER_FIRST.fullmatch(line)
    if split and looks_like_phone(split.group("number")):
        moment = _moment(split.group("rest"), tz=tz, now=now)
        if moment:
            return split.group("number").strip(), moment
    return None


def _moment(text: str, *, tz: tzinfo, now: datetime) -> When | None:
    try:
        return parse_when(text, tz=tz, now=now)
    except UsageError:
        return None
