"""Spreadsheets: a generic CSV with a column map, and the PyWxDump WeChat export layout.

Read line by line with the stdlib ``csv`` module after detecting the encoding from the
first 64 KiB (BOM, else strict UTF-8, else GB18030, which Excel on Chinese Windows
writes). Carrier itemised bills (运营商通话详单) often put a title line or two above the
header row, so the header is the first row, among the first 20, that names the time.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from evidence_locker.errors import FormatError, UsageError
from evidence_locker.model import Channel, ContactDraft, Direction, Outcome
from evidence_locker.parsing.phones import normalise_address_text

from ._common import Importer, Rejected, TooLarge

FIELDS = (
    "occurred_at",
    "date",
    "time",
    "address",
    "counterpart",
    "content",
    "subject",
    "direction",
    "duration_s",
    "channel",
    "organisation",
    "outcome",
    "location",
    "notes",
    "ignore",
)

# Header names recognised without --map (compared case-insensitively, spaces removed).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "occurred_at": (
        "occurred_at", "datetime", "timestamp", "时间", "日期时间", "通话时间", "起始时间",
        "开始时间", "通话起始时间", "通信时间", "发送时间", "接收时间", "短信时间", "收发时间",
    ),
    "date": ("date", "日期", "通话日期"),
    "time": ("time", "时刻"),
    "address": (
        "address", "number", "phone", "phonenumber", "from", "sender", "对方号码", "号码",
        "对端号码", "电话号码", "手机号码", "联系电话", "对方电话", "发送方", "发件人号码",
    ),
    "counterpart": ("counterpart", "name", "contact", "contactname", "姓名", "联系人", "对方姓名"),
    "content": ("content", "body", "message", "text", "内容", "短信内容", "消息内容", "正文"),
    "subject": ("subject", "主题"),
    "duration_s": (
        "duration_s", "duration", "通话时长", "时长", "通信时长", "通话时长(秒)", "时长(秒)",
    ),
    "direction": ("direction", "呼叫类型", "主被叫", "通信方式", "方向", "收发类型"),
    "channel": ("channel", "渠道"),
    "location": ("location", "通话地点", "通信地点", "地点"),
    "notes": ("notes", "备注"),
    "organisation": ("organisation", "organization", "机构", "公司"),
}  # fmt: skip

DIRECTION_WORDS: dict[str, tuple[Direction, Outcome | None]] = {
    **dict.fromkeys(
        ("主叫", "呼出", "拨出", "去电", "已拨", "已拨电话", "发送", "已发送", "发出", "发",
         "outgoing", "out", "outbound", "sent", "send", "mo"),
        (Direction.OUTGOING, None),
    ),
    **dict.fromkeys(
        ("被叫", "呼入", "来电", "已接", "已接来电", "接听", "接收", "已接收", "收到", "收",
         "incoming", "in", "inbound", "received", "mt"),
        (Direction.INCOMING, None),
    ),
    **dict.fromkeys(("未接", "未接来电", "missed"), (Direction.INCOMING, Outcome.MISSED)),
    **dict.fromkeys(("拒接", "已拒接", "rejected"), (Direction.INCOMING, Outcome.REJECTED)),
    **dict.fromkeys(("拦截", "已拦截", "blocked"), (Direction.INCOMING, Outcome.BLOCKED)),
    **dict.fromkeys(
        ("上门", "面谈", "in_person", "in person", "visit"), (Direction.IN_PERSON, None)
    ),
}  # fmt: skip

CHANNEL_WORDS: dict[str, Channel] = {
    **{c.value: c for c in Channel},
    "短信": Channel.SMS, "彩信": Channel.SMS, "通话": Channel.CALL, "电话": Channel.CALL,
    "语音": Channel.CALL, "邮件": Channel.EMAIL, "上门": Channel.VISIT, "信函": Channel.LETTER,
    "微信": Channel.MESSAGE, "消息": Channel.MESSAGE,
}  # fmt: skip

OUTCOME_WORDS: dict[str, Outcome] = {
    **{o.value: o for o in Outcome},
    "接通": Outcome.CONNECTED, "已接通": Outcome.CONNECTED, "未接通": Outcome.MISSED,
    "未接": Outcome.MISSED, "语音信箱": Outcome.VOICEMAIL, "拒接": Outcome.REJECTED,
    "拦截": Outcome.BLOCKED, "失败": Outcome.FAILED, "草稿": Outcome.DRAFT,
}  # fmt: skip

_DATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H时%M分%S秒",
    "%Y年%m月%d日",
    "%Y.%m.%d %H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y%m%d %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
)
_DURATION_ZH = re.compile(
    r"^(?:(\d+)\s*(?:小时|时|h))?\s*(?:(\d+)\s*(?:分钟|分|m|min))?\s*(?:(\d+)\s*(?:秒|s))?$"
)
_SNIFF = 64 * 1024
_HEADER_SEARCH_ROWS = 20
_DELIMITERS = (",", "\t", ";", "|")


def _key(header: str) -> str:
    return "".join(header.split()).casefold().strip("\ufeff")


_TIME_HEADERS = frozenset(_key(a) for a in HEADER_ALIASES["occurred_at"] + HEADER_ALIASES["date"])


def choose_delimiter(lines: Sequence[str]) -> str:
    """The separator of a table whose first lines may be titles without any: the one
    that splits some line of the first 20 into the most cells (the header row)."""
    best, most = ",", 0
    for line in lines[:_HEADER_SEARCH_ROWS]:
        for delimiter in _DELIMITERS:
            count = line.count(delimiter)
            if count > most:
                best, most = delimiter, count
    return best


def has_header_row(lines: Sequence[str]) -> bool:
    """Whether one of the first 20 lines is a header row naming a time column.

    How a table with title lines above its header (carrier bills) is recognised when
    its first line has no separator at all.
    """
    head = lines[:_HEADER_SEARCH_ROWS]
    delimiter = choose_delimiter(head)
    for cells in csv.reader(head, delimiter=delimiter):
        if len(cells) >= 2 and any(_key(c) in _TIME_HEADERS for c in cells):
            return True
    return False


def detect_encoding(head: bytes) -> str:
    """Encoding of a text file from its first bytes: BOM, else UTF-8 if valid, else GB18030."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    return "gb18030"


def parse_duration(text: str) -> int | None:
    """Seconds from ``135``, ``135秒``, ``2分15秒``, ``1小时2分``, ``00:02:15`` or ``02:15``."""
    value = text.strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.0+)?", value):
        return int(float(value))
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}", value):
        seconds = 0
        for part in value.split(":"):
            seconds = seconds * 60 + int(part)
        return seconds
    match = _DURATION_ZH.match(value.replace(" ", ""))
    if match and any(match.groups()):
        h, m, s = (int(g) if g else 0 for g in match.groups())
        return h * 3600 + m * 60 + s
    raise ValueError(value)


class _CsvBase(Importer):
    """Encoding detection, header search and row iteration shared by the CSV layouts."""

    def _encoding(self) -> str:
        with self.path.open("rb") as fh:
            head = fh.read(_SNIFF)
        encoding = self.options.encoding or detect_encoding(head)
        try:
            return codecs.lookup(encoding).name if encoding != "utf-8-sig" else encoding
        except LookupError as exc:
            raise UsageError("import.unknown_encoding", encoding=encoding) from exc

    def _lines(self, encoding: str) -> Iterator[str]:
        """Decoded physical lines; a decoding error names its own line, not a buffer's."""
        if encoding.startswith("utf-16"):  # b"\n" can sit inside a UTF-16 code unit
            with self.path.open("r", encoding=encoding, newline="") as text:
                yield from text
            return
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        number = 0
        with self.open_input() as fh:
            try:
                for number, raw in enumerate(fh, start=1):  # noqa: B007 - used after the loop
                    yield decoder.decode(raw)
                tail = decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise FormatError(
                    "import.bad_encoding",
                    file=self.file_name,
                    line=max(number, 1),
                    encoding=encoding,
                ) from exc
        if tail:
            yield tail

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        """(first physical line, cells) of each record; wraps decode and CSV errors."""
        encoding = self._encoding()
        lines = self._lines(encoding)
        line = 0
        try:
            head = list(itertools.islice(lines, _HEADER_SEARCH_ROWS))
            delimiter = choose_delimiter(head)
            reader = csv.reader(itertools.chain(head, lines), delimiter=delimiter)
            for cells in reader:
                start = line + 1
                line = reader.line_num
                yield start, cells
        except UnicodeDecodeError as exc:
            raise FormatError(
                "import.bad_encoding", file=self.file_name, line=line + 1, encoding=encoding
            ) from exc
        except csv.Error as exc:
            raise FormatError(
                "import.bad_csv", file=self.file_name, line=line + 1, detail=str(exc)
            ) from exc

    def _parse_when(self, raw: str) -> datetime:
        value = raw.strip()
        if not value:
            raise ValueError("empty")
        formats: tuple[str, ...] = (
            (self.options.date_format,) if self.options.date_format else _DATE_FORMATS
        )
        when: datetime | None = None
        if self.options.date_format is None:
            if re.fullmatch(r"\d{10}|\d{13}", value):
                seconds = int(value) / (1000 if len(value) == 13 else 1)
                return datetime.fromtimestamp(seconds, self.zone)
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                when = None
        for fmt in formats:
            if when is not None:
                break
            try:
                when = datetime.strptime(value, fmt)
            except ValueError:
                continue
        if when is None:
            raise ValueError(value)
        return when if when.tzinfo else when.replace(tzinfo=self.zone)


class CsvImporter(_CsvBase):
    """Any CSV/TSV export, mapped to fields by ``--map`` or by well-known header names."""

    name = "csv"

    def _resolve_map(self, header: list[str]) -> dict[str, int] | None:
        """Field -> column index, or None if ``header`` is not the header row."""
        keys = [_key(h) for h in header]
        explicit = self.options.column_map
        found: dict[str, int] = {}
        if explicit:
            for target in explicit.values():
                if target not in FIELDS:
                    raise UsageError("import.bad_map_field", field=target, known=", ".join(FIELDS))
            for column, target in explicit.items():
                if _key(column) in keys and target != "ignore":
                    found[target] = keys.index(_key(column))
            if "occurred_at" not in found and "date" not in found:
                return None
            for column, target in explicit.items():
                if _key(column) not in keys:
                    raise FormatError(
                        "import.missing_column",
                        file=self.file_name,
                        column=column,
                        field=target,
                        header=",".join(header)[:200],
                    )
            return found
        for target, aliases in HEADER_ALIASES.items():
            for alias in aliases:
                if _key(alias) in keys and target not in found:
                    found[target] = keys.index(_key(alias))
        if "occurred_at" not in found and "date" in found and "time" not in found:
            found["occurred_at"] = found.pop("date")
        if "occurred_at" not in found and "time" in found and "date" not in found:
            found["occurred_at"] = found.pop("time")
        if "occurred_at" in found and "date" in found and "time" not in found:
            found.pop("date")
        return found if ("occurred_at" in found or "date" in found) else None

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        mapping: dict[str, int] | None = None
        first_row: list[str] | None = None
        for line, cells in self._rows():
            if not any(c.strip() for c in cells):
                continue
            if mapping is None:
                if first_row is None:
                    first_row = cells
                if line > _HEADER_SEARCH_ROWS:
                    break
                mapping = self._resolve_map(cells)
                continue
            yield self._row(mapping, line, cells)
        if mapping is None:
            self._missing(first_row)

    def _missing(self, first_row: list[str] | None) -> None:
        """Raise the error that says why no header row was found."""
        if first_row is None:
            raise FormatError("import.empty_csv", file=self.file_name)
        keys = [_key(c) for c in first_row]
        for column, target in self.options.column_map.items():
            if _key(column) not in keys:
                raise FormatError(
                    "import.missing_column",
                    file=self.file_name,
                    column=column,
                    field=target,
                    header=",".join(first_row)[:200],
                )
        raise FormatError("import.no_time_column", file=self.file_name)

    def _channel(self, mapping: Mapping[str, int]) -> Channel:
        if self.options.channel:
            chosen = CHANNEL_WORDS.get(self.options.channel.strip().casefold())
            if chosen is None:
                raise UsageError("import.bad_channel", value=self.options.channel)
            return chosen
        if "duration_s" in mapping and "content" not in mapping:
            return Channel.CALL
        if "content" in mapping:
            return Channel.SMS
        return Channel.OTHER

    def _row(
        self, mapping: Mapping[str, int], line: int, cells: list[str]
    ) -> ContactDraft | Rejected:
        entry = f"line {line}"
        needed = max(mapping.values()) + 1
        if len(cells) < needed:  # a cut or mis-split row: its cells would land in wrong fields
            return Rejected(
                entry, line, "import.short_row", {"cells": len(cells), "needed": needed}
            )

        def cell(name: str) -> str | None:
            index = mapping.get(name)
            return None if index is None else (cells[index].strip() or None)

        raw_when = cell("occurred_at")
        if raw_when is None and cell("date"):
            raw_when = f"{cell('date')} {cell('time') or ''}".strip()
        try:
            when = self._parse_when(raw_when or "")
        except (ValueError, OverflowError, OSError):
            return Rejected(entry, line, "import.bad_date", {"value": raw_when or ""})
        direction, outcome = Direction.INCOMING, None
        raw_direction = cell("direction")
        if raw_direction:
            word = DIRECTION_WORDS.get(raw_direction.casefold())
            if word is None:
                return Rejected(entry, line, "import.bad_direction", {"value": raw_direction})
            direction, outcome = word
        raw_outcome = cell("outcome")
        if raw_outcome:
            outcome = OUTCOME_WORDS.get(raw_outcome.casefold(), outcome)
        duration = None
        if cell("duration_s"):
            try:
                duration = parse_duration(cell("duration_s") or "")
            except ValueError:
                return Rejected(entry, line, "import.bad_duration", {"value": cell("duration_s")})
        channel = self._channel(mapping)
        if cell("channel"):
            found = CHANNEL_WORDS.get((cell("channel") or "").casefold())
            if found is None:
                return Rejected(entry, line, "import.bad_channel", {"value": cell("channel")})
            channel = found
        address = cell("address")
        if address:
            address = normalise_address_text(address, self.options.region)
        try:
            content = self.bound_text("content", cell("content"))
        except TooLarge as exc:
            return exc.rejected(entry, line)
        fields = {
            "counterpart": cell("counterpart"),
            "organisation": cell("organisation"),
            "subject": cell("subject"),
            "location": cell("location"),
            "notes": cell("notes"),
        }
        fingerprint = self._fingerprint(
            "csv", when.isoformat(), address, content, direction.value, duration, *fields.values()
        )
        return self.draft(
            entry=entry,
            fingerprint=fingerprint,
            channel=channel,
            occurred_at=when,
            direction=direction,
            outcome=outcome,
            address=address,
            content=content,
            duration_s=duration,
            **{k: v for k, v in fields.items() if v is not None},
        )
