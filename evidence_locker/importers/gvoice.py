"""Google Voice Takeout pages: text conversations (hAtom ``hChatLog``) and call/voicemail pages.

Each Takeout page is one conversation or one call, a few KB, written as XHTML with
microformat classes: ``abbr.dt[title]`` (ISO 8601 with offset), ``a.tel[href]``,
``q`` for the text, ``abbr.duration[title=PT18S]`` and ``span.full-text`` for voicemail.
Parsed with the stdlib ``html.parser``; MMS images and recordings named in the page are
attached when the file sits next to the page, as Takeout writes them.
"""

from __future__ import annotations

import glob
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser

from evidence_locker.errors import FormatError
from evidence_locker.model import (
    AttachmentDraft,
    Channel,
    ContactDraft,
    Direction,
    Outcome,
)
from evidence_locker.parsing.phones import normalise_address_text

from ._common import Importer, Rejected, TooLarge

# Takeout label (the fragment of a.rel=tag's href) -> call direction and outcome.
CALL_LABELS: dict[str, tuple[Direction, Outcome]] = {
    "voicemail": (Direction.INCOMING, Outcome.VOICEMAIL),
    "missed": (Direction.INCOMING, Outcome.MISSED),
    "received": (Direction.INCOMING, Outcome.CONNECTED),
    "placed": (Direction.OUTGOING, Outcome.CONNECTED),
}
_ISO_DURATION = re.compile(r"^P(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_ME = "me"


@dataclass
class _Message:
    when: str = ""
    tel: str = ""
    name: str = ""
    text: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)


@dataclass
class _Page:
    title: list[str] = field(default_factory=list)
    messages: list[_Message] = field(default_factory=list)
    chat_log: bool = False
    audio: bool = False
    published: str = ""
    duration: str = ""
    tel: str = ""
    name: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)


class _TakeoutParser(HTMLParser):
    """Collects the microformat fields of one Takeout page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = _Page()
        self._div_depth = 0
        self._message_depth: int | None = None
        self._current: _Message | None = None
        self._capture: list[str] | None = None
        self._capture_tag = ""
        self._in_title = False
        self._in_cite = False
        self._in_contributor: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = set(a.get("class", "").split())
        if tag == "title":
            self._in_title = True
        if tag == "div":
            self._div_depth += 1
            if "hChatLog" in classes:
                self.page.chat_log = True
            if "haudio" in classes:
                self.page.audio = True
            if "message" in classes and self._message_depth is None:
                self._message_depth = self._div_depth
                self._current = _Message()
            if "contributor" in classes:
                self._in_contributor = self._div_depth
        msg = self._current
        if tag == "abbr" and "dt" in classes and msg is not None:
            msg.when = a.get("title", "")
        elif tag == "abbr" and "published" in classes:
            self.page.published = a.get("title", "")
        elif tag == "abbr" and "duration" in classes:
            self.page.duration = a.get("title", "")
        elif tag == "cite":
            self._in_cite = True
        elif tag == "a" and "tel" in classes:
            if msg is not None and self._in_cite:
                msg.tel = a.get("href", "")
            elif self._in_contributor is not None:
                self.page.tel = a.get("href", "")
        elif tag == "a" and a.get("rel") == "tag":
            self.page.labels.append(a.get("href", "").rpartition("#")[2].lower())
        elif tag == "q" and msg is not None:
            self._start_capture(tag, msg.text)
        elif "fn" in classes and msg is not None and self._in_cite:
            self._start_capture(tag, [])
            msg.name = ""
        elif "fn" in classes and self._in_contributor is not None:
            self._start_capture(tag, self.page.name)
        elif tag == "span" and "full-text" in classes:
            self._start_capture(tag, self.page.transcript)
        elif tag in ("img", "audio"):
            src = a.get("src", "")
            if src:
                (msg.media if msg is not None else self.page.media).append(src)

    def _start_capture(self, tag: str, sink: list[str]) -> None:
        self._capture, self._capture_tag = sink, tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if self._capture is not None and tag == self._capture_tag:
            if self._current is not None and self._in_cite and not self._current.name:
                self._current.name = "".join(self._capture).strip()
            self._capture = None
        if tag == "cite":
            self._in_cite = False
        if tag == "div":
            if self._message_depth == self._div_depth and self._current is not None:
                self.page.messages.append(self._current)
                self._current, self._message_depth = None, None
            if self._in_contributor == self._div_depth:
                self._in_contributor = None
            self._div_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page.title.append(data)
        if self._capture is not None:
            self._capture.append(data)


def _duration(text: str) -> int | None:
    match = _ISO_DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    h, m, s = match.groups()
    return int(h or 0) * 3600 + int(m or 0) * 60 + round(float(s or 0))


def _when(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo else None


class GoogleVoiceImporter(Importer):
    """One Takeout page: each ``div.message`` a record, or the page's one call."""

    name = "gvoice-html"

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        size = self.path.stat().st_size
        if size > self.options.max_message_bytes:
            yield TooLarge("page", size, self.options.max_message_bytes).rejected("page", None)
            return
        parser = _TakeoutParser()
        with self.path.open("r", encoding="utf-8", errors="replace") as fh:
            while chunk := fh.read(1 << 16):
                parser.feed(chunk)
        parser.close()
        page = parser.page
        if page.chat_log:
            yield from self._conversation(page)
        elif page.audio:
            yield self._call(page)
        else:
            raise FormatError("import.bad_gvoice", file=self.file_name)

    def _attachments(self, names: list[str]) -> tuple[tuple[AttachmentDraft, ...], list[str]]:
        found: list[AttachmentDraft] = []
        missing: list[str] = []
        folder = self.path.parent
        for name in names:
            base = name.replace("\\", "/").rpartition("/")[2]
            candidates = [folder / base, *sorted(folder.glob(f"{glob.escape(base)}.*"))]
            path = next((p for p in candidates if p.is_file()), None)
            if path is None:
                missing.append(base)
                continue
            if path.stat().st_size > self.options.max_attachment_bytes:
                raise TooLarge(path.name, path.stat().st_size, self.options.max_attachment_bytes)
            mime = mimetypes.guess_type(path.name)[0]
            found.append(AttachmentDraft(name=path.name, data=path.read_bytes(), mime=mime))
        return tuple(found), missing

    def _conversation(self, page: _Page) -> Iterator[ContactDraft | Rejected]:
        own = {normalise_address_text(a, self.options.region) for a in self.options.own_addresses}

        def is_me(m: _Message) -> bool:
            return m.name.strip().casefold() == _ME or normalise_address_text(m.tel) in own

        others = [m for m in page.messages if not is_me(m)]
        title = " ".join("".join(page.title).split())
        other_name = others[0].name if others else title.split(" to ", 1)[-1] or None
        other_tel = others[0].tel if others else ""
        for index, msg in enumerate(page.messages, start=1):
            entry = f"message #{index}"
            when = _when(msg.when)
            if when is None:
                yield Rejected(entry, None, "import.bad_date", {"value": msg.when})
                continue
            mine = is_me(msg)
            name, tel = (other_name, other_tel) if mine else (msg.name, msg.tel)
            address = normalise_address_text(tel, self.options.region) if tel else None
            text = " ".join("".join(msg.text).split()) or None
            try:
                text = self.bound_text("text", text)
                attachments, missing = self._attachments(msg.media)
            except TooLarge as exc:
                yield exc.rejected(entry, None)
                continue
            notes = [f"Attachment file not found beside the page: {m}" for m in missing]
            yield self.draft(
                entry=entry,
                fingerprint=self._fingerprint(
                    "gvoice", msg.when, normalise_address_text(msg.tel) if msg.tel else "", text
                ),
                channel=Channel.SMS,
                occurred_at=when,
                direction=Direction.OUTGOING if mine else Direction.INCOMING,
                outcome=Outcome.CONNECTED,
                counterpart=name or None,
                address=address,
                content=text,
                notes="\n".join(notes) or None,
                attachments=attachments,
            )

    def _call(self, page: _Page) -> ContactDraft | Rejected:
        entry = "call"
        when = _when(page.published)
        if when is None:
            return Rejected(entry, None, "import.bad_date", {"value": page.published})
        kind = next((label for label in page.labels if label in CALL_LABELS), None)
        if kind is None:
            return Rejected(entry, None, "import.unknown_type", {"value": ",".join(page.labels)})
        direction, outcome = CALL_LABELS[kind]
        duration = _duration(page.duration) if page.duration else None
        address = normalise_address_text(page.tel, self.options.region) if page.tel else None
        transcript = " ".join("".join(page.transcript).split()) or None
        try:
            transcript = self.bound_text("transcript", transcript)
            attachments, missing = self._attachments(page.media)
        except TooLarge as exc:
            return exc.rejected(entry, None)
        notes = [f"Google Voice: {kind}"]
        notes += [f"Recording not found beside the page: {m}" for m in missing]
        return self.draft(
            entry=entry,
            fingerprint=self._fingerprint("gvoice-call", page.published, address, kind, duration),
            channel=Channel.CALL,
            occurred_at=when,
            direction=direction,
            outcome=outcome,
            counterpart=" ".join("".join(page.name).split()) or None,
            address=address,
            content=transcript,
            duration_s=duration,
            notes="\n".join(notes),
            attachments=attachments,
        )
