"""What every section of the dossier needs: the language, the time zone, what is
redacted and withheld, and the contacts grouped and numbered, with their marks."""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from reportlab.lib.styles import ParagraphStyle

from evidence_locker.ledger.anchors import Cover
from evidence_locker.ledger.checkpoint import Checkpoint, fingerprint
from evidence_locker.locale.messages import t
from evidence_locker.model import AttachmentInfo, Case, Record
from evidence_locker.report.charts import NIGHT_HOURS
from evidence_locker.report.fieldtext import format_field, format_occurred, format_when
from evidence_locker.report.layout import make_styles
from evidence_locker.report.redact import mask_text
from evidence_locker.report.textflow import TextBlock

DETAIL_FIELDS = (
    "counterpart",
    "organisation",
    "address",
    "location",
    "people_present",
    "app",
    "duration_s",
    "outcome",
    "third_party",
    "event",
    "tags",
)
BLOCK_FIELDS = ("subject", "content", "notes")


@dataclass
class Contact:
    """One contact (all versions of one record id) with its number: E-n for the
    records shown, D-n for withdrawn (deleted) ones."""

    no: str
    latest: Record
    versions: list[Record]  # oldest first, latest last

    @property
    def corrected(self) -> bool:
        return len(self.versions) > 1


def group_contacts(records: Sequence[Record]) -> tuple[list[Contact], list[Contact]]:
    """Versions grouped by record id, in time order: the records shown, numbered E-1,
    E-2, ..., and the withdrawn (deleted) ones, numbered D-1, D-2, ..."""
    by_rid: dict[str, list[Record]] = defaultdict(list)
    for rec in records:
        by_rid[rec.record_id].append(rec)
    groups = []
    for versions in by_rid.values():
        versions.sort(key=lambda r: r.seq)
        latest = next((v for v in reversed(versions) if v.superseded_by is None), versions[-1])
        groups.append((latest, versions))
    groups.sort(key=lambda g: (g[0].occurred_at.astimezone(UTC), g[0].seq))
    live = [g for g in groups if not g[0].deleted]
    gone = [g for g in groups if g[0].deleted]
    return (
        [Contact(f"E-{i}", latest, versions) for i, (latest, versions) in enumerate(live, 1)],
        [Contact(f"D-{i}", latest, versions) for i, (latest, versions) in enumerate(gone, 1)],
    )


@dataclass(frozen=True, slots=True)
class Exhibit:
    """An attachment of a record shown in the dossier: ``E-74/A1``."""

    no: str
    contact: Contact
    info: AttachmentInfo


@dataclass
class RenderContext:
    lang: str
    tz: tzinfo
    redact: frozenset[str]
    withheld: dict[str, frozenset[str]]  # version id -> withheld field names
    entries: dict[str, dict[str, Any]]  # version id -> bundle entry
    styles: dict[str, ParagraphStyle] = field(default_factory=make_styles)
    # the earliest trusted time of each entry, as steps (report/trusted_time.py)
    trusted: list[Cover] = field(default_factory=list)

    def L(self, key: str, **params: object) -> str:
        return t(f"report.{key}", self.lang, **params)

    def when(self, dt: datetime, seconds: bool = False) -> str:
        return format_when(dt, self.tz, seconds)

    def occurred(self, rec: Record) -> str:
        return format_occurred(rec.occurred_at, self.tz, rec.time_known, self.lang)

    def source_time(self, rec: Record) -> str | None:
        """The time as the source gave it, when its offset is not the dossier's (an
        e-mail sent at 06:30 -05:00): ``None`` when they agree."""
        if not rec.time_known:
            return None
        here = rec.occurred_at.astimezone(self.tz).utcoffset()
        there = rec.occurred_at.utcoffset()
        if here == there or there is None:
            return None
        return format_when(rec.occurred_at, rec.occurred_at.tzinfo or UTC)

    def is_night(self, rec: Record) -> bool:
        return rec.time_known and rec.occurred_at.astimezone(self.tz).hour in NIGHT_HOURS

    def p(self, text: str, style: str = "body") -> TextBlock:
        return self.para(text, style)

    def para(self, text: str, style: str = "body") -> TextBlock:
        """A block of text in one style, broken into lines by :mod:`textflow` rules."""
        return TextBlock([(text, self.styles[style])])

    def mask(self, text: str | None) -> str:
        return mask_text(text or "", self.redact) if self.redact else text or ""

    def value(self, rec: Record, name: str) -> str | None:
        """A field as the dossier may print it: masked, and never a withheld value."""
        raw = getattr(rec, name, None)
        if raw is None or raw == () or raw == "":
            return None
        text = format_field(name, raw, self.lang, rec.channel.value, rec.direction.value)
        if name in self.withheld.get(rec.id, frozenset()):
            masked = self.mask(text)  # what masking means is said once, in the legends
            return masked if masked != text else self.L("withheld")
        return self.mask(text)

    def who(self, rec: Record) -> str:
        """The counterpart's name, else their number or address, else "(unknown)"."""
        return self.value(rec, "counterpart") or self.value(rec, "address") or self.L("unknown_who")

    def channel(self, rec: Record) -> str:
        return self.L(f"channel.{rec.channel.value}")

    def direction(self, rec: Record) -> str:
        return self.L(f"direction.{rec.direction.value}")


@dataclass
class Dossier:
    """Everything the sections render, prepared once."""

    ctx: RenderContext
    contacts: list[Contact]  # shown in full, E-numbered, in time order
    withdrawn: list[Contact]  # deleted, D-numbered
    bundle: dict[str, Any]
    checkpoint: Checkpoint | None
    dossier_key: bytes | None
    dossier_id: str
    title: str
    claimant: str | None
    generated_at: datetime
    findings: list[dict[str, Any]]
    case: Case | None = None
    rule_sets: list[tuple[str, str]] = field(default_factory=list)  # (name, title)
    rule_caveats: list[str] = field(default_factory=list)  # said on the findings pages
    include_deleted: bool = False
    declaration: str | None = None
    no_by_id: dict[str, str] = field(default_factory=dict)  # record or version id -> no
    flagged: set[str] = field(default_factory=set)  # record ids with a finding
    findings_of: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    exhibits: list[Exhibit] = field(default_factory=list)
    deleted_at: dict[str, datetime] = field(default_factory=dict)  # record id -> tombstone time

    def __post_init__(self) -> None:
        for c in [*self.contacts, *self.withdrawn]:
            self.no_by_id[c.latest.record_id] = c.no
            for v in c.versions:
                self.no_by_id[v.id] = c.no
        for f in self.findings:
            for r in f.get("records") or ():
                self.findings_of.setdefault(str(r), []).append(f)
        self.flagged = set(self.findings_of)
        for c in self.contacts:
            for i, att in enumerate(c.latest.attachments, 1):
                self.exhibits.append(Exhibit(f"{c.no}/A{i}", c, att))
        for e in self.bundle.get("entries") or []:
            header = e.get("header") if isinstance(e, dict) else None
            if isinstance(header, dict) and header.get("kind") == "tombstone":
                logged = header.get("logged_at")
                if isinstance(logged, int):
                    self.deleted_at[str(header.get("record_id"))] = datetime(
                        1970, 1, 1, tzinfo=UTC
                    ) + timedelta(microseconds=logged)

    def locker_key(self) -> str:
        """The locker key fingerprint, as the cover prints it ("" when unknown)."""
        key = self.bundle.get("public_key")
        return fingerprint(base64.b64decode(key)) if key else ""

    def exhibits_of(self, contact: Contact) -> list[Exhibit]:
        return [x for x in self.exhibits if x.contact is contact]
