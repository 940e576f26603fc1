"""Records in full: every field of the version shown, every earlier value beneath the
field it changed (with the correction's time and reason), the times, the version ids
and leaf hashes, the exhibits and the findings of each record."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm

from evidence_locker.model import Record
from evidence_locker.report.context import BLOCK_FIELDS, DETAIL_FIELDS, Contact, Dossier
from evidence_locker.report.fieldtext import heading_start
from evidence_locker.report.findings import kind_label, severity_label
from evidence_locker.report.geometry import FRAME_W
from evidence_locker.report.grid import Grid, Marks, Span
from evidence_locker.report.layout import LIST, Cell
from evidence_locker.report.timeline import marks
from evidence_locker.report.trusted_time import record_row

LABEL_W = 32 * mm
HEADING_BG = colors.Color(0.9, 0.9, 0.9)
# Header members a correction can change besides the fields (locker.correct).
_HEADER_CHANGES = ("occurred_at", "channel", "direction", "case")


def record_full(d: Dossier, c: Contact, done: int, level: int = 1) -> list[Any]:
    ctx = d.ctx
    rec = c.latest
    head = f"{heading_start(c.no, ctx.occurred(rec))} · {ctx.channel(rec)} · {ctx.direction(rec)}"
    if rec.deleted:
        head += f" · {ctx.L('deleted_mark', reason=ctx.mask(rec.delete_reason))}"
    flags = marks(d, c)
    if flags:
        head += f" · {' · '.join(flags)}"
    changes = _changes(d, c)
    rows: list[list[Any]] = [[Cell(ctx.L("field.occurred_at"), "cellb"), Cell(_times(d, rec))]]
    label, when = record_row(ctx, rec)  # "existed no later than" (report/trusted_time.py)
    rows.append([Cell(label, "cellb"), Cell(when)])
    for name in _HEADER_CHANGES:
        if changes.get(name):
            rows.append([Cell(ctx.L(f"field.{name}"), "cellb"), Cell("\n".join(changes[name]))])
    for name in DETAIL_FIELDS:
        v = ctx.value(rec, name)
        if v is None and not changes.get(name):
            continue
        text = "\n".join([v or ctx.L("none"), *changes.get(name, [])])
        rows.append([Cell(ctx.L(f"field.{name}"), "cellb"), Cell(text)])
    if rec.case:
        rows.append([Cell(ctx.L("field.case"), "cellb"), Cell(ctx.mask(rec.case))])
    src = ctx.value(rec, "source")
    if src:
        rows.append([Cell(ctx.L("field.source"), "cellb"), Cell(src)])
    for x in d.exhibits_of(c):
        a = x.info
        line = f"{x.no} · {ctx.mask(a.name)} · {a.size:,} B · SHA-256 {a.sha256[:16]}…"
        rows.append([Cell(ctx.L("field.attachments"), "cellb"), Cell(line)])
    rows += _findings(d, rec)
    rows.append([Cell(ctx.L("field.record_id"), "cellb"), Cell(rec.record_id, "mono")])
    for v in c.versions:
        version = f"{v.id} / {v.seq}   ({ctx.L('field.logged_at')}: {ctx.when(v.logged_at, True)})"
        rows.append([Cell(ctx.L("field.version"), "cellb"), Cell(version, "mono")])
        rows.append([Cell(ctx.L("field.leaf_hash"), "cellb"), Cell(v.leaf_hash, "mono")])
    outline = (f"{c.no} · {ctx.occurred(rec)} · {ctx.channel(rec)}", level)
    body: list[Any] = [
        Span(head, ctx.styles["rec"], background=HEADING_BG),
        *[[_cell(ctx, k), _cell(ctx, v)] for k, v in rows],
    ]
    for name in BLOCK_FIELDS:
        v = ctx.value(rec, name)
        extra = changes.get(name, [])
        if v is None and not extra:
            continue
        label = ctx.L(f"field.{name}")
        body.append(Span(label, ctx.styles["label"], label=label, keep_next=True))
        body.append(Span(v or ctx.L("none"), ctx.styles["body"], label=label))
        body += [Span(e, ctx.styles["note"], label=label) for e in extra]
    continued = ctx.L("continued")
    grid = Grid(
        body,
        [LABEL_W, FRAME_W - LABEL_W],
        LIST,
        marks=Marks(
            key=c.no,
            outline=outline,
            keep=4,  # the heading and three rows at least, never a heading alone
            continued=lambda label: (
                f"{c.no} · {label} {continued}" if label else c.no + " " + continued
            ),
        ),
    )
    grid._el_done = done  # type: ignore[attr-defined] # read by DossierDoc.afterFlowable
    grid.spaceBefore, grid.spaceAfter = 6, 3 * mm
    return [grid]


def _cell(ctx: Any, cell: Cell) -> tuple[str, Any]:
    return (cell.text, ctx.styles[cell.style])


def _times(d: Dossier, rec: Record) -> str:
    """When it happened in the dossier's zone, as the source gave it if that differs,
    and when it was logged."""
    ctx = d.ctx
    text = ctx.when(rec.occurred_at, True) if rec.time_known else ctx.occurred(rec)
    at_source = ctx.source_time(rec)
    if at_source:
        text += f"   ({ctx.L('field.at_source', when=at_source)})"
    text += f"\n{ctx.L('field.logged_at')}: {ctx.when(rec.logged_at, True)}"
    return text


def _changes(d: Dossier, c: Contact) -> dict[str, list[str]]:
    """For each field a correction changed: "before the correction of <when> (<reason>):
    <earlier value>", one line per correction, oldest first."""
    ctx = d.ctx
    out: dict[str, list[str]] = {}
    for before, after in zip(c.versions, c.versions[1:], strict=False):
        when = ctx.when(after.logged_at)
        reason = ctx.mask(after.correction_reason) or ctx.L("none")
        for name in (*_HEADER_CHANGES, *DETAIL_FIELDS, *BLOCK_FIELDS):
            old, new = _shown(d, before, name), _shown(d, after, name)
            if old != new:
                line = ctx.L("corrected_from", when=when, reason=reason, value=old or ctx.L("none"))
                out.setdefault(name, []).append(line)
    return out


def _shown(d: Dossier, rec: Record, name: str) -> str | None:
    ctx = d.ctx
    if name == "occurred_at":
        return ctx.occurred(rec)
    if name == "channel":
        return ctx.channel(rec)
    if name == "direction":
        return ctx.direction(rec)
    if name == "case":
        return ctx.mask(rec.case) if rec.case else None
    return ctx.value(rec, name)


def _findings(d: Dossier, rec: Record) -> list[list[Any]]:
    ctx = d.ctx
    rows = []
    for f in d.findings_of.get(rec.record_id, ()):
        text = (
            f"{severity_label(d, f.get('severity'))} · "
            f"{kind_label(d, str(f.get('kind', '')), f.get('kind_label'))} · {f.get('rule', '')}"
        )
        rows.append([Cell(ctx.L("field.finding"), "cellb"), Cell(text)])
    return rows
