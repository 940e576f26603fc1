"""QQ chat exports: the TXT file QQ's own message manager writes, and the JSON file of
QQ Chat Exporter (shuakami/qq-chat-exporter, the common exporter for the new QQ).

TXT (UTF-8, often with BOM; CRLF): a title line
``消息记录（此消息记录为文本格式，不支持重新导入）``, then per conversation a block
``消息分组:我的好友`` / ``消息对象:张三`` between lines of ``=``, then messages: a
header line ``2025-02-09 10:00:00 昵称(QQ号)`` (or ``昵称<邮箱>``, or only a name in
older versions; group roles as ``【管理员】昵称(QQ号)``) and the text on the lines
below, up to the next header. Media are placeholders (``[图片]``, ``[表情]``).

JSON (QCE v4): ``{"metadata", "chatInfo": {"name", "type"}, "statistics", "messages": [
{"id", "seq", "timestamp" (ms), "sender": {"uid", "uin", "name", "remark"}, "type",
"content": {"text", "elements", "resources": [{"type", "filename", "size", ...}]},
"recalled", "system"}]}``; read item by item with ijson, so memory does not grow with
the file.

Neither format says which messages are the user's: ``own_addresses`` (``--own-address``)
names the user's QQ number(s). QQ numbers become ``qq:<number>`` addresses, so that a
10- or 11-digit number is never mistaken for a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from evidence_locker.errors import FormatError
from evidence_locker.model import Channel, ContactDraft, Direction, Outcome

from ._common import Importer, ItemBound, Rejected, TooLarge, epoch_millis
from .csv_import import detect_encoding

TXT_TITLE = "消息记录（此消息记录为文本格式，不支持重新导入）"
_HEADER = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}:\d{2})\s+(?:【([^】]*)】)?(.*?)"
    r"(?:\((\d{4,12})\)|<([^<>\s]+@[^<>\s]+)>)?\s*$"
)
_CHAT = re.compile(r"^消息对象[:：](.*)$")
_GROUP_LABEL = re.compile(r"^消息分组[:：](.*)$")
SYSTEM_QQ = "10000"  # the "系统消息" sender
MAX_MESSAGE_LINES = 20_000


def looks_like_qq_txt(text: str) -> bool:
    """QQ's title line, or a conversation block followed by a message header."""
    if TXT_TITLE in text[:200]:
        return True
    lines = text.splitlines()[:40]
    return any(_CHAT.match(x) for x in lines) and any(_HEADER.match(x) for x in lines)


def qq_address(number: str | None) -> str | None:
    return f"qq:{number}" if number else None


class _QQBase(Importer):
    def _own(self, number: str | None, email: str | None) -> bool:
        own = {a.strip().lower().removeprefix("qq:") for a in self.options.own_addresses}
        return bool((number and number in own) or (email and email.lower() in own))

    def _notes_for(self, text: str, notes: list[str]) -> None:
        if "撤回了一条消息" in text:
            notes.append("QQ: a message was recalled")
        for placeholder, what in (("[图片]", "picture"), ("[语音]", "voice message")):
            if placeholder in text:
                notes.append(f"QQ {what}: only a placeholder is in the export")


class QQTxtImporter(_QQBase):
    """QQ's own TXT export (see the module docstring)."""

    name = "qq-txt"

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        with self.open_input() as fh:
            encoding = detect_encoding(fh.read(64 * 1024))
            fh.seek(0)
            chat, group_label = "", ""
            pending: tuple[int, re.Match[str]] | None = None
            body: list[str] = []
            for number, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode(encoding).rstrip("\r\n").lstrip("\ufeff")
                except UnicodeDecodeError as exc:
                    raise FormatError(
                        "import.bad_encoding", file=self.file_name, line=number, encoding=encoding
                    ) from exc
                header = _HEADER.match(line)
                boundary = line.startswith("=====") or _CHAT.match(line) or _GROUP_LABEL.match(line)
                if header or boundary:
                    if pending is not None:
                        yield self._message(*pending, body, chat, group_label)
                    pending, body = (number, header) if header else None, []
                    if (found := _CHAT.match(line)) is not None:
                        chat = found.group(1).strip()
                    elif (found := _GROUP_LABEL.match(line)) is not None:
                        group_label = found.group(1).strip()
                    continue
                if pending is not None:
                    if len(body) >= MAX_MESSAGE_LINES:
                        raise FormatError(
                            "import.qq_message_too_long", file=self.file_name, line=number
                        )
                    body.append(line)
            if pending is not None:
                yield self._message(*pending, body, chat, group_label)

    def _message(
        self, line: int, header: re.Match[str], body: list[str], chat: str, group_label: str
    ) -> ContactDraft | Rejected:
        entry = f"line {line}"
        stamp, role, name, number, email = header.groups()
        try:
            when = datetime.strptime(" ".join(stamp.split()), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return Rejected(entry, line, "import.bad_date", {"value": stamp})
        while body and not body[-1].strip():
            body.pop()
        text = "\n".join(body).strip()
        notes: list[str] = []
        if chat:
            notes.append(f"QQ conversation: {chat}" + (f" ({group_label})" if group_label else ""))
        if role:
            notes.append(f"Group role: {role}")
        if number == SYSTEM_QQ:
            notes.append("QQ system message")
        self._notes_for(text, notes)
        try:
            content = self.bound_text("message", text or None)
        except TooLarge as exc:
            return exc.rejected(entry, line)
        mine = self._own(number, email)
        return self.draft(
            entry=entry,
            fingerprint=self._fingerprint("qq-txt", stamp, number or email or name, text),
            channel=Channel.MESSAGE,
            app="qq",
            occurred_at=when.replace(tzinfo=self.zone),
            direction=Direction.OUTGOING if mine else Direction.INCOMING,
            outcome=Outcome.CONNECTED,
            counterpart=(None if mine else name.strip() or None),
            address=None if mine else (qq_address(number) or email),
            content=content,
            notes="\n".join(notes) or None,
        )


class QQJsonImporter(_QQBase):
    """QQ Chat Exporter's JSON (see the module docstring)."""

    name = "qq-json"

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        import ijson

        with self.open_input() as fh:
            chat = self._chat_info(ItemBound(fh, self.options.max_message_bytes, self.file_name))
            fh.seek(0)
            bounded = ItemBound(fh, self.options.max_message_bytes, self.file_name)
            try:
                for index, item in enumerate(ijson.items(bounded, "messages.item"), start=1):
                    bounded.item()
                    yield self._message(item, index, chat)
            except ijson.JSONError as exc:
                raise FormatError("import.bad_json", file=self.file_name, detail=str(exc)) from exc

    def _chat_info(self, fh: Any) -> dict[str, Any]:
        """``chatInfo``'s name and type, read up to where the messages begin."""
        import ijson

        info: dict[str, Any] = {}
        try:
            for prefix, event, value in ijson.parse(fh):
                if prefix in ("chatInfo.name", "chatInfo.type") and event == "string":
                    info[prefix.removeprefix("chatInfo.")] = value
                elif prefix == "messages" and event == "start_array":
                    break
        except ijson.JSONError as exc:
            raise FormatError("import.bad_json", file=self.file_name, detail=str(exc)) from exc
        return info

    def _message(self, item: Any, index: int, chat: dict[str, Any]) -> ContactDraft | Rejected:
        entry = f"message #{index}"
        if not isinstance(item, dict):
            return Rejected(entry, None, "import.bad_message", {"detail": "not an object"})
        when = epoch_millis(item.get("timestamp"), self.zone)
        if when is None:
            return Rejected(entry, None, "import.bad_date", {"value": str(item.get("timestamp"))})
        sender = item.get("sender") if isinstance(item.get("sender"), dict) else {}
        number = str(sender.get("uin") or "") or None
        name = str(sender.get("remark") or sender.get("name") or "") or None
        content = item.get("content") if isinstance(item.get("content"), dict) else {}
        text = str(content.get("text") or "").strip()
        notes: list[str] = []
        if chat.get("name"):
            notes.append(f"QQ conversation: {chat.get('name')} ({chat.get('type', '')})")
        kind = str(item.get("type") or "")
        if kind and kind not in ("text", "reply"):
            notes.append(f"QQ type: {kind}")
        if item.get("recalled"):
            notes.append("QQ: recalled by the sender")
        if item.get("system"):
            notes.append("QQ system message")
        for resource in content.get("resources") or []:
            if isinstance(resource, dict):
                notes.append(
                    f"QQ {resource.get('type', 'file')}: {resource.get('filename', '')}"
                    f" ({resource.get('size', '?')} bytes; the file is not in the JSON)"
                )
        self._notes_for(text, notes)
        try:
            body = self.bound_text("text", text or None)
        except TooLarge as exc:
            return exc.rejected(entry, None)
        mine = self._own(number, None)
        key = str(item.get("id") or "") or None
        return self.draft(
            entry=entry,
            fingerprint=self._fingerprint("qq-json", key)
            if key
            else self._fingerprint("qq-json-row", item.get("timestamp"), number, text),
            channel=Channel.MESSAGE,
            app="qq",
            occurred_at=when,
            direction=Direction.OUTGOING if mine else Direction.INCOMING,
            outcome=Outcome.CONNECTED,
            counterpart=None if mine else name,
            address=None if mine else qq_address(number),
            content=body,
            notes="\n".join(notes) or None,
        )
