"""The PDF dossier: render records and their proofs, and verify a dossier offline.

The report never queries the database: the locker hands it domain records and the
proof bundle, and gets PDF bytes back.
"""

from evidence_locker.report.endorse import open_endorsement, sign_endorsement
from evidence_locker.report.fonts import FontInfo, fonts_in_use
from evidence_locker.report.pdfio import PROOFS_NAME
from evidence_locker.report.redact import fields_to_withhold, mask_text
from evidence_locker.report.render import EmptyDossier, render_dossier
from evidence_locker.report.verify import DossierReport, parse_fingerprint, verify_dossier

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
