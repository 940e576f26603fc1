"""The declaration the claimant signs, and the verification page that ends the dossier.

The declaration says, in the dossier's language, who kept the records, how they were
captured (typed on the day of the contact or the day after, typed later, or imported
from which files: each a sentence true of every record it counts), that they are
complete as to the selection, and the locker key fingerprint. It closes in the form
of the law the dossier's rule sets apply (else of the country its records point to):
under penalty of perjury in the words of 28 U.S.C. § 1746 for the United States, a
statement of truth for the United Kingdom, a plain statement that it is true (the
当事人声明 form) for China and anywhere else. ``--declaration FILE`` replaces the
numbered statements with the claimant's own text; the closing words and the signature
lines stay.

The verification page ties a printed copy to the signed file: the short dossier id,
the key fingerprints, the tree head, the trusted times when there are any, and a QR
code carrying the id, the locker key fingerprint and the root.
"""

from __future__ import annotations

from collections import Counter
from datetime import tzinfo
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Spacer

from evidence_locker.ledger.checkpoint import fingerprint
from evidence_locker.report.context import Contact, Dossier
from evidence_locker.report.fonts import LATIN
from evidence_locker.report.geometry import FRAME_W
from evidence_locker.report.layout import Cell, table
from evidence_locker.report.page import section_mark
from evidence_locker.report.trusted_time import cover_rows
from evidence_locker.rules.region import SET_OF_REGION, records_region

BLANK = "____________________"


def capture_lines(d: Dossier) -> list[str]:
    """How the records were captured: typed by hand (on the day of the contact or the
    day after, or later), or imported from which file. Each line is a sentence the
    claimant swears to, so a record typed months later is never counted as typed soon."""
    ctx = d.ctx
    counts: Counter[str] = Counter()
    for c in d.contacts:
        src = c.latest.source
        if src is None or src.kind == "manual":
            counts[ctx.L(f"declaration.typed_{typing_delay(c, ctx.tz)}")] += 1
        else:
            name = ctx.mask(src.file_name) if src.file_name else ctx.L("none")
            sha = ctx.L("declaration.sha", sha=src.file_sha256[:16]) if src.file_sha256 else ""
            counts[ctx.L("declaration.imported", file=name, format=src.format or "?", sha=sha)] += 1
    return [
        ctx.L("declaration.count_one" if n == 1 else "declaration.count", what=what, count=n)
        for what, n in counts.most_common()
    ]


def typing_delay(c: Contact, tz: tzinfo) -> str:
    """When a hand-typed contact was first typed, against the day it happened:
    "soon" (that day or the next), "later", or "before" (a clock or a typed date gone
    wrong). Days, not hours: a contact whose time of day is unknown has only its day.
    The days are the ones the record's page prints (the dossier's zone; a day with no
    time in its own offset), so a reader checks the claim against the two dates. The
    first version's logging time counts: a later correction does not make it late."""
    happened = c.latest.occurred_at
    zone = tz if c.latest.time_known else happened.tzinfo
    typed = c.versions[0].logged_at.astimezone(zone).date()
    days = (typed - happened.astimezone(zone).date()).days
    if days < 0:
        return "before"
    return "soon" if days <= 1 else "later"


def withdrawn_sentence(d: Dossier) -> str:
    n = len(d.withdrawn)
    key = {0: "withdrawn_none", 1: "withdrawn_one"}.get(n, "withdrawn")
    return d.ctx.L(f"declaration.{key}", count=n)


def declaration_law(d: Dossier) -> str:
    """Whose form the closing words take: "_us" (28 U.S.C. § 1746, under penalty of
    perjury), "_uk" (a statement of truth as the Civil Procedure Rules word it), or ""
    (a plain statement that it is true and that the claimant answers for it: the
    Chinese form, and the safe one anywhere else). The law is that of the rule sets the
    findings used, when they are of one country; else (no findings, or several
    countries) the country the records point to."""
    countries = {name for name, _ in d.rule_sets if name in SET_OF_REGION.values()}
    if len(countries) != 1:
        region = records_region([c.latest for c in d.contacts or d.withdrawn]).region
        countries = {SET_OF_REGION.get(region or "", "")}
    country = countries.pop()
    return f"_{country}" if country in ("us", "uk") else ""


def declaration(d: Dossier, selection: str | None) -> list[Any]:
    ctx = d.ctx
    who = d.claimant or BLANK
    contacts = d.contacts or d.withdrawn
    first = min(c.latest.occurred_at for c in contacts)
    last = max(c.latest.occurred_at for c in contacts)
    key = d.locker_key() or "?"
    out: list[Any] = [
        section_mark("declaration", ctx.L("toc.declaration")),
        ctx.p(ctx.L("declaration.title", who=who), "h1"),
    ]
    if d.declaration:
        out.append(ctx.p(d.declaration))
    else:
        statements = [
            ctx.L("declaration.kept", who=who, first=ctx.when(first), last=ctx.when(last)),
            "\n".join(
                [
                    ctx.L("declaration.captured"),
                    *capture_lines(d),
                    ctx.L("declaration.captured_note"),
                ]
            ),
            ctx.L(
                "declaration.complete",
                selection=ctx.mask(selection) if selection else ctx.L("declaration.everything"),
                count=len(d.contacts),
                withdrawn=withdrawn_sentence(d),
            ),
            ctx.L("declaration.corrections"),
            ctx.L("declaration.key", fingerprint=key, blank=BLANK),
        ]
        out.append(ctx.p(ctx.L("declaration.intro", who=who)))
        for i, text in enumerate(statements, 1):
            out.append(ctx.p(ctx.L("declaration.item", n=i, text=text)))
    law = declaration_law(d)
    out += [
        Spacer(1, 4 * mm),
        ctx.p(ctx.L(f"declaration.oath{law}")),
        ctx.p(ctx.L(f"declaration.oath_note{law}"), "note"),
        Spacer(1, 10 * mm),
        ctx.p(ctx.L("declaration.executed", blank=BLANK)),
        Spacer(1, 12 * mm),
        ctx.p(ctx.L("declaration.signature", blank=BLANK, who=who)),
        PageBreak(),
    ]
    return out


def qr_payload(d: Dossier) -> str:
    """What the QR code carries: enough to find and check the signed file."""
    key = d.locker_key()
    root = d.checkpoint.root.hex() if d.checkpoint else ""
    size = d.checkpoint.size if d.checkpoint else 0
    fields = {"id": d.dossier_id, "key": key.replace(" ", ""), "size": size, "root": root}
    return "evidence-locker dossier\n" + "\n".join(f"{k}={v}" for k, v in fields.items())


def qr_drawing(payload: str, size: float = 45 * mm) -> Drawing:
    """``payload`` as a QR code ``size`` points square (error correction M), with the
    standard's quiet zone of four modules, so a phone reads it from paper."""
    widget = QrCodeWidget(payload, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    scale = [size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0]
    drawing = Drawing(size, size, transform=scale, initialFontName=LATIN)
    drawing.add(widget)
    return drawing


def verification(d: Dossier) -> list[Any]:
    ctx = d.ctx
    rows: list[tuple[str, str]] = [(ctx.L("dossier_id", id="").strip(), d.dossier_id)]
    if d.locker_key():
        rows.append((ctx.L("cover.key"), d.locker_key()))
    if d.dossier_key is not None:
        rows.append((ctx.L("cover.dossier_key"), fingerprint(d.dossier_key)))
    if d.checkpoint is not None:
        cp = d.checkpoint
        rows.append((ctx.L("cover.tree_head"), f"{cp.origin}\n{cp.size}\n{cp.root.hex()}"))
    rows.append((ctx.L("verification.trusted_times"), "\n".join(trusted_times(d))))
    tbl = table(
        ctx,
        [[Cell(k, "cellb"), Cell(v, "mono" if k != rows[-1][0] else "cell")] for k, v in rows],
        [48 * mm, FRAME_W - 48 * mm],
        header=False,
        zebra=False,
    )
    drawing = qr_drawing(qr_payload(d))
    return [
        section_mark("verification", ctx.L("toc.verification")),
        ctx.p(ctx.L("verification"), "h1"),
        ctx.p(ctx.L("verification.intro")),
        Spacer(1, 3 * mm),
        *tbl,
        Spacer(1, 5 * mm),
        drawing,
        ctx.p(ctx.L("verification.qr"), "note"),
        Spacer(1, 3 * mm),
        ctx.p(ctx.L("verification.how", id=d.dossier_id)),
    ]


def trusted_times(d: Dossier) -> list[str]:
    """Which entries existed no later than when, by which TSA (the cover's lines,
    report/trusted_time.py), or a plain statement that there is no trusted time."""
    if not d.ctx.trusted:
        return [d.ctx.L("verification.no_trusted_time")]
    return [line for _, text in cover_rows(d.ctx) for line in text.splitlines()]
