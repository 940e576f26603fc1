"""Exhibits: images at readable size, other attachments listed with their hashes."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from typing import Any

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, KeepTogether, PageBreak, Spacer

from evidence_locker.model import AttachmentInfo
from evidence_locker.report.context import Contact, RenderContext
from evidence_locker.report.layout import FRAME_W, Cell, cell, header_cells, table
from evidence_locker.report.redact import mask_text


def exhibits(
    ctx: RenderContext,
    contacts: list[Contact],
    images: Callable[[AttachmentInfo], bytes | None] | None,
) -> Iterator[Any]:
    """A generator: each image is fetched only when layout reaches it."""
    yield ctx.p(ctx.L("exhibits"), "h1")
    listed: list[list[Any]] = [
        header_cells(
            ctx, "col.no", "exhibit.name", "exhibit.type", "exhibit.size", "exhibit.sha256"
        )
    ]
    shown = 0
    for c in contacts:
        for i, att in enumerate(c.latest.attachments, 1):
            no = f"{c.no}/A{i}"
            name = mask_text(att.name, ctx.redact)
            data = None
            if images is not None and (att.mime or "").startswith("image/"):
                data = images(att)
            if data is not None:
                caption = ctx.L("exhibit.caption", no=no, name=name, sha=att.sha256)
                if hashlib.sha256(data).hexdigest() != att.sha256:
                    yield ctx.p(caption, "label")
                    yield ctx.p(ctx.L("exhibit.mismatch"), "body")
                    continue
                img = _image(data)
                if img is not None:
                    block = [ctx.p(caption, "label"), img]
                    if att.caption:
                        block.append(ctx.p(mask_text(att.caption, ctx.redact), "note"))
                    yield KeepTogether(block)
                    yield Spacer(1, 4 * mm)
                    shown += 1
                    continue
            listed.append(
                [
                    cell(no, "cellb"),
                    cell(name),
                    cell(att.mime or "?"),
                    cell(str(att.size)),
                    Cell(att.sha256, "mono"),
                ]
            )
    if len(listed) > 1:
        yield ctx.p(ctx.L("exhibits.listed"), "h2")
        yield from table(ctx, listed, [16 * mm, 46 * mm, 24 * mm, 22 * mm, FRAME_W - 108 * mm])
    elif not shown:
        yield ctx.p(ctx.L("exhibits.none"))
    yield PageBreak()


def _image(data: bytes) -> Image | None:
    """The image at readable size: full frame width at most, 150 mm tall at most."""
    try:
        reader = ImageReader(io.BytesIO(data))
        w, h = reader.getSize()
    except Exception:
        return None
    # small screenshots are enlarged a little (1.5x at most) so their text stays legible
    scale = min(FRAME_W / w, 150 * mm / h, 1.5)
    return Image(io.BytesIO(data), width=w * scale, height=h * scale)
