"""``letter sent``: the letter as an outgoing record, so the rules see it.

A sent cease letter is the user's ``cease_request`` event: the after-event rules then
flag the organisation's later contacts. The record carries the letter itself as an
attachment (encrypted like every file in the locker) and says how and when it went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from evidence_locker.errors import UsageError
from evidence_locker.locale.messages import t
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft, Direction, Event

# how it was sent -> the channel of the record
VIA: dict[str, Channel] = {
    "post": Channel.LETTER,
    "hand": Channel.LETTER,
    "email": Channel.EMAIL,
    "web": Channel.OTHER,
    "phone": Channel.CALL,
    "sms": Channel.SMS,
    "message": Channel.MESSAGE,
}


@dataclass(frozen=True, slots=True)
class Sent:
    """What is known about a sent letter: from its embedded description (a PDF this
    tool made) or from the user (a text pasted into a web form)."""

    kind: str
    organisation: str | None
    recipient: str | None
    event: str | None
    title: str
    case: str | None = None
    dossier: str | None = None


def sent_from_meta(meta: dict[str, Any]) -> Sent:
    event = meta.get("event")
    if event is not None and event not in {e.value for e in Event}:
        event = None  # a newer tool's event this one does not know: log the letter only
    return Sent(
        kind=str(meta.get("kind") or "letter"),
        organisation=meta.get("organisation"),
        recipient=meta.get("recipient"),
        event=event,
        title=str(meta.get("title") or meta.get("kind") or "letter"),
        case=meta.get("case"),
        dossier=meta.get("dossier"),
    )


def sent_draft(
    sent: Sent,
    file: Path,
    *,
    via: str,
    at: datetime,
    lang: str,
    notes: str | None = None,
    receipts: tuple[Path, ...] = (),
) -> ContactDraft:
    """The outgoing record: channel from ``via``, the implied event, the letter and
    any receipt (a post-office slip, a screenshot of the form) attached."""
    if via not in VIA:
        raise UsageError("letters.bad_via", value=via, choices=", ".join(VIA))
    files = [file, *receipts]
    for f in files:
        if not f.is_file():
            from evidence_locker.errors import NotFound

            raise NotFound("file.missing", path=str(f))
    content = t("letters.sent.content", lang, title=sent.title, kind=sent.kind, via=via)
    if sent.dossier:
        content += " " + t("letters.sent.dossier", lang, id=sent.dossier)
    return ContactDraft(
        channel=VIA[via],
        occurred_at=at,
        direction=Direction.OUTGOING,
        counterpart=sent.recipient,
        organisation=sent.organisation,
        subject=sent.title,
        content=content,
        notes=notes,
        event=Event(sent.event) if sent.event else None,
        case=sent.case,
        tags=("letter", sent.kind),
        attachments=tuple(AttachmentDraft(name=f.name, path=str(f)) for f in files),
    )
