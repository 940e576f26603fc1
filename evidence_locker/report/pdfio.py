"""Embedded files in the dossier PDF: adding them (pyHanko) and reading them back (pypdf)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader

from evidence_locker.crypto.pdfsign import incremental_writer

PROOFS_NAME = "evidence-locker-proofs.json"


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    data: bytes
    mime: str
    description: str


def add_attachments(
    writer: IncrementalPdfFileWriter, files: Sequence[Attachment], when: datetime | None
) -> None:
    """Register each file in the document's EmbeddedFiles name tree."""
    for f in files:
        ef = embed.EmbeddedFileObject.from_file_data(
            writer,
            f.data,
            mime_type=f.mime,
            params=embed.EmbeddedFileParams(
                embed_size=True, embed_checksum=True, creation_date=when, modification_date=when
            ),
        )
        embed.embed_file(
            writer,
            embed.FileSpec(
                file_spec_string=f.name,
                file_name=f.name,
                embedded_data=ef,
                description=f.description,
            ),
        )


def attach(pdf: bytes, files: Sequence[Attachment], when: datetime | None) -> bytes:
    """Unsigned variant: embed the files as an incremental update."""
    writer = incremental_writer(pdf, when)
    add_attachments(writer, files, when)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def read_attachment(pdf: bytes, name: str) -> bytes | None:
    """The bytes of the embedded file ``name``; None if absent or ambiguous."""
    reader = PdfReader(io.BytesIO(pdf), strict=False)
    found = reader.attachments.get(name)
    if not found or len(found) != 1:
        return None
    return found[0]
