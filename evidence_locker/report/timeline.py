"""The timeline: one row per contact in time order."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import PageBreak

from evidence_locker.model import Record
from evidence_locker.report.context import Contact, RenderContext
from evidence_locker.report.layout import FRAME_W, cell, header_cells, table
from evidence_locker.report.redact import mask_text


def _one_line(ctx: RenderContext, rec: Record) -> str:
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


def timeline(ctx: RenderContext, contacts: list[Contact]) -> Iterable[Any]:
    rows: list[list[Any]] = [
        header_cells(
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
            reason = mask_text(rec.delete_reason or "", ctx.redact)
            mark = f"[{ctx.L('deleted_mark', reason=reason)}] "
        elif c.corrected:
            mark = f"[{ctx.L('corrected_mark')}] "
        rows.append(
            [
                cell(c.no, "cellb"),
                cell(ctx.occurred(rec)),
                cell(ctx.channel(rec)),
                cell(ctx.direction(rec)),
                cell(ctx.value(rec, "counterpart")),
                cell(ctx.value(rec, "organisation")),
                cell(mark + _one_line(ctx, rec)),
            ]
        )
    widths = [12 * mm, 27 * mm, 16 * mm, 17 * mm, 24 * mm, 26 * mm]
    widths.append(FRAME_W - sum(widths))
    return chain([ctx.p(ctx.L("timeline"), "h1")], table(ctx, rows, widths), [PageBreak()])
