"""Whole-file PDF signatures (PAdES) for the dossier, made with pyHanko.

PDF signatures need an X.509 certificate, so we build a self-signed one
deterministically from the locker's "dossier" subkey seed: same seed, same
certificate. Trust in it does not come from any CA; it comes from a signed note by the
ledger key that names the dossier public key (see :func:`endorsement_body`), which the
proof bundle carries.

Key type: ECDSA P-256, derived from the seed with HKDF, signing deterministically
(RFC 6979). pyHanko can sign with Ed25519 too, but poppler (``pdfsig``, Evince, Okular)
and other common readers could not validate an Ed25519 PDF signature when tested
(poppler 22.12 reports "corrupted data"), while they validate P-256. A reader that
shows the signature is the point of using a standard PDF signature, so P-256 it is.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import DocumentMetadata
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

ENDORSEMENT_TITLE = "evidence-locker dossier key"
FIELD_NAME = "EvidenceLockerDossier"
_KEY_INFO = b"evidence-locker/v1/dossier-p256"
# A fixed validity window: the certificate is not a trust anchor, only a carrier for
# the public key, so its dates carry no meaning and must not depend on the clock.
_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
_NOT_AFTER = datetime(2099, 12, 31, tzinfo=UTC)


def _private_key(seed: bytes) -> ec.EllipticCurvePrivateKey:
    """P-256 key from a 32-byte seed: 48 HKDF bytes reduced mod n-1, plus 1 (the
    extra 16 bytes make the reduction bias negligible, as FIPS 186-5 A.2.1 does)."""
    if len(seed) != 32:
        raise ValueError("dossier seed must be 32 bytes")
    okm = HKDF(algorithm=hashes.SHA256(), length=48, salt=None, info=_KEY_INFO).derive(seed)
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    scalar = int.from_bytes(okm, "big") % (n - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def dossier_public_key(seed: bytes) -> bytes:
    """The dossier public key as DER SubjectPublicKeyInfo (what the certificate holds)."""
    return (
        _private_key(seed)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def endorsement_body(origin: str, dossier_key_spki: bytes) -> str:
    """The note body the ledger key signs to vouch for a dossier key.

    ``evidence-locker dossier key\n<origin>\n<base64 DER SubjectPublicKeyInfo>\n`` — a
    C2SP signed-note body, signed the way checkpoints are.
    """
    return f"{ENDORSEMENT_TITLE}\n{origin}\n{base64.b64encode(dossier_key_spki).decode()}\n"


def parse_endorsement_body(body: str) -> tuple[str, bytes]:
    lines = body.split("\n")
    if len(lines) != 4 or lines[0] != ENDORSEMENT_TITLE or lines[3] != "" or not lines[1]:
        raise ValueError("malformed dossier key endorsement")
    try:
        key = base64.b64decode(lines[2], validate=True)
        serialization.load_der_public_key(key)
    except ValueError as exc:
        raise ValueError("malformed dossier key endorsement") from exc
    return lines[1], key


def self_signed_certificate(seed: bytes, common_name: str = "evidence-locker dossier") -> bytes:
    """A DER certificate for the seed's key; deterministic (RFC 6979 signature, serial
    and dates derived from the key, not the clock)."""
    key = _private_key(seed)
    spki = dossier_public_key(seed)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "evidence-locker"),
        ]
    )
    serial = int.from_bytes(hashlib.sha256(b"dossier-cert" + spki).digest()[:16], "big") >> 1
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial or 1)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    return cert.public_bytes(serialization.Encoding.DER)


class _DeterministicSigner(signers.SimpleSigner):
    """pyHanko's signer, but with RFC 6979 ECDSA so equal inputs give equal bytes."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        algo = get_pyca_cryptography_hash(digest_algorithm)
        return self._key.sign(data, ec.ECDSA(algo, deterministic_signing=True))


def _signer(seed: bytes) -> signers.SimpleSigner:
    key = _private_key(seed)
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert = asn1_x509.Certificate.load(self_signed_certificate(seed))
    return _DeterministicSigner(
        key,
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=None,
    )


class _FixedTimeMetadata(DocumentMetadata):
    """pyHanko stamps ModDate with the clock ("now") when it writes; this keeps the
    given time instead, so the same inputs give the same bytes."""

    fixed_time: datetime | None = None

    def __setattr__(self, name: str, value: object) -> None:
        if name == "last_modified" and value == "now" and self.fixed_time is not None:
            value = self.fixed_time
        object.__setattr__(self, name, value)


class _Pdf17Writer(IncrementalPdfFileWriter):
    """An incremental writer that keeps the file at PDF 1.7.

    pyHanko marks a document signed with ECDSA as PDF 2.0 with the ISO/TS 32002
    extension, and one with associated files as PDF 2.0. A PAdES signature with ECDSA
    is defined for PDF 1.7 by ETSI TS 102 778 (PAdES parts 2 and 3), and associated
    files by PDF/A-3 itself, so an archival (PDF/A-3) dossier stays 1.7: poppler and
    pyHanko validate the signature either way (tests/test_dossier_court.py).
    """

    def ensure_output_version(self, version: tuple[int, int]) -> None:
        super().ensure_output_version(min(version, (1, 7)))

    def register_extension(self, ext: Any) -> None:
        if str(getattr(ext, "prefix_name", "")).startswith("/ISO_"):
            return  # the ISO 32001/32002 extensions belong to PDF 2.0
        super().register_extension(ext)


def incremental_writer(
    pdf: bytes, when: datetime | None = None, *, pdf17: bool = False
) -> IncrementalPdfFileWriter:
    """An incremental writer whose output depends only on its inputs.

    pyHanko draws the second /ID element at random; a hash of the input serves the
    same purpose (it changes with every revision). ``when`` replaces the clock for the
    modification date. ``pdf17`` keeps the file at PDF 1.7 (:class:`_Pdf17Writer`).
    """
    cls = _Pdf17Writer if pdf17 else IncrementalPdfFileWriter
    writer = cls(io.BytesIO(pdf), strict=False)
    first = writer._document_id[0]
    writer._document_id = generic.ArrayObject(
        [first, generic.ByteStringObject(hashlib.sha256(pdf).digest()[:16])]
    )
    if when is not None:
        writer._meta.__class__ = _FixedTimeMetadata
        writer._meta.fixed_time = when  # type: ignore[attr-defined]
    return writer


def sign_pdf(
    pdf: bytes,
    seed: bytes,
    *,
    signing_time: datetime | None = None,
    reason: str | None = None,
    prepare: Callable[[IncrementalPdfFileWriter], None] | None = None,
    pdf17: bool = False,
) -> bytes:
    """Sign the whole file with a PAdES signature, in one incremental update.

    ``prepare`` may add objects (e.g. embedded files) to the same update before the
    signature is computed, so the signature covers them. In memory only.
    """
    writer = incremental_writer(pdf, signing_time, pdf17=pdf17)
    if prepare is not None:
        prepare(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )
    pdf_signer = _PdfSigner(meta, signer=_signer(seed), fixed_time=signing_time)
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out)
    return out.getvalue()


class _PdfSigner(signers.PdfSigner):
    """pyHanko reads the signing time from the clock; a fixed one makes the signed
    bytes reproducible for tests (Ed25519 itself is deterministic)."""

    def __init__(self, *args: object, fixed_time: datetime | None = None, **kw: object):
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self._fixed_time = fixed_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):  # type: ignore[no-untyped-def]
        session = super().init_signing_session(pdf_out, existing_fields_only)
        if self._fixed_time is not None:
            session.system_time = self._fixed_time
        return session


@dataclass(frozen=True, slots=True)
class PdfSignatureCheck:
    """Result of checking the dossier's whole-file signature.

    ``signed_end`` is where the signed revision ends. Beyond it there may be later
    incremental updates (a court's stamp, a document time-stamp) that the caller's
    judge accepted; ``later`` is then "additions" (``None`` when the signature covers
    every byte).
    """

    ok: bool
    public_key: bytes | None
    signing_time: datetime | None
    problem: str | None = None
    signed_end: int | None = None
    later: str | None = None  # "additions" when later updates were accepted


def _zero_padded(pdf: bytes, byte_range: list[int]) -> bool:
    """The /Contents gap must hold the CMS blob followed only by zero padding:
    a byte changed in the padding is not covered by the digest, so check it here."""
    start = byte_range[0] + byte_range[1]
    end = byte_range[2]
    gap = pdf[start:end].strip()
    if not (gap.startswith(b"<") and gap.endswith(b">")):
        return False
    try:
        blob = bytes.fromhex(gap[1:-1].decode("ascii"))
    except ValueError:
        return False
    if len(blob) < 2 or blob[0] != 0x30:
        return False
    n = blob[1]
    if n < 0x80:
        length = 2 + n
    else:
        k = n & 0x7F
        length = 2 + k + int.from_bytes(blob[2 : 2 + k], "big")
    return length <= len(blob) and not any(blob[length:])


def check_pdf_signature(
    pdf: bytes, later_updates: Callable[[bytes, int], str | None] | None = None
) -> PdfSignatureCheck:
    """Check the dossier signature (field ``EvidenceLockerDossier``): intact, valid,
    covering every byte of its revision. Bytes after it fail, unless they are
    incremental updates and ``later_updates(pdf, signed_end)`` finds no problem in
    them (returns None; else a few words on what changed): a court's stamp, or a
    document time-stamp (crypto/pdf_timestamp.py, not counted as a signature here)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = reader.embedded_regular_signatures
        if not sigs:
            return PdfSignatureCheck(False, None, None, "0 signatures, expected 1")
        ours = [s for s in sigs if s.field_name == FIELD_NAME] or sigs[:1]
        if len(ours) != 1 or sigs[0] is not ours[0]:
            return PdfSignatureCheck(False, None, None, f"{len(sigs)} signatures, expected 1")
        sig = ours[0]
        cert = sig.signer_cert
        vc = ValidationContext(trust_roots=[cert], allow_fetching=False)
        status = validate_pdf_signature(sig, vc, skip_diff=True)
        raw = cert.public_key.dump()  # DER SubjectPublicKeyInfo
        if not (status.intact and status.valid):
            return PdfSignatureCheck(False, raw, None, "signature does not match the file")
        br = [int(x) for x in sig.sig_object["/ByteRange"]]
        end = br[2] + br[3]
        if br[0] != 0 or end > len(pdf) or not _zero_padded(pdf, br):
            return PdfSignatureCheck(False, raw, None, "signature does not cover the whole file")
        if end < len(pdf):
            return _later_updates(pdf, reader, sig, status, raw, end, later_updates)
        if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            return PdfSignatureCheck(False, raw, None, "signature does not cover the whole file")
        return PdfSignatureCheck(True, raw, status.signer_reported_dt, signed_end=end)
    except Exception as exc:
        return PdfSignatureCheck(False, None, None, f"unreadable signature ({type(exc).__name__})")


def _later_updates(pdf, reader, sig, status, raw, end, judge) -> PdfSignatureCheck:  # type: ignore[no-untyped-def]
    """Bytes after the signed revision: real incremental updates, judged by ``judge``
    (pyHanko's own difference analysis has no rule for added annotations yet)."""
    if judge is None:
        return PdfSignatureCheck(False, raw, None, "the file was changed after signing")
    if sig.signed_revision >= reader.xrefs.total_revisions - 1:
        return PdfSignatureCheck(False, raw, None, "bytes were added after the signed file")
    if pdf.rstrip()[-5:] != b"%%EOF":
        return PdfSignatureCheck(False, raw, None, "bytes were added after the signed file")
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return PdfSignatureCheck(False, raw, None, "signature does not cover its revision")
    problem = judge(pdf, end)
    if problem is not None:
        return PdfSignatureCheck(False, raw, None, problem)
    return PdfSignatureCheck(
        True, raw, status.signer_reported_dt, signed_end=end, later="additions"
    )


def fingerprint_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = [
    "ENDORSEMENT_TITLE",
    "PdfSignatureCheck",
    "check_pdf_signature",
    "dossier_public_key",
    "endorsement_body",
    "parse_endorsement_body",
    "self_signed_certificate",
    "sign_pdf",
]
