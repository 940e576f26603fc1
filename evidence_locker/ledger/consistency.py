"""Is an earlier tree head a prefix of the ledger as it is now?

A head fixed outside the owner's hands (a time-stamped checkpoint, a dossier already
handed over, a backup) says "these N entries had this root". The current ledger
must extend it: an RFC 6962 / RFC 9162 consistency proof from N to today's size
verifies against both roots. When N is larger than the ledger, the locker holds
fewer entries than it once did: it was rolled back (an older copy put in its place)
or cut short. When the proof fails, history before N was rewritten.

Used by ``verify`` for every stamp, and public so the rollback checks
(``verify --against``) use the same verdicts.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

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
