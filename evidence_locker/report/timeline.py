"""The timeline: one row per contact in time order, with its marks and exhibits."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import PageBreak

from evidence_locker.model import Record
from evidence_locker.report.context import Contact, Dossier
from evidence_locker.report.geometry import FRAME_W
from evidence_locker.report.layout import cell, header_cells, table
from evidence_locker.report.page import section_mark


def marks(d: Dossier, c: Contact) -> list[str]:
    """What a reader should notice about a contact, in words (never colour alone)."""
    ctx, rec = d.ctx, c.latest
    out = []
    if ctx.is_night(rec):
        out.append(ctx.L("mark.night"))
    if rec.record_id in d.flagged:
        out.append(ctx.L("mark.flagged"))
    if c.corrected:
        out.append(ctx.L("corrected_mark"))
    if rec.third_party:
        out.append(ctx.L("mark.third_party", who=ctx.value(rec, "third_party") or ""))
    return out


def one_line(d: Dossier, rec: Record, limit: int = 70) -> str:
    """The first of subject, content, notes (cut at ``limit`` characters), then the
    duration and outcome, which are never cut."""
    ctx = d.ctx
    parts = []
    for name in ("subject", "content", "notes"):
        v = ctx.value(rec, name)
        if v:
            v = " ".join(v.split())
            parts.append(v if len(v) <= limit else v[: limit - 2] + " …")
            break
    if rec.duration_s is not None:
        parts.append(ctx.value(rec, "duration_s") or "")
    if rec.outcome is not None:
        parts.append(ctx.value(rec, "outcome") or "")
    return " · ".join(p for p in parts if p)


def timeline(d: Dossier) -> Iterable[Any]:
    ctx = d.ctx
    rows: list[list[Any]] = [
        header_cells(
            ctx,
            "col.no",
            "col.when",
            "col.channel",
            "col.counterpart",
            "col.organisation",
            "col.summary",
        )
    ]
    for c in d.contacts:
        rec = c.latest
        flags = marks(d, c)
        text = (f"[{' · '.join(flags)}] " if flags else "") + one_line(d, rec)
        exhibits = d.exhibits_of(c)
        if exhibits:
            text += "  " + ctx.L("timeline.exhibits", nos=", ".join(x.no for x in exhibits))
        rows.append(
            [
                cell(c.no, "cellb"),
                cell(ctx.occurred(rec)),
                cell(f"{ctx.channel(rec)}\n{ctx.direction(rec)}"),
                cell(ctx.who(rec)),
                cell(ctx.value(rec, "organisation")),
                cell(text),
            ]
        )
    widths = [12 * mm, 26 * mm, 17 * mm, 27 * mm, 27 * mm]
    widths.append(FRAME_W - sum(widths))
    return chain(
        [
            section_mark("timeline", ctx.L("toc.timeline")),
            ctx.p(ctx.L("timeline"), "h1"),
            ctx.p(
                ctx.L("timeline.note") + (" " + ctx.L("masked_note") if ctx.redact else ""),
                "note",
            ),
        ],
        table(ctx, rows, widths),
        [PageBreak()],
    )
