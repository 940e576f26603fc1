"""iPhone Messages: ``sms.db`` (the same schema as a Mac's ``chat.db``), SMS and iMessage.

Tables read (published schema, as iOS 11-18 write it; columns that an older or newer
iOS lacks read as NULL): ``message`` (text, attributedBody, date, is_from_me, service,
item_type, associated_message_type, date_retracted, date_edited, error...), ``handle``
(the other party's number or address), ``chat`` with ``chat_message_join`` and
``chat_handle_join`` (conversations, group names and members), ``attachment`` with
``message_attachment_join``. Rows are read in ``ROWID`` order through one cursor, so
memory does not grow with the database. Field mapping and what is left out:
docs/import-formats.md.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import FormatError
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft, Direction, Outcome
from evidence_locker.parsing.phones import normalise_address_text

from . import _sqlite
from ._common import Importer, Rejected, TooLarge, file_sha256
from .apple import BadArchive, apple_time, attributed_text

if TYPE_CHECKING:
    from .iphone_folder import Backup

# (column, kind): "text"/"blob" values are cut in SQL at the bound (see _sqlite.pick).
_MESSAGE_COLUMNS = (
    ("guid", "value"),
    ("text", "text"),
    ("attributedBody", "blob"),
    ("subject", "text"),
    ("date", "value"),
    ("is_from_me", "value"),
    ("service", "value"),
    ("error", "value"),
    ("item_type", "value"),
    ("group_title", "text"),
    ("associated_message_type", "value"),
    ("is_audio_message", "value"),
    ("date_retracted", "value"),
    ("date_edited", "value"),
    ("cache_has_attachments", "value"),
)
# message.associated_message_type: tapbacks (2000-2005) and their removal (3000-3005).
TAPBACKS = {
    0: "loved",
    1: "liked",
    2: "disliked",
    3: "laughed at",
    4: "emphasised",
    5: "questioned",
}
# message.item_type other than 0: conversation events, not words anyone wrote.
ITEM_EVENTS = {1: "participant change", 2: "group renamed", 3: "group event", 4: "location shared"}
_CHAT_COLUMNS = (
    ("ROWID", "value"),
    ("chat_identifier", "text"),
    ("display_name", "text"),
    ("style", "value"),
)
_NO_CHAT = (
    "NULL AS chat_ROWID, NULL AS chat_chat_identifier, NULL AS chat_display_name,"
    " NULL AS chat_style"
)
GROUP_STYLE = 43  # chat.style: 43 group, 45 one-to-one
_OBJECT_REPLACEMENT = "\ufffc"  # where an attachment sits in the text


class SmsDbReader:
    """Yields one draft (or rejection) per row of ``message``."""

    def __init__(self, importer: Importer, conn: sqlite3.Connection, backup: Backup | None) -> None:
        self.importer = importer
        self.conn = conn
        self.backup = backup
        self.options = importer.options
        label = importer.part[0] if importer.part else importer.file_name
        have = _sqlite.tables(conn)
        if not {"message", "handle"} <= have:
            raise FormatError("import.not_sms_db", file=label)
        self.label = label
        self.has_chats = {"chat", "chat_message_join"} <= have
        self.has_attachments = {"attachment", "message_attachment_join"} <= have
        self.members = self._members() if "chat_handle_join" in have and self.has_chats else {}

    def _members(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        rows = self.conn.execute(
            "SELECT j.chat_id, h.id FROM chat_handle_join j JOIN handle h ON h.ROWID = j.handle_id"
        )
        for chat_id, handle in rows:
            if isinstance(handle, str) and handle:
                out.setdefault(int(chat_id), []).append(
                    normalise_address_text(handle, self.options.region)
                )
        return out

    def _query(self) -> str:
        picked = _sqlite.pick(_sqlite.columns(self.conn, "message"), _MESSAGE_COLUMNS, "m")
        if not self.has_chats:
            chat, join = _NO_CHAT, ""
        else:
            have = _sqlite.columns(self.conn, "chat")
            chat = ", ".join(_sqlite.pick(have, _CHAT_COLUMNS, "c", prefix="chat_"))
            # A message in several chats (rare) is read once, with its first chat.
            join = (
                " LEFT JOIN (SELECT message_id, min(chat_id) AS chat_id FROM chat_message_join"
                " GROUP BY message_id) j ON j.message_id = m.ROWID"
                " LEFT JOIN chat c ON c.ROWID = j.chat_id"
            )
        return (
            f"SELECT m.ROWID AS rowid, {', '.join(picked)}, h.id AS handle, {chat} "
            f"FROM message m LEFT JOIN handle h ON h.ROWID = m.handle_id{join} ORDER BY m.ROWID"
        )

    def entries(self) -> Iterator[ContactDraft | Rejected]:
        try:
            total = self.conn.execute("SELECT count(*) FROM message").fetchone()[0]
            cursor = self.conn.execute(self._query(), {"limit": self.options.max_text_chars * 4})
            cursor.row_factory = sqlite3.Row
            for done, row in enumerate(cursor, start=1):
                self.importer.rows_read = (done, total)
                entry = f"message {row['rowid']}"
                try:
                    yield self._draft(row, entry)
                except TooLarge as exc:
                    yield exc.rejected(entry, None)
        except sqlite3.Error as exc:
            raise FormatError("import.bad_sqlite", file=self.label, detail=str(exc)) from exc

    def _draft(self, row: sqlite3.Row, entry: str) -> ContactDraft | Rejected:
        when = apple_time(row["date"], self.importer.zone)
        if when is None:
            return Rejected(entry, None, "import.bad_date", {"value": str(row["date"])})
        for column in ("text", "subject", "group_title"):
            if row[f"{column}_len"] and row[column] is None:
                raise TooLarge(column, row[f"{column}_len"], self.options.max_text_chars)
        notes: list[str] = []
        text = row["text"] if isinstance(row["text"], str) and row["text"] else None
        if text is None and row["attributedBody_len"]:
            text = self._from_attributed(row, notes)
        if text:
            text = text.replace(_OBJECT_REPLACEMENT, "").strip() or None
        text = self.importer.bound_text("text", text)
        chat_id = row["chat_ROWID"]
        chat_name = _short(row["chat_chat_identifier"])
        chat_title = _short(row["chat_display_name"])
        group = row["chat_style"] == GROUP_STYLE
        handle = row["handle"] if isinstance(row["handle"], str) and row["handle"] else None
        outgoing = bool(row["is_from_me"])
        address = normalise_address_text(handle, self.options.region) if handle else None
        if address is None and chat_name and not group:
            address = normalise_address_text(chat_name, self.options.region)
        members = self.members.get(chat_id, []) if chat_id is not None else []
        if group:
            notes.append(f"Group chat: {chat_title or chat_name}")
            if members:
                notes.append("Members: " + ", ".join(members))
            if outgoing:
                address = chat_name or None
        service = row["service"] if isinstance(row["service"], str) else "SMS"
        imessage = service.lower() == "imessage"
        if not imessage and service.upper() != "SMS":
            notes.append(f"Service: {service}")
        self._events(row, notes)
        attachments, attachment_notes = self._attachments(row)
        notes.extend(attachment_notes)
        if row["is_audio_message"]:
            notes.append("Audio message")
        if not text and not attachments and not notes:
            return Rejected(entry, None, "import.empty_entry")
        return self.importer.draft(
            entry=entry,
            fingerprint=self.importer.fingerprint("imessage", row["guid"] or entry),
            channel=Channel.MESSAGE if imessage else Channel.SMS,
            app="imessage" if imessage else None,
            occurred_at=when,
            direction=Direction.OUTGOING if outgoing else Direction.INCOMING,
            outcome=Outcome.FAILED if row["error"] else Outcome.CONNECTED,
            counterpart=chat_title or None,
            address=address,
            subject=row["subject"] if isinstance(row["subject"], str) and row["subject"] else None,
            content=text,
            notes="\n".join(notes) or None,
            attachments=tuple(attachments),
        )

    def _from_attributed(self, row: sqlite3.Row, notes: list[str]) -> str | None:
        blob = row["attributedBody"]
        if blob is None:  # longer than the bound
            raise TooLarge(
                "attributedBody", row["attributedBody_len"], self.options.max_text_chars * 4
            )
        try:
            return attributed_text(bytes(blob))
        except BadArchive as exc:
            notes.append(f"attributedBody could not be read ({exc}); kept in the source only")
            return None

    def _events(self, row: sqlite3.Row, notes: list[str]) -> None:
        item = row["item_type"] or 0
        if item:
            what = ITEM_EVENTS.get(item, f"item type {item}")
            if item == 2 and row["group_title"]:
                what += f" to “{row['group_title']}”"
            notes.append(f"Conversation event: {what}")
        kind = row["associated_message_type"] or 0
        if 2000 <= kind <= 2005:
            notes.append(f"Reaction: {TAPBACKS[kind - 2000]} a message")
        elif 3000 <= kind <= 3005:
            notes.append(f"Reaction removed: {TAPBACKS[kind - 3000]}")
        retracted = apple_time(row["date_retracted"], self.importer.zone)
        if retracted is not None:
            notes.append(f"Unsent by the sender at {retracted.isoformat()}")
        edited = apple_time(row["date_edited"], self.importer.zone)
        if edited is not None:
            notes.append(f"Edited at {edited.isoformat()} (the text is the last version)")

    def _attachments(self, row: sqlite3.Row) -> tuple[list[AttachmentDraft], list[str]]:
        if not (self.has_attachments and row["cache_has_attachments"]):
            return [], []
        files: list[AttachmentDraft] = []
        notes: list[str] = []
        found = self.conn.execute(
            "SELECT a.filename, a.transfer_name, a.mime_type FROM message_attachment_join j"
            " JOIN attachment a ON a.ROWID = j.attachment_id"
            " WHERE j.message_id = ? ORDER BY a.ROWID",
            (row["rowid"],),
        )
        for stored, transfer, mime in found:
            name = _base_name(transfer) or _base_name(stored) or "attachment"
            try:
                data = self._attachment_bytes(stored)
            except TooLarge as exc:  # the message is kept; only the file is left out
                notes.append(f"Attachment {name}: {exc.size} bytes, over the limit; not imported")
                continue
            if data is None:
                notes.append(f"Attachment {name}: not in the backup ({stored or 'no path'})")
                continue
            files.append(
                self.importer.bound_attachment(
                    AttachmentDraft(
                        name=name, data=data, mime=mime if isinstance(mime, str) else None
                    )
                )
            )
        return files, notes

    def _attachment_bytes(self, stored: Any) -> bytes | None:
        """A message's file from the backup: ``~/Library/SMS/Attachments/...`` in sms.db is
        ``Library/SMS/Attachments/...`` in the backup's MediaDomain."""
        if self.backup is None or not isinstance(stored, str):
            return None
        start = stored.find("Library/SMS/")
        if start < 0:
            return None
        return self.importer.attachment(stored[start:])  # type: ignore[attr-defined,no-any-return]


def _short(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _base_name(path: Any) -> str | None:
    if not isinstance(path, str) or not path.strip():
        return None
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or None


class SmsDbImporter(_sqlite.DatabaseFileImporter):
    """A bare ``sms.db`` (or a Mac's ``chat.db``) given as a file: no attachments reachable."""

    name = "iphone-sms"
    reader = SmsDbReader


__all__ = ["SmsDbImporter", "SmsDbReader", "file_sha256"]
