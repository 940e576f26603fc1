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
from collections.abc import Callable
from pathlib import Path

from evidence_locker.errors import FormatError, NotFound, UsageError
from evidence_locker.model import ContactDraft
from evidence_locker.parsing.phones import national_digits, normalise_address_text

from ._common import Filters, Importer, ImportOptions, Rejected, parse_column_map
from ._sqlite import SQLITE_MAGIC

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
    "secrets_needed",
]

# format name -> (module, class), imported only when that format is used.
_CLASSES: dict[str, tuple[str, str]] = {
    "sms-backup": ("sms_backup", "SmsBackupImporter"),
    "eml": ("email_import", "EmlImporter"),
    "mbox": ("email_import", "MboxImporter"),
    "csv": ("csv_import", "CsvImporter"),
    "wechat-csv": ("wechat", "WeChatCsvImporter"),
    "wechatmsg-csv": ("wechat", "WeChatMsgCsvImporter"),
    "gvoice-html": ("gvoice", "GoogleVoiceImporter"),
    "iphone-backup": ("iphone_backup", "IphoneBackupImporter"),
    "iphone-sms": ("iphone_sms", "SmsDbImporter"),
    "iphone-calls": ("iphone_calls", "CallHistoryImporter"),
    "qq-txt": ("qq", "QQTxtImporter"),
    "qq-json": ("qq", "QQJsonImporter"),
    "calllog-json": ("calllog_json", "CallLogJsonImporter"),
    "imap": ("imap", "ImapImporter"),
}
FORMATS = tuple(_CLASSES)
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
WECHATMSG_COLUMNS = ("localId", "TalkerId", "IsSender", "StrContent")


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format of ``path`` judged by its content, never by its extension."""
    if isinstance(path, str) and path.lower().startswith(("imap://", "imaps://")):
        return "imap"
    p = Path(path)
    if p.is_dir():
        from .iphone_folder import is_backup_folder

        if is_backup_folder(p):
            return "iphone-backup"
        raise FormatError("import.unknown_folder", file=p.name)
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
    if head.startswith(SQLITE_MAGIC):
        return _sqlite_format(p)
    lower = head.lower()
    stripped = lower.lstrip()
    if stripped.startswith(b"<"):
        if b"<smses" in lower or b"<calls" in lower:
            return "sms-backup"
        if b"hchatlog" in lower or b'class="haudio"' in lower or b"google.com/voice" in lower:
            return "gvoice-html"
    if stripped.startswith(b"[") and b'"duration"' in head and b'"number"' in head:
        return "calllog-json"
    if stripped.startswith(b"{") and b'"chatInfo"' in head and b'"messages"' in head:
        return "qq-json"
    if head.startswith(b"From ") and b"\n" in head:
        return "mbox"
    if _looks_like_email(head):
        return "eml"
    text = _sniff_text(head)
    if text is not None:
        first = text.splitlines()[0] if text.splitlines() else ""
        if all(col in first for col in WECHAT_COLUMNS):
            return "wechat-csv"
        if all(col in first for col in WECHATMSG_COLUMNS):
            return "wechatmsg-csv"
        from .qq import looks_like_qq_txt

        if looks_like_qq_txt(text):
            return "qq-txt"
        if any(sep in first for sep in (",", "\t", ";", "|")) and "<" not in first[:1]:
            return "csv"
        from .csv_import import has_header_row

        if has_header_row(text.splitlines()):  # title lines above the header (carrier bills)
            return "csv"
    raise FormatError("import.unknown_format", file=p.name, known=", ".join(FORMATS))


def _sqlite_format(path: Path) -> str:
    """Which iPhone database a SQLite file is, by its tables."""
    from ._sqlite import open_file, tables

    conn = open_file(path, path.name)
    try:
        have = tables(conn)
    finally:
        conn.close()
    if {"message", "handle"} <= have:
        return "iphone-sms"
    if "ZCALLRECORD" in have:
        return "iphone-calls"
    raise FormatError("import.unknown_format", file=path.name, known=", ".join(FORMATS))


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
    import importlib

    name = format or detect_format(path)
    if name not in _CLASSES:
        raise UsageError("import.bad_format", format=name, known=", ".join(FORMATS))
    module, cls = _CLASSES[name]
    importer: type[Importer] = getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    return importer(path, options or ImportOptions())


def secrets_needed(path: str | os.PathLike[str], format: str | None = None) -> tuple[str, ...]:
    """The secrets (``ImportOptions.secret`` keys) that importing ``path`` will ask for,
    so that a caller can ask for them before it starts drawing progress."""
    name = format or _quiet_format(path)
    if name == "imap":
        return ("imap_password",)
    if name == "iphone-backup":
        from .iphone_folder import is_encrypted

        return ("backup_password",) if is_encrypted(Path(path)) else ()
    return ()


def _quiet_format(path: str | os.PathLike[str]) -> str | None:
    try:
        return detect_format(path)
    except (FormatError, NotFound):
        return None  # the import itself will say what is wrong


def matches(
    draft: ContactDraft, filters: Filters, *, fold: Callable[[str], str] = str.casefold
) -> bool:
    """Whether ``draft`` passes the user's filters (counted as "skipped by filter" if not).

    ``fold`` normalises both sides of the name and keyword tests; the import passes the
    search normaliser, so that ``--keyword 還款`` finds 还款 exactly as ``search`` would.
    """
    if filters.empty:
        return True
    if filters.since and draft.occurred_at < filters.since:
        return False
    if filters.until and draft.occurred_at > filters.until:
        return False
    if filters.addresses and not _address_matches(draft.address, filters.addresses):
        return False
    if filters.names:
        who = fold(draft.counterpart or "")
        if not any(fold(n) in who for n in filters.names):
            return False
    if filters.keywords:
        text = "\n".join(x for x in (draft.subject, draft.content, draft.counterpart) if x)
        text = fold(text)
        if not any(fold(k) in text for k in filters.keywords):
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
