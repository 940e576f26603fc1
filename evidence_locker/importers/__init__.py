"""Import parsers: export files in, :class:`~evidence_locker.model.ContactDraft` out.

Pure functions of a file and :class:`ImportOptions`; nothing here touches a database.
The Locker runs one import in one transaction: ``iter_drafts`` may raise
:class:`~evidence_locker.errors.FormatError` after having yielded earlier drafts (a
truncated backup is only found broken at its end), and the Locker then rolls back.

Usage::

    importer = open_importer(path, options=ImportOptions(region="CN"))
    for item in importer.iter_drafts():
        if isinstance(item, Rejected): ...
        elif matches(item, options.filters): ...
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from evidence_locker.errors import FormatError, NotFound, UsageError
from evidence_locker.model import ContactDraft
from evidence_locker.parsing.phones import national_digits, normalise_address_text

from ._common import Filters, Importer, ImportOptions, Rejected, parse_column_map

__all__ = [
    "FORMATS",
    "Filters",
    "ImportOptions",
    "Importer",
    "Rejected",
    "detect_format",
    "matches",
    "normalise_address_text",
    "open_importer",
    "parse_column_map",
]

FORMATS = ("sms-backup", "eml", "mbox", "csv", "wechat-csv", "gvoice-html")
_SNIFF_BYTES = 16 * 1024
_EMAIL_HEADERS = (
    b"from:",
    b"to:",
    b"subject:",
    b"date:",
    b"message-id:",
    b"received:",
    b"return-path:",
    b"mime-version:",
    b"delivered-to:",
    b"content-type:",
)
WECHAT_COLUMNS = ("MsgSvrID", "is_sender", "CreateTime")


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format of ``path`` judged by its first bytes, never by its extension."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except FileNotFoundError as exc:
        raise NotFound("import.no_file", file=str(path)) from exc
    except OSError as exc:
        raise FormatError("import.unreadable", file=p.name, detail=str(exc)) from exc
    for bom in (b"\xef\xbb\xbf",):
        if head.startswith(bom):
            head = head[len(bom) :]
    lower = head.lower()
    stripped = lower.lstrip()
    if stripped.startswith(b"<"):
        if b"<smses" in lower or b"<calls" in lower:
            return "sms-backup"
        if b"hchatlog" in lower or b'class="haudio"' in lower or b"google.com/voice" in lower:
            return "gvoice-html"
    if head.startswith(b"From ") and b"\n" in head:
        return "mbox"
    if _looks_like_email(head):
        return "eml"
    text = _sniff_text(head)
    if text is not None:
        first = text.splitlines()[0] if text.splitlines() else ""
        if all(col in first for col in WECHAT_COLUMNS):
            return "wechat-csv"
        if any(sep in first for sep in (",", "\t", ";", "|")) and "<" not in first[:1]:
            return "csv"
    raise FormatError("import.unknown_format", file=p.name)


def _looks_like_email(head: bytes) -> bool:
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    known = 0
    for line in lines[:60]:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue  # folded continuation
        name, colon, _ = line.partition(b":")
        if not colon or not name or b" " in name.strip():
            return False
        if line.lower().startswith(_EMAIL_HEADERS):
            known += 1
    return known >= 2


def _sniff_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    for codec in ("utf-8", "gb18030"):
        try:
            return head.decode(codec)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut by the sniff window
                return head[: exc.start].decode(codec)
    return None


def open_importer(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    options: ImportOptions | None = None,
) -> Importer:
    """The importer for ``path``: ``format`` if given, else the detected one."""
    from .csv_import import CsvImporter, WeChatCsvImporter
    from .email_import import EmlImporter, MboxImporter
    from .gvoice import GoogleVoiceImporter
    from .sms_backup import SmsBackupImporter

    classes: dict[str, type[Importer]] = {
        "sms-backup": SmsBackupImporter,
        "eml": EmlImporter,
        "mbox": MboxImporter,
        "csv": CsvImporter,
        "wechat-csv": WeChatCsvImporter,
        "gvoice-html": GoogleVoiceImporter,
    }
    name = format or detect_format(path)
    if name not in classes:
        raise UsageError("import.bad_format", format=name, known=", ".join(FORMATS))
    return classes[name](path, options or ImportOptions())


def matches(draft: ContactDraft, filters: Filters) -> bool:
    """Whether ``draft`` passes the user's filters (counted as "skipped by filter" if not)."""
    if filters.empty:
        return True
    if filters.since and draft.occurred_at < filters.since:
        return False
    if filters.until and draft.occurred_at > filters.until:
        return False
    if filters.addresses and not _address_matches(draft.address, filters.addresses):
        return False
    if filters.names:
        who = (draft.counterpart or "").casefold()
        if not any(n.casefold() in who for n in filters.names):
            return False
    if filters.keywords:
        text = "\n".join(x for x in (draft.subject, draft.content, draft.counterpart) if x)
        text = text.casefold()
        if not any(k.casefold() in text for k in filters.keywords):
            return False
    return True


def _address_matches(address: str | None, patterns: tuple[str, ...]) -> bool:
    if not address:
        return False
    forms = {address.casefold(), address.lstrip("+")}
    national = national_digits(address)
    if national:
        forms.add(national)
    for pattern in patterns:
        pat = pattern.strip().casefold()
        if not any(ch in pat for ch in "*?["):
            pat_forms = {pat, normalise_address_text(pattern).casefold()}
            if forms & pat_forms:
                return True
            continue
        if any(fnmatch.fnmatchcase(form, pat) for form in forms):
            return True
    return False
