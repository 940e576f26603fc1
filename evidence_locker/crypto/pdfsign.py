"""Whole-file PDF signatures (PAdES) for the dossier, made with pyHanko.

The dossier key is an Ed25519 key from the locker's "dossier" subkey. PDF signatures
need an X.509 certificate, so we build a self-signed one deterministically from the
seed: same seed, same certificate. Trust in that certificate does not come from any
CA; it comes from a signed note by the ledger key that names the dossier public key
(see :func:`endorsement_body`), which the proof bundle carries.

Ed25519 is used directly (RFC 8419 in CMS, accepted by ISO 32000-2); no fallback key.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

ENDORSEMENT_TITLE = "evidence-locker dossier key"
FIELD_NAME = "EvidenceLockerDossier"
# A fixed validity window: the certificate is not a trust anchor, only a carrier for
# the public key, so its dates carry no meaning and must not depend on the clock.
_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
_NOT_AFTER = datetime(2099, 12, 31, tzinfo=UTC)


def dossier_public_key(seed: bytes) -> bytes:
    """The raw 32-byte Ed25519 public key for a dossier seed."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def endorsement_body(origin: str, dossier_public_key_raw: bytes) -> str:
    """The note body the ledger key signs to vouch for a dossier key.

    ``evidence-locker dossier key\\n<origin>\\n<base64 public key>\\n`` — a C2SP signed
    note body, so the same note code that checks checkpoints checks it.
    """
    return f"{ENDORSEMENT_TITLE}\n{origin}\n{base64.b64encode(dossier_public_key_raw).decode()}\n"


def parse_endorsement_body(body: str) -> tuple[str, bytes]:
    lines = body.split("\n")
    if len(lines) != 4 or lines[0] != ENDORSEMENT_TITLE or lines[3] != "" or not lines[1]:
        raise ValueError("malformed dossier key endorsement")
    key = base64.b64decode(lines[2], validate=True)
    if len(key) != 32:
        raise ValueError("malformed dossier key endorsement")
    return lines[1], key


def self_signed_certificate(seed: bytes, common_name: str = "evidence-locker dossier") -> bytes:
    """A DER certificate for the seed's Ed25519 key; deterministic (Ed25519 signs
    deterministically, and serial and dates derive from the key, not the clock)."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    pub = dossier_public_key(seed)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "evidence-locker"),
        ]
    )
    serial = int.from_bytes(hashlib.sha256(b"dossier-cert" + pub).digest()[:16], "big") >> 1
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
        .sign(key, None)
    )
    return cert.public_bytes(serialization.Encoding.DER)


def _signer(seed: bytes) -> signers.SimpleSigner:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert = asn1_x509.Certificate.load(self_signed_certificate(seed))
    return signers.SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=None,
    )


def incremental_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer whose new trailer ID derives from the input bytes.

    pyHanko draws the second /ID element at random; a hash of the input serves the
    same purpose (it changes with every revision) and keeps output reproducible.
    """
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    first = writer._document_id[0]
    writer._document_id = generic.ArrayObject(
        [first, generic.ByteStringObject(hashlib.sha256(pdf).digest()[:16])]
    )
    return writer


def sign_pdf(
    pdf: bytes,
    seed: bytes,
    *,
    signing_time: datetime | None = None,
    reason: str | None = None,
    prepare: Callable[[IncrementalPdfFileWriter], None] | None = None,
) -> bytes:
    """Sign the whole file with a PAdES signature, in one incremental update.

    ``prepare`` may add objects (e.g. embedded files) to the same update before the
    signature is computed, so the signature covers them. In memory only.
    """
    writer = incremental_writer(pdf)
    if prepare is not None:
        prepare(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha512",
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
    """Result of checking the dossier's whole-file signature."""

    ok: bool
    public_key: bytes | None
    signing_time: datetime | None
    problem: str | None = None


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


def check_pdf_signature(pdf: bytes) -> PdfSignatureCheck:
    """Check there is exactly one signature, intact, valid, covering the whole file."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = reader.embedded_signatures
        if len(sigs) != 1:
            return PdfSignatureCheck(False, None, None, f"{len(sigs)} signatures, expected 1")
        sig = sigs[0]
        cert = sig.signer_cert
        vc = ValidationContext(trust_roots=[cert], allow_fetching=False)
        status = validate_pdf_signature(sig, vc)
        pub = cert.public_key
        raw = None
        if pub.algorithm == "ed25519":
            raw = bytes(pub["public_key"])
        elif pub.algorithm is not None:
            raw = pub.dump()
        if not (status.intact and status.valid):
            return PdfSignatureCheck(False, raw, None, "signature does not match the file")
        if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            return PdfSignatureCheck(False, raw, None, "signature does not cover the whole file")
        br = [int(x) for x in sig.sig_object["/ByteRange"]]
        if br[0] != 0 or br[2] + br[3] != len(pdf) or not _zero_padded(pdf, br):
            return PdfSignatureCheck(False, raw, None, "signature does not cover the whole file")
        return PdfSignatureCheck(True, raw, status.signer_reported_dt)
    except Exception as exc:
        return PdfSignatureCheck(False, None, None, f"unreadable signature ({type(exc).__name__})")


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
