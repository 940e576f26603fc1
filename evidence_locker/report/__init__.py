"""The PDF dossier: render records and their proofs, and verify a dossier offline.

The report never queries the database: the locker hands it domain records and the
proof bundle, and gets PDF bytes back.

Names are loaded on first use: a module that needs one part (the fonts, a date's
wording) does not pay for the signing libraries (pyhanko, ~0.6 s) the rest imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evidence_locker.report.endorse import open_endorsement, sign_endorsement
    from evidence_locker.report.fonts import FontInfo, fonts_in_use
    from evidence_locker.report.pdfio import PROOFS_NAME
    from evidence_locker.report.redact import fields_to_withhold, mask_text
    from evidence_locker.report.render import EmptyDossier, render_dossier
    from evidence_locker.report.verify import (
        DossierReport,
        parse_fingerprint,
        verify_dossier,
    )

_WHERE = {
    "open_endorsement": "endorse",
    "sign_endorsement": "endorse",
    "FontInfo": "fonts",
    "fonts_in_use": "fonts",
    "PROOFS_NAME": "pdfio",
    "fields_to_withhold": "redact",
    "mask_text": "redact",
    "EmptyDossier": "render",
    "render_dossier": "render",
    "DossierReport": "verify",
    "parse_fingerprint": "verify",
    "verify_dossier": "verify",
}
__all__ = [
    "PROOFS_NAME",
    "DossierReport",
    "EmptyDossier",
    "FontInfo",
    "fields_to_withhold",
    "fonts_in_use",
    "mask_text",
    "open_endorsement",
    "parse_fingerprint",
    "render_dossier",
    "sign_endorsement",
    "verify_dossier",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(import_module(f"evidence_locker.report.{module}"), name)
