"""Page geometry of the dossier, shared by whatever draws on a page and by the
verifier, which reads only the body band (:mod:`evidence_locker.report.pagetext`)."""

from __future__ import annotations

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
BOTTOM_MARGIN = 20 * mm
FRAME_W = PAGE_W - 2 * MARGIN
# Page furniture (header, footer, Bates number, continuation marks) is drawn outside
# this band; the records are drawn inside it. The verifier reads only text inside it.
BODY_BOTTOM = 16 * mm
BODY_TOP = PAGE_H - 15 * mm
HEADER_Y = PAGE_H - 11 * mm  # the running header's baseline, above the body band
FOOTER_Y = 10 * mm
