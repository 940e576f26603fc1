"""WeChat chat exports as CSV: PyWxDump's layout (and tools that reuse its columns).

Read with the CSV machinery of :mod:`.csv_import` (encoding detection, line numbers).
Field mapping: docs/import-formats.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from evidence_locker.errors import FormatError
from evidence_locker.model import Channel, ContactDraft, Direction, Outcome

from ._common import Rejected, TooLarge
from ._text import html_to_text
from .csv_import import _CsvBase


class WeChatCsvImporter(_CsvBase):
    """PyWxDump's CSV: ``id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime``."""

    name = "wechat-csv"
    REQUIRED: ClassVar[tuple[str, ...]] = ("is_sender", "talker", "room_name", "msg", "CreateTime")
    TEXT_TYPES: ClassVar[tuple[str, ...]] = ("文本", "引用回复", "")

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        columns: dict[str, int] | None = None
        for line, cells in self._rows():
            if columns is None:
                columns = {name.strip().lstrip("\ufeff"): i for i, name in enumerate(cells)}
                for required in self.REQUIRED:
                    if required not in columns:
                        raise FormatError(
                            "import.missing_column",
                            file=self.file_name,
                            column=required,
                            field=required,
                            header=",".join(cells)[:200],
                        )
                continue
            if not any(c.strip() for c in cells):
                continue
            yield self._row(columns, line, cells)
        if columns is None:
            raise FormatError("import.empty_csv", file=self.file_name)

    def _row(
        self, columns: Mapping[str, int], line: int, cells: list[str]
    ) -> ContactDraft | Rejected:
        entry = f"line {line}"
        needed = max(columns[name] for name in self.REQUIRED) + 1
        if len(cells) < needed:
            return Rejected(
                entry, line, "import.short_row", {"cells": len(cells), "needed": needed}
            )

        def cell(name: str) -> str:
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        raw_when = cell("CreateTime")
        try:
            when = self._parse_when(raw_when)
        except (ValueError, OverflowError, OSError):
            return Rejected(entry, line, "import.bad_date", {"value": raw_when})
        sender = cell("is_sender")
        if sender not in ("0", "1"):
            return Rejected(entry, line, "import.bad_direction", {"value": sender})
        direction = Direction.OUTGOING if sender == "1" else Direction.INCOMING
        kind, msg, src = (
            cell("type_name"),
            cells[columns["msg"]],
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
        try:
            content = self.bound_text("msg", content)
        except TooLarge as exc:
            return exc.rejected(entry, line)
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
        )
