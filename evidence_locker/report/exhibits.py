"""Exhibits: every attachment of a record shown, numbered after it (``E-74/A1``).

Each exhibit gets a cover line (name, type, size, the SHA-256 of the original file,
when it was captured and attached, and under which name the original is attached to
this PDF). Images are drawn at readable size from a bounded copy (:mod:`images`), the
pages of a PDF letter are drawn as pictures (:mod:`pdfpages`), and the original bytes
of every exhibit are embedded in the PDF as associated files, so a recipient can save
each one and check its hash. A redacted dossier shows no picture and embeds no
original (only what ``image_redactor`` returns is drawn), since neither can be masked.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Image, KeepTogether, PageBreak, Spacer

from evidence_locker.model import AttachmentInfo
from evidence_locker.report.context import Dossier, Exhibit
from evidence_locker.report.geometry import FRAME_W
from evidence_locker.report.images import ImageRefused, prepare
from evidence_locker.report.page import PageMark, section_mark
from evidence_locker.report.pdfpages import render_pages

ImageSource = Callable[[AttachmentInfo], bytes | None]
ImageRedactor = Callable[[AttachmentInfo, bytes], bytes | None]
MAX_EMBED = 64 * 1024 * 1024  # one original embedded at most (larger: extract it)
MAX_EMBED_TOTAL = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Embedded:
    """An original to attach to the PDF as an associated file."""

    exhibit: str
    name: str  # its name in the PDF's attachments
    info: AttachmentInfo


def embedded_name(x: Exhibit, masked_name: str) -> str:
    return f"{x.no.replace('/', '-')} {masked_name}"


def plan_embedding(d: Dossier) -> list[Embedded]:
    """Which originals go into the PDF: all, up to the size limits, unless redacted."""
    if d.ctx.redact:
        return []
    out, total = [], 0
    for x in d.exhibits:
        if x.info.size > MAX_EMBED or total + x.info.size > MAX_EMBED_TOTAL:
            continue
        total += x.info.size
        out.append(Embedded(x.no, embedded_name(x, x.info.name), x.info))
    return out


def exhibits(
    d: Dossier,
    images: ImageSource | None,
    image_redactor: ImageRedactor | None,
    embedded: list[Embedded],
) -> Iterator[Any]:
    """A generator: each file is read only when layout reaches it."""
    ctx = d.ctx
    yield section_mark("exhibits", ctx.L("toc.exhibits"))
    yield ctx.p(ctx.L("exhibits"), "h1")
    yield ctx.p(ctx.L("exhibits.redacted" if ctx.redact else "exhibits.note"), "note")
    if not d.exhibits:
        yield ctx.p(ctx.L("exhibits.none"))
    names = {e.exhibit: e.name for e in embedded}
    for x in d.exhibits:
        yield CondPageBreak(35 * mm)
        yield PageMark(x.no, "exhibit", (f"{x.no} {ctx.mask(x.info.name)}", 1))
        yield ctx.para(f"{x.no} · {ctx.mask(x.info.name)}", "h2")
        note, drawn = None, []
        kind = _kind(x.info)
        data = images(x.info) if images is not None and kind else None
        if kind and data is None:
            note = ctx.L("exhibit.not_read")
        elif data is not None and hashlib.sha256(data).hexdigest() != x.info.sha256:
            note = ctx.L("exhibit.mismatch")
        elif data is not None and ctx.redact:
            data = image_redactor(x.info, data) if image_redactor and kind == "image" else None
            if data is None:
                note = ctx.L("exhibit.withheld")
        if data is not None and note is None:
            try:
                drawn = _pictures(d, x, kind, data)
            except ImageRefused as refused:
                note = ctx.L(refused.reason, **refused.params)
            else:
                if ctx.redact:  # only a blacked-out copy gets this far
                    note = ctx.L("exhibit.redacted")
        yield ctx.para(_cover_line(d, x, names.get(x.no), note), "small")
        yield Spacer(1, 2 * mm)
        yield from drawn
    yield PageBreak()


def _kind(info: AttachmentInfo) -> str | None:
    mime = info.mime or ""
    if mime.startswith("image/"):
        return "image"
    if mime == "application/pdf":
        return "pdf"
    return None


def _cover_line(d: Dossier, x: Exhibit, embedded_as: str | None, note: str | None) -> str:
    ctx, a = d.ctx, x.info
    lines = [
        ctx.L("exhibit.line_type", mime=a.mime or "?", size=f"{a.size:,}"),
        f"SHA-256 {a.sha256}",
    ]
    captured = (a.metadata or {}).get("captured_at")
    if captured:
        lines.append(ctx.L("exhibit.captured", when=str(captured)))
    duration = (a.metadata or {}).get("duration_s")
    if duration:
        from evidence_locker.parsing.times import format_duration

        lines.append(ctx.L("exhibit.duration", duration=format_duration(int(duration), ctx.lang)))
    if a.added_at is not None:
        lines.append(ctx.L("exhibit.added", when=ctx.when(a.added_at, True)))
    if a.caption:
        lines.append(ctx.L("exhibit.caption_line", caption=ctx.mask(a.caption)))
    if embedded_as:
        lines.append(ctx.L("exhibit.embedded", name=embedded_as))
    elif not ctx.redact:
        lines.append(ctx.L("exhibit.not_embedded"))
    if note:
        lines.append(note)
    return "\n".join(lines)


def _pictures(d: Dossier, x: Exhibit, kind: str | None, data: bytes) -> list[Any]:
    if kind == "image":
        return [_image(data), Spacer(1, 4 * mm)]
    out: list[Any] = []
    pages = list(render_pages(data))
    for i, png in enumerate(pages, 1):
        caption = d.ctx.L("exhibit.pdf_page", no=x.no, page=i, total=len(pages))
        out.append(KeepTogether([d.ctx.para(caption, "label"), _image(png, 200 * mm)]))
        out.append(Spacer(1, 4 * mm))
    return out


def _image(data: bytes, max_h: float = 150 * mm) -> Image:
    """The image at readable size: full frame width at most, ``max_h`` tall at most,
    drawn from a bounded, downscaled copy (ImageRefused when there is none)."""
    prepared = prepare(data)
    w, h = prepared.original_size
    # small screenshots are enlarged a little (1.5x at most) so their text stays legible
    scale = min(FRAME_W / w, max_h / h, 1.5)
    return Image(io.BytesIO(prepared.data), width=w * scale, height=h * scale)
