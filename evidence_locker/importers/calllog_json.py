"""Android call logs as JSON: "SMS Import / Export" (tmo1/sms-ie) and App Manager.

Both write the phone's ``CallLog.Calls`` rows as they are: a JSON array with one object
per call, every column a string (``number``, ``date`` in epoch milliseconds, ``duration``
in seconds, ``type`` 1-7, ``presentation``, ``name`` the cached contact name,
``geocoded_location``...), plus ``display_name`` when the contact is known. Read item
by item with ijson. Type and presentation codes are Android's (the same table as the
``<call>`` elements of SMS Backup & Restore).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from evidence_locker.errors import FormatError
from evidence_locker.model import Channel, ContactDraft, Outcome
from evidence_locker.parsing.phones import normalise_address_text

from ._common import Importer, ItemBound, Rejected, epoch_millis
from .sms_backup import CALL_PRESENTATION, CALL_TYPES


class CallLogJsonImporter(Importer):
    """One call per array item (see the module docstring)."""

    name = "calllog-json"

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        import ijson

        with self.open_input() as fh:
            bounded = ItemBound(fh, self.options.max_message_bytes, self.file_name)
            try:
                for index, item in enumerate(ijson.items(bounded, "item"), start=1):
                    bounded.item()
                    yield self._call(item, f"call #{index}")
            except ijson.JSONError as exc:
                raise FormatError("import.bad_json", file=self.file_name, detail=str(exc)) from exc

    def _call(self, item: Any, entry: str) -> ContactDraft | Rejected:
        if not isinstance(item, dict):
            return Rejected(entry, None, "import.bad_message", {"detail": "not an object"})
        value = {k: str(v) for k, v in item.items() if isinstance(v, str | int)}
        when = epoch_millis(value.get("date"), self.zone)
        if when is None:
            return Rejected(entry, None, "import.bad_date", {"value": value.get("date", "")})
        code = value.get("type", "")
        if code not in CALL_TYPES:
            return Rejected(entry, None, "import.unknown_type", {"value": code})
        direction, outcome, label = CALL_TYPES[code]
        duration = int(value["duration"]) if value.get("duration", "").isdigit() else None
        if code == "2" and not duration:
            outcome = Outcome.MISSED  # an outgoing call nobody answered
        number = value.get("number", "").strip()
        address = normalise_address_text(number, self.options.region) if number else None
        notes = [f"Call type: {label}"]
        presentation = CALL_PRESENTATION.get(value.get("presentation", ""))
        if presentation:
            notes.append(f"Number presentation: {presentation}")
        if value.get("geocoded_location"):
            notes.append(f"Number's region: {value['geocoded_location']}")
        name = (value.get("display_name") or value.get("name") or "").strip() or None
        return self.draft(
            entry=entry,
            fingerprint=self._fingerprint("call", value.get("date"), code, address, duration),
            channel=Channel.CALL,
            occurred_at=when,
            direction=direction,
            outcome=outcome,
            counterpart=self.bound_text("name", name),
            address=address,
            duration_s=duration,
            notes="\n".join(notes),
        )
