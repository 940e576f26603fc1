"""An attacker's forgery of a dossier, written without any evidence-locker code.

Usage: python tests/attacks/forge_dossier.py GENUINE.pdf FORGED.pdf [--keep-note]

What a forger holding only a genuine dossier can do (issue 13, item 1):

1. overlay invented text on a page of the records section;
2. in the embedded proof file, drop one record and reverse the order of the rest;
3. delete ``dossier_key_note`` (the ledger key's endorsement of the dossier key),
   unless ``--keep-note``;
4. write a fresh file and sign all of it with a new, self-signed P-256 key, in the
   same signature field a genuine dossier uses.

The result carries the genuine tree head, the genuine ledger key and a PDF signature
that covers every byte. ``evidence-locker verify-dossier`` must reject it.

Only pypdf, reportlab, cryptography and pyHanko are used, as any forger could; the
project's own signing and bundle code is deliberately not imported.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

PROOFS = "evidence-locker-proofs.json"
FIELD = "EvidenceLockerDossier"
INVENTED = "INVENTED: the debtor agreed to pay 50,000 and was never threatened."


def fresh_signer() -> signers.SimpleSigner:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "evidence-locker dossier")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2099, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=None,
    )


def overlay_page() -> PdfReader:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFillColorRGB(1, 1, 1)
    c.rect(40, 380, 520, 200, stroke=0, fill=1)  # white out what was there
    c.setFillColorRGB(0, 0, 0)
    c.setFont("Helvetica", 11)
    c.drawString(50, 500, INVENTED)
    c.showPage()
    c.save()
    return PdfReader(io.BytesIO(buf.getvalue()))


def tamper_proofs(data: dict, keep_note: bool) -> dict:
    entries = data["entries"]
    dropped = entries[len(entries) // 2]["header"]["record_id"]
    data["entries"] = [e for e in entries if e["header"]["record_id"] != dropped][::-1]
    manifest = data.get("dossier") or {}
    records = [r for r in manifest.get("records", []) if r.get("record_id") != dropped]
    manifest["records"] = records[::-1]
    if not keep_note:
        data.pop("dossier_key_note", None)
    return data


def forge(genuine: bytes, keep_note: bool = False) -> bytes:
    reader = PdfReader(io.BytesIO(genuine))
    proofs = json.loads(reader.attachments[PROOFS][0])
    writer = PdfWriter()
    cover = overlay_page().pages[0]
    target = len(reader.pages) // 2  # a page in the records section
    for i, page in enumerate(reader.pages):
        added = writer.add_page(page)
        if i == target:
            added.merge_page(cover)
        added.pop("/Annots", None)  # the genuine signature widget
    writer.add_attachment(PROOFS, json.dumps(tamper_proofs(proofs, keep_note)).encode())
    plain = io.BytesIO()
    writer.write(plain)
    out = io.BytesIO()
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    signers.PdfSigner(meta, signer=fresh_signer()).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(plain.getvalue())), output=out
    )
    return out.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], "rb") as f:
        genuine = f.read()
    with open(argv[1], "wb") as f:
        f.write(forge(genuine, keep_note="--keep-note" in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
