"""E-mail: single ``.eml`` files and ``mbox`` mailboxes, with the stdlib ``email`` package.

Headers are decoded from their raw form (RFC 2047 encoded-words, raw 8-bit UTF-8) with
GB2312/GBK labels read as GB18030; bodies go through :func:`decode_bytes`, HTML-only
bodies through :func:`html_to_text`. Every part that is not the body becomes an
attachment, and the original message bytes one more (``message.eml``), so the record
can always be checked against what the mail server delivered.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
import hashlib
import mimetypes
import re
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser

from evidence_locker.model import AttachmentDraft, Channel, ContactDraft, Direction

from ._common import Importer, Rejected, TooLarge
from ._text import decode_bytes, html_to_text

_PARSE_ERRORS = (
    ValueError,
    TypeError,
    LookupError,
    IndexError,
    AttributeError,
    UnicodeError,
    email.errors.MessageError,
)
_FROM_LINE_DATE = re.compile(rb"^From \S*\s+(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})")
_QUOTED_FROM = re.compile(rb"^>+From ")
# The stdlib parser recurses once per nested multipart (feedparser._parsegen), so a
# crafted message nested a thousand deep raised RecursionError and ended the whole mbox
# import. Nesting depth cannot exceed the number of multipart headers, which a regex
# counts without parsing; real mail has a handful (a digest is one container).
MAX_MIME_CONTAINERS = 100
_MULTIPART_HEADER = re.compile(rb"^content-type:\s*multipart/", re.IGNORECASE | re.MULTILINE)
_ANY_QUOTED_FROM = re.compile(rb"^>+From ", re.MULTILINE)


def decode_header_text(raw: str) -> str:
    """A header's readable text: raw 8-bit bytes and encoded-words decoded, folds joined."""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        raw = decode_bytes(raw.encode("utf-8", "surrogateescape"))
    raw = re.sub(r"\r?\n[ \t]+", " ", raw)
    if "=?" not in raw:
        return raw.strip()
    try:
        pieces = email.header.decode_header(raw)
    except (email.errors.HeaderParseError, ValueError, LookupError):
        return raw.strip()
    out: list[str] = []
    for data, charset in pieces:
        if isinstance(data, str):
            out.append(data)
        elif charset is None:
            out.append(data.decode("raw-unicode-escape", errors="replace"))
        else:
            out.append(decode_bytes(data, charset))
    return "".join(out).strip()


def _first_raw(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name:
            return str(value)
    return None


class _EmailBase(Importer):
    """Turns one message's bytes into a draft; subclasses split files into messages."""

    def _message(
        self, raw: bytes, entry: str, line: int | None, fallback_date: datetime | None
    ) -> ContactDraft | Rejected:
        if len(raw) > self.options.max_message_bytes:
            return TooLarge("message", len(raw), self.options.max_message_bytes).rejected(
                entry, line
            )
        too_deep = Rejected(entry, line, "import.mime_too_deep", {"limit": MAX_MIME_CONTAINERS})
        if len(_MULTIPART_HEADER.findall(raw)) > MAX_MIME_CONTAINERS:
            return too_deep
        try:
            msg = BytesParser(policy=policy.default).parsebytes(raw)
            return self._draft_from(msg, raw, entry, line, fallback_date)
        except TooLarge as exc:
            return exc.rejected(entry, line)
        except RecursionError:
            # Nesting the count above does not see (message/rfc822 chains, nested
            # comments in a header): the same verdict, for this message only.
            return too_deep
        except _PARSE_ERRORS as exc:
            return Rejected(entry, line, "import.bad_message", {"detail": type(exc).__name__})

    def _draft_from(
        self,
        msg: Message,
        raw: bytes,
        entry: str,
        line: int | None,
        fallback_date: datetime | None,
    ) -> ContactDraft | Rejected:
        header = {
            name: decode_header_text(value)
            for name in ("from", "to", "cc", "subject", "message-id", "date")
            if (value := _first_raw(msg, name)) is not None
        }
        message_id = header.get("message-id") or None
        label = f"Message-ID {message_id}" if message_id else entry
        when = _parse_date(header.get("date")) or fallback_date
        if when is None:
            return Rejected(label, line, "import.bad_date", {"value": header.get("date", "")})
        senders = email.utils.getaddresses([header.get("from", "")])
        recipients = email.utils.getaddresses([header.get("to", ""), header.get("cc", "")])
        sender_name, sender_addr = senders[0] if senders else ("", "")
        own = {a.lower() for a in self.options.own_addresses}
        direction = Direction.INCOMING
        name, address = sender_name, sender_addr
        if sender_addr.lower() in own:
            direction = Direction.OUTGOING
            first = next(((n, a) for n, a in recipients if a), ("", ""))
            name, address = first
        plain, html, attachments = self._walk(msg)
        body = plain if plain is not None else (html_to_text(html) if html is not None else None)
        if body:
            body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
        body = self.bound_text("body", body or None)
        attachments.append(AttachmentDraft(name="message.eml", data=raw, mime="message/rfc822"))
        notes = [f"{k.title()}: {header[k]}" for k in ("to", "cc") if header.get(k)]
        if message_id:
            notes.append(f"Message-ID: {message_id}")
        if message_id:
            # The header alone is not enough: mailers reuse Message-IDs for different mails.
            # The body's bytes (not the whole message: copies of one mail differ in the
            # Received/Status headers each mailbox adds) tell those apart.
            fingerprint = self._fingerprint(
                "email-content",
                message_id,
                header.get("date"),
                sender_addr.lower(),
                header.get("subject"),
                _body_digest(raw),
            )
        else:
            normal = raw.replace(b"\r\n", b"\n").strip()
            fingerprint = self._fingerprint("email-bytes", hashlib.sha256(normal).hexdigest())
        return self.draft(
            entry=label,
            fingerprint=fingerprint,
            channel=Channel.EMAIL,
            occurred_at=when,
            direction=direction,
            counterpart=name.strip() or None,
            address=address.strip().lower() or None,
            subject=self.bound_text("subject", header.get("subject") or None),
            content=body or None,
            notes="\n".join(notes) or None,
            attachments=tuple(attachments),
        )

    def _walk(self, msg: Message) -> tuple[str | None, str | None, list[AttachmentDraft]]:
        """First inline text/plain and text/html bodies, and every other leaf as a file."""
        plain: str | None = None
        html: str | None = None
        attachments: list[AttachmentDraft] = []
        stack: list[Message] = [msg]
        while stack:
            part = stack.pop(0)
            ctype = part.get_content_type()
            if part.is_multipart() and ctype != "message/rfc822":
                payload = part.get_payload()
                if isinstance(payload, list):
                    stack[0:0] = [p for p in payload if isinstance(p, Message)]
                continue
            filename = _filename(part)
            # Some mailers name the body part (``name="msg.1"``) without any
            # Content-Disposition: only an explicit "attachment" keeps text out of the body.
            # A named body is also kept as the file it was named as.
            if ctype in ("text/plain", "text/html") and (
                part.get_content_disposition() != "attachment"
            ):
                data = part.get_payload(decode=True)
                text = decode_bytes(
                    data if isinstance(data, bytes) else b"", part.get_content_charset()
                )
                if ctype == "text/plain" and plain is None:
                    plain = text
                    if not filename:
                        continue
                elif ctype == "text/html" and html is None:
                    html = text
                    if not filename:
                        continue
            if ctype == "message/rfc822":
                inner = part.get_payload()
                first = inner[0] if isinstance(inner, list) and inner else None
                data = first.as_bytes() if isinstance(first, Message) else b""
            else:
                decoded = part.get_payload(decode=True)
                data = decoded if isinstance(decoded, bytes) else b""
            if not data and not filename:
                continue  # an empty leaf that is not even named carries nothing
            name = filename or _default_name(len(attachments) + 1, ctype)
            attachments.append(
                self.bound_attachment(AttachmentDraft(name=name, data=data, mime=ctype))
            )
        return plain, html, attachments


def _body_digest(raw: bytes) -> str:
    """SHA-256 of a message's body bytes (after the header block), line ends as LF and
    ``>From `` quoting removed (mbox flavours quote differently; a saved .eml not at all)."""
    normal = raw.replace(b"\r\n", b"\n")
    _, _, body = normal.partition(b"\n\n")
    return hashlib.sha256(_ANY_QUOTED_FROM.sub(b"From ", body.strip())).hexdigest()


def _split_params(value: str) -> dict[str, str]:
    """``attachment; filename="a;b.txt"; size=3`` -> ``{"filename": "a;b.txt", "size": "3"}``."""
    params: dict[str, str] = {}
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    for item in items[1:]:
        name, sep, val = item.partition("=")
        if sep and name.strip():
            params.setdefault(name.strip().lower(), val.strip())
    return params


def _rfc2231(value: str, charset: str | None = None) -> tuple[bytes, str | None]:
    """Percent-decoded bytes of an extended value, and its charset if it names one."""
    if charset is None and value.count("'") >= 2:
        charset, _lang, value = value.split("'", 2)
    return urllib.parse.unquote_to_bytes(value), charset or None


def _param(raw: str | None, base: str) -> str | None:
    """A file-name parameter, preferring ``x*`` (RFC 2231/6266), then ``x``, then ``x*0..n``."""
    if not raw:
        return None
    params = _split_params(re.sub(r"\r?\n[ \t]+", " ", raw))
    if base + "*" in params:
        data, charset = _rfc2231(params[base + "*"])
        return decode_bytes(data, charset)
    if base in params:
        return decode_header_text(params[base])
    pieces: list[tuple[int, str, bool]] = []
    for key, val in params.items():
        match = re.fullmatch(re.escape(base) + r"\*(\d+)(\*?)", key)
        if match:
            pieces.append((int(match.group(1)), val, bool(match.group(2))))
    if not pieces:
        return None
    pieces.sort()
    data = b""
    charset: str | None = None
    for index, val, encoded in pieces:
        if encoded:
            chunk, found = _rfc2231(val, charset if index else None)
            charset = charset or found
            data += chunk
        else:
            data += val.encode("utf-8", "surrogateescape")
    return decode_bytes(data, charset)


def _filename(part: Message) -> str | None:
    name = _param(_first_raw(part, "content-disposition"), "filename") or _param(
        _first_raw(part, "content-type"), "name"
    )
    if not name:
        fallback = part.get_filename()
        name = decode_header_text(str(fallback)) if fallback else None
    if not name:
        return None
    return name.replace("/", "_").replace("\\", "_").strip() or None


def _default_name(index: int, ctype: str) -> str:
    ext = mimetypes.guess_extension(ctype) or ".bin"
    return f"attachment-{index}{ext}"


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": the sender did not know its offset; the instant is UTC
        when = when.replace(tzinfo=UTC)
    return when


class EmlImporter(_EmailBase):
    """One RFC 5322 message per file."""

    name = "eml"

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        size = self.path.stat().st_size
        if size > self.options.max_message_bytes:
            yield TooLarge("message", size, self.options.max_message_bytes).rejected("message", 1)
            return
        yield self._message(self.path.read_bytes(), "message", 1, None)


class MboxImporter(_EmailBase):
    """A mailbox of messages separated by ``From `` lines, read line by line."""

    name = "mbox"

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        index = 0
        lines: list[bytes] = []
        size = 0
        too_big = False
        start_line = 0
        from_date: datetime | None = None
        previous_blank = True
        with self.open_input() as fh:
            for number, line in enumerate(fh, start=1):
                if line.startswith(b"From ") and (previous_blank or _FROM_LINE_DATE.match(line)):
                    if index:
                        yield self._finish(lines, index, start_line, from_date, too_big, size)
                    index += 1
                    lines, size, too_big = [], 0, False
                    start_line = number
                    from_date = self._from_line_date(line)
                    previous_blank = False
                    continue
                previous_blank = not line.strip()
                if index == 0:
                    if line.strip():
                        from evidence_locker.errors import FormatError

                        raise FormatError("import.not_mbox", file=self.file_name, line=number)
                    continue
                size += len(line)
                if size > self.options.max_message_bytes:
                    too_big, lines = True, []
                elif not too_big:
                    lines.append(line[1:] if _QUOTED_FROM.match(line) else line)
            if index:
                yield self._finish(lines, index, start_line, from_date, too_big, size)

    def _finish(
        self,
        lines: list[bytes],
        index: int,
        start_line: int,
        from_date: datetime | None,
        too_big: bool,
        size: int,
    ) -> ContactDraft | Rejected:
        entry = f"message #{index}"
        if too_big:
            return TooLarge("message", size, self.options.max_message_bytes).rejected(
                entry, start_line
            )
        if lines and not lines[-1].strip():
            lines = lines[:-1]  # the blank line that separates messages belongs to the mbox
        return self._message(b"".join(lines), entry, start_line, from_date)

    def _from_line_date(self, line: bytes) -> datetime | None:
        match = _FROM_LINE_DATE.match(line)
        if not match:
            return None
        try:
            naive = datetime.strptime(match.group(1).decode("ascii"), "%a %b %d %H:%M:%S %Y")
        except ValueError:
            return None
        return naive.replace(tzinfo=self.zone)


__all__ = ["EmlImporter", "MboxImporter", "decode_header_text"]
