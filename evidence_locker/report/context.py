"""What every section of the dossier needs: the language, the time zone, what is
redacted and withheld, and the contacts grouped with their exhibit numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from evidence_locker.ledger.anchors import Cover
from evidence_locker.locale.messages import t
from evidence_locker.model import Record
from evidence_locker.report.fieldtext import format_field, format_occurred, format_when
from evidence_locker.report.fonts import markup
from evidence_locker.report.layout import make_styles
from evidence_locker.report.redact import mask_text

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
    """One contact (all versions of one record id) with its exhibit number."""

    no: str
    latest: Record
    versions: list[Record]  # oldest first, latest last

    @property
    def corrected(self) -> bool:
        return len(self.versions) > 1


def group_contacts(records: Sequence[Record]) -> list[Contact]:
    """Versions grouped by record id, in time order, numbered E-1, E-2, ..."""
    by_rid: dict[str, list[Record]] = defaultdict(list)
    for rec in records:
        by_rid[rec.record_id].append(rec)
    groups = []
    for versions in by_rid.values():
        versions.sort(key=lambda r: r.seq)
        latest = next((v for v in reversed(versions) if v.superseded_by is None), versions[-1])
        groups.append((latest, versions))
    groups.sort(key=lambda g: (g[0].occurred_at.astimezone(UTC), g[0].seq))
    return [Contact(f"E-{i}", latest, versions) for i, (latest, versions) in enumerate(groups, 1)]


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

    def p(self, text: str, style: str = "body") -> Paragraph:
        return self.para(text, style)

    def para(self, text: str, style: str = "body") -> Paragraph:
        """A Paragraph; CJK line breaking (slow) only for text that has CJK in it."""
        st = self.styles[style]
        if any(ord(ch) >= 0x2E80 for ch in text):
            st = self.styles[style + "_cjk"]
        return Paragraph(markup(text, st.fontName), st)

    def value(self, rec: Record, name: str) -> str | None:
        """A field as the dossier may print it: masked, and never a withheld value."""
        raw = getattr(rec, name, None)
        if raw is None or raw == () or raw == "":
            return None
        text = format_field(name, raw, self.lang)
        if name in self.withheld.get(rec.id, frozenset()):
            masked = mask_text(text, self.redact) if self.redact else text
            if masked != text:
                return f"{masked}  ({self.L('masked_note')})"
            return self.L("withheld")
        return mask_text(text, self.redact) if self.redact else text

    def channel(self, rec: Record) -> str:
        return self.L(f"channel.{rec.channel.value}")

    def direction(self, rec: Record) -> str:
        return self.L(f"direction.{rec.direction.value}")
