"""iPhone call history: ``CallHistory.storedata`` (Core Data over SQLite), table ``ZCALLRECORD``.

Columns (as iOS 8-18 write them; missing ones read as NULL): ``ZDATE`` (seconds since
2001-01-01 UTC), ``ZDURATION`` (seconds), ``ZORIGINATED`` (1 = the user called),
``ZANSWERED`` (1 = connected), ``ZADDRESS`` (number or address, TEXT or UTF-8 BLOB),
``ZNAME`` (the name the phone showed), ``ZCALLTYPE`` (0 a third-party app, 1 phone,
8 FaceTime video, 16 FaceTime audio), ``ZSERVICE_PROVIDER`` (e.g. ``com.tencent.xin``
for a WeChat call), ``ZLOCATION`` (the number's region, e.g. 上海), ``ZUNIQUE_ID``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import FormatError
from evidence_locker.model import Channel, ContactDraft, Direction, Outcome
from evidence_locker.parsing.phones import normalise_address_text

from . import _sqlite
from ._common import Importer, Rejected
from .apple import apple_time

if TYPE_CHECKING:
    from .iphone_folder import Backup

_CALL_COLUMNS = (
    ("ZUNIQUE_ID", "value"),
    ("ZDATE", "value"),
    ("ZDURATION", "value"),
    ("ZORIGINATED", "value"),
    ("ZANSWERED", "value"),
    ("ZCALLTYPE", "value"),
    ("ZSERVICE_PROVIDER", "text"),
    ("ZADDRESS", "text"),
    ("ZNAME", "text"),
    ("ZLOCATION", "text"),
)
CALL_TYPES = {0: "app", 1: "phone", 8: "FaceTime video", 16: "FaceTime audio"}
# ZSERVICE_PROVIDER of calls placed through apps that collectors also use.
PROVIDER_APPS = {
    "com.tencent.xin": "wechat",
    "com.tencent.mqq": "qq",
    "net.whatsapp.WhatsApp": "whatsapp",
    "ph.telegra.Telegraph": "telegram",
    "jp.naver.line": "line",
}
_PHONE_PROVIDERS = ("com.apple.Telephony", "com.apple.FaceTime", "")


class CallHistoryReader:
    """Yields one draft (or rejection) per row of ``ZCALLRECORD``."""

    def __init__(self, importer: Importer, conn: sqlite3.Connection, backup: Backup | None) -> None:
        self.importer = importer
        self.conn = conn
        self.label = importer.part[0] if importer.part else importer.file_name
        if "ZCALLRECORD" not in _sqlite.tables(conn):
            raise FormatError("import.not_call_history", file=self.label)

    def entries(self) -> Iterator[ContactDraft | Rejected]:
        picked = _sqlite.pick(_sqlite.columns(self.conn, "ZCALLRECORD"), _CALL_COLUMNS, "c")
        try:
            total = self.conn.execute("SELECT count(*) FROM ZCALLRECORD").fetchone()[0]
            cursor = self.conn.execute(
                f"SELECT c.Z_PK AS pk, {', '.join(picked)} FROM ZCALLRECORD c ORDER BY c.Z_PK",
                {"limit": 4096},
            )
            cursor.row_factory = sqlite3.Row
            for done, row in enumerate(cursor, start=1):
                self.importer.rows_read = (done, total)
                yield self._draft(row, f"call {row['pk']}")
        except sqlite3.Error as exc:
            raise FormatError("import.bad_sqlite", file=self.label, detail=str(exc)) from exc

    def _draft(self, row: sqlite3.Row, entry: str) -> ContactDraft | Rejected:
        when = apple_time(row["ZDATE"], self.importer.zone)
        if when is None:
            return Rejected(entry, None, "import.bad_date", {"value": str(row["ZDATE"])})
        outgoing = bool(row["ZORIGINATED"])
        answered = bool(row["ZANSWERED"])
        duration = _seconds(row["ZDURATION"])
        raw = _text(row["ZADDRESS"])
        address = normalise_address_text(raw, self.importer.options.region) if raw else None
        provider = _text(row["ZSERVICE_PROVIDER"]) or ""
        kind = row["ZCALLTYPE"]
        way = "outgoing" if outgoing else "incoming"
        notes = [f"Call: {way}, {'answered' if answered else 'not answered'}"]
        if kind in CALL_TYPES and kind != 1:
            notes.append(f"Call type: {CALL_TYPES[kind]}")
        if provider not in _PHONE_PROVIDERS:
            notes.append(f"Placed through: {provider}")
        location = _text(row["ZLOCATION"])
        if location:
            notes.append(f"Number's region: {location}")
        if raw is None:
            notes.append("Number withheld or not recorded")
        unique = _text(row["ZUNIQUE_ID"])
        fingerprint = (
            self.importer.fingerprint("ios-call", unique)
            if unique
            else self.importer.fingerprint(
                "ios-call-row", row["ZDATE"], address, duration, outgoing
            )
        )
        return self.importer.draft(
            entry=entry,
            fingerprint=fingerprint,
            channel=Channel.CALL,
            app=PROVIDER_APPS.get(provider),
            occurred_at=when,
            direction=Direction.OUTGOING if outgoing else Direction.INCOMING,
            # As SMS Backup & Restore's calls: an unanswered call is missed either way.
            outcome=Outcome.CONNECTED if answered else Outcome.MISSED,
            counterpart=_text(row["ZNAME"]),
            address=address,
            duration_s=duration,
            notes="\n".join(notes),
        )


def _text(value: Any) -> str | None:
    """A column that iOS writes as TEXT in some versions and as a UTF-8 BLOB in others."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _seconds(value: Any) -> int | None:
    if isinstance(value, int | float) and value >= 0:
        return round(value)
    return None


class CallHistoryImporter(_sqlite.DatabaseFileImporter):
    """A bare ``CallHistory.storedata`` given as a file."""

    name = "iphone-calls"
    reader = CallHistoryReader
