"""Render the dossier PDF from domain records and a proof bundle, in memory.

Sections (one module each): cover and contents, summary (findings grouped, counts,
charts, streaks), timeline, records in full, withdrawn records, exhibits, findings in
full, integrity appendix, declaration, verification page. The proof bundle, with the
manifest of what the pages show, and the original of every exhibit go into the PDF as
associated files; the update that adds them makes the file PDF/A-3b and, with a
signing seed, carries a PAdES signature over the whole file. No temporary files: the
plaintext never leaves memory until the caller writes the result.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from reportlab.lib.pagesizes import A4

from evidence_locker.ledger.checkpoint import Checkpoint
from evidence_locker.locale.messages import t
from evidence_locker.model import AttachmentInfo, Case, Record
from evidence_locker.report.binding import BOUND_FIELDS
from evidence_locker.report.context import Dossier, RenderContext, group_contacts
from evidence_locker.report.cover import case_line, contents, cover
from evidence_locker.report.declaration import declaration, verification
from evidence_locker.report.exhibits import Embedded, exhibits, plan_embedding
from evidence_locker.report.fieldtext import zone_label
from evidence_locker.report.findings import appendix
from evidence_locker.report.fonts import register_fonts
from evidence_locker.report.geometry import BOTTOM_MARGIN, MARGIN
from evidence_locker.report.integrity import integrity
from evidence_locker.report.manifest import MANIFEST_KEY, ListedRecord, build_manifest
from evidence_locker.report.page import DossierDoc, Furniture, LazyStory, canvas_class, page_label
from evidence_locker.report.pdfa import Associated, Info, make_archival
from evidence_locker.report.pdfio import PROOFS_NAME
from evidence_locker.report.records import record_full
from evidence_locker.report.summary import summary
from evidence_locker.report.timeline import timeline
from evidence_locker.report.trusted_time import covers_from_bundle, expert_files
from evidence_locker.report.withdrawn import withdrawn

FileSource = Callable[[AttachmentInfo], bytes | None]


class EmptyDossier(ValueError):
    """No records were given: a dossier of nothing is never written."""


@dataclass(frozen=True, slots=True)
class Extras:
    """What a dossier says beyond its records (all optional)."""

    case: Case | None = None  # a dossier of one case names it on the cover and every page
    rule_sets: Sequence[tuple[str, str]] = ()  # (name, title) of the rules that judged it
    # What the findings pages must say about those rules (e.g. not the records' region)
    rule_caveats: Sequence[str] = ()
    include_deleted: bool = False  # show withdrawn records' content, not just the list
    bates: str | None = None  # Bates prefix (default: the dossier id)
    declaration: str | None = None  # the claimant's own declaration text
    selection: str | None = None  # the filter, in words, for the declaration


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
    images: FileSource | None = None,
    image_redactor: Callable[[AttachmentInfo, bytes], bytes | None] | None = None,
    redact: frozenset[str] = frozenset(),
    extras: Extras | None = None,
    signing_seed: bytes | None = None,
    progress: Callable[[int, int], None] | None = None,
    invariant: bool = False,
) -> bytes:
    """The whole dossier as PDF bytes. Never writes to disk.

    ``records`` may hold several versions of a contact (corrections) and deleted
    contacts (listed as withdrawn); they are grouped by ``record_id``. ``bundle`` is
    :func:`evidence_locker.ledger.bundle.build_bundle`'s output for exactly these
    versions (and the tombstones and attachments of these records), optionally with
    ``dossier_key_note``. ``flags`` are ``Flag.to_json(lang)`` dicts (rule, kind,
    records = record ids, reason, source, source_url, severity, score). ``images``
    returns an attachment's original bytes or None: pictures and PDF pages are drawn
    from it and the originals embedded; in a redacted dossier nothing is embedded and
    an image is shown only as ``image_redactor(info, bytes)`` returns it (e.g.
    :func:`evidence_locker.report.images.black_out` over boxes OCR found). ``redact``
    holds "numbers", "addresses", "ids". ``signing_seed`` is the 32-byte seed of the
    locker's "dossier" subkey (None: unsigned, which ``verify_dossier`` rejects).
    ``progress(done, total)`` is called as records are laid out; ``invariant`` makes
    the bytes depend on the inputs only (tests, golden files).

    Raises :class:`EmptyDossier` when ``records`` is empty.
    """
    if not records:
        raise EmptyDossier(t("report.empty", lang))
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    lang = "zh" if lang.startswith("zh") else "en"
    extras = extras or Extras()
    register_fonts()
    ctx = RenderContext(lang=lang, tz=tz, redact=frozenset(redact), withheld={}, entries={})
    d = _prepare(
        ctx,
        records,
        bundle,
        extras,
        flags,
        signing_seed,
        title=title or ctx.L("default_title"),
        claimant=claimant,
        generated_at=generated_at,
    )
    bates = extras.bates if extras.bates is not None else f"{d.dossier_id}-"
    embedded = plan_embedding(d)
    sections = _sections(d)

    def story() -> Iterator[Any]:
        yield from cover(d, bates)
        yield from contents(d, sections)
        yield from summary(d)
        yield from timeline(d)
        yield from _records(d)
        if d.withdrawn:
            yield from withdrawn(d)
        yield from exhibits(d, images, image_redactor, embedded)
        if d.findings:
            yield from appendix(d)
        yield from integrity(d)
        yield from declaration(d, extras.selection)
        yield from verification(d)

    header = ctx.L("case_header", case=case_line(d)) if d.case is not None else d.title
    furniture = Furniture(
        header=header,
        footer=f"{ctx.L('dossier_id', id=d.dossier_id)}  ·  "
        f"{ctx.L('generated', when=ctx.when(generated_at))}",
        page_label=page_label(ctx.L),
        bates=bates,
        when=generated_at,
        invariant=invariant,
    )
    buf = io.BytesIO()
    doc = DossierDoc(
        progress,
        len(d.contacts),
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=d.title,
        author=claimant or "evidence-locker",
        subject=ctx.L("subject"),
        creator="evidence-locker",
        keywords=f"{d.dossier_id}, evidence-locker",
        lang="zh-CN" if lang == "zh" else "en",
    )
    with _gc_paused():  # layout makes many small objects and no cycles worth collecting
        doc.build(LazyStory(story()), canvasmaker=canvas_class(furniture))
    files = _associated(d, doc.marks, embedded, images, extras)
    info = Info(
        title=d.title,
        author=claimant or "evidence-locker",
        subject=ctx.L("subject"),
        keywords=(d.dossier_id, "evidence-locker"),
        creator="evidence-locker",
        when=generated_at,
    )
    out = _finish(buf.getvalue(), info, files, signing_seed, d.dossier_id, generated_at)
    if progress is not None:
        progress(len(d.contacts), len(d.contacts))
    return out


def _prepare(
    ctx: RenderContext,
    records: Sequence[Record],
    bundle: dict[str, Any],
    extras: Extras,
    flags: Sequence[dict[str, Any]],
    signing_seed: bytes | None,
    *,
    title: str,
    claimant: str | None,
    generated_at: datetime,
) -> Dossier:
    ctx.entries = {
        str(e.get("header", {}).get("id")): e
        for e in bundle.get("entries") or []
        if isinstance(e, dict)
    }
    ctx.withheld = {
        vid: frozenset((e.get("withheld") or {}).keys()) for vid, e in ctx.entries.items()
    }
    live, gone = group_contacts(records)
    ctx.trusted = covers_from_bundle(bundle)
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
    version_ids = [v.id for c in [*live, *gone] for v in c.versions]
    return Dossier(
        ctx=ctx,
        contacts=live,
        withdrawn=gone,
        bundle=bundle,
        checkpoint=checkpoint,
        dossier_key=dossier_key,
        dossier_id=_dossier_id(bundle, generated_at, version_ids),
        title=title,
        claimant=claimant,
        generated_at=generated_at,
        findings=[dict(f) for f in flags],
        case=extras.case,
        rule_sets=list(extras.rule_sets),
        rule_caveats=list(extras.rule_caveats),
        include_deleted=extras.include_deleted,
        declaration=extras.declaration,
    )


def _sections(d: Dossier) -> list[tuple[str, str]]:
    """The contents: (section key, title) of every section this dossier has."""
    L = d.ctx.L
    keys = ["summary", "timeline", "records"]
    if d.withdrawn:
        keys.append("withdrawn")
    keys.append("exhibits")
    if d.findings:
        keys.append("findings")
    keys += ["integrity", "declaration", "verification"]
    return [(k, L(f"toc.{k}")) for k in keys]


def _records(d: Dossier) -> Iterator[Any]:
    from reportlab.platypus import PageBreak

    from evidence_locker.report.page import section_mark

    ctx = d.ctx
    yield section_mark("records", ctx.L("toc.records"))
    yield ctx.p(ctx.L("records"), "h1")
    for i, c in enumerate(d.contacts, 1):
        yield from record_full(d, c, i)
    yield PageBreak()


def _associated(
    d: Dossier,
    marks: dict[tuple[str, str], int],
    embedded: list[Embedded],
    files: FileSource | None,
    extras: Extras,
) -> list[Associated]:
    """The proof file (with the manifest) and each exhibit's original, to embed."""
    ctx = d.ctx
    shown = [*d.contacts, *(d.withdrawn if d.include_deleted else [])]
    listed = [
        ListedRecord(
            no=c.no,
            record_id=c.latest.record_id,
            versions=tuple(v.id for v in c.versions),
            shown=c.latest.id,
            pages=(marks[(c.no, "start")], marks[(c.no, "end")]),
        )
        for c in shown
    ]
    originals: list[Associated] = []
    done: list[dict[str, Any]] = []
    for e in embedded:
        data = files(e.info) if files is not None else None
        if data is None or hashlib.sha256(data).hexdigest() != e.info.sha256:
            continue
        originals.append(
            Associated(
                e.name,
                data,
                e.info.mime or "application/octet-stream",
                ctx.L("exhibit.af_description", no=e.exhibit),
                "Source",
            )
        )
        done.append(
            {"no": e.exhibit, "attachment": e.info.id, "name": e.name, "sha256": e.info.sha256}
        )
    embedded_json = dict(d.bundle)
    embedded_json[MANIFEST_KEY] = build_manifest(
        dossier_id=d.dossier_id,
        generated_at=d.generated_at,
        lang=ctx.lang,
        tz=zone_label(ctx.tz),
        redact=ctx.redact,
        labels={name: ctx.L(f"field.{name}") for name in BOUND_FIELDS},
        records=listed,
        extra={
            "withdrawn": [
                {
                    "no": c.no,
                    "record_id": c.latest.record_id,
                    "versions": [v.id for v in c.versions],
                    "content_shown": d.include_deleted,
                }
                for c in d.withdrawn
            ],
            "exhibits": done,
            "case": extras.case.id if extras.case else None,
        },
    )
    proofs = json.dumps(
        embedded_json, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()
    return [
        Associated(
            PROOFS_NAME, proofs, "application/json", "evidence-locker proof bundle", "Supplement"
        ),
        *originals,
        *expert_files(d.bundle),
    ]


def _finish(
    pdf: bytes,
    info: Info,
    files: list[Associated],
    seed: bytes | None,
    dossier_id: str,
    when: datetime,
) -> bytes:
    """One incremental update: PDF/A metadata, associated files and the signature."""
    from evidence_locker.crypto.pdfsign import incremental_writer, sign_pdf

    def prepare(writer: Any) -> None:
        make_archival(writer, info, files)

    if seed is None:
        writer = incremental_writer(pdf, when, pdf17=True)
        prepare(writer)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    return sign_pdf(
        pdf,
        seed,
        signing_time=when,
        reason=f"evidence-locker dossier {dossier_id}",
        prepare=prepare,
        pdf17=True,
    )
