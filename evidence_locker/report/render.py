"""Render the dossier PDF from domain records and a proof bundle, in memory.

Sections: cover, summary (counts, charts, streaks, flags), timeline, records in full,
exhibits, integrity appendix. The proof bundle goes into the PDF as an embedded file
and, with a signing seed, the whole file gets a PAdES signature. No temporary files:
the plaintext never leaves memory until the caller writes the result.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import chain
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from evidence_locker.ledger.checkpoint import Checkpoint, fingerprint
from evidence_locker.locale.messages import t
from evidence_locker.model import AttachmentInfo, Record
from evidence_locker.report import charts
from evidence_locker.report.fonts import (
    LATIN,
    LATIN_BOLD,
    MONO,
    draw_string,
    markup,
    register_fonts,
    string_width,
)
from evidence_locker.report.pdfio import PROOFS_NAME, Attachment, add_attachments, attach
from evidence_locker.report.redact import mask_text

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
FRAME_W = PAGE_W - 2 * MARGIN
SEVERITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
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
MANIFEST_KEY = "dossier"


class EmptyDossier(ValueError):
    """No records were given: a dossier of nothing is never written."""


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=LATIN, fontSize=9, leading=12.5)
    styles = {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "cellb": ParagraphStyle(
            "cellb", parent=base, fontName=LATIN_BOLD, fontSize=7.5, leading=9.5
        ),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=6.5, leading=8.2),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=LATIN_BOLD,
            fontSize=22,
            leading=30,
            alignment=TA_CENTER,
            spaceAfter=10,
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=LATIN_BOLD,
            fontSize=15,
            leading=20,
            spaceBefore=6,
            spaceAfter=8,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=LATIN_BOLD,
            fontSize=11,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "rec": ParagraphStyle(
            "rec",
            parent=base,
            fontName=LATIN_BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=3,
            borderPadding=2,
            backColor=colors.Color(0.9, 0.9, 0.9),
        ),
        "label": ParagraphStyle(
            "label", parent=base, fontName=LATIN_BOLD, fontSize=8, leading=11, spaceBefore=3
        ),
        "note": ParagraphStyle(
            "note", parent=base, fontSize=7.5, leading=10, textColor=colors.Color(0.25, 0.25, 0.25)
        ),
    }
    # CJK wrapping breaks between any two CJK characters but keeps Latin words whole.
    for name, st in list(styles.items()):
        styles[name + "_cjk"] = ParagraphStyle(name + "_cjk", parent=st, wordWrap="CJK")
    return styles


@dataclass
class _Contact:
    """One contact (all versions of one record id) with its exhibit number."""

    no: str
    latest: Record
    versions: list[Record]  # oldest first, latest last

    @property
    def corrected(self) -> bool:
        return len(self.versions) > 1


@dataclass
class _Ctx:
    lang: str
    tz: tzinfo
    redact: frozenset[str]
    withheld: dict[str, frozenset[str]]  # version id -> withheld field names
    entries: dict[str, dict[str, Any]]  # version id -> bundle entry
    styles: dict[str, ParagraphStyle] = field(default_factory=_styles)

    def L(self, key: str, **params: object) -> str:
        return t(f"report.{key}", self.lang, **params)

    def when(self, dt: datetime, seconds: bool = False) -> str:
        local = dt.astimezone(self.tz)
        off = local.strftime("%z")
        off = f"{off[:3]}:{off[3:]}" if off else ""
        return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {off}"

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
        text = self._format(name, raw)
        if name in self.withheld.get(rec.id, frozenset()):
            masked = mask_text(text, self.redact) if self.redact else text
            if masked != text:
                return f"{masked}  ({self.L('masked_note')})"
            return self.L("withheld")
        return mask_text(text, self.redact) if self.redact else text

    def _format(self, name: str, raw: Any) -> str:
        if name == "tags":
            return ", ".join(raw)
        if name == "duration_s":
            return self.L("duration_fmt", m=int(raw) // 60, s=int(raw) % 60)
        if name == "source":
            return " · ".join(f"{k}: {v}" for k, v in raw.to_json().items())
        if name in ("outcome", "event") and hasattr(raw, "value"):
            return self.L(f"{name}.{raw.value}")
        if hasattr(raw, "value"):
            return str(raw.value)
        return str(raw)

    def channel(self, rec: Record) -> str:
        return self.L(f"channel.{rec.channel.value}")

    def direction(self, rec: Record) -> str:
        return self.L(f"direction.{rec.direction.value}")


# -- page furniture -----------------------------------------------------------------


_TOTAL_FORM = "elPageTotal"


def _canvas_class(
    footer_left: str,
    page_label: Callable[[int], tuple[str, str]],
    when: datetime,
    invariant: bool,
) -> type[rl_canvas.Canvas]:
    """A canvas whose footers say "Page X of Y" without holding pages in memory.

    Each footer draws "Page X of " and then a form XObject that is defined only when
    the document is saved and the total is known (PDF allows the forward reference).
    ``page_label(n)`` returns the text before the total and the template after it.
    """

    class FooterCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1 if invariant else 0
            kwargs["initialFontName"] = LATIN  # else Helvetica, which is never embedded
            super().__init__(*args, **kwargs)
            _set_timestamp(self, when)
            self._total_tail = "{total}"

        def showPage(self) -> None:
            self._footer(self.getPageNumber())
            super().showPage()

        def save(self) -> None:
            total = self.getPageNumber() - 1
            self.beginForm(_TOTAL_FORM)
            draw_string(self, 0, 0, self._total_tail.format(total=total), 7.5)
            self.endForm()
            super().save()

        def _footer(self, number: int) -> None:
            before, self._total_tail = page_label(number)
            self.saveState()
            self.setStrokeColor(colors.Color(0.5, 0.5, 0.5))
            self.setLineWidth(0.4)
            self.line(MARGIN, 14 * mm, PAGE_W - MARGIN, 14 * mm)
            self.setFillColor(colors.black)
            draw_string(self, MARGIN, 10 * mm, footer_left, 7.5)
            # room for a four-digit total, so the label's left edge is known now
            widest = before + self._total_tail.format(total="0000")
            x = PAGE_W - MARGIN - string_width(widest, 7.5)
            draw_string(self, x, 10 * mm, before, 7.5)
            self.translate(x + string_width(before, 7.5), 10 * mm)
            self.doForm(_TOTAL_FORM)
            self.restoreState()

    return FooterCanvas


def _set_timestamp(canvas: rl_canvas.Canvas, when: datetime) -> None:
    """PDF CreationDate/ModDate = generation time (reportlab otherwise reads the clock)."""
    ts = canvas._doc._timeStamp
    off = when.utcoffset() or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    ts.t = when.timestamp()
    ts.lt = when.timetuple()
    ts.YMDhms = tuple(when.timetuple())[:6]
    ts.dhh, ts.dmm = divmod(minutes, 60) if minutes >= 0 else (-(-minutes // 60), -minutes % 60)
    ts.tzname = when.tzname() or "UTC"


# -- data preparation ---------------------------------------------------------------


def _group(records: Sequence[Record]) -> list[_Contact]:
    by_rid: dict[str, list[Record]] = defaultdict(list)
    for rec in records:
        by_rid[rec.record_id].append(rec)
    groups = []
    for versions in by_rid.values():
        versions.sort(key=lambda r: r.seq)
        latest = next((v for v in reversed(versions) if v.superseded_by is None), versions[-1])
        groups.append((latest, versions))
    groups.sort(key=lambda g: (g[0].occurred_at.astimezone(UTC), g[0].seq))
    return [_Contact(f"E-{i}", latest, versions) for i, (latest, versions) in enumerate(groups, 1)]


def _streaks(days: list[date]) -> list[tuple[date, date, int]]:
    """Runs of consecutive calendar days, longest first (ties: earliest first)."""
    runs: list[tuple[date, date, int]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == timedelta(days=1):
            start, _, n = runs[-1]
            runs[-1] = (start, day, n + 1)
        else:
            runs.append((day, day, 1))
    return sorted(runs, key=lambda r: (-r[2], r[0]))


def _dossier_id(bundle: dict[str, Any], generated_at: datetime, ids: list[str]) -> str:
    h = hashlib.sha256()
    h.update(str(bundle.get("checkpoint", "")).encode())
    h.update(generated_at.isoformat().encode())
    for i in ids:
        h.update(i.encode() + b"\n")
    d = h.hexdigest()[:8].upper()
    return f"EL-{d[:4]}-{d[4:]}"


# -- sections -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _C:
    """A table cell's text; becomes a cheap one-line flowable or a Paragraph once the
    column width is known (Paragraph layout dominates rendering time)."""

    text: str
    style: str = "cell"


class _Line(Flowable):
    """One line of text drawn run by run, for cells that need no wrapping."""

    def __init__(self, text: str, size: float, leading: float, font: str, width: float):
        super().__init__()
        self.text, self.size, self.leading, self.font, self.width = (
            text,
            size,
            leading,
            font,
            width,
        )
        self.height = leading

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        draw_string(self.canv, 0, self.leading - self.size, self.text, self.size, self.font)


def _realise(ctx: _Ctx, value: Any, width: float) -> Any:
    if not isinstance(value, _C):
        return value
    st = ctx.styles[value.style]
    text = value.text
    if "\n" not in text:
        w = string_width(text, st.fontSize, st.fontName)
        if w <= width - 6:
            return _Line(text, st.fontSize, st.leading, st.fontName, w)
    return ctx.para(text, value.style)


_CHUNK = 40  # rows per Table: reportlab re-measures a long table on every page split


def _table(
    ctx: _Ctx,
    rows: list[list[Any]],
    widths: list[float],
    header: bool = True,
    zebra: bool = True,
    style: list[Any] | None = None,
) -> Iterator[Table]:
    """Tables of at most ``_CHUNK`` rows each, stacked, the header repeated on each;
    a generator, so a long table's cells are laid out only when its turn comes."""
    if style is None:
        style = [
            ("GRID", (0, 0), (-1, -1), 0.3, colors.Color(0.55, 0.55, 0.55)),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), LATIN),  # tables default to Helvetica (unembedded)
        *style,
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.82, 0.82, 0.82)))
    if zebra and len(rows) > 3:
        style.append(
            (
                "ROWBACKGROUNDS",
                (0, 1 if header else 0),
                (-1, -1),
                [colors.white, colors.Color(0.95, 0.95, 0.95)],
            )
        )
    head, body = (rows[:1], rows[1:]) if header else ([], rows)
    for i in range(0, max(len(body), 1), _CHUNK):
        chunk = [
            [_realise(ctx, v, w) for v, w in zip(row, widths, strict=False)]
            for row in head + body[i : i + _CHUNK]
        ]
        tbl = Table(chunk, colWidths=widths, repeatRows=1 if header else 0)
        tbl.setStyle(TableStyle(style))
        yield tbl


def _hdr(ctx: _Ctx, *keys: str) -> list[_C]:
    return [_C(ctx.L(k), "cellb") for k in keys]


def _cell(ctx: _Ctx, text: str | None, style: str = "cell") -> _C:
    return _C(text or "", style)


def _cover(
    ctx: _Ctx,
    contacts: list[_Contact],
    *,
    title: str,
    claimant: str | None,
    generated_at: datetime,
    checkpoint: Checkpoint | None,
    bundle: dict[str, Any],
    dossier_key: bytes | None,
    dossier_id: str,
) -> list[Any]:
    s = ctx.styles
    orgs = sorted({v for c in contacts if (v := ctx.value(c.latest, "organisation"))})
    people = sorted({v for c in contacts if (v := ctx.value(c.latest, "counterpart"))})
    start = min(c.latest.occurred_at for c in contacts)
    end = max(c.latest.occurred_at for c in contacts)
    none = ctx.L("none")
    rows = [
        (ctx.L("cover.claimant"), claimant or none),
        (ctx.L("cover.organisations"), "\n".join(orgs) or none),
        (
            ctx.L("cover.collectors"),
            "\n".join(people[:30]) + (" …" if len(people) > 30 else "") or none,
        ),
        (ctx.L("cover.period"), f"{ctx.when(start)}  —  {ctx.when(end)}"),
        (ctx.L("cover.generated_at"), ctx.when(generated_at, seconds=True)),
        (ctx.L("cover.count"), str(len(contacts))),
    ]
    if checkpoint is not None:
        rows.append(
            (
                ctx.L("cover.tree_head"),
                f"{checkpoint.origin}\n{checkpoint.size}\n{checkpoint.root.hex()}",
            )
        )
    if bundle.get("public_key"):
        rows.append((ctx.L("cover.key"), fingerprint(base64.b64decode(bundle["public_key"]))))
    if dossier_key is not None:
        rows.append((ctx.L("cover.dossier_key"), fingerprint(dossier_key)))
    rows.append((ctx.L("dossier_id", id="").strip(), dossier_id))
    tbl = _table(
        ctx,
        [[_C(k, "cellb"), _C(v)] for k, v in rows],
        [55 * mm, FRAME_W - 55 * mm],
        header=False,
        zebra=False,
        style=[
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.Color(0.6, 0.6, 0.6)),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ],
    )
    return [
        Spacer(1, 30 * mm),
        ctx.p(title, "title"),
        Spacer(1, 4 * mm),
        Paragraph(
            markup(
                ctx.L(
                    "records_in_period",
                    count=len(contacts),
                    start=ctx.when(start),
                    end=ctx.when(end),
                )
            ),
            ParagraphStyle("c", parent=s["body"], alignment=TA_CENTER),
        ),
        Spacer(1, 12 * mm),
        *tbl,
        Spacer(1, 10 * mm),
        ctx.p(ctx.L("cover.note"), "note"),
        PageBreak(),
    ]


def _count_table(ctx: _Ctx, title_key: str, counts: Counter[str], limit: int = 20) -> list[Any]:
    rows: list[list[Any]] = [
        [
            _C(ctx.L(title_key), "cellb"),
            _C(ctx.L("summary.count"), "cellb"),
        ]
    ]
    for name, n in counts.most_common(limit):
        rows.append([_cell(ctx, name), _cell(ctx, str(n))])
    if len(counts) > limit:
        rest = sum(n for _, n in counts.most_common()[limit:])
        rows.append([_cell(ctx, f"… (+{len(counts) - limit})"), _cell(ctx, str(rest))])
    return [*_table(ctx, rows, [FRAME_W - 30 * mm, 30 * mm]), Spacer(1, 4 * mm)]


def _summary(
    ctx: _Ctx, contacts: list[_Contact], flags: Sequence[dict[str, Any]], no_by_id: dict[str, str]
) -> list[Any]:
    out: list[Any] = [ctx.p(ctx.L("summary"), "h1")]
    none = ctx.L("none")
    by_channel = Counter(ctx.channel(c.latest) for c in contacts)
    by_org = Counter(ctx.value(c.latest, "organisation") or none for c in contacts)
    by_person = Counter(ctx.value(c.latest, "counterpart") or none for c in contacts)
    out += _count_table(ctx, "summary.by_channel", by_channel)
    out += _count_table(ctx, "summary.by_org", by_org)
    out += _count_table(ctx, "summary.by_counterpart", by_person, limit=15)
    local = [c.latest.occurred_at.astimezone(ctx.tz) for c in contacts]
    per_day = Counter(d.date() for d in local)
    hours = [0] * 24
    for d in local:
        hours[d.hour] += 1
    night = sum(hours[h] for h in charts.NIGHT_HOURS)
    tzname = getattr(ctx.tz, "key", None) or ctx.when(local[0]).rsplit(" ", 1)[-1]
    out += [
        CondPageBreak(70 * mm),
        ctx.p(ctx.L("summary.per_day"), "h2"),
        charts.per_day_chart(dict(per_day), FRAME_W),
        CondPageBreak(70 * mm),
        ctx.p(ctx.L("summary.by_hour", tz=tzname), "h2"),
        charts.by_hour_chart(hours, FRAME_W),
        ctx.p(ctx.L("summary.night_note", count=night), "note"),
    ]
    streaks = _streaks(list(per_day))[:5]
    rows: list[list[Any]] = [
        _hdr(
            ctx, "summary.streak_from", "summary.streak_to", "summary.streak_days", "summary.count"
        )
    ]
    for start, end, n in streaks:
        count = sum(per_day[start + timedelta(days=i)] for i in range(n))
        rows.append(
            [
                _cell(ctx, start.isoformat()),
                _cell(ctx, end.isoformat()),
                _cell(ctx, str(n)),
                _cell(ctx, str(count)),
            ]
        )
    out += [
        CondPageBreak(40 * mm),
        ctx.p(ctx.L("summary.streaks"), "h2"),
        *_table(ctx, rows, [FRAME_W / 4] * 4),
    ]
    if flags:
        out += [
            CondPageBreak(40 * mm),
            ctx.p(ctx.L("summary.flags"), "h2"),
            ctx.p(ctx.L("summary.flags_note"), "note"),
            Spacer(1, 2 * mm),
        ]
        ordered = sorted(
            flags,
            key=lambda f: (
                -_severity(f.get("severity")),
                -float(f.get("score") or 0),
                _first_no(f, no_by_id),
            ),
        )
        rows = [
            _hdr(ctx, "flag.severity", "flag.rule", "flag.records", "flag.reason", "flag.source")
        ]
        for f in ordered:
            nos = [no_by_id.get(str(r), str(r)) for r in f.get("records") or ()]
            rows.append(
                [
                    _cell(ctx, str(f.get("severity", ""))),
                    _cell(ctx, str(f.get("rule", ""))),
                    _cell(ctx, ", ".join(nos)),
                    _cell(ctx, mask_text(str(f.get("reason", "")), ctx.redact)),
                    _cell(
                        ctx, "\n".join(str(x) for x in (f.get("source"), f.get("source_url")) if x)
                    ),
                ]
            )
        out += _table(ctx, rows, [16 * mm, 30 * mm, 22 * mm, FRAME_W - 118 * mm, 50 * mm])
    out.append(PageBreak())
    return out


def _severity(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    return SEVERITY_ORDER.get(str(value).lower(), 0)


def _first_no(flag: dict[str, Any], no_by_id: dict[str, str]) -> int:
    nums = [int(no_by_id[str(r)][2:]) for r in flag.get("records") or () if str(r) in no_by_id]
    return min(nums) if nums else 10**9


def _one_line(ctx: _Ctx, rec: Record) -> str:
    parts = []
    for name in ("subject", "content", "notes"):
        v = ctx.value(rec, name)
        if v:
            parts.append(v.replace("\n", " "))
            break
    if rec.duration_s is not None:
        parts.append(ctx.value(rec, "duration_s") or "")
    if rec.outcome is not None:
        parts.append(ctx.value(rec, "outcome") or "")
    line = " · ".join(p for p in parts if p)
    return line if len(line) <= 90 else line[:88] + " …"


def _timeline(ctx: _Ctx, contacts: list[_Contact]) -> Iterable[Any]:
    rows: list[list[Any]] = [
        _hdr(
            ctx,
            "col.no",
            "col.when",
            "col.channel",
            "col.direction",
            "col.counterpart",
            "col.organisation",
            "col.summary",
        )
    ]
    for c in contacts:
        rec = c.latest
        mark = ""
        if rec.deleted:
            mark = f"[{ctx.L('deleted_mark', reason=rec.delete_reason or '')}] "
        elif c.corrected:
            mark = f"[{ctx.L('corrected_mark')}] "
        rows.append(
            [
                _cell(ctx, c.no, "cellb"),
                _cell(ctx, ctx.when(rec.occurred_at)),
                _cell(ctx, ctx.channel(rec)),
                _cell(ctx, ctx.direction(rec)),
                _cell(ctx, ctx.value(rec, "counterpart")),
                _cell(ctx, ctx.value(rec, "organisation")),
                _cell(ctx, mark + _one_line(ctx, rec)),
            ]
        )
    widths = [12 * mm, 27 * mm, 16 * mm, 17 * mm, 24 * mm, 26 * mm]
    widths.append(FRAME_W - sum(widths))
    return chain([ctx.p(ctx.L("timeline"), "h1")], _table(ctx, rows, widths), [PageBreak()])


def _record_full(ctx: _Ctx, c: _Contact, done: int) -> list[Any]:
    rec = c.latest
    head = f"{c.no} · {ctx.when(rec.occurred_at)} · {ctx.channel(rec)} · {ctx.direction(rec)}"
    if rec.deleted:
        head += f" · {ctx.L('deleted_mark', reason=rec.delete_reason or '')}"
    elif c.corrected:
        head += f" · {ctx.L('corrected_mark')}"
    older = c.versions[:-1] if c.versions[-1] is rec else [v for v in c.versions if v is not rec]

    def corrections(name: str) -> list[str]:
        now = ctx.value(rec, name)
        out = []
        for old in older:
            before = ctx.value(old, name)
            if before != now:
                out.append(
                    ctx.L(
                        "corrected_from",
                        logged=ctx.when(old.logged_at, True),
                        value=before if before is not None else ctx.L("none"),
                    )
                )
        return out

    rows: list[list[Any]] = [
        [
            _C(ctx.L("field.occurred_at"), "cellb"),
            _C(
                f"{ctx.when(rec.occurred_at, True)}   ({ctx.L('field.logged_at')}: "
                f"{ctx.when(rec.logged_at, True)})"
            ),
        ],
    ]
    for name in DETAIL_FIELDS:
        v = ctx.value(rec, name)
        extra = corrections(name)
        if v is None and not extra:
            continue
        text = "\n".join([v or ctx.L("none"), *extra])
        rows.append([_C(ctx.L(f"field.{name}"), "cellb"), _C(text)])
    if rec.case:
        rows.append([_C(ctx.L("field.case"), "cellb"), _C(rec.case)])
    src = ctx.value(rec, "source")
    if src:
        rows.append([_C(ctx.L("field.source"), "cellb"), _C(src)])
    rows.append([_C(ctx.L("field.record_id"), "cellb"), _C(rec.record_id, "mono")])
    for v in c.versions:
        rows.append(
            [
                _C(ctx.L("field.version"), "cellb"),
                _C(
                    f"{v.id} / {v.seq}   ({ctx.L('field.logged_at')}: "
                    f"{ctx.when(v.logged_at, True)})",
                    "mono",
                ),
            ]
        )
        rows.append([_C(ctx.L("field.leaf_hash"), "cellb"), _C(v.leaf_hash, "mono")])
    for v in c.versions:
        if v.correction_reason:
            reason = mask_text(v.correction_reason, ctx.redact)
            rows.append(
                [
                    _C(ctx.L("correction_reason"), "cellb"),
                    _C(f"{ctx.when(v.logged_at, True)}: {reason}"),
                ]
            )
    if rec.attachments:
        names = "\n".join(
            f"{a.name} ({a.size} B, SHA-256 {a.sha256[:16]}…)" for a in rec.attachments
        )
        rows.append([_C(ctx.L("field.attachments"), "cellb"), _C(mask_text(names, ctx.redact))])
    tbl = _table(
        ctx,
        rows,
        [32 * mm, FRAME_W - 32 * mm],
        header=False,
        zebra=False,
        style=[
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.Color(0.7, 0.7, 0.7)),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ],
    )
    # CondPageBreak rather than KeepTogether: KeepTogether lays everything out twice.
    heading = ctx.para(head, "rec")
    heading._el_done = done  # type: ignore[attr-defined] # read by _Doc.afterFlowable
    out: list[Any] = [CondPageBreak(45 * mm), heading, *tbl]
    for name in BLOCK_FIELDS:
        v = ctx.value(rec, name)
        extra = corrections(name)
        if v is None and not extra:
            continue
        out.append(ctx.para(ctx.L(f"field.{name}"), "label"))
        for para in (v or ctx.L("none")).split("\n\n"):
            out.append(ctx.para(para, "body"))
        for e in extra:
            out.append(ctx.para(e, "note"))
    out.append(Spacer(1, 3 * mm))
    return out


def _exhibits(
    ctx: _Ctx, contacts: list[_Contact], images: Callable[[AttachmentInfo], bytes | None] | None
) -> Iterator[Any]:
    """A generator: each image is fetched only when layout reaches it."""
    yield ctx.p(ctx.L("exhibits"), "h1")
    listed: list[list[Any]] = [
        _hdr(ctx, "col.no", "exhibit.name", "exhibit.type", "exhibit.size", "exhibit.sha256")
    ]
    shown = 0
    for c in contacts:
        for i, att in enumerate(c.latest.attachments, 1):
            no = f"{c.no}/A{i}"
            name = mask_text(att.name, ctx.redact)
            data = None
            if images is not None and (att.mime or "").startswith("image/"):
                data = images(att)
            if data is not None:
                caption = ctx.L("exhibit.caption", no=no, name=name, sha=att.sha256)
                if hashlib.sha256(data).hexdigest() != att.sha256:
                    yield ctx.p(caption, "label")
                    yield ctx.p(ctx.L("exhibit.mismatch"), "body")
                    continue
                img = _image(data)
                if img is not None:
                    block = [ctx.p(caption, "label"), img]
                    if att.caption:
                        block.append(ctx.p(mask_text(att.caption, ctx.redact), "note"))
                    yield KeepTogether(block)
                    yield Spacer(1, 4 * mm)
                    shown += 1
                    continue
            listed.append(
                [
                    _cell(ctx, no, "cellb"),
                    _cell(ctx, name),
                    _cell(ctx, att.mime or "?"),
                    _cell(ctx, str(att.size)),
                    _C(att.sha256, "mono"),
                ]
            )
    if len(listed) > 1:
        yield ctx.p(ctx.L("exhibits.listed"), "h2")
        yield from _table(ctx, listed, [16 * mm, 46 * mm, 24 * mm, 22 * mm, FRAME_W - 108 * mm])
    elif not shown:
        yield ctx.p(ctx.L("exhibits.none"))
    yield PageBreak()


def _image(data: bytes) -> Image | None:
    """The image at readable size: full frame width at most, 150 mm tall at most."""
    try:
        reader = ImageReader(io.BytesIO(data))
        w, h = reader.getSize()
    except Exception:
        return None
    # small screenshots are enlarged a little (1.5x at most) so their text stays legible
    scale = min(FRAME_W / w, 150 * mm / h, 1.5)
    return Image(io.BytesIO(data), width=w * scale, height=h * scale)


def _integrity(
    ctx: _Ctx,
    contacts: list[_Contact],
    bundle: dict[str, Any],
    checkpoint: Checkpoint | None,
    dossier_key: bytes | None,
) -> Iterable[Any]:
    out: list[Any] = [
        ctx.p(ctx.L("integrity"), "h1"),
        ctx.p(ctx.L("integrity.how"), "h2"),
        ctx.p(ctx.L("integrity.how_text")),
        ctx.p(ctx.L("integrity.tree_head"), "h2"),
        ctx.para(str(bundle.get("checkpoint", "")), "mono"),
    ]
    if checkpoint is not None:
        out.append(ctx.para(f"root (hex) {checkpoint.root.hex()}", "mono"))
    out += [
        ctx.p(ctx.L("integrity.keys"), "h2"),
        ctx.p(ctx.L("integrity.verifier_key"), "label"),
        ctx.para(str(bundle.get("verifier_key", "")), "mono"),
    ]
    if dossier_key is not None:
        out += [
            ctx.p(ctx.L("cover.dossier_key"), "label"),
            ctx.para(fingerprint(dossier_key), "mono"),
            ctx.p(ctx.L("integrity.endorsement"), "label"),
            ctx.p(
                ctx.L(
                    "integrity.endorsed"
                    if bundle.get("dossier_key_note")
                    else "integrity.not_endorsed"
                )
            ),
        ]
    else:
        out.append(ctx.p(ctx.L("integrity.unsigned")))
    anchors = bundle.get("anchors") or []
    if anchors:
        out.append(ctx.p(ctx.L("integrity.anchors", count=len(anchors))))
    out += [ctx.p(ctx.L("integrity.steps"), "h2")]
    for i in range(1, 5):
        out.append(ctx.p(f"{i}. {ctx.L(f'integrity.step{i}')}"))
    out += [CondPageBreak(40 * mm), ctx.p(ctx.L("integrity.proofs"), "h2")]
    rows: list[list[Any]] = [
        _hdr(ctx, "col.no", "integrity.col_seq", "field.leaf_hash", "integrity.col_proof")
    ]
    for c in contacts:
        for v in c.versions:
            entry = ctx.entries.get(v.id)
            proof = " ".join(_short(p) for p in (entry or {}).get("proof") or [])
            rows.append(
                [
                    _cell(ctx, c.no, "cellb"),
                    _cell(ctx, str(v.seq)),
                    _C(v.leaf_hash[:32], "mono"),
                    _C(proof or "—", "mono"),
                ]
            )
    return chain(out, _table(ctx, rows, [14 * mm, 14 * mm, 50 * mm, FRAME_W - 78 * mm]))


def _short(b64: str) -> str:
    try:
        return base64.b64decode(b64).hex()[:16]
    except ValueError:
        return "?"


# -- entry point --------------------------------------------------------------------


class _LazyStory(list):  # type: ignore[type-arg]
    """The flowable list reportlab consumes from the front, filled from a generator a
    little ahead of use: a 10,000-record dossier never holds all its flowables at once.

    reportlab only reads the first few items (``[0]``, ``[i]`` while looking for
    keep-with-next runs, ``[:i]``), deletes from the front and pushes split parts back.
    """

    AHEAD = 32

    def __init__(self, source: Iterator[Any]) -> None:
        super().__init__()
        self._source: Iterator[Any] | None = source

    def _fill(self, n: int) -> None:
        while self._source is not None and list.__len__(self) < n:
            try:
                self.append(next(self._source))
            except StopIteration:
                self._source = None

    def __len__(self) -> int:
        self._fill(self.AHEAD)
        return list.__len__(self)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            stop = index.stop
            self._fill(stop if stop is not None and stop >= 0 else 1 << 62)
        else:
            self._fill(index + 1 if index >= 0 else 1 << 62)
        return list.__getitem__(self, index)

    def __bool__(self) -> bool:
        return len(self) > 0


def _page_label(ctx: _Ctx) -> Callable[[int], tuple[str, str]]:
    """Split "Page {page} of {total}" around the total, in the dossier's language."""
    marker = "\x00"

    def label(page: int) -> tuple[str, str]:
        text = ctx.L("page_of", page=page, total=marker)
        before, _, after = text.partition(marker)
        return before, "{total}" + after

    return label


class _Doc(SimpleDocTemplate):
    """Reports progress as each record is laid out (layout is where the time goes)."""

    def __init__(
        self, progress: Callable[[int, int], None] | None, total: int, *args: Any, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self._progress = progress
        self._total = total

    def afterFlowable(self, flowable: Any) -> None:
        done = getattr(flowable, "_el_done", None)
        if done is not None and self._progress is not None and (done % 25 == 0):
            self._progress(done, self._total)


def render_dossier(
    records: Sequence[Record],
    bundle: dict[str, Any],
    *,
    lang: str = "en",
    title: str | None = None,
    claimant: str | None = None,
    generated_at: datetime,
    tz: tzinfo,
    flags: Sequence[dict[str, Any]] = (),
    images: Callable[[AttachmentInfo], bytes | None] | None = None,
    redact: frozenset[str] = frozenset(),
    signing_seed: bytes | None = None,
    progress: Callable[[int, int], None] | None = None,
    invariant: bool = False,
) -> bytes:
    """The whole dossier as PDF bytes. Never writes to disk.

    ``records`` may hold several versions of a contact (corrections); they are grouped
    by ``record_id``. ``bundle`` is :func:`evidence_locker.ledger.bundle.build_bundle`'s
    output for exactly these versions, optionally with ``dossier_key_note``.
    ``flags`` are ``Flag.to_json(lang)`` dicts (rule, records = record ids, reason,
    source, source_url, severity, score); ``images`` returns an image attachment's
    bytes (checked against its SHA-256) or None to list it instead; ``redact`` holds
    "numbers", "addresses", "ids"; ``signing_seed`` is the 32-byte Ed25519 seed of the
    locker's "dossier" subkey (None: unsigned, which ``verify_dossier`` rejects);
    ``progress(done, total)`` is called as records are laid out; ``invariant`` makes
    the bytes depend on the inputs only (tests, golden files).

    Raises :class:`EmptyDossier` when ``records`` is empty.
    """
    if not records:
        raise EmptyDossier(t("report.empty", lang))
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    lang = "zh" if lang.startswith("zh") else "en"
    register_fonts()
    entries = {
        str(e.get("header", {}).get("id")): e
        for e in bundle.get("entries") or []
        if isinstance(e, dict)
    }
    withheld = {vid: frozenset((e.get("withheld") or {}).keys()) for vid, e in entries.items()}
    ctx = _Ctx(lang=lang, tz=tz, redact=frozenset(redact), withheld=withheld, entries=entries)
    contacts = _group(records)
    no_by_id: dict[str, str] = {}
    for c in contacts:
        for v in c.versions:
            no_by_id[v.id] = c.no
        no_by_id[c.latest.record_id] = c.no
    checkpoint = None
    if bundle.get("checkpoint"):
        try:
            checkpoint = Checkpoint.parse_body(
                str(bundle["checkpoint"]).partition("\n\n")[0] + "\n"
            )
        except ValueError:
            checkpoint = None
    dossier_key = None
    if signing_seed is not None:
        from evidence_locker.crypto.pdfsign import dossier_public_key

        dossier_key = dossier_public_key(signing_seed)
    version_ids = [v.id for c in contacts for v in c.versions]
    dossier_id = _dossier_id(bundle, generated_at, version_ids)
    title = title or ctx.L("default_title")
    total = len(contacts)

    def story() -> Iterator[Any]:
        yield from _cover(
            ctx,
            contacts,
            title=title,
            claimant=claimant,
            generated_at=generated_at,
            checkpoint=checkpoint,
            bundle=bundle,
            dossier_key=dossier_key,
            dossier_id=dossier_id,
        )
        yield from _summary(ctx, contacts, flags, no_by_id)
        yield from _timeline(ctx, contacts)
        yield ctx.p(ctx.L("records"), "h1")
        for i, c in enumerate(contacts, 1):
            yield from _record_full(ctx, c, i)
        yield PageBreak()
        yield from _exhibits(ctx, contacts, images)
        yield from _integrity(ctx, contacts, bundle, checkpoint, dossier_key)

    footer = (
        f"{ctx.L('dossier_id', id=dossier_id)}  ·  "
        f"{ctx.L('generated', when=ctx.when(generated_at))}"
    )
    buf = io.BytesIO()
    doc = _Doc(
        progress,
        total,
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=20 * mm,
        title=title,
        author=claimant or "evidence-locker",
        subject=ctx.L("subject"),
        creator="evidence-locker",
        keywords=f"{dossier_id}, evidence-locker",
        lang="zh-CN" if lang == "zh" else "en",
    )
    doc.build(
        _LazyStory(story()),
        canvasmaker=_canvas_class(footer, _page_label(ctx), generated_at, invariant),
    )
    pdf = buf.getvalue()

    embedded = dict(bundle)
    embedded[MANIFEST_KEY] = {
        "id": dossier_id,
        "generated_at": generated_at.isoformat(),
        "lang": lang,
        "redact": sorted(ctx.redact),
        "records": [
            {"no": c.no, "record_id": c.latest.record_id, "versions": [v.id for v in c.versions]}
            for c in contacts
        ],
    }
    files = [
        Attachment(
            PROOFS_NAME,
            json.dumps(embedded, ensure_ascii=False, sort_keys=True, indent=1).encode(),
            "application/json",
            "evidence-locker proof bundle",
        )
    ]
    if signing_seed is None:
        out = attach(pdf, files, generated_at)
    else:
        from evidence_locker.crypto.pdfsign import sign_pdf

        out = sign_pdf(
            pdf,
            signing_seed,
            signing_time=generated_at,
            reason=f"evidence-locker dossier {dossier_id}",
            prepare=lambda w: add_attachments(w, files, generated_at),
        )
    if progress is not None:
        progress(total, total)
    return out
