"""Withdrawn records: contacts the user deleted, listed so the count adds up.

A deletion is a tombstone in the ledger; the record and its history stay. The
dossier lists each withdrawn record (D-1, D-2 ...) with when it happened, when it was
withdrawn and why, so a reader can see why a ledger holds more entries than the
dossier shows contacts. Their content is shown only when the user asks
(``--include-deleted``); otherwise the proofs carry only its commitments.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import PageBreak

from evidence_locker.report.context import Dossier
from evidence_locker.report.geometry import FRAME_W
from evidence_locker.report.layout import cell, header_cells, table
from evidence_locker.report.page import section_mark
from evidence_locker.report.records import record_full


def withdrawn(d: Dossier) -> list[Any]:
    ctx = d.ctx
    out: list[Any] = [
        section_mark("withdrawn", ctx.L("toc.withdrawn")),
        ctx.p(ctx.L("withdrawn"), "h1"),
        ctx.p(ctx.L("withdrawn.shown" if d.include_deleted else "withdrawn.note"), "note"),
    ]
    rows: list[list[Any]] = [
        header_cells(ctx, "col.no", "col.when", "col.channel", "withdrawn.at", "withdrawn.reason")
    ]
    for c in d.withdrawn:
        rec = c.latest
        at = d.deleted_at.get(rec.record_id)
        rows.append(
            [
                cell(c.no, "cellb"),
                cell(ctx.occurred(rec)),
                cell(ctx.channel(rec)),
                cell(ctx.when(at) if at else ctx.L("none")),
                cell(ctx.mask(rec.delete_reason) or ctx.L("none")),
            ]
        )
    widths = [12 * mm, 30 * mm, 20 * mm, 30 * mm]
    out += table(ctx, rows, [*widths, FRAME_W - sum(widths)])
    if d.include_deleted:
        for i, c in enumerate(d.withdrawn, 1):
            out += record_full(d, c, i, level=1)
    out.append(PageBreak())
    return out
