"""Records in full: every field of the latest version, the earlier values beneath,
the version ids and leaf hashes."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Spacer

from evidence_locker.report.context import BLOCK_FIELDS, DETAIL_FIELDS, Contact, RenderContext
from evidence_locker.report.fieldtext import heading_start
from evidence_locker.report.layout import FRAME_W, Cell, table
from evidence_locker.report.page import PageMark
from evidence_locker.report.redact import mask_text
from evidence_locker.report.trusted_time import record_row


def record_full(ctx: RenderContext, c: Contact, done: int) -> list[Any]:
    rec = c.latest
    head = f"{heading_start(c.no, ctx.occurred(rec))} · {ctx.channel(rec)} · {ctx.direction(rec)}"
    if rec.deleted:
        reason = mask_text(rec.delete_reason or "", ctx.redact)
        head += f" · {ctx.L('deleted_mark', reason=reason)}"
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
            Cell(ctx.L("field.occurred_at"), "cellb"),
            Cell(
                f"{ctx.when(rec.occurred_at, True)}   ({ctx.L('field.logged_at')}: "
                f"{ctx.when(rec.logged_at, True)})"
            ),
        ],
    ]
    label, when = record_row(ctx, rec)
    rows.append([Cell(label, "cellb"), Cell(when)])
    for name in DETAIL_FIELDS:
        v = ctx.value(rec, name)
        extra = corrections(name)
        if v is None and not extra:
            continue
        text = "\n".join([v or ctx.L("none"), *extra])
        rows.append([Cell(ctx.L(f"field.{name}"), "cellb"), Cell(text)])
    if rec.case:
        rows.append([Cell(ctx.L("field.case"), "cellb"), Cell(mask_text(rec.case, ctx.redact))])
    src = ctx.value(rec, "source")
    if src:
        rows.append([Cell(ctx.L("field.source"), "cellb"), Cell(src)])
    rows.append([Cell(ctx.L("field.record_id"), "cellb"), Cell(rec.record_id, "mono")])
    for v in c.versions:
        rows.append(
            [
                Cell(ctx.L("field.version"), "cellb"),
                Cell(
                    f"{v.id} / {v.seq}   ({ctx.L('field.logged_at')}: "
                    f"{ctx.when(v.logged_at, True)})",
                    "mono",
                ),
            ]
        )
        rows.append([Cell(ctx.L("field.leaf_hash"), "cellb"), Cell(v.leaf_hash, "mono")])
    for v in c.versions:
        if v.correction_reason:
            reason = mask_text(v.correction_reason, ctx.redact)
            rows.append(
                [
                    Cell(ctx.L("correction_reason"), "cellb"),
                    Cell(f"{ctx.when(v.logged_at, True)}: {reason}"),
                ]
            )
    if rec.attachments:
        names = "\n".join(
            f"{mask_text(a.name, ctx.redact)} ({a.size} B, SHA-256 {a.sha256[:16]}…)"
            for a in rec.attachments
        )
        rows.append([Cell(ctx.L("field.attachments"), "cellb"), Cell(names)])
    tbl = table(
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
    heading._el_done = done  # type: ignore[attr-defined] # read by DossierDoc.afterFlowable
    out: list[Any] = [CondPageBreak(45 * mm), PageMark(c.no, "start"), heading, *tbl]
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
    out += [PageMark(c.no, "end"), Spacer(1, 3 * mm)]
    return out
