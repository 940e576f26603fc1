"""The cover page, and the contents page after it.

The cover says who, against whom, the case, the period, what the dossier holds and
what it leaves out (withdrawn records, redaction), which rules judged it, the signed
tree head and the keys. It is kept to one page: long lists are cut with a count of
the rest, so the closing note never spills onto a page of its own.
"""

from __future__ import annotations

import base64
from typing import Any

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Spacer

from evidence_locker.ledger.checkpoint import fingerprint
from evidence_locker.report.context import Dossier, RenderContext
from evidence_locker.report.geometry import FRAME_W
from evidence_locker.report.layout import LIST, Cell, table
from evidence_locker.report.page import LAST_PAGE, bates_number, section_mark
from evidence_locker.report.textflow import TextBlock
from evidence_locker.report.toc import Contents, ForwardLine
from evidence_locker.report.trusted_time import cover_rows

MAX_ORGS = 6
MAX_PEOPLE = 8


def cover(d: Dossier, bates: str) -> list[Any]:
    ctx = d.ctx
    contacts = d.contacts or d.withdrawn
    orgs = sorted({v for c in d.contacts if (v := ctx.value(c.latest, "organisation"))})
    people = sorted({ctx.who(c.latest) for c in d.contacts})
    start = min(c.latest.occurred_at for c in contacts)
    end = max(c.latest.occurred_at for c in contacts)
    none = ctx.L("none")
    rows: list[tuple[str, Any]] = [(ctx.L("cover.claimant"), d.claimant or none)]
    if d.case is not None:
        rows.append((ctx.L("cover.case"), case_line(d)))
    rows += [
        (ctx.L("cover.organisations"), _cut(ctx, orgs, MAX_ORGS) or none),
        (ctx.L("cover.collectors"), _cut(ctx, people, MAX_PEOPLE) or none),
        (ctx.L("cover.period"), f"{ctx.when(start)}  —  {ctx.when(end)}"),
        (ctx.L("cover.generated_at"), ctx.when(d.generated_at, seconds=True)),
        (ctx.L("cover.count"), _counts(d)),
    ]
    if d.checkpoint is not None:
        cp = d.checkpoint
        shown = len(d.bundle.get("entries") or [])
        rows.append(
            (
                ctx.L("cover.tree_head"),
                f"{cp.origin}\n{cp.root.hex()}\n"
                + ctx.L("cover.ledger_size", size=cp.size, shown=shown),
            )
        )
    rows += cover_rows(ctx)
    if d.locker_key():
        rows.append((ctx.L("cover.key"), fingerprint(base64.b64decode(d.bundle["public_key"]))))
    if d.dossier_key is not None:
        rows.append((ctx.L("cover.dossier_key"), fingerprint(d.dossier_key)))
    rows.append((ctx.L("dossier_id", id="").strip(), d.dossier_id))
    rows.append((ctx.L("cover.rules"), _rules(d)))
    if ctx.redact:
        rows.append((ctx.L("cover.redaction"), redaction_note(ctx)))
    first = bates_number(bates, 1)
    rows.append(
        (
            ctx.L("cover.bates"),
            ForwardLine(
                f"{first} – ", LAST_PAGE, lambda n: bates_number(bates, n), first, size=7.5
            ),
        )
    )
    tbl = table(
        ctx,
        [[Cell(k, "cellb"), v if not isinstance(v, str) else Cell(v)] for k, v in rows],
        [48 * mm, FRAME_W - 48 * mm],
        header=False,
        zebra=False,
        style=LIST,
    )
    centred = ParagraphStyle("c", parent=ctx.styles["body"], alignment=TA_CENTER)
    one = len(d.contacts) == 1  # "1 contact on ...", not "1 contacts from X to X"
    period = ctx.L(
        "records_in_period_one" if one else "records_in_period",
        count=len(d.contacts),
        start=ctx.when(start),
        end=ctx.when(end),
    )
    return [
        section_mark("cover", ctx.L("toc.cover")),
        Spacer(1, 8 * mm),
        ctx.p(d.title, "title"),
        TextBlock([(period, centred)]),
        Spacer(1, 6 * mm),
        *tbl,
        Spacer(1, 4 * mm),
        ctx.p(ctx.L("cover.note"), "note"),
        PageBreak(),
    ]


def contents(d: Dossier, sections: list[tuple[str, str]]) -> list[Any]:
    ctx = d.ctx
    return [
        section_mark("contents", ctx.L("toc")),
        ctx.p(ctx.L("toc"), "h1"),
        Spacer(1, 3 * mm),
        Contents(sections),
        Spacer(1, 6 * mm),
        ctx.p(ctx.L("toc.outline_note"), "note"),
        PageBreak(),
    ]


def case_line(d: Dossier) -> str:
    """The case a case-filtered dossier is about: name, creditor, account, amount."""
    case, ctx = d.case, d.ctx
    if case is None:
        return ""
    parts = [ctx.mask(case.name)]
    if case.creditor:
        parts.append(ctx.L("case.creditor", value=ctx.mask(case.creditor)))
    if case.account:
        parts.append(ctx.L("case.account", value=ctx.mask(case.account)))
    if case.amount:
        parts.append(ctx.L("case.amount", value=case.amount))
    return " · ".join(parts)


def _cut(ctx: RenderContext, items: list[str], limit: int) -> str:
    if len(items) <= limit:
        return "\n".join(items)
    return "\n".join([*items[:limit], ctx.L("cover.and_more", count=len(items) - limit)])


def _counts(d: Dossier) -> str:
    ctx = d.ctx
    corrected = sum(1 for c in d.contacts if c.corrected)
    lines = [ctx.L("cover.count_line", count=len(d.contacts), corrected=corrected)]
    if d.withdrawn:
        key = "cover.withdrawn_shown" if d.include_deleted else "cover.withdrawn"
        lines.append(ctx.L(key, count=len(d.withdrawn)))
    return "\n".join(lines)


def _rules(d: Dossier) -> str:
    ctx = d.ctx
    if not d.rule_sets:
        return ctx.L("cover.no_rules")
    return "\n".join(f"{name}: {title}" for name, title in d.rule_sets)


def redaction_note(ctx: RenderContext) -> str:
    """Says that, and how, the dossier is redacted (issue 13, item 8)."""
    cats = ("numbers", "ids", "addresses")
    what = [ctx.L(f"cover.redacted.{cat}") for cat in cats if cat in ctx.redact]
    return ctx.L("cover.redaction_how", what=ctx.L("list_sep").join(what))
