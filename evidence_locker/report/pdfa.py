"""PDF/A-3b: what the signed update adds so the dossier is an archival PDF.

reportlab writes the pages (PDF 1.7 header, every font embedded and subset with a
ToUnicode map, device RGB and gray colour only, no transparency, no JavaScript, no
encryption). The update that carries the signature then adds, with pyHanko's writer:

- an XMP metadata stream with ``pdfaid:part=3`` and ``pdfaid:conformance=B``, written
  from the same values as the document information dictionary (pyHanko writes both
  from one ``DocumentMetadata``), so they agree;
- an sRGB output intent (``GTS_PDFA1``, ICC profile from Pillow's littleCMS);
- every embedded file as an associated file: ``/AFRelationship`` on its file
  specification, listed in the catalog's ``/AF``, with its MIME type as ``/Subtype``
  and its dates in ``/Params``.

pyHanko marks a document with associated files (and one signed with ECDSA) as PDF
2.0; PDF/A-3 is PDF 1.7 with ``/AF`` as its own extension, so the writer is kept at
1.7 (``incremental_writer(pdf17=True)``).
docs/dossier.md ("PDF/A-3b checklist") lists each point with the test that reads it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from pyhanko.pdf_utils import embed, generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import model

PDFA_PART = "3"
PDFA_CONFORMANCE = "B"
SRGB = "sRGB IEC61966-2.1"


@dataclass(frozen=True, slots=True)
class Associated:
    """A file embedded in the PDF and associated with the document."""

    name: str
    data: bytes
    mime: str
    description: str
    relationship: str  # "Source" (an exhibit's original), "Supplement" (the proofs)


@dataclass(frozen=True, slots=True)
class Info:
    """The document information the Info dictionary and the XMP packet both carry."""

    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    creator: str
    when: datetime


@cache
def srgb_profile() -> bytes:
    """littleCMS's built-in sRGB profile, its creation date and profile ID zeroed (the
    ICC header allows both; otherwise equal inputs would not give equal files)."""
    from PIL import ImageCms

    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = bytes(12)  # dateTimeNumber: when the profile was created
    icc[84:100] = bytes(16)  # profile ID (MD5); zero means "not calculated"
    return bytes(icc)


def make_archival(
    writer: IncrementalPdfFileWriter, info: Info, files: Sequence[Associated]
) -> None:
    """Add the XMP, output intent and associated files to ``writer``'s update."""
    _metadata(writer, info)
    _output_intent(writer)
    for f in files:
        _associate(writer, f, info.when)


def _metadata(writer: IncrementalPdfFileWriter, info: Info) -> None:
    pdfaid = model.NS["pdfaid"]
    meta = writer._meta
    meta.title = info.title
    meta.author = info.author
    meta.subject = info.subject
    meta.keywords = list(info.keywords)
    meta.creator = info.creator
    meta.created = info.when
    meta.xmp_extra = [
        model.XmpStructure.of(
            (model.ExpandedName(pdfaid, "part"), model.XmpValue(PDFA_PART)),
            (model.ExpandedName(pdfaid, "conformance"), model.XmpValue(PDFA_CONFORMANCE)),
        )
    ]
    doc_info = writer._info.get_object()
    # pyHanko's XMP names only itself as producer and leaves out /Trapped: the Info
    # dictionary must say the same (PDF/A: Info and XMP equivalent)
    doc_info["/Producer"] = generic.TextStringObject(model.VENDOR)
    doc_info.pop("/Trapped", None)
    writer.update_container(doc_info)


def _output_intent(writer: IncrementalPdfFileWriter) -> None:
    icc = generic.StreamObject(
        {generic.NameObject("/N"): generic.NumberObject(3)}, stream_data=srgb_profile()
    )
    icc.compress()
    intent = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/OutputIntent"),
            generic.NameObject("/S"): generic.NameObject("/GTS_PDFA1"),
            generic.NameObject("/OutputConditionIdentifier"): generic.TextStringObject(SRGB),
            generic.NameObject("/Info"): generic.TextStringObject(SRGB),
            generic.NameObject("/DestOutputProfile"): writer.add_object(icc),
        }
    )
    writer.root["/OutputIntents"] = generic.ArrayObject([writer.add_object(intent)])
    writer.update_root()


def _associate(writer: IncrementalPdfFileWriter, f: Associated, when: datetime) -> None:
    data = embed.EmbeddedFileObject.from_file_data(
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
            embedded_data=data,
            description=f.description,
            af_relationship=generic.NameObject(f"/{f.relationship}"),
        ),
    )
