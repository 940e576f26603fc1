"""The proof bundle a dossier carries: enough to verify its records without the locker.

A bundle holds the signed checkpoint (tree head), the locker's public key, and for
each exported ledger entry its clear header, the fields it reveals (salt and value),
the commitments of the fields it withholds (redaction), and its RFC 6962 inclusion
proof. A verifier rebuilds each leaf from those parts, walks the proof up to the
signed root, and checks the signature: no passphrase, no database.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evidence_locker.ledger import merkle
from evidence_locker.ledger.canonical import commitment, entry_leaf_hash
from evidence_locker.ledger.checkpoint import Checkpoint, open_note, verifier_key

BUNDLE_FORMAT = "evidence-locker-proof-bundle/1"
MAX_BUNDLE_ENTRIES = 1_000_000  # a bound for hostile input, far above any real dossier


@dataclass(frozen=True, slots=True)
class EntryReveal:
    """One ledger entry as the dossier shows it."""

    seq: int
    header: dict[str, Any]
    fields: dict[str, tuple[bytes, Any]]  # name -> (salt, value)
    redact: frozenset[str] = frozenset()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    return base64.b64decode(text, validate=True)


def build_bundle(
    *,
    origin: str,
    public_key: bytes,
    checkpoint_note: str,
    leaves: Sequence[bytes],
    entries: Iterable[EntryReveal],
    anchors: Iterable[tuple[str, int]] = (),
) -> dict[str, Any]:
    """Assemble the bundle. ``leaves`` are all leaf hashes of the tree the note signs.

    ``anchors`` are (signed note, tree size) pairs of earlier, published tree heads;
    each gets a consistency proof to the current head.
    """
    size = len(leaves)
    entries = list(entries)
    proofs = merkle.inclusion_proofs([e.seq for e in entries], leaves)
    out_entries = []
    for e in entries:
        revealed = {
            name: {"salt": _b64(salt), "value": value}
            for name, (salt, value) in sorted(e.fields.items())
            if name not in e.redact
        }
        withheld = {
            name: commitment(salt, value)
            for name, (salt, value) in sorted(e.fields.items())
            if name in e.redact
        }
        proof = proofs[e.seq]
        out_entries.append(
            {
                "seq": e.seq,
                "header": e.header,
                "revealed": revealed,
                "withheld": withheld,
                "proof": [_b64(p) for p in proof],
            }
        )
    out_anchors = [
        {
            "checkpoint": note,
            "size": anchor_size,
            "proof": [_b64(p) for p in merkle.consistency_proof(anchor_size, leaves)],
        }
        for note, anchor_size in anchors
        if 0 < anchor_size <= size
    ]
    return {
        "format": BUNDLE_FORMAT,
        "origin": origin,
        "public_key": _b64(public_key),
        "verifier_key": verifier_key(origin, public_key),
        "checkpoint": checkpoint_note,
        "tree_size": size,
        "entries": out_entries,
        "anchors": out_anchors,
    }


@dataclass
class BundleReport:
    """What verification found. ``failures`` name the entry (seq and record id)."""

    checkpoint: Checkpoint | None = None
    verified: list[int] = field(default_factory=list)
    failures: list[tuple[int | None, str | None, str]] = field(default_factory=list)
    anchors_ok: int = 0

    @property
    def ok(self) -> bool:
        return self.checkpoint is not None and not self.failures


def leaf_for(entry: dict[str, Any]) -> bytes:
    """Rebuild an entry's leaf hash from its header, revealed and withheld fields."""
    commitments: dict[str, str] = {}
    revealed = entry.get("revealed") or {}
    withheld = entry.get("withheld") or {}
    if not isinstance(revealed, dict) or not isinstance(withheld, dict):
        raise ValueError("malformed fields")
    for name, item in revealed.items():
        if not isinstance(item, dict):
            raise ValueError("malformed revealed field")
        commitments[name] = commitment(_unb64(item.get("salt")), item.get("value"))
    for name, digest in withheld.items():
        if not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("malformed commitment")
        if name in commitments:
            raise ValueError("field both revealed and withheld")
        commitments[name] = digest
    header = entry.get("header")
    if not isinstance(header, dict):
        raise ValueError("malformed header")
    return entry_leaf_hash(header, commitments)


def verify_bundle(data: dict[str, Any] | bytes | str) -> BundleReport:
    """Check the signature, then every entry's inclusion proof and every anchor.

    Never raises on malformed input: everything wrong becomes a failure line.
    """
    report = BundleReport()
    try:
        if isinstance(data, bytes | str):
            data = json.loads(data)
        if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
            raise ValueError("not a proof bundle")
        origin = data["origin"]
        public_key = _unb64(data["public_key"])
        checkpoint = open_note(data["checkpoint"], origin, public_key)
        if checkpoint.origin != origin:
            raise ValueError("checkpoint origin mismatch")
    except (KeyError, TypeError, ValueError) as exc:
        report.failures.append((None, None, f"checkpoint: {exc}"))
        return report
    report.checkpoint = checkpoint
    entries = data.get("entries")
    if not isinstance(entries, list) or len(entries) > MAX_BUNDLE_ENTRIES:
        report.failures.append((None, None, "entries: malformed"))
        return report
    for entry in entries:
        seq = entry.get("seq") if isinstance(entry, dict) else None
        rid = None
        try:
            if not isinstance(entry, dict) or not isinstance(seq, int):
                raise ValueError("malformed entry")
            header = entry.get("header") or {}
            rid = header.get("record_id") or header.get("id")
            if header.get("seq") != seq:
                raise ValueError("sequence number does not match its header")
            proof = [_unb64(p) for p in entry.get("proof") or []]
            leaf = leaf_for(entry)
            if not merkle.verify_inclusion(seq, checkpoint.size, leaf, proof, checkpoint.root):
                raise ValueError("not included in the signed tree")
        except (KeyError, TypeError, ValueError) as exc:
            report.failures.append((seq if isinstance(seq, int) else None, rid, str(exc)))
            continue
        report.verified.append(seq)
    for anchor in data.get("anchors") or []:
        try:
            old = open_note(anchor["checkpoint"], origin, public_key)
            proof = [_unb64(p) for p in anchor.get("proof") or []]
            if not merkle.verify_consistency(
                old.size, checkpoint.size, old.root, checkpoint.root, proof
            ):
                raise ValueError("anchor is not a prefix of the signed tree")
            report.anchors_ok += 1
        except (KeyError, TypeError, ValueError) as exc:
            report.failures.append((None, None, f"anchor: {exc}"))
    return report
