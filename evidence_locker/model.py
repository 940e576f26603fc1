"""Domain objects: what a contact record *is*, independent of how it is stored.

Everything that produces records (the CLI, importers) builds a :class:`ContactDraft`;
everything that consumes them (search, rules, the dossier) reads :class:`Record`.
Neither knows about the database or encryption.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from evidence_locker.errors import UsageError
from evidence_locker.parsing.phones import phone_forms
from evidence_locker.parsing.read_text import Box, OcrLine, OcrResult  # noqa: F401 (re-exported)


class Channel(StrEnum):
    SMS = "sms"
    CALL = "call"
    VISIT = "visit"
    EMAIL = "email"
    MESSAGE = "message"  # app messages: WeChat, QQ, WhatsApp, Alipay...
    LETTER = "letter"
    OTHER = "other"


class Direction(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    IN_PERSON = "in_person"


class Outcome(StrEnum):
    """What happened to a contact attempt. Frequency rules count by it."""

    CONNECTED = "connected"  # a call answered, a message delivered, a visit that met someone
    MISSED = "missed"
    VOICEMAIL = "voicemail"
    REJECTED = "rejected"
    BLOCKED = "blocked"
    FAILED = "failed"  # never delivered / never rang (busy, out of service)
    DRAFT = "draft"


class Event(StrEnum):
    """Steps that change what collectors may do afterwards.

    Mostly the user's own (a letter, a call); a few are someone else's that the user
    logs because the rules need them (a debt adviser starting a breathing space, the
    collector mailing verification). Whether a request was written is the channel of
    the record that carries it: a letter, e-mail, SMS or app message is written; a call
    or visit is oral.
    """

    CEASE_REQUEST = "cease_request"  # a request to stop contact
    DISPUTE = "dispute"  # the debt is disputed
    ATTORNEY = "attorney"  # notice that a lawyer represents the user
    REPAYMENT_PLAN = "repayment_plan"  # a plan was agreed
    REFUSES_TO_PAY = "refuses_to_pay"  # notice that the user refuses to pay (US 1692c(c))
    NO_CALLS = "no_calls"  # a request not to be called (US 1006.14(h), UK CONC 7.9.4R)
    NO_TEXTS = "no_texts"  # a request not to be sent SMS or app messages
    NO_EMAIL = "no_email"  # a request not to be e-mailed
    WRITING_ONLY = "writing_only"  # a request to be contacted in writing only
    VERIFICATION = "verification"  # the collector mailed verification of the debt (1692g(b))
    BREATHING_SPACE = "breathing_space"  # a UK debt-respite moratorium started (SI 2020/1311)
    BREATHING_SPACE_END = "breathing_space_end"  # the moratorium ended or was cancelled


APPS = ("wechat", "qq", "imessage", "whatsapp", "alipay", "telegram", "line", "other")

# Sensitive fields: always encrypted at rest, committed to the ledger one by one
# (salted), and searchable. Order is the display order.
SENSITIVE_FIELDS: tuple[str, ...] = (
    "counterpart",
    "organisation",
    "address",
    "subject",
    "content",
    "location",
    "people_present",
    "notes",
    "tags",
    "app",
    "duration_s",
    "outcome",
    "third_party",
    "event",
    "source",
    "time_known",
)


def slot_constructor(cls: type) -> Callable[..., Any]:
    """``cls(...)`` for a frozen, slotted dataclass, without running its ``__init__``.

    That ``__init__`` sets each field through ``object.__setattr__`` (~0.1 µs each; a
    Record has 34). The function returned has the same signature and sets each slot
    through its descriptor, in half the time. A class whose construction does more
    (``__post_init__``, default factories, fields keyword-only or not in ``__init__``)
    gets its own constructor back.
    """
    fields = dataclasses.fields(cls)
    plain = all(f.init and not f.kw_only and f.default_factory is MISSING for f in fields)
    if not plain or hasattr(cls, "__post_init__") or "__slots__" not in cls.__dict__:
        return cls
    scope: dict[str, Any] = {"__new": object.__new__, "__cls": cls}
    params = []
    for f in fields:
        scope[f"__set_{f.name}"] = getattr(cls, f.name).__set__
        scope[f"__default_{f.name}"] = f.default
        params.append(f.name if f.default is MISSING else f"{f.name}=__default_{f.name}")
    sets = "".join(f"    __set_{f.name}(__obj, {f.name})\n" for f in fields)
    # one function written for the class, as dataclasses writes __init__
    exec(f"def new({', '.join(params)}):\n    __obj = __new(__cls)\n{sets}    return __obj", scope)
    scope["new"].__qualname__ = f"{cls.__qualname__}.<slot constructor>"
    return scope["new"]  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from: typed by hand, or which file and which entry."""

    kind: str = "manual"  # "manual" | "import"
    format: str | None = None  # importer name: "sms-backup", "eml", "mbox", "csv", "wechat"...
    file_name: str | None = None
    file_sha256: str | None = None
    entry: str | None = None  # e.g. "sms #12", "line 40", "Message-ID <...>"
    fingerprint: str | None = None  # stable hash of the source entry: duplicate detection

    def to_json(self) -> dict[str, Any]:
        # Every field is a str or None, so no copy is needed (``dataclasses.asdict``
        # deep-copies, and this runs once per imported record).
        out: dict[str, Any] = {}
        for name in _SOURCE_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Source | None:
        if not data:
            return None
        # A file's name, hash and format recur in all its records: one object each.
        get = data.get
        return _new_source(  # Source(...) twice as fast (slot_constructor)
            kind=shared(get("kind", "manual")),
            format=shared(get("format")),
            file_name=shared(get("file_name")),
            file_sha256=shared(get("file_sha256")),
            entry=get("entry"),
            fingerprint=get("fingerprint"),
        )


_SOURCE_FIELDS = tuple(f.name for f in dataclasses.fields(Source))
_new_source = slot_constructor(Source)


def shared(value: Any) -> Any:
    """A short string interned (one object however many records hold it), else as is.

    For values that recur across records (a creditor's name, a number, a file's hash)
    when many Records are held at once, as the search view does.
    """
    return sys.intern(value) if type(value) is str and len(value) <= 80 else value


@dataclass(frozen=True, slots=True)
class AttachmentDraft:
    """A file to attach: from a path on disk, or bytes an importer extracted."""

    name: str
    path: str | None = None
    data: bytes | None = None
    mime: str | None = None
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """One contact as the user or an importer describes it, before it is stored.

    ``occurred_at`` must be timezone-aware; its offset is kept as the original offset.
    """

    channel: Channel
    occurred_at: datetime
    direction: Direction = Direction.INCOMING
    counterpart: str | None = None
    organisation: str | None = None
    address: str | None = None  # normalised phone number, e-mail address or street address
    subject: str | None = None
    content: str | None = None
    location: str | None = None
    people_present: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    app: str | None = None
    duration_s: int | None = None
    outcome: Outcome | None = None
    third_party: str | None = None  # who reported it (family, employer...) if not the user
    event: Event | None = None
    case: str | None = None  # case name or id
    source: Source | None = None
    attachments: tuple[AttachmentDraft, ...] = ()
    # False when only the day is known ("--at 2025-02-09", "昨天"): occurred_at then holds
    # midnight of that day, and time-of-day rules must not read it as a night contact.
    time_known: bool = True

    def sensitive_values(self) -> dict[str, Any]:
        """The sensitive fields that are set, as JSON-ready values."""
        out: dict[str, Any] = {}
        for name in SENSITIVE_FIELDS:
            value = getattr(self, name)
            if value is None or value == "" or value == ():
                continue
            if name == "time_known":
                # Stored only when False, so records with a known time (all older ones)
                # keep exactly the fields, and leaf commitments, they always had.
                if value is False:
                    out[name] = False
                continue
            if name == "tags":
                value = list(value)
            elif name == "source":
                value = value.to_json()
            elif isinstance(value, StrEnum):
                value = value.value
            out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: str
    record_id: str
    name: str
    mime: str | None
    size: int
    sha256: str
    caption: str | None = None
    added_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # EXIF capture time, audio duration
    leaf_hash: str | None = None
    ocr: OcrResult | None = None  # the latest reading of an image's text, machine-made

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_id": self.record_id,
            "name": self.name,
            "mime": self.mime,
            "size": self.size,
            "sha256": self.sha256,
            "caption": self.caption,
            "added_at": self.added_at.isoformat() if self.added_at else None,
            "metadata": self.metadata,
            "leaf_hash": self.leaf_hash,
            "ocr": self.ocr.to_fields() if self.ocr else None,
        }


@dataclass(frozen=True, slots=True)
class Record:
    """One stored version of a contact, as read back and verified.

    ``id`` is this version's id; ``record_id`` the id of the first version, which
    names the contact across corrections. ``corrects`` points at the version this one
    replaces, ``superseded_by`` at the version that replaced it.
    """

    id: str
    record_id: str
    seq: int
    channel: Channel
    direction: Direction
    occurred_at: datetime  # in the original offset
    logged_at: datetime  # UTC, from the system clock at logging time
    counterpart: str | None = None
    organisation: str | None = None
    address: str | None = None
    subject: str | None = None
    content: str | None = None
    location: str | None = None
    people_present: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    app: str | None = None
    duration_s: int | None = None
    outcome: Outcome | None = None
    third_party: str | None = None
    event: Event | None = None
    case_id: str | None = None
    case: str | None = None  # the case's name
    source: Source | None = None
    corrects: str | None = None
    correction_reason: str | None = None
    superseded_by: str | None = None
    deleted: bool = False
    delete_reason: str | None = None
    leaf_hash: str = ""
    attachments: tuple[AttachmentInfo, ...] = ()
    time_known: bool = True  # False: only the day of occurred_at is known
    # trusted time: the genTime of the earliest time-stamp covering this entry, and
    # the TSA that gave it (None until a stamp covers it; locker/timestamps.py)
    existed_by: datetime | None = None
    existed_by_tsa: str | None = None

    @property
    def is_latest(self) -> bool:
        return self.superseded_by is None

    def to_json(self) -> dict[str, Any]:
        """The shape of ``list --json``; later features read it, so only ever add keys."""
        return {
            "id": self.id,
            "record_id": self.record_id,
            "seq": self.seq,
            "channel": self.channel.value,
            "direction": self.direction.value,
            "occurred_at": self.occurred_at.isoformat(),
            "time_known": self.time_known,
            "logged_at": self.logged_at.isoformat(),
            "counterpart": self.counterpart,
            "organisation": self.organisation,
            "address": self.address,
            "subject": self.subject,
            "content": self.content,
            "duration_s": self.duration_s,
            "location": self.location,
            "people_present": self.people_present,
            "notes": self.notes,
            "tags": list(self.tags),
            "app": self.app,
            "outcome": self.outcome.value if self.outcome else None,
            "third_party": self.third_party,
            "event": self.event.value if self.event else None,
            "case": self.case,
            "case_id": self.case_id,
            "source": self.source.to_json() if self.source else None,
            "corrects": self.corrects,
            "correction_reason": self.correction_reason,
            "superseded_by": self.superseded_by,
            "deleted": self.deleted,
            "delete_reason": self.delete_reason,
            "leaf_hash": self.leaf_hash,
            "attachments": [a.to_json() for a in self.attachments],
            "existed_no_later_than": self.existed_by.isoformat() if self.existed_by else None,
            "existed_no_later_than_tsa": self.existed_by_tsa,
        }


@dataclass(frozen=True, slots=True)
class Case:
    """A debt the records are grouped by: creditor, account, amount."""

    id: str
    name: str
    creditor: str | None = None
    account: str | None = None
    amount: str | None = None
    notes: str | None = None
    created_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "creditor": self.creditor,
            "account": self.account,
            "amount": self.amount,
            "notes": self.notes,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Selection shared by list, search, check and export. Empty = everything."""

    channels: tuple[Channel, ...] = ()
    directions: tuple[Direction, ...] = ()
    organisation: str | None = None  # case-insensitive substring
    counterpart: str | None = None  # case-insensitive substring
    address: str | None = None  # normalised, exact
    case: str | None = None  # case name or id
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # inclusive
    has_attachment: bool | None = None
    include_deleted: bool = False
    all_versions: bool = False


TextTest = Callable[[Any, Any, Any], bool]


def text_filter(flt: RecordFilter) -> TextTest | None:
    """The organisation / counterpart / address filters (on decrypted values) as one
    test of ``(organisation, counterpart, address)``, or None when none is set.

    Built once per query: a search applies it to every hit it reads.
    """
    org = flt.organisation.casefold() if flt.organisation else None
    who = flt.counterpart.casefold() if flt.counterpart else None
    exact = flt.address
    if not (org or who or exact):
        return None
    # A number matches however it was typed (138 0013 8000, +86 13800138000), as in search.
    who_forms = (who, *phone_forms(who)) if who else ()

    def test(organisation: Any, counterpart: Any, address: Any) -> bool:
        if org and org not in str(organisation or "").casefold():
            return False
        if who:
            seen = f"{counterpart or ''}\n{address or ''}".casefold()
            if not any(form in seen for form in who_forms):
                return False
        return not (exact and address != exact)

    return test


def check_range(flt: RecordFilter) -> None:
    """Refuse a filter whose ``since`` is after its ``until`` (one check for SQL and view)."""
    if flt.since and flt.until and flt.since > flt.until:
        raise UsageError("filter.bad_range")


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_from_micros(us: int) -> datetime:
    """The UTC time ``us`` microseconds after the epoch, exact (integer arithmetic)."""
    if type(us) is int:  # the same timedelta from whole seconds: 0.3 µs faster to build
        seconds, rest = divmod(us, 1_000_000)
        return EPOCH + timedelta(0, seconds, rest)
    return EPOCH + timedelta(microseconds=us)


def micros(dt: datetime) -> int:
    """Microseconds since the epoch, exact (no float rounding)."""
    delta = dt.astimezone(UTC) - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def offset_minutes(dt: datetime) -> int:
    off = dt.utcoffset()
    if off is None:
        raise ValueError("naive datetime")
    return int(off.total_seconds() // 60)


def with_offset(us: int, minutes: int) -> datetime:
    """The time ``us`` microseconds after the epoch, at a UTC offset of ``minutes``."""
    if type(us) is int and _MIN_MICROS <= us <= _MAX_MICROS:
        # The epoch at that offset plus the time since: the datetime that converting
        # the UTC time gives (an overflow included), 0.3 µs sooner.
        seconds, rest = divmod(us, 1_000_000)
        return _epoch_at(minutes) + timedelta(0, seconds, rest)
    return utc_from_micros(us).astimezone(_fixed_zone(minutes))


# The UTC times a datetime can hold, in microseconds since the epoch.
_MIN_MICROS = micros(datetime.min.replace(tzinfo=UTC))
_MAX_MICROS = micros(datetime.max.replace(tzinfo=UTC))


@functools.lru_cache(maxsize=256)
def _epoch_at(minutes: int) -> datetime:
    return EPOCH.astimezone(_fixed_zone(minutes))


@functools.lru_cache(maxsize=256)
def _fixed_zone(minutes: int) -> timezone:
    """One tzinfo per offset, shared by every datetime read back with it (a locker's
    records have a handful of offsets; a new object each costs memory when many
    Records are held, as the search view does)."""
    return timezone(timedelta(minutes=minutes))
