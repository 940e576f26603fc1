"""Is an earlier tree head a prefix of the ledger as it is now?

A head fixed outside the owner's hands (a time-stamped checkpoint, a dossier already
handed over, a backup) says "these N entries had this root". The current ledger
must extend it: an RFC 6962 / RFC 9162 consistency proof from N to today's size
verifies against both roots. When N is larger than the ledger, the locker holds
fewer entries than it once did: it was rolled back (an older copy put in its place)
or cut short. When the proof fails, history before N was rewritten.

Used by ``verify`` for every stamp, and public so the rollback checks
(``verify --against``) use the same verdicts; :func:`bundle_extends` judges two
dossiers of one locker from their proof bundles alone (``verify-dossier --against``).
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evidence_locker.ledger import merkle
from evidence_locker.ledger.checkpoint import Checkpoint


class HeadStatus(enum.Enum):
    CONSISTENT = "consistent"  # the ledger extends the head
    ROLLED_BACK = "rolled_back"  # the head is larger than the ledger
    DIVERGED = "diverged"  # same size or smaller, but another history


@dataclass(frozen=True, slots=True)
class HeadCheck:
    """One earlier head against the current ledger, with the proof that decided it."""

    head: Checkpoint
    status: HeadStatus
    ledger_size: int
    proof: list[bytes] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is HeadStatus.CONSISTENT


def check_heads(heads: Sequence[Checkpoint], leaves: Sequence[bytes]) -> list[HeadCheck]:
    """Judge each head against the tree over ``leaves`` (all leaf hashes, in order).

    The proofs are built in one pass over the tree (``merkle.consistency_proofs``)
    and each is verified as a verifier without the leaves would verify it, so the
    verdict is the one a dossier's reader reaches.
    """
    n = len(leaves)
    current = merkle.root(leaves)
    sizes = sorted({h.size for h in heads if 0 < h.size <= n})
    proofs = merkle.consistency_proofs(sizes, leaves)
    out = []
    for head in heads:
        if head.size > n:
            out.append(HeadCheck(head, HeadStatus.ROLLED_BACK, n))
            continue
        if head.size == 0:
            ok = head.root == merkle.EMPTY_ROOT
            out.append(HeadCheck(head, HeadStatus.CONSISTENT if ok else HeadStatus.DIVERGED, n))
            continue
        proof = proofs[head.size]
        ok = merkle.verify_consistency(head.size, n, head.root, current, proof)
        status = HeadStatus.CONSISTENT if ok else HeadStatus.DIVERGED
        out.append(HeadCheck(head, status, n, proof))
    return out


def check_head(head: Checkpoint, leaves: Sequence[bytes]) -> HeadCheck:
    """:func:`check_heads` for one head."""
    return check_heads([head], leaves)[0]


class LinkStatus(enum.Enum):
    """How a newer dossier's head relates to an older dossier's (:func:`bundle_extends`)."""

    CONSISTENT = "consistent"  # the newer one proves it extends the older head
    ROLLED_BACK = "rolled_back"  # the "newer" one covers fewer entries
    DIVERGED = "diverged"  # another history at the older head's size
    UNPROVEN = "unproven"  # the newer dossier carries no proof back to that head
    OTHER_LOCKER = "other_locker"  # not signed by the same locker key
    UNREADABLE = "unreadable"  # a bundle whose tree head does not verify


@dataclass(frozen=True, slots=True)
class DossierLink:
    status: LinkStatus
    old_size: int | None = None
    new_size: int | None = None
    proof_hashes: int = 0

    @property
    def ok(self) -> bool:
        return self.status is LinkStatus.CONSISTENT


def bundle_extends(new: dict[str, Any], old: dict[str, Any]) -> DossierLink:
    """Does the newer dossier's proof bundle extend the older one's tree head?

    Both heads must be signed by the same locker key. A newer dossier carries, in its
    ``anchors``, a consistency proof from each head anchored before it (earlier
    dossiers, time-stamps) to its own head; the older head must be one of them and its
    proof must verify. Never raises on malformed bundles.
    """
    from evidence_locker.ledger.checkpoint import open_note

    try:
        origin, key = new["origin"], base64.b64decode(new["public_key"], validate=True)
        head = open_note(new["checkpoint"], origin, key)
    except (KeyError, TypeError, ValueError):
        return DossierLink(LinkStatus.UNREADABLE)
    try:
        earlier = open_note(old["checkpoint"], origin, key)
    except (KeyError, TypeError, ValueError):
        return DossierLink(LinkStatus.OTHER_LOCKER, new_size=head.size)
    link = {"old_size": earlier.size, "new_size": head.size}
    if earlier.size > head.size:
        return DossierLink(LinkStatus.ROLLED_BACK, **link)
    if earlier.size == head.size:
        same = earlier.root == head.root
        return DossierLink(LinkStatus.CONSISTENT if same else LinkStatus.DIVERGED, **link)
    if earlier.size == 0:
        same = earlier.root == merkle.EMPTY_ROOT
        return DossierLink(LinkStatus.CONSISTENT if same else LinkStatus.DIVERGED, **link)
    status = LinkStatus.UNPROVEN
    anchors = new.get("anchors")
    for anchor in anchors if isinstance(anchors, list) else ():
        try:
            anchored = open_note(anchor["checkpoint"], origin, key)
            proof = [base64.b64decode(p, validate=True) for p in anchor.get("proof") or []]
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if anchored.size != earlier.size:
            continue
        if anchored.root != earlier.root:
            status = LinkStatus.DIVERGED  # the newer dossier's history differs there
            continue
        if merkle.verify_consistency(earlier.size, head.size, earlier.root, head.root, proof):
            return DossierLink(LinkStatus.CONSISTENT, proof_hashes=len(proof), **link)
    return DossierLink(status, **link)
