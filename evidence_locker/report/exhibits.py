"""Exhibits: images at readable size, other attachments listed with their hashes."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, PageBreak, Spacer

from evidence_locker.model import AttachmentInfo
from evidence_locker.report.context import Contact, RenderContext
from evidence_locker.report.images import ImageRefused, prepare
from evidence_locker.report.layout import FRAME_W, Cell, cell, header_cells, table
from evidence_locker.report.redact import mask_text

ImageSource = Callable[[AttachmentInfo], bytes | None]
ImageRedactor = Callable[[AttachmentInfo, bytes], bytes | None]


def exhibits(
    ctx: RenderContext,
    contacts: list[Contact],
    images: ImageSource | None,
    image_redactor: ImageRedactor | None = None,
) -> Iterator[Any]:
    """A generator: each image is fetched only when layout reaches it.

    In a redacted dossier an image is drawn only as ``image_redactor`` returns it (a
    copy with the redacted areas blacked out, see :func:`images.black_out`); without
    one, or when it returns None, the image is withheld and listed with its hash.
    """
    yield ctx.p(ctx.L("exhibits"), "h1")
    listed = [_listed_header(ctx)]
    withheld = [_listed_header(ctx)]
    shown = 0
    for c in contacts:
        for i, att in enumerate(c.latest.attachments, 1):
            no = f"{c.no}/A{i}"
            is_image = (att.mime or "").startswith("image/")
            data = images(att) if images is not None and is_image else None
            if data is None:
                listed.append(_listed_row(ctx, no, att))
                continue
            caption = ctx.L("exhibit.caption", no=no, name=_name(ctx, att), sha=att.sha256)
            if hashlib.sha256(data).hexdigest() != att.sha256:
                yield ctx.p(caption, "label")
                yield ctx.p(ctx.L("exhibit.mismatch"), "body")
                continue
            if ctx.redact:
                data = image_redactor(att, data) if image_redactor is not None else None
                if data is None:
                    withheld.append(_listed_row(ctx, no, att))
                    continue
            try:
                img = _image(data)
            except ImageRefused as refused:
                note = ctx.L(refused.reason, **refused.params)
                listed.append(_listed_row(ctx, no, att, note))
                continue
            block = [ctx.p(caption, "label"), img]
            if ctx.redact:  # only a blacked-out copy gets this far
                block.append(ctx.p(ctx.L("exhibit.redacted"), "note"))
            if att.caption:
                block.append(ctx.p(mask_text(att.caption, ctx.redact), "note"))
            yield KeepTogether(block)
            yield Spacer(1, 4 * mm)
            shown += 1
    if len(withheld) > 1:
        yield ctx.p(ctx.L("exhibits.withheld"), "h2")
        yield ctx.p(ctx.L("exhibits.withheld_note"), "note")
        yield from table(ctx, withheld, _WIDTHS)
    if len(listed) > 1:
        yield ctx.p(ctx.L("exhibits.listed"), "h2")
        yield from table(ctx, listed, _WIDTHS)
    elif not shown and len(withheld) == 1:
        yield ctx.p(ctx.L("exhibits.none"))
    yield PageBreak()


_WIDTHS = [16 * mm, 46 * mm, 24 * mm, 22 * mm, FRAME_W - 108 * mm]


def _name(ctx: RenderContext, att: AttachmentInfo) -> str:
    return mask_text(att.name, ctx.redact)


def _listed_header(ctx: RenderContext) -> list[Any]:
    return header_cells(
        ctx, "col.no", "exhibit.name", "exhibit.type", "exhibit.size", "exhibit.sha256"
    )


def _listed_row(ctx: RenderContext, no: str, att: AttachmentInfo, note: str = "") -> list[Any]:
    name = _name(ctx, att) + (f"\n({note})" if note else "")
    return [
        cell(no, "cellb"),
        cell(name),
        cell(att.mime or "?"),
        cell(str(att.size)),
        Cell(att.sha256, "mono"),
    ]


def _image(data: bytes) -> Image:
    """The image at readable size: full frame width at most, 150 mm tall at most,
    drawn from a bounded, downscaled copy (ImageRefused when there is none)."""
    prepared = prepare(data)
    w, h = prepared.original_size
    # small screenshots are enlarged a little (1.5x at most) so their text stays legible
    scale = min(FRAME_W / w, 150 * mm / h, 1.5)
    return Image(io.BytesIO(prepared.data), width=w * scale, height=h * scale)
