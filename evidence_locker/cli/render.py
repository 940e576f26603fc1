"""Printing records: tables for people, JSON and CSV for scripts.

Times are shown in the user's timezone with the offset (``2025-02-09 18:43 +08:00``);
JSON keeps ISO 8601 with the original offset.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

import orjson

from evidence_locker.cli.context import State
from evidence_locker.locale import words
from evidence_locker.model import Record
from evidence_locker.parsing.times import format_duration

if TYPE_CHECKING:
    from evidence_locker.cli.columns import Column

SHORT_ID = 8


def when(dt: datetime, tz: tzinfo, *, seconds: bool = False) -> str:
    local = dt.astimezone(tz)
    off = local.strftime("%z")
    off = f"{off[:3]}:{off[3:]}" if off else ""
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {off}"


def occurred(state: State, r: Record, *, seconds: bool = False) -> str:
    """When a contact happened; a day whose time is unknown shows as that day and
    "time unknown" in the record's own offset (converting its midnight to another zone
    would move it to another day), never as 00:00."""
    if r.time_known:
        return when(r.occurred_at, state.tz, seconds=seconds)
    return state.t("time.unknown", day=r.occurred_at.date().isoformat())


def duration(state: State, seconds: int | None) -> str:
    """``6 min 5 s`` / ``6分5秒``: the one spelling of a duration (parsing/times.py)."""
    if seconds is None:
        return ""
    return format_duration(seconds, state.lang)


def digest_lines(name: str, hexdigest: str, width: int, *, indent: int = 0) -> str:
    """``sha256 <hex>`` on a line of its own, whole when it fits ``width``, else folded
    into equal halves, each under the other, so the hash can still be read and compared
    (a terminal would cut it wherever the line ends)."""
    pad = " " * indent
    line = f"{pad}{name} {hexdigest}"
    if len(line) <= width:
        return line
    half = (len(hexdigest) + 1) // 2
    inner = " " * len(name)
    return f"{pad}{name} {hexdigest[:half]}\n{pad}{inner} {hexdigest[half:]}"


def one_line(text: str | None, width: int = 48) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@contextlib.contextmanager
def counted_progress(state: State, description: str) -> Iterator[Callable[[int, int], None]]:
    """A done/total bar on stderr while the block runs, shown only at a terminal and
    cleared after; yields the ``progress(done, total)`` callback the Locker takes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=state.err,
        disable=not state.err.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (see :func:`json_utf8`)."""
    out = json_utf8(data)
    if isinstance(out, bytes) and _utf8(sys.stdout):
        sys.stdout.flush()  # what was written before, first
        sys.stdout.buffer.write(out + b"\n")
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write((out.decode() if isinstance(out, bytes) else out) + "\n")


def json_utf8(data: Any) -> bytes | str:
    """``json.dumps(data, ensure_ascii=False, indent=2)``: as UTF-8 bytes where orjson
    wrote the same text, else as json's own text.

    ``check --json`` over a large locker is tens of megabytes, and ``json`` writes
    indented output in Python (2.4 s for 100,000 records' findings); orjson writes it
    in a tenth of that, as UTF-8 that stdout can take without decoding and encoding
    it again. The two agree on strings, integers, lists, dicts with string keys, and
    floats from 1e-4 to 1e16 (no exponent in either). Whatever orjson refuses (an
    integer beyond 64 bits, a non-string key, a lone surrogate, a type JSON has no word
    for) and any output holding a float outside that range (orjson writes ``1e16`` and
    ``0.00001`` where json writes ``1e+16`` and ``1e-05``) is written by ``json``
    instead, as it always was. One difference is kept: a NaN or infinite float becomes
    ``null`` (valid JSON) where ``json`` wrote ``NaN``, which no JSON reader accepts.
    tests/test_json_output.py compares the two.
    """
    if not isinstance(data, dict | list | tuple):  # one value: no line of its own
        return json.dumps(data, ensure_ascii=False, indent=2)
    try:
        out = orjson.dumps(data, default=_refuse, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        out = None
    if out is None or _written_otherwise(out):
        return json.dumps(data, ensure_ascii=False, indent=2)
    return out


def _utf8(stream: Any) -> bool:
    """Whether ``stream`` writes text as UTF-8, line ends as they are (not Windows'
    "\r\n"), to a byte buffer we may write to: the bytes are then what it would write."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return encoding == "utf8" and os.linesep == "\n" and hasattr(stream, "buffer")


def _refuse(value: Any) -> Any:
    raise TypeError  # let json decide (and raise) as it always has


# Types json has no word for (dates, dataclasses) and subclasses of str/int/list/dict
# (json writes them its own way) go to _refuse instead of orjson's own writing.
_ORJSON_OPTIONS = (
    orjson.OPT_INDENT_2
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
# A number json writes otherwise: one with an exponent (json: 1e+16, orjson: 1e16) or
# under 1e-4 (json: 1e-05, orjson: 0.00001). Indented output puts every value on its
# own line, and a string never holds a line break (it is written "\n"), so a line
# that ends in a number without a closing quote ends in a number value. A regular
# expression over tens of megabytes is slow unless it starts with a letter: "0.0000"
# is looked for with bytes.find (times have it: "09:07:00.000097"), each place checked.
_EXPONENT = re.compile(rb"e-?[0-9]+,?\n")
_SMALL = re.compile(rb"-?0\.0000[0-9]*,?\n")


def _written_otherwise(out: bytes) -> bool:
    """Whether orjson's ``out`` holds a float json writes differently."""
    if _EXPONENT.search(out):
        return True
    for needle in (b" 0.0000", b" -0.0000"):  # after '": ' or an indent
        at = out.find(needle)
        while at != -1:
            if _SMALL.match(out, at + 1):
                return True
            at = out.find(needle, at + 1)
    return False


CSV_COLUMNS = (
    "id",
    "record_id",
    "channel",
    "direction",
    "occurred_at",
    "time_known",
    "logged_at",
    "counterpart",
    "organisation",
    "address",
    "subject",
    "content",
    "duration_s",
    "location",
    "people_present",
    "notes",
    "tags",
    "app",
    "outcome",
    "third_party",
    "event",
    "case",
    "corrects",
    "superseded_by",
    "deleted",
    "leaf_hash",
)
# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK...,
# +cmd|...): an SMS a collector wrote must not run on the lawyer's machine (OWASP,
# "CSV Injection"). Such a text cell gets a leading apostrophe, which spreadsheets hide.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """One CSV cell: lists joined with ``;``, None empty, formula-like text made inert."""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def print_csv(records: Iterable[Record]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(CSV_COLUMNS)
    for r in records:
        data = r.to_json()
        if not r.time_known:  # the day alone, never a made-up 00:00
            data["occurred_at"] = r.occurred_at.date().isoformat()
        writer.writerow([csv_cell(data.get(col)) for col in CSV_COLUMNS])


def channel_label(state: State, r: Record) -> str:
    """``微信消息`` / ``WeChat message``: wholly in the reader's language."""
    return words.channel_label(r.channel.value, r.app, state.lang)


def marks(state: State, r: Record) -> str:
    out = []
    if r.corrects:
        out.append(state.t("mark.corrected"))
    if r.superseded_by:
        out.append(state.t("mark.superseded"))
    if r.deleted:
        out.append(state.t("mark.deleted"))
    if r.attachments:
        out.append(f"📎{len(r.attachments)}")
    return " ".join(out)


def records_table(state: State, records: Sequence[Record]) -> None:
    """The records as a table that fits the terminal, each cell broken only where a
    reader allows (cli/columns.py): a phone number, a count and its unit stay whole.
    Written row by row as rich would write it (cli/tablerows.py), else by rich; a
    terminal too narrow for the columns gets a block a record instead."""
    from evidence_locker.cli import tablerows
    from evidence_locker.cli.columns import roomy, widths, wrapped
    from evidence_locker.cli.direct import Direct

    # The time on one line when the text still gets all its width, else on two.
    columns = _columns(state, records)
    fitted = widths(columns, state.console.width)
    if not roomy(columns, fitted):  # the same columns but the time's (each measured once)
        columns = [_two_lines(c) if c.gives == 1 else c for c in columns]
        fitted = widths(columns, state.console.width)
    if fitted is None:
        records_blocks(state, records)
        return

    def rows() -> Iterator[list[str]]:
        for row in zip(*(c.cells for c in columns), strict=True):
            yield [wrapped(x, w) for x, w in zip(row, fitted, strict=True)]

    headers = [c.header for c in columns]
    if tablerows.write(Direct(state.console), headers, fitted, rows()):
        return
    table = tablerows.table(headers, fitted)  # rich alone (a capture, a recording): the same
    for row in rows():
        table.add_row(*tablerows.texts(row))
    state.console.print(table)


def records_blocks(state: State, records: Sequence[Record]) -> None:
    """The records for a terminal too narrow for the table (a phone, a split pane):
    each a bold line of id, time, channel and marks, then who and what, indented.
    rich would squeeze five columns into a few cells each and cut ids, dates and
    numbers anywhere (``2025-02`` / ``-09``); here each line is broken only where a
    reader allows (cli/linebreak.py) and written as it comes (cli/direct.py)."""
    from evidence_locker.cli.direct import Direct
    from evidence_locker.cli.linebreak import wrap

    out = Direct(state.console)
    width, indent = out.width, "  "
    try:
        for r in records:
            head = (r.id[:SHORT_ID], occurred(state, r), channel_label(state, r), marks(state, r))
            lines = [[(line, "bold")] for line in _hanging([x for x in head if x], width)]
            for text in (_who(r), _summary(state, r)):
                lines += [
                    [(indent + line.replace("\u00a0", " "), None)]
                    for line in wrap(text, width - len(indent))
                    if line
                ]
            out.text(lines)
    finally:
        out.flush()


def _hanging(fields: Sequence[str], width: int, hang: int = SHORT_ID + 2) -> list[str]:
    """``fields`` two spaces apart, a field moved whole to the next line where it does
    not fit (``微信消息`` is not split), later lines indented by ``hang`` (under the
    time, after the id) so that they read as the same heading."""
    from evidence_locker.cli.linebreak import cell_width, wrap

    margin = " " * hang
    lines = [fields[0]]  # the id: eight characters, on any terminal
    for field in fields[1:]:
        joined = f"{lines[-1]}  {field}"
        if cell_width(joined) <= width:
            lines[-1] = joined
        else:  # on lines of its own, broken only if wider than one (a narrow terminal)
            lines += [margin + part for part in wrap(field, max(width - hang, 8))]
    return lines


def _two_lines(column: Column) -> Column:
    """The time column with the day, then the time and offset, on two lines."""
    from dataclasses import replace

    return replace(column, cells=[w.replace(" ", "\n", 1) for w in column.cells])


def _columns(state: State, records: Sequence[Record]) -> list[Column]:
    from evidence_locker.cli.columns import Column

    when = [occurred(state, r) for r in records]
    # A record's marks (corrected, superseded, deleted, attachments) under its id, one a
    # line: a column of their own took a sixth of an 80-column terminal from the text
    # whenever one record had a file, and left the summary ten cells wide.
    ids = ["\n".join([r.id[:SHORT_ID], *marks(state, r).split()]) for r in records]
    columns = [
        Column(state.t("col.id"), ids),
        Column(state.t("col.when"), when, gives=1),
        Column(state.t("col.channel"), [channel_label(state, r) for r in records], gives=2),
        Column(state.t("col.who"), [_who(r) for r in records], free=True),
        Column(state.t("col.summary"), [_summary(state, r) for r in records], free=True),
    ]
    return columns


def _who(r: Record) -> str:
    """Organisation, person and number; the number in groups joined by no-break spaces
    (``+86 138 0013 8000``, as the dossier prints it), so no line splits it."""
    from evidence_locker.parsing.phones import grouped_number

    named = one_line(" · ".join(x for x in (r.organisation, r.counterpart) if x), 40)
    number = grouped_number(r.address, "\u00a0") if r.address else ""
    return " · ".join(x for x in (named, number) if x)


def _summary(state: State, r: Record) -> str:
    summary = one_line(r.subject or r.content or r.location or r.notes or "")
    if r.duration_s:
        summary = f"[{duration(state, r.duration_s)}] {summary}"
    return summary
