"""The cover page: who, against whom, the period, the signed tree head and keys."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, Spacer

from evidence_locker.ledger.checkpoint import Checkpoint, fingerprint
from evidence_locker.report.context import Contact, RenderContext
from evidence_locker.report.fonts import markup
from evidence_locker.report.layout import FRAME_W, Cell, table
from evidence_locker.report.trusted_time import cover_rows


def cover(
    ctx: RenderContext,
    contacts: list[Contact],
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
    rows += cover_rows(ctx)
    if bundle.get("public_key"):
        rows.append((ctx.L("cover.key"), fingerprint(base64.b64decode(bundle["public_key"]))))
    if dossier_key is not None:
        rows.append((ctx.L("cover.dossier_key"), fingerprint(dossier_key)))
    rows.append((ctx.L("dossier_id", id="").strip(), dossier_id))
    if ctx.redact:
        rows.append((ctx.L("cover.redaction"), redaction_note(ctx)))
    tbl = table(
        ctx,
        [[Cell(k, "cellb"), Cell(v)] for k, v in rows],
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


def redaction_note(ctx: RenderContext) -> str:
    """Says that, and how, the dossier is redacted (issue 13, item 8)."""
    what = [
        ctx.L(f"cover.redacted.{cat}")
        for cat in ("numbers", "ids", "addresses")
        if cat in ctx.redact
    ]
    return ctx.L("cover.redaction_how", what=ctx.L("list_sep").join(what))
