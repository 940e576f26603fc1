"""The pages of an attached PDF (a collector's letter), drawn as images.

The dossier shows a letter's pages so a reader need not open the attachment, but it
draws them as pictures (pypdfium2, the PDF engine of Chromium) rather than importing
them: an imported page would bring its own fonts, often not embedded, and the
dossier would stop being PDF/A. The original file is attached unchanged beside them,
so its text stays searchable there. Bounded like any hostile input: at most
:data:`MAX_PAGES` pages, each at most :data:`MAX_SIDE` pixels on its long side.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

from evidence_locker.report.images import ImageRefused

MAX_PAGES = 20
MAX_SIDE = 1600  # pixels: an A4 page at about 135 dpi
MAX_POINTS = 14_400  # a page side above 200 inches is not a letter


@contextlib.contextmanager
def _opened(data: bytes) -> Iterator[Any]:
    """The PDF as a PDFium document, closed afterwards (ImageRefused if unreadable)."""
    pdfium = _pdfium()
    try:
        doc = pdfium.PdfDocument(data)
    except Exception:
        raise ImageRefused("exhibit.unreadable_pdf") from None
    try:
        yield doc
    finally:
        doc.close()


def page_count(data: bytes) -> int:
    """How many pages the PDF has (ImageRefused if it cannot be read)."""
    with _opened(data) as doc:
        return len(doc)


def render_pages(data: bytes, limit: int = MAX_PAGES) -> Iterator[bytes]:
    """Each of the first ``limit`` pages as a PNG, one at a time."""
    with _opened(data) as doc:
        yield from _pngs(doc, limit)


def _pngs(doc: Any, limit: int) -> Iterator[bytes]:
    try:
        for i in range(min(len(doc), limit)):
            page = doc[i]
            try:
                w, h = page.get_size()
                if not (0 < w <= MAX_POINTS and 0 < h <= MAX_POINTS):
                    raise ImageRefused("exhibit.unreadable_pdf")
                bitmap = page.render(scale=MAX_SIDE / max(w, h))
                image = bitmap.to_pil().convert("L")
                buf = io.BytesIO()
                image.save(buf, format="PNG")
                yield buf.getvalue()
            finally:
                page.close()
    except ImageRefused:
        raise
    except Exception:
        raise ImageRefused("exhibit.unreadable_pdf") from None


def _pdfium():  # type: ignore[no-untyped-def]
    import pypdfium2

    return pypdfium2
