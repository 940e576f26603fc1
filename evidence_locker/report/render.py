"""Render the dossier PDF from domain records and a proof bundle, in memory.

Sections (one module each): cover, summary (counts, charts, streaks, flags), timeline,
records in full, exhibits, integrity appendix. The proof bundle goes into the PDF as
an embedded file and, with a signing seed, the whole file gets a PAdES signature. No
temporary files: the plaintext never leaves memory until the caller writes the result.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.platypus import PageBreak

from evidence_locker.ledger.checkpoint import Checkpoint
from evidence_locker.locale.messages import t
from evidence_locker.model import AttachmentInfo, Record
from evidence_locker.report.binding import BOUND_FIELDS
from evidence_locker.report.context import RenderContext, group_contacts
from evidence_locker.report.cover import cover
from evidence_locker.report.exhibits import exhibits
from evidence_locker.report.fieldtext import zone_label
from evidence_locker.report.fonts import register_fonts
from evidence_locker.report.integrity import integrity
from evidence_locker.report.layout import BOTTOM_MARGIN, MARGIN
from evidence_locker.report.manifest import MANIFEST_KEY, ListedRecord, build_manifest
from evidence_locker.report.page import DossierDoc, LazyStory, canvas_class, page_label
from evidence_locker.report.pdfio import PROOFS_NAME, Attachment, add_attachments, attach
from evidence_locker.report.records import record_full
from evidence_locker.report.summary import summary
from evidence_locker.report.timeline import timeline
from evidence_locker.report.trusted_time import covers_from_bundle, expert_files


class EmptyDossier(ValueError):
    """No records were given: a dossier of nothing is never written."""


def _dossier_id(bundle: dict[str, Any], generated_at: datetime, ids: list[str]) -> str:
    h = hashlib.sha256()
    h.update(str(bundle.get("checkpoint", "")).encode())
    h.update(generated_at.isoformat().encode())
    for i in ids:
        h.update(i.encode() + b"\n")
    d = h.hexdigest()[:8].upper()
    return f"EL-{d[:4]}-{d[4:]}"


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
    image_redactor: Callable[[AttachmentInfo, bytes], bytes | None] | None = None,
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
    bytes (checked against its SHA-256) or None to list it instead; in a redacted
    dossier an image is shown only as ``image_redactor(info, bytes)`` returns it (e.g.
    :func:`evidence_locker.report.images.black_out` over boxes OCR found), else
    withheld; ``redact`` holds "numbers", "addresses", "ids"; ``signing_seed`` is the
    32-byte seed of the locker's "dossier" subkey (None: unsigned, which
    ``verify_dossier`` rejects);
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
    ctx = RenderContext(
        lang=lang,
        tz=tz,
        redact=frozenset(redact),
        withheld=withheld,
        entries=entries,
        trusted=covers_from_bundle(bundle),
    )
    contacts = group_contacts(records)
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
        yield from cover(
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
        yield from summary(ctx, contacts, flags, no_by_id)
        yield from timeline(ctx, contacts)
        yield ctx.p(ctx.L("records"), "h1")
        for i, c in enumerate(contacts, 1):
            yield from record_full(ctx, c, i)
        yield PageBreak()
        yield from exhibits(ctx, contacts, images, image_redactor)
        yield from integrity(ctx, contacts, bundle, checkpoint, dossier_key)

    footer = (
        f"{ctx.L('dossier_id', id=dossier_id)}  ·  "
        f"{ctx.L('generated', when=ctx.when(generated_at))}"
    )
    buf = io.BytesIO()
    doc = DossierDoc(
        progress,
        total,
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=title,
        author=claimant or "evidence-locker",
        subject=ctx.L("subject"),
        creator="evidence-locker",
        keywords=f"{dossier_id}, evidence-locker",
        lang="zh-CN" if lang == "zh" else "en",
    )
    doc.build(
        LazyStory(story()),
        canvasmaker=canvas_class(footer, page_label(ctx), generated_at, invariant),
    )
    pdf = buf.getvalue()

    embedded = dict(bundle)
    embedded[MANIFEST_KEY] = build_manifest(
        dossier_id=dossier_id,
        generated_at=generated_at,
        lang=lang,
        tz=zone_label(tz),
        redact=ctx.redact,
        labels={name: ctx.L(f"field.{name}") for name in BOUND_FIELDS},
        records=[
            ListedRecord(
                no=c.no,
                record_id=c.latest.record_id,
                versions=tuple(v.id for v in c.versions),
                shown=c.latest.id,
                pages=(doc.marks[(c.no, "start")], doc.marks[(c.no, "end")]),
            )
            for c in contacts
        ],
    )
    files = [
        Attachment(
            PROOFS_NAME,
            json.dumps(embedded, ensure_ascii=False, sort_keys=True, indent=1).encode(),
            "application/json",
            "evidence-locker proof bundle",
        ),
        *expert_files(bundle),
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
