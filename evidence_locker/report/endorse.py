"""The dossier key endorsement: a C2SP signed note by the ledger key naming the
dossier key, so a verifier can tie the PDF signature to the signed tree head.

Body: ``evidence-locker dossier key\\n<origin>\\n<base64 DER SubjectPublicKeyInfo>\\n``,
signed exactly as checkpoints are (key name = origin, 4-byte key id, Ed25519).
"""

from __future__ import annotations

import base64

from evidence_locker.crypto import Signer, verify_signature
from evidence_locker.crypto.pdfsign import endorsement_body, parse_endorsement_body
from evidence_locker.ledger.checkpoint import SIG_PREFIX, key_id


def sign_endorsement(signer: Signer, origin: str, dossier_public_key: bytes) -> str:
    """What the locker puts in ``bundle["dossier_key_note"]``."""
    body = endorsement_body(origin, dossier_public_key)
    sig = signer.sign(body.encode())
    blob = base64.b64encode(key_id(origin, signer.public_key) + sig).decode()
    return f"{body}\n{SIG_PREFIX}{origin} {blob}\n"


def open_endorsement(note: str, origin: str, ledger_public_key: bytes) -> bytes:
    """Check the note is signed by the ledger key and return the dossier public key.

    Raises ValueError when the note is malformed, for another origin, or unsigned.
    """
    if not isinstance(note, str):
        raise ValueError("malformed dossier key endorsement")
    body, sep, sigs = note.partition("\n\n")
    if not sep:
        raise ValueError("not a signed note")
    body += "\n"
    note_origin, dossier_key = parse_endorsement_body(body)
    if note_origin != origin:
        raise ValueError("endorsement is for another ledger")
    want = key_id(origin, ledger_public_key)
    for line in sigs.split("\n"):
        if not line.startswith(SIG_PREFIX):
            continue
        try:
            name, blob_s = line[len(SIG_PREFIX) :].rsplit(" ", 1)
            blob = base64.b64decode(blob_s, validate=True)
        except ValueError:
            continue
        ours = name == origin and blob[:4] == want and len(blob) == 68
        if ours and verify_signature(ledger_public_key, blob[4:], body.encode()):
            return dossier_key
    raise ValueError("no valid signature by the ledger key")
