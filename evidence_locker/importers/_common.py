"""What every importer shares: options, the rejected-entry record, fingerprints, bounds.

Kept apart from the format modules so that each of them imports only this and the
domain model, and so that the public package namespace (``__init__``) stays small.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence_locker.errors import FormatError, UsageError
from evidence_locker.model import AttachmentDraft, ContactDraft, Source

# Bounds on what one entry may carry. A collection SMS is a few hundred characters and a
# phone photo a few MB; anything far beyond is either a broken file or a hostile one, and
# holding it would make memory grow with the input.
MAX_TEXT_CHARS = 1_000_000
MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024
MAX_MESSAGE_BYTES = 96 * 1024 * 1024

# How many recent entries the duplicate-occurrence counter remembers (see Fingerprinter).
OCCURRENCE_WINDOW = 4096


@dataclass(frozen=True, slots=True)
class Filters:
    """What the user asked to import; empty = everything.

    Each tuple is a set of alternatives (any may match); the kinds combine with AND.
    ``since``/``until`` are timezone-aware and inclusive.
    """

    addresses: tuple[str, ...] = ()  # wildcards: "*@collector.example", "138*", "+86138*"
    names: tuple[str, ...] = ()  # case-insensitive substrings of the counterpart
    keywords: tuple[str, ...] = ()  # case-insensitive substrings of subject/content/counterpart
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        # "95577,10690000123" is two numbers, as a repeated option is: no address, e-mail
        # or wildcard holds a comma, and a comma list filtered out everything before.
        split = tuple(
            part.strip()
            for value in self.addresses
            for part in value.replace("，", ",").split(",")
            if part.strip()
        )
        object.__setattr__(self, "addresses", split)

    @property
    def empty(self) -> bool:
        return not (self.addresses or self.names or self.keywords or self.since or self.until)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """Everything an importer needs to know beyond the file itself."""

    region: str = "CN"  # default region for phone numbers written without a country code
    timezone: str | None = None  # IANA zone for local times; None = this computer's zone
    column_map: Mapping[str, str] = field(default_factory=dict)  # CSV header -> field
    date_format: str | None = None  # strptime format for CSV dates
    encoding: str | None = None  # force a text encoding (CSV) instead of detecting it
    organisation: str | None = None  # --org: set on every imported record
    case: str | None = None  # --case: set on every imported record
    own_addresses: tuple[str, ...] = ()  # the user's own e-mail addresses (direction)
    channel: str | None = None  # CSV: channel of every row when no column says it
    filters: Filters = field(default_factory=Filters)
    # Asks for a secret the input needs ("backup_password", "imap_password"); None when
    # nobody can answer (no terminal): the importer then says what is missing.
    secret: Callable[[str], str | None] | None = None
    tls_ca_file: str | None = None  # IMAP: a private CA to trust besides the system's
    resume: Mapping[str, Any] = field(default_factory=dict)  # where the last import ended
    max_text_chars: int = MAX_TEXT_CHARS
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES
    max_message_bytes: int = MAX_MESSAGE_BYTES

    def zone(self) -> tzinfo:
        """The zone local times are read in, and UTC instants are shown in."""
        name = self.timezone
        if name is None:
            import tzlocal

            name = tzlocal.get_localzone_name() or "UTC"
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise UsageError("import.bad_timezone", zone=name) from exc


@dataclass(frozen=True, slots=True)
class Rejected:
    """An entry that could not become a record. ``reason`` is an i18n key."""

    entry: str
    line: int | None
    reason: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = "en") -> str:
        from evidence_locker.locale.messages import t

        return t(self.reason, lang, **dict(self.params))


def parse_column_map(spec: str) -> dict[str, str]:
    """``"时间=occurred_at,对方号码=address"`` -> ``{"时间": "occurred_at", ...}``."""
    out: dict[str, str] = {}
    for item in spec.replace("，", ",").split(","):
        if not item.strip():
            continue
        header, sep, target = item.partition("=")
        if not sep or not header.strip() or not target.strip():
            raise UsageError("import.bad_map", item=item.strip())
        out[header.strip()] = target.strip()
    return out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# Built once: json.dumps with options builds an encoder per call (one per imported entry).
_encode_parts = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def content_hash(*parts: Any) -> str:
    """SHA-256 over a canonical JSON of ``parts`` (stable across runs and machines)."""
    return hashlib.sha256(_encode_parts(parts).encode("utf-8")).hexdigest()


class Fingerprinter:
    """Stable per-entry fingerprints that also tell apart identical twins.

    The fingerprint hashes what the entry *says* (time, address, text...), never where it
    sits, so a re-import or an overlapping backup yields the same value. Two truly
    identical entries in one file (the same "好" twice in the same minute) would collide,
    so the n-th repeat gets ``#n`` mixed in; repeats are counted within a window of the
    last few thousand distinct entries (identical entries share a timestamp and sit next
    to each other in every export we know), which keeps memory flat.
    """

    def __init__(self, window: int | None = None) -> None:
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._window = window or OCCURRENCE_WINDOW

    def __call__(self, kind: str, *parts: Any) -> str:
        base = content_hash(kind, *parts)
        count = self._seen.pop(base, 0)
        self._seen[base] = count + 1
        if len(self._seen) > self._window:
            self._seen.popitem(last=False)
        return base if count == 0 else content_hash(base, count)


def is_null(value: str | None) -> bool:
    """SMS Backup & Restore writes the literal string ``null`` for absent values."""
    return value is None or value == "" or value == "null"


def clean(value: str | None) -> str | None:
    if is_null(value):
        return None
    assert value is not None
    value = value.strip()
    return value or None


class TooLarge(Exception):
    """A field beyond the configured bound; becomes a ``Rejected`` entry."""

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(what)
        self.what, self.size, self.limit = what, size, limit

    def rejected(self, entry: str, line: int | None) -> Rejected:
        return Rejected(
            entry,
            line,
            "import.too_large",
            {"what": self.what, "size": self.size, "limit": self.limit},
        )


class Importer:
    """Base of the format importers: file identity, options and the draft factory.

    Subclasses implement :meth:`_entries`. ``iter_drafts`` streams; it raises
    :class:`FormatError` (naming the file and line) when the file as a whole is broken,
    possibly after having yielded earlier entries: callers run one import in one
    transaction and roll back on that error, so no partial import is ever kept.
    """

    name: ClassVar[str] = ""

    def __init__(self, path: str | os.PathLike[str], options: ImportOptions) -> None:
        self.path = Path(path)
        self.options = options
        self.file_name, self.file_sha256 = self._identify()
        # Provenance of the entries being read when it is not the input itself (the
        # sms.db inside an iPhone backup): (name, SHA-256).
        self.part: tuple[str, str] | None = None
        self.zone = options.zone()
        self._fingerprint = Fingerprinter()
        self._reading: IO[bytes] | None = None
        self._size = 0
        self.rows_read: tuple[int, int] | None = None  # (done, total) for database inputs

    def _identify(self) -> tuple[str, str]:
        """The input's name and SHA-256, as the summary and each record's source show it."""
        try:
            return self.path.name, file_sha256(self.path)
        except FileNotFoundError as exc:
            from evidence_locker.errors import NotFound

            raise NotFound("import.no_file", file=str(self.path)) from exc
        except IsADirectoryError as exc:
            raise FormatError("import.unknown_folder", file=self.path.name) from exc
        except OSError as exc:
            raise FormatError("import.unreadable", file=self.path.name, detail=str(exc)) from exc

    def iter_drafts(self) -> Iterator[ContactDraft | Rejected]:
        self._fingerprint = Fingerprinter()
        yield from self._entries()

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        raise NotImplementedError

    def resume_state(self) -> dict[str, Any] | None:
        """For sources read incrementally (a mailbox): what to remember once the import
        is committed, handed back as ``ImportOptions.resume`` next time. None: nothing."""
        return None

    def open_input(self) -> IO[bytes]:
        """The input opened for reading, remembered so that :meth:`progress` can tell how
        far the reading has come."""
        fh = self.path.open("rb")
        self._reading, self._size = fh, os.fstat(fh.fileno()).st_size
        return fh

    def progress(self) -> tuple[int, int] | None:
        """(done, total) of the reading in some unit (bytes, rows), or None if unknown."""
        if self.rows_read is not None:
            return self.rows_read
        fh = self._reading
        if fh is None or fh.closed or not self._size:
            return None
        return min(fh.tell(), self._size), self._size

    def fingerprint(self, kind: str, *parts: Any) -> str:
        """The entry's fingerprint (see :class:`Fingerprinter`), for readers that work
        for an importer (the databases of an iPhone backup)."""
        return self._fingerprint(kind, *parts)

    def source(self, entry: str, fingerprint: str) -> Source:
        name, digest = self.part or (self.file_name, self.file_sha256)
        return Source(
            kind="import",
            format=self.name,
            file_name=name,
            file_sha256=digest,
            entry=entry,
            fingerprint=fingerprint,
        )

    def draft(self, *, entry: str, fingerprint: str, **fields: Any) -> ContactDraft:
        """A draft with provenance and the --org/--case overrides applied."""
        if self.options.organisation:
            fields["organisation"] = self.options.organisation
        if self.options.case:
            fields["case"] = self.options.case
        return ContactDraft(source=self.source(entry, fingerprint), **fields)

    def bound_text(self, what: str, value: str | None) -> str | None:
        if value is not None and len(value) > self.options.max_text_chars:
            raise TooLarge(what, len(value), self.options.max_text_chars)
        return value

    def sibling_file(self, reference: str) -> AttachmentDraft | None:
        """A file an export refers to (a picture, a voice note) beside the input, or None.

        Only files inside the input's folder are read: a reference that climbs out of it
        (``..``, an absolute path elsewhere, a link) is treated as absent.
        """
        folder = self.path.parent.resolve()
        try:
            target = (folder / reference.replace("\\", "/")).resolve()
        except (OSError, ValueError):
            return None
        if not target.is_relative_to(folder) or not target.is_file():
            return None
        size = target.stat().st_size
        if size > self.options.max_attachment_bytes:
            raise TooLarge(target.name, size, self.options.max_attachment_bytes)
        return AttachmentDraft(name=target.name, data=target.read_bytes())

    def bound_attachment(self, attachment: AttachmentDraft) -> AttachmentDraft:
        size = len(attachment.data or b"")
        if size > self.options.max_attachment_bytes:
            raise TooLarge(attachment.name, size, self.options.max_attachment_bytes)
        return attachment


def epoch_millis(raw: Any, zone: tzinfo) -> datetime | None:
    """Epoch milliseconds (a number or its digits) in ``zone``; None if not one."""
    try:
        millis = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    if millis <= 0:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, UTC).astimezone(zone)
    except (OverflowError, OSError, ValueError):
        return None


class ItemBound:
    """A binary file read by a streaming parser that yields items (ijson): raises
    :class:`evidence_locker.errors.FormatError` when more than ``limit`` bytes go by
    without an item, so that one crafted value cannot make the parser build a string
    of any size. Call :meth:`item` after each item."""

    def __init__(self, raw: IO[bytes], limit: int, file_name: str) -> None:
        self._raw, self._limit, self._file = raw, limit, file_name
        self._since = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._since += len(data)
        if self._since > self._limit:
            raise FormatError("import.json_item_too_large", file=self._file, limit=self._limit)
        return data

    def item(self) -> None:
        self._since = 0
