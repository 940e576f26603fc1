"""``verify-dossier NEW --against OLD``: does a newer dossier extend an older one?

Two dossiers of one locker, each verifiable alone, could still come from two different
histories: the locker rolled back between them, or rewritten. Every dossier carries a
consistency proof back to every head anchored before it (earlier dossiers,
time-stamps), so the two files alone decide (``ledger.consistency.bundle_extends``):
the older head is one of the newer dossier's anchors and its proof verifies, or not.
"""

from __future__ import annotations

import json
from typing import Any

from evidence_locker.ledger.consistency import DossierLink, LinkStatus, bundle_extends
from evidence_locker.report.pdfio import PROOFS_NAME, read_attachment


def _bundle(pdf: bytes) -> dict[str, Any] | None:
    try:
        raw = read_attachment(pdf, PROOFS_NAME)
        data = json.loads(raw) if raw is not None else None
    except Exception:  # a hostile or broken PDF: pypdf raises many kinds of errors
        return None
    return data if isinstance(data, dict) else None


def dossier_link(new_pdf: bytes, old_pdf: bytes) -> DossierLink:
    """The newer dossier's head against the older one's. Never raises on bad files."""
    new, old = _bundle(new_pdf), _bundle(old_pdf)
    if new is None or old is None:
        return DossierLink(LinkStatus.UNREADABLE)
    return bundle_extends(new, old)
