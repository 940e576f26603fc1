"""Earlier signed heads against today's ledger: is the locker still their extension?

A head that left the owner's hands (printed in a dossier, kept in a backup, e-mailed
to a lawyer) says "these N entries had this root". If the locker was rolled back, cut
back or rewritten since, today's ledger no longer extends it. :func:`check_against`
proves it either way with an RFC 9162 consistency proof (ledger/consistency.py, the
check that every time-stamp anchor also gets), for ``verify --against FILE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evidence_locker.errors import IntegrityError
from evidence_locker.ledger.checkpoint import open_note
from evidence_locker.ledger.consistency import HeadCheck, check_head

if TYPE_CHECKING:
    from evidence_locker.locker.session import Session


def check_against(session: Session, note: str) -> HeadCheck:
    """``note`` (a signed tree head) against the ledger: consistent, rolled back
    (larger than the ledger) or diverged, with the proof that decided it.

    Raises IntegrityError when ``note`` is not signed by this locker's key (another
    locker's head, or a forged one): nothing can be said about it.
    """
    try:
        head = open_note(note, session.origin, session.keyring.signer.public_key)
    except ValueError:
        raise IntegrityError("against.not_this_locker") from None
    with session.read() as conn:
        leaves = session.ledger.leaves(conn)
    return check_head(head, leaves)
