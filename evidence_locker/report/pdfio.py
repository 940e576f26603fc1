"""Reading the files embedded in a dossier PDF back (pypdf); writing them is
:mod:`evidence_locker.report.pdfa`'s (associated files, PDF/A-3)."""

from __future__ import annotations

import io

from pypdf import PdfReader

PROOFS_NAME = "evidence-locker-proofs.json"


def read_attachments(pdf: bytes) -> dict[str, bytes]:
    """Every embedded file by name; a name embedded twice is left out (ambiguous)."""
    reader = PdfReader(io.BytesIO(pdf), strict=False)
    return {name: found[0] for name, found in reader.attachments.items() if len(found) == 1}


def read_attachment(pdf: bytes, name: str) -> bytes | None:
    """The bytes of the embedded file ``name``; None if absent or ambiguous."""
    return read_attachments(pdf).get(name)
