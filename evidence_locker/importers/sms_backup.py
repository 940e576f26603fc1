"""Android "SMS Backup & Restore" XML: ``<smses>`` (``<sms>``, ``<mms>``) and ``<calls>``.

Parsed with expat directly, chunk by chunk, refusing any DTD, entity declaration or
external reference (what defusedxml's ``forbid_dtd`` refuses); each record is handed on
as soon as its element ends and then dropped, so memory stays flat on a 200 MB backup.
Old exports write emoji as pairs of surrogate character references, which XML forbids;
:class:`SurrogateFixer` combines them in the byte stream before the parser sees them.
Field facts: docs/import-formats.md and the app's published field list.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from xml.parsers import expat

from evidence_locker.errors import FormatError
from evidence_locker.model import (
    AttachmentDraft,
    Channel,
    ContactDraft,
    Direction,
    Outcome,
    utc_from_micros,
)
from evidence_locker.parsing.phones import normalise_address_text

from ._common import Importer, Rejected, TooLarge, clean, is_null
from .xml_stream import Node, SurrogateFixer, TokenTooLarge, expat_parser, feed_chunks

# <sms type>: Android Telephony.TextBasedSmsColumns MESSAGE_TYPE_*.
SMS_TYPES: dict[str, tuple[Direction, Outcome, str]] = {
    "1": (Direction.INCOMING, Outcome.CONNECTED, "received"),
    "2": (Direction.OUTGOING, Outcome.CONNECTED, "sent"),
    "3": (Direction.OUTGOING, Outcome.DRAFT, "draft"),
    "4": (Direction.OUTGOING, Outcome.FAILED, "outbox"),
    "5": (Direction.OUTGOING, Outcome.FAILED, "failed"),
    "6": (Direction.OUTGOING, Outcome.FAILED, "queued"),
}
# <mms msg_box>: Telephony.BaseMmsColumns MESSAGE_BOX_*.
MMS_BOXES: dict[str, tuple[Direction, Outcome, str]] = {
    "1": (Direction.INCOMING, Outcome.CONNECTED, "inbox"),
    "2": (Direction.OUTGOING, Outcome.CONNECTED, "sent"),
    "3": (Direction.OUTGOING, Outcome.DRAFT, "draft"),
    "4": (Direction.OUTGOING, Outcome.FAILED, "outbox"),
    "5": (Direction.OUTGOING, Outcome.FAILED, "failed"),
}
# <mms m_type> when msg_box is missing: 128 m-send-req, 132 m-retrieve-conf (OMA MMS).
MMS_M_TYPES = {"128": "2", "132": "1"}
# <call type>: CallLog.Calls *_TYPE. Outgoing calls with zero duration become MISSED.
CALL_TYPES: dict[str, tuple[Direction, Outcome, str]] = {
    "1": (Direction.INCOMING, Outcome.CONNECTED, "incoming"),
    "2": (Direction.OUTGOING, Outcome.CONNECTED, "outgoing"),
    "3": (Direction.INCOMING, Outcome.MISSED, "missed"),
    "4": (Direction.INCOMING, Outcome.VOICEMAIL, "voicemail"),
    "5": (Direction.INCOMING, Outcome.REJECTED, "rejected"),
    "6": (Direction.INCOMING, Outcome.BLOCKED, "blocked"),
    "7": (Direction.INCOMING, Outcome.CONNECTED, "answered elsewhere"),
}
CALL_PRESENTATION = {"2": "restricted", "3": "unknown", "4": "payphone"}
# <addr type>: PduHeaders FROM / TO / CC / BCC.
ADDR_FROM, ADDR_RECIPIENTS = "137", ("151", "130", "129")

_MS_THRESHOLD = 100_000_000_000  # below this an epoch value is in seconds (before 1973 in ms)


class SmsBackupImporter(Importer):
    """``<smses>``/``<calls>`` backups; see the module docstring."""

    name = "sms-backup"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.declared_count: int | None = None  # the root's count attribute (may be wrong)
        self.counted = 0

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        counters = {"sms": 0, "mms": 0, "call": 0}
        self.counted = 0
        finished: list[Node] = []  # records completed by the current chunk
        depth = 0
        current: Node | None = None

        def start(tag: str, attrib: dict[str, str]) -> None:
            nonlocal depth, current
            depth += 1
            if depth == 2:
                current = Node(tag, attrib, [])
            elif depth > 2:
                if current is not None:
                    current.children.append(Node(tag, attrib, []))
            else:
                if tag not in ("smses", "calls"):
                    shown = "{" + tag if "}" in tag else tag  # ElementTree's {uri}name
                    raise FormatError("import.not_sms_backup", file=self.file_name, tag=shown)
                count = attrib.get("count")
                self.declared_count = int(count) if count and count.isdigit() else None

        def end(tag: str) -> None:
            nonlocal depth, current
            if depth == 2 and current is not None:
                if tag in counters:
                    finished.append(current)
                current = None
            depth -= 1

        parser = expat_parser(self.file_name, start, end)
        broken: expat.ExpatError | None = None
        with self.open_input() as raw:
            chunks = feed_chunks(SurrogateFixer(raw).read, self.options.max_message_bytes)
            while broken is None:
                try:
                    data, last = next(chunks)
                except TokenTooLarge as exc:
                    raise FormatError(
                        "import.token_too_large",
                        file=self.file_name,
                        line=parser.CurrentLineNumber,
                        size=exc.size,
                        limit=self.options.max_message_bytes,
                    ) from exc
                try:
                    parser.Parse(data, last)
                except expat.ExpatError as exc:
                    broken = exc  # the records that ended before it still go first
                except LookupError as exc:  # the XML declaration names an unknown encoding
                    raise FormatError(
                        "import.xml_unknown_encoding", file=self.file_name, detail=str(exc)
                    ) from exc
                for node in finished:
                    counters[node.tag] += 1
                    self.counted += 1
                    entry = f"{node.tag} #{counters[node.tag]}"
                    try:
                        yield self._record(node, entry)
                    except TooLarge as exc:
                        yield exc.rejected(entry, None)
                finished.clear()
                if last:
                    break
        if broken is not None:
            raise FormatError(
                "import.bad_xml",
                file=self.file_name,
                line=broken.lineno,
                column=broken.offset,
                detail=expat.ErrorString(broken.code),
            ) from broken

    # -- one element -----------------------------------------------------------------

    def _record(self, elem: Node, entry: str) -> ContactDraft | Rejected:
        if elem.tag == "sms":
            return self._sms(elem, entry)
        if elem.tag == "mms":
            return self._mms(elem, entry)
        return self._call(elem, entry)

    def _when(self, raw: str | None) -> datetime | None:
        if raw is None or not raw.strip().lstrip("-").isdigit():
            return None
        value = int(raw)
        if value <= 0:
            return None
        micros = value * 1000 if value >= _MS_THRESHOLD else value * 1_000_000
        try:
            return utc_from_micros(micros).astimezone(self.zone)
        except (OverflowError, ValueError):
            return None

    def _addresses(self, raw: str | None) -> list[str]:
        if is_null(raw):
            return []
        assert raw is not None
        out = []
        for part in raw.split("~"):
            if part.strip() and part.strip() != "null":
                out.append(normalise_address_text(part, self.options.region))
        return out

    def _dated_and_typed(
        self, a: dict[str, str], types: dict[str, Any], entry: str
    ) -> Rejected | tuple[Any, str, Any]:
        """The entry's time and type code (looked up in ``types``), or why it is rejected."""
        when = self._when(a.get("date"))
        if when is None:
            return Rejected(entry, None, "import.bad_date", {"value": a.get("date", "")})
        code = a.get("type", "")
        if code not in types:
            return Rejected(entry, None, "import.unknown_type", {"value": code})
        return when, code, types[code]

    def _sms(self, elem: Node, entry: str) -> ContactDraft | Rejected:
        a = elem.attrib
        checked = self._dated_and_typed(a, SMS_TYPES, entry)
        if isinstance(checked, Rejected):
            return checked
        when, code, (direction, outcome, label) = checked
        addresses = self._addresses(a.get("address"))
        body = self.bound_text("body", None if is_null(a.get("body")) else a.get("body"))
        notes = [f"SMS type: {label}"] if code not in ("1", "2") else []
        if len(addresses) > 1:
            notes.append("Addresses: " + ", ".join(addresses))
        fingerprint = self._fingerprint("sms", a.get("date"), code, sorted(addresses), body)
        return self.draft(
            entry=entry,
            fingerprint=fingerprint,
            channel=Channel.SMS,
            occurred_at=when,
            direction=direction,
            outcome=outcome,
            counterpart=_contact(a.get("contact_name")),
            address=addresses[0] if addresses else None,
            subject=clean(a.get("subject")),
            content=body,
            notes="\n".join(notes) or None,
        )

    def _mms(self, elem: Node, entry: str) -> ContactDraft | Rejected:
        a = elem.attrib
        when = self._when(a.get("date"))
        if when is None:
            return Rejected(entry, None, "import.bad_date", {"value": a.get("date", "")})
        box = a.get("msg_box", "")
        if box not in MMS_BOXES:
            box = MMS_M_TYPES.get(a.get("m_type", ""), box)
        if box not in MMS_BOXES:
            return Rejected(entry, None, "import.unknown_type", {"value": box})
        direction, outcome, label = MMS_BOXES[box]
        senders: list[str] = []
        recipients: list[str] = []
        for addr in elem.iter("addr"):
            number = addr.get("address")
            if is_null(number) or number == "insert-address-token":
                continue
            assert number is not None
            normal = normalise_address_text(number, self.options.region)
            if addr.get("type") == ADDR_FROM:
                senders.append(normal)
            elif addr.get("type") in ADDR_RECIPIENTS:
                recipients.append(normal)
        listed = self._addresses(a.get("address"))
        if direction is Direction.INCOMING:
            primary = senders[0] if senders else (listed[0] if listed else None)
        else:
            primary = recipients[0] if recipients else (listed[0] if listed else None)
        everyone = sorted(set(senders + recipients + listed))
        texts: list[str] = []
        attachments: list[AttachmentDraft] = []
        notes = [f"MMS box: {label}"] if box not in ("1", "2") else []
        for index, part in enumerate(elem.iter("part")):
            self._part(part, index, texts, attachments, notes)
        if len(everyone) > 1:
            notes.append("Addresses: " + ", ".join(everyone))
        content = self.bound_text("text", "\n".join(texts) or None)
        fingerprint = self._fingerprint(
            "mms",
            a.get("date"),
            box,
            everyone,
            content,
            [hashlib.sha256(x.data or b"").hexdigest() for x in attachments],
        )
        return self.draft(
            entry=entry,
            fingerprint=fingerprint,
            channel=Channel.SMS,
            occurred_at=when,
            direction=direction,
            outcome=outcome,
            counterpart=_contact(a.get("contact_name")),
            address=primary,
            subject=clean(a.get("sub")),
            content=content,
            notes="\n".join(notes) or None,
            attachments=tuple(attachments),
        )

    def _part(
        self,
        part: Node,
        index: int,
        texts: list[str],
        attachments: list[AttachmentDraft],
        notes: list[str],
    ) -> None:
        ctype = (part.get("ct") or "").lower()
        if ctype == "application/smil" or part.get("seq") == "-1":
            return  # layout only: it says where the picture goes, nothing else
        text = None if is_null(part.get("text")) else part.get("text")
        data = part.get("data")
        name = next(
            (v for v in (part.get("name"), part.get("cl"), part.get("fn")) if not is_null(v)),
            f"part-{index}",
        )
        assert name is not None
        if ctype.startswith("text/plain") and text is not None and is_null(data):
            texts.append(text)
            return
        if data is not None and data != "":
            if len(data) // 4 * 3 > self.options.max_attachment_bytes:
                raise TooLarge(name, len(data) // 4 * 3, self.options.max_attachment_bytes)
            try:
                blob = base64.b64decode(data, validate=False)
            except (binascii.Error, ValueError):
                notes.append(f"Part {name}: data is not valid base64, not kept")
                return
        elif text is not None:
            blob = text.encode("utf-8")
        else:
            notes.append(f"Part {name} ({ctype or 'unknown type'}) is empty in the backup")
            return
        attachments.append(
            self.bound_attachment(AttachmentDraft(name=name, data=blob, mime=ctype or None))
        )

    def _call(self, elem: Node, entry: str) -> ContactDraft | Rejected:
        a = elem.attrib
        checked = self._dated_and_typed(a, CALL_TYPES, entry)
        if isinstance(checked, Rejected):
            return checked
        when, code, (direction, outcome, label) = checked
        raw_duration = a.get("duration", "")
        duration = int(raw_duration) if raw_duration.isdigit() else None
        if code == "2" and not duration:
            outcome = Outcome.MISSED
        number = a.get("number")
        address = None
        if not is_null(number) and number is not None and not number.startswith("-"):
            address = normalise_address_text(number, self.options.region)
        notes = [f"Call type: {label}"]
        presentation = CALL_PRESENTATION.get(a.get("presentation", ""))
        if presentation:
            notes.append(f"Number presentation: {presentation}")
        fingerprint = self._fingerprint("call", a.get("date"), code, address, duration)
        return self.draft(
            entry=entry,
            fingerprint=fingerprint,
            channel=Channel.CALL,
            occurred_at=when,
            direction=direction,
            outcome=outcome,
            counterpart=_contact(a.get("contact_name")),
            address=address or None,
            duration_s=duration,
            notes="\n".join(notes),
        )


def _contact(raw: str | None) -> str | None:
    name = clean(raw)
    return None if name in (None, "(Unknown)") else name
