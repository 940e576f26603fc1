"""PDF document time-stamps (PAdES, ``/DocTimeStamp``) over the signed dossier, with pyHanko.

After the dossier is signed, a TSA can fix the whole signed file in time: pyHanko
appends an incremental update holding a signature field whose value is an RFC 3161
token over the SHA-256 of every byte before it (ISO 32000-2 12.8.5; ETSI EN 319
142-1's document time-stamp). Any PDF reader that shows signatures shows it, and
changing one byte of the file afterwards breaks it.

The token is requested and checked by :mod:`evidence_locker.crypto.tsp_client`, so
the same rules hold as for ledger stamps (nonce, imprint, ESSCertID, the user's
root); pyHanko only places it. The space is reserved up front (no dummy request: a
second request in a row would hit TSAs that ask for a pause between requests).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms
from pyhanko.sign.timestamps.api import TimeStamper

from evidence_locker.crypto.tsp_client import TimestampError, request_token_for_digest
from evidence_locker.crypto.tsp_token import TokenCheck

FIELD_NAME = "EvidenceLockerTimestamp"
# hex characters reserved in the file for the token: tokens with a certificate
# chain are 3-8 KiB of DER; 32 KiB of DER covers a long chain
RESERVED_HEX = 2 * 32 * 1024


class _CheckedTimeStamper(TimeStamper):
    """A pyHanko TimeStamper that asks through our client and keeps its verdict."""

    def __init__(self, url: str, roots: Sequence[bytes], timeout: float):
        super().__init__(include_nonce=True)
        self.url = url
        self.roots = list(roots)
        self.timeout = timeout
        self.check: TokenCheck | None = None

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> cms.ContentInfo:
        if md_algorithm != "sha256":
            raise ValueError("document time-stamps use SHA-256")
        # a worker thread: the request blocks, and checking the token runs its own
        # event loop, which cannot nest in pyHanko's
        token, self.check = await asyncio.to_thread(
            request_token_for_digest, self.url, message_digest, self.roots, timeout=self.timeout
        )
        return cms.ContentInfo.load(token)  # dumps back to the same bytes


def add_document_timestamp(
    pdf: bytes, url: str, roots: Sequence[bytes], *, timeout: float = 10.0
) -> tuple[bytes, TokenCheck]:
    """The PDF with a document time-stamp from ``url`` appended, and the token's check.

    Raises TimestampError (the file is then unchanged: nothing is returned).
    """
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    from evidence_locker.crypto.pdfsign import incremental_writer

    stamper = _CheckedTimeStamper(url, roots, timeout)
    try:
        out = PdfTimeStamper(stamper, field_name=FIELD_NAME).timestamp_pdf(
            incremental_writer(pdf), "sha256", bytes_reserved=RESERVED_HEX
        )
    except TimestampError:
        raise
    except (ValueError, OSError) as exc:
        raise TimestampError("tsa.failed", url=url, detail=str(exc)) from None
    if stamper.check is None:  # pragma: no cover - pyHanko always asks once
        raise TimestampError("tsa.failed", url=url, detail="no token")
    return out.getvalue(), stamper.check


@dataclass(frozen=True, slots=True)
class DocumentTimestamp:
    """One ``/DocTimeStamp`` in a PDF: its token, the SHA-256 of the bytes it covers,
    and whether those are the whole file (the last one must be)."""

    token: bytes
    digest: bytes
    byte_range: tuple[int, ...]
    whole_file: bool


def document_timestamps(pdf: bytes) -> list[DocumentTimestamp]:
    """The document time-stamps in ``pdf``, in file order. Raises ValueError if one
    cannot be read (a hostile file)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        out = []
        for emb in reader.embedded_timestamp_signatures:
            br = tuple(int(x) for x in emb.sig_object["/ByteRange"])
            # /Contents is zero-padded: the token is the first DER value in it
            token = cms.ContentInfo.load(bytes(emb.pkcs7_content)).dump()
            out.append(
                DocumentTimestamp(
                    token=token,
                    digest=emb.compute_digest("sha256"),
                    byte_range=br,
                    whole_file=len(br) == 4 and br[0] == 0 and br[2] + br[3] == len(pdf),
                )
            )
        return out
    except Exception as exc:  # pyHanko and asn1crypto raise many kinds on bad input
        raise ValueError(f"unreadable document time-stamp ({type(exc).__name__})") from None
