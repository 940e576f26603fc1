"""The integrity appendix: how the records were kept, the tree head, the keys, how to
verify, and every version's inclusion proof."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from itertools import chain
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, PageBreak

from evidence_locker.ledger.checkpoint import fingerprint
from evidence_locker.report.context import Dossier
from evidence_locker.report.geometry import FRAME_W
from evidence_locker.report.layout import Cell, cell, header_cells, table
from evidence_locker.report.page import section_mark


def integrity(d: Dossier) -> Iterable[Any]:
    ctx, bundle, checkpoint, dossier_key = d.ctx, d.bundle, d.checkpoint, d.dossier_key
    out: list[Any] = [
        section_mark("integrity", ctx.L("toc.integrity")),
        ctx.p(ctx.L("integrity"), "h1"),
        ctx.p(ctx.L("integrity.how"), "h2"),
        ctx.p(ctx.L("integrity.how_text")),
        ctx.p(ctx.L("integrity.tree_head"), "h2"),
        ctx.para(str(bundle.get("checkpoint", "")), "mono"),
    ]
    if checkpoint is not None:
        out.append(ctx.para(ctx.L("integrity.root_hex", root=checkpoint.root.hex()), "mono"))
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
        header_cells(ctx, "col.no", "integrity.col_seq", "field.leaf_hash", "integrity.col_proof")
    ]
    for c in [*d.contacts, *d.withdrawn]:
        for v in c.versions:
            entry = ctx.entries.get(v.id)
            proof = " ".join(_short(p) for p in (entry or {}).get("proof") or [])
            rows.append(
                [
                    cell(c.no, "cellb"),
                    cell(str(v.seq)),
                    Cell(v.leaf_hash[:32], "mono"),
                    Cell(proof or "—", "mono"),
                ]
            )
    widths = [14 * mm, 14 * mm, 50 * mm, FRAME_W - 78 * mm]
    return chain(out, table(ctx, rows, widths), [PageBreak()])


def _short(b64: str) -> str:
    try:
        return base64.b64decode(b64).hex()[:16]
    except ValueError:
        return "?"
