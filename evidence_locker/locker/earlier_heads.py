"""Earlier signed heads against today's ledger: is the locker still their extension?

A head that left the owner's hands (printed in a dossier, kept in a backup, e-mailed
to a lawyer) says "these N entries had this root". If the locker was rolled back, cut
back or rewritten since, today's ledger no longer extends it. :func:`check_against`
proves it either way with an RFC 9162 consistency proof (ledger/consistency.py, the
check that every time-stamp anchor also gets), for ``verify --against FILE``.

Each dossier's head is also kept as an anchor (kind ``dossier``, in the table the
time-stamps use: ledger/anchors.py) by :func:`record_export`, and every later dossier
carries a consistency proof back to every anchor (:func:`earlier_notes`), so
``verify-dossier NEW --against OLD`` can check two dossiers of one locker with
nothing but the two files. ``verify`` checks the stored anchors against the ledger
like the time-stamps.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from evidence_locker.errors import IntegrityError, LockerError
from evidence_locker.ledger import anchors
from evidence_locker.ledger.checkpoint import Checkpoint, open_note
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


def earlier_notes(session: Session) -> list[tuple[str, int]]:
    """Every anchored head of this locker (time-stamped or exported), as
    ``(signed note, size)``, one per distinct head, smallest first: what a new
    dossier carries consistency proofs back to. Rows whose receipt does not hold
    (not stored by this locker) are left out."""
    with session.read() as conn:
        found = anchors.read_all(conn)
    seen: dict[tuple[int, str], str] = {}
    for a in found:
        if not anchors.receipt_holds(a, session.keyring, session.origin):
            continue
        try:
            head = Checkpoint.parse_body(a.note.partition("\n\n")[0] + "\n")
        except ValueError:
            continue
        seen.setdefault((head.size, head.root.hex()), a.note)
    return [(note, size) for (size, _), note in sorted(seen.items())]


def record_export(session: Session, note: str, pdf: bytes) -> bool:
    """Keep the head a dossier was made from as an anchor (kind ``dossier``, its
    ``proof`` the PDF's SHA-256). Returns False, storing nothing, when the locker
    cannot be written (read-only, disk full): the dossier itself is still good."""
    head = open_note(note, session.origin, session.keyring.signer.public_key)
    anchor = anchors.Anchor(
        kind=anchors.EXPORTED,
        destination=anchors.EXPORTED,
        size=head.size,
        note=note,
        proof=hashlib.sha256(pdf).digest(),
        attested_at=None,
        created_at=session.now_us(),
    )
    try:
        with session.tx.write() as conn:  # not session.write: no head is signed here
            anchors.store(conn, anchor, session.keyring, session.origin)
    except LockerError:
        return False
    return True


class Heads:
    """The Locker's part for heads kept beyond the ledger (``locker.heads``): the newest
    one this computer saw (newest_head.py) and those of dossiers handed out."""

    def __init__(self, session: Session):
        self._session = session

    @property
    def behind(self) -> HeadCheck | None:
        """Older than (or diverged from) the newest head seen here; None when not."""
        verdict = self._session.memory.verdict
        return verdict if verdict is not None and not verdict.ok else None

    def check_against(self, note: str) -> HeadCheck:
        """Does the ledger extend ``note``, an earlier head? (``verify --against``)"""
        return check_against(self._session, note)

    def earlier(self) -> list[tuple[str, int]]:
        """Every anchored head as (signed note, size): a dossier proves it extends them."""
        return earlier_notes(self._session)

    def record_export(self, note: str, pdf: bytes) -> bool:
        """Keep a dossier's head as an anchor; False on a read-only locker."""
        return record_export(self._session, note, pdf)

    def accept_older(self) -> Checkpoint:
        """Take the current head as the newest (an older backup restored on purpose)."""
        return self._session.memory.accept_current()
