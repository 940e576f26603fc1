"""WeChat chat exports as CSV, as the two most used exporters write them.

- PyWxDump: ``id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime``.
- WeChatMsg / 留痕 (UTF-8 with BOM): ``localId,TalkerId,Type,SubType,IsSender,CreateTime,
  Status,StrContent,StrTime`` and, since its 2.0, ``Remark,NickName,Sender`` (in a group
  chat the sender of each message, in a one-to-one chat the contact or the user).

Read with the CSV machinery of :mod:`.csv_import` (encoding detection, line numbers).
Field mapping and the type codes: docs/import-formats.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import ClassVar

from evidence_locker.errors import FormatError
from evidence_locker.model import Channel, ContactDraft, Direction, Outcome

from ._common import Rejected, TooLarge
from ._text import html_to_text
from .csv_import import _CsvBase


class _WeChatBase(_CsvBase):
    """A header row naming the exporter's columns, then one message per row."""

    REQUIRED: ClassVar[tuple[str, ...]] = ()

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        columns: dict[str, int] | None = None
        for line, cells in self._rows():
            if columns is None:
                columns = _header(cells, self.REQUIRED, self.file_name)
                continue
            if not any(c.strip() for c in cells):
                continue
            needed = max(columns[name] for name in self.REQUIRED) + 1
            if len(cells) < needed:
                yield Rejected(
                    f"line {line}",
                    line,
                    "import.short_row",
                    {"cells": len(cells), "needed": needed},
                )
                continue
            yield self._row(_Row(columns, cells), line)
        if columns is None:
            raise FormatError("import.empty_csv", file=self.file_name)

    def _row(self, cell: _Row, line: int) -> ContactDraft | Rejected:
        raise NotImplementedError

    def _when_and_way(
        self, line: int, when: str, sent: str
    ) -> Rejected | tuple[datetime, Direction]:
        """The row's time and direction (``sent`` is the exporter's 0/1), or why not."""
        entry = f"line {line}"
        try:
            moment = self._parse_when(when)
        except (ValueError, OverflowError, OSError):
            return Rejected(entry, line, "import.bad_date", {"value": when})
        if sent not in ("0", "1"):
            return Rejected(entry, line, "import.bad_direction", {"value": sent})
        return moment, Direction.OUTGOING if sent == "1" else Direction.INCOMING


class _Row:
    """One row's cells by column name: ``cell("CreateTime")`` (stripped, "" if absent),
    ``cell.raw("msg")`` (as written)."""

    __slots__ = ("cells", "columns")

    def __init__(self, columns: Mapping[str, int], cells: list[str]) -> None:
        self.columns, self.cells = columns, cells

    def __call__(self, name: str) -> str:
        return self.raw(name).strip()

    def raw(self, name: str) -> str:
        index = self.columns.get(name)
        return self.cells[index] if index is not None and index < len(self.cells) else ""


class WeChatCsvImporter(_WeChatBase):
    """PyWxDump's CSV: ``id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime``."""

    name = "wechat-csv"
    REQUIRED: ClassVar[tuple[str, ...]] = ("is_sender", "talker", "room_name", "msg", "CreateTime")
    TEXT_TYPES: ClassVar[tuple[str, ...]] = ("文本", "引用回复", "")

    def _row(self, cell: _Row, line: int) -> ContactDraft | Rejected:
        entry = f"line {line}"

        raw_when, sender = cell("CreateTime"), cell("is_sender")
        checked = self._when_and_way(line, raw_when, sender)
        if isinstance(checked, Rejected):
            return checked
        when, direction = checked
        kind, msg, src = (
            cell("type_name"),
            cell.raw("msg"),
            cell("src"),
        )
        room, talker = cell("room_name"), cell("talker")
        if kind in self.TEXT_TYPES:
            content = msg or None
        elif kind == "系统通知":
            content = html_to_text(msg) or None
        else:
            content = f"[{kind}]" + (f" {msg}" if msg and msg != kind and msg not in kind else "")
        notes = [f"WeChat type: {kind}"] if kind and kind != "文本" else []
        if src:
            notes.append(f"src: {src}")
        group = room.endswith("@chatroom")
        if group:
            notes.append(f"Group chat: {room}")
        attachments = []
        try:
            content = self.bound_text("msg", content)
            media = self.sibling_file(src) if src else None
        except TooLarge as exc:
            return exc.rejected(entry, line)
        if media is not None:
            attachments.append(media)
        elif src:
            notes.append("The file is not beside the export; only its name is kept")
        server_id = cell("MsgSvrID")
        if server_id and server_id != "0":
            fingerprint = self._fingerprint("wechat", server_id)
        else:
            fingerprint = self._fingerprint("wechat-row", raw_when, sender, talker, room, msg)
        return self.draft(
            entry=entry,
            fingerprint=fingerprint,
            channel=Channel.MESSAGE,
            app="wechat",
            occurred_at=when,
            direction=direction,
            outcome=Outcome.CONNECTED,
            counterpart=(talker if direction is Direction.INCOMING else None)
            if group
            else room or None,
            address=room or talker or None,
            content=content,
            notes="\n".join(notes) or None,
            attachments=tuple(attachments),
        )


# WeChat's message types (MSG.Type, and MSG.SubType for Type 49), as WeChatMsg writes them.
WECHAT_TYPES = {
    1: "文本", 3: "图片", 34: "语音", 42: "名片", 43: "视频", 47: "表情", 48: "位置",
    49: "应用消息", 50: "音视频通话", 10000: "系统消息", 10002: "系统消息",
}  # fmt: skip
WECHAT_APP_SUBTYPES = {
    5: "链接", 6: "文件", 8: "动画表情", 19: "聊天记录", 33: "小程序", 36: "小程序",
    51: "视频号", 57: "引用回复", 2000: "转账", 2001: "红包",
}  # fmt: skip
_TEXT_KINDS = ("文本", "引用回复")


class WeChatMsgCsvImporter(_WeChatBase):
    """WeChatMsg / 留痕: one conversation per file (see the module docstring)."""

    name = "wechatmsg-csv"
    REQUIRED: ClassVar[tuple[str, ...]] = ("Type", "IsSender", "CreateTime", "StrContent")

    def _row(self, cell: _Row, line: int) -> ContactDraft | Rejected:
        entry = f"line {line}"

        raw_when, mine = cell("CreateTime") or cell("StrTime"), cell("IsSender")
        checked = self._when_and_way(line, raw_when, mine)
        if isinstance(checked, Rejected):
            return checked
        when, direction = checked
        kind = _kind(cell("Type"), cell("SubType"))
        text = cell.raw("StrContent")
        notes = [f"WeChat type: {kind}"] if kind != "文本" else []
        content = _content(kind, text, notes)
        talker = cell("TalkerId")
        if talker:
            notes.append(f"WeChat conversation: TalkerId {talker}")
        incoming = direction is Direction.INCOMING
        sender = cell("Sender") if incoming else ""
        name = (cell("Remark") or cell("NickName")) if incoming else ""
        if incoming and not (name or sender) and kind != "系统消息":
            notes.append("The sender is not in the export (no contact)")
        try:
            content = self.bound_text("StrContent", content)
        except TooLarge as exc:
            return exc.rejected(entry, line)
        fingerprint = self._fingerprint(
            "wechatmsg", raw_when, mine, cell("Type"), cell("SubType"), sender, text
        )
        return self.draft(
            entry=entry,
            fingerprint=fingerprint,
            channel=Channel.MESSAGE,
            app="wechat",
            occurred_at=when,
            direction=direction,
            outcome=Outcome.CONNECTED,
            counterpart=name or None,
            address=sender or None,
            content=content,
            notes="\n".join(notes) or None,
        )


def _header(cells: list[str], required: tuple[str, ...], file_name: str) -> dict[str, int]:
    columns = {name.strip().lstrip("\ufeff"): i for i, name in enumerate(cells)}
    for name in required:
        if name not in columns:
            raise FormatError(
                "import.missing_column",
                file=file_name,
                column=name,
                field=name,
                header=",".join(cells)[:200],
            )
    return columns


def _kind(type_code: str, subtype: str) -> str:
    try:
        code, sub = int(type_code or 0), int(subtype or 0)
    except ValueError:
        return f"type {type_code}"
    if code == 49 and sub in WECHAT_APP_SUBTYPES:
        return WECHAT_APP_SUBTYPES[sub]
    return WECHAT_TYPES.get(code, f"type {code}")


def _content(kind: str, text: str, notes: list[str]) -> str | None:
    """What a message says: the text, a notice's words, or ``[图片]`` for media."""
    if kind in _TEXT_KINDS:
        return text or None
    if kind == "系统消息":
        return (html_to_text(text) if "<" in text else text.strip()) or None
    if kind == "语音":
        seconds = _voice_seconds(text)
        if seconds is not None:
            notes.append(f"Voice message: {seconds} s (the sound is not in a CSV export)")
        return "[语音]"
    plain = text.strip()
    if plain and not plain.startswith("<"):
        return f"[{kind}] {plain}"
    return f"[{kind}]"


def _voice_seconds(text: str) -> int | None:
    """``<msg><voicemsg voicelength="5000" .../></msg>``: the length, in seconds."""
    if "voicelength" not in text:
        return None
    from xml.etree.ElementTree import ParseError

    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        node = ElementTree.fromstring(text.strip()).find(".//voicemsg")
    except (ParseError, DefusedXmlException, ValueError):
        return None
    length = node.get("voicelength", "") if node is not None else ""
    return round(int(length) / 1000) if length.isdigit() else None
