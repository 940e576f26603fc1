"""The newest signed tree head, remembered outside the locker directory.

Everything inside the locker can be replaced by an older copy of itself: the rows,
the signed head, the anchors. Each copy verifies on its own, because it *was* the
locker once. So after every write the new signed head is also written to the user's
state directory (``platformdirs.user_state_dir``, or ``$EVIDENCE_LOCKER_STATE_DIR``),
one small file per locker id and location (:attr:`HeadMemory.path`), replaced
atomically. At unlock the locker is compared with it:

- the remembered head is larger than the locker's: the locker was **rolled back**
  (an older copy was put in its place, or it was cut back to a head that was once
  signed, e.g. the one printed in a dossier already handed out);
- it is not a prefix of the locker's history: **diverged** (another history).

Either is reported at unlock (:attr:`HeadMemory.verdict`), by ``verify`` (with a
full RFC 9162 consistency proof instead of the quick look at the stored root), and
every write is refused until the user finds the newer copy or accepts this one on
purpose (:meth:`HeadMemory.accept_current`). The file holds only a signed tree head,
which is public anyway (it goes into every dossier); its signature is checked when
it is read, so a stray or corrupt file is never trusted (it is ignored and replaced
at the next write).

What it cannot do: a rollback on a machine that never saw the newer head (another
computer, a reinstalled system) goes unnoticed; anchors handed out (dossiers,
time-stamps, ``verify --against``) are the answer there (docs/threat-model.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from evidence_locker.ledger.checkpoint import Checkpoint, open_note
from evidence_locker.ledger.consistency import HeadCheck, HeadStatus, check_head
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractContextManager

    from evidence_locker.crypto import KeyRing
    from evidence_locker.ledger.log import Ledger
    from evidence_locker.store.connect import Database
    from evidence_locker.store.database import DbConn


class Owner(Protocol):
    """What the memory reads of the unlocked locker that holds it (its Session)."""

    locker_id: str
    origin: str
    keyring: KeyRing
    ledger: Ledger
    database: Database
    path: Path | None

    def read(self) -> AbstractContextManager[Any]: ...

    def now_us(self) -> int: ...


STATE_ENV = "EVIDENCE_LOCKER_STATE_DIR"
FORMAT = "evidence-locker-newest-head/1"
MAX_FILE = 64 * 1024  # a signed note is a few hundred bytes


def state_dir() -> Path:
    """``$EVIDENCE_LOCKER_STATE_DIR``, else the platform's user state directory."""
    env = os.environ.get(STATE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("evidence-locker", appauthor=False))


@dataclass(frozen=True, slots=True)
class Remembered:
    """The newest head this computer saw for one locker, and when (µs)."""

    note: str
    head: Checkpoint
    seen_at: int


class HeadMemory:
    """One open locker's remembered newest head: read at unlock, written after writes."""

    def __init__(self, session: Owner):
        self._session = session
        self.remembered: Remembered | None = None
        # the quick verdict at unlock: None when there is nothing to say
        self.verdict: HeadCheck | None = None
        self.write_error: str | None = None  # why the last remember failed, if it did

    @property
    def path(self) -> Path:
        """``heads/<locker id>-<location key>.json`` in the state directory.

        Keyed by the locker's id *and* where it lives (its directory as given, not
        resolved, so a symlink swapped in its place is the same place; or its database
        URL): a second copy of the same locker elsewhere (a backup restored into another
        folder, another device's copy being merged) is its own history, not a rollback.
        """
        s = self._session
        where = s.database.url or os.path.abspath(s.path or "")
        key = hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return state_dir() / "heads" / f"{s.locker_id}-{key}.json"

    # -- reading ---------------------------------------------------------------------

    def load(self) -> Remembered | None:
        """The remembered head, if a file for this locker exists and its signature is
        this locker's; anything else (absent, unreadable, forged) is None."""
        s = self._session
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read(MAX_FILE + 1)
            if len(raw) > MAX_FILE:
                return None
            data = json.loads(raw)
            if data.get("format") != FORMAT or data.get("locker_id") != s.locker_id:
                return None
            note = str(data["note"])
            head = open_note(note, s.origin, s.keyring.signer.public_key)
            return Remembered(note, head, int(data.get("seen_at", 0)))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def check_at_unlock(self) -> HeadCheck | None:
        """Compare the locker with the remembered head, cheaply (the stored root at the
        remembered size); sets :attr:`verdict` and the ledger's floor for writes."""
        self.remembered = self.load()
        self.verdict = None
        if self.remembered is None:
            return None
        head = self.remembered.head
        self._session.ledger.floor = head
        try:
            with self._session.read() as conn:
                self.verdict = quick_check(conn, head)
        except Exception as exc:  # a damaged file: verify and doctor say what is wrong
            if not db.is_database_error(exc):
                raise
            return None
        return self.verdict if not self.verdict.ok else None

    def check_full(self, leaves: Sequence[bytes]) -> HeadCheck | None:
        """``verify``'s verdict: an RFC 9162 consistency proof from the remembered head
        to the ledger over ``leaves``. None when nothing is remembered."""
        remembered = self.remembered or self.load()
        if remembered is None:
            return None
        return check_head(remembered.head, leaves)

    # -- writing ---------------------------------------------------------------------

    def remember(self, note: str) -> None:
        """Keep ``note`` (a head this process just signed) unless a larger head is
        already remembered. Never fails the command: the write is committed already;
        a failure is kept in :attr:`write_error` for the caller to mention."""
        s = self._session
        try:
            head = open_note(note, s.origin, s.keyring.signer.public_key)
        except ValueError:
            return
        current = self.load()
        if current is not None and current.head.size > head.size:
            return
        if current is not None and current.head == head:
            self.remembered = current
            return
        self._write(note, head)

    def accept_current(self) -> Checkpoint:
        """Remember the locker's current head even though it is older: the owner's
        decision after restoring an older backup on purpose. Returns that head."""
        s = self._session
        with s.read() as conn:
            note = s.ledger.head_note(conn)
        head = open_note(note, s.origin, s.keyring.signer.public_key)
        self._write(note, head, strict=True)
        s.ledger.floor = head
        self.verdict = None
        return head

    def _write(self, note: str, head: Checkpoint, *, strict: bool = False) -> None:
        from evidence_locker.store.durable import atomic_write_bytes

        s = self._session
        data = {"format": FORMAT, "locker_id": s.locker_id, "note": note, "seen_at": s.now_us()}
        target = self.path
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            atomic_write_bytes(target, json.dumps(data).encode(), replace=True)
        except OSError as exc:
            self.write_error = f"{target}: {exc.strerror or exc}"
            if strict:
                from evidence_locker.errors import StorageError

                raise StorageError("storage.write", path=str(target), detail=exc.strerror) from exc
            return
        self.write_error = None
        self.remembered = Remembered(note, head, data["seen_at"])
        s.ledger.floor = head


def quick_check(conn: DbConn, head: Checkpoint) -> HeadCheck:
    """Is ``head`` a prefix of the stored ledger, judged by the stored root at its size?

    Cheap (two indexed look-ups), and sound as far as the ``root`` column is: ``verify``
    recomputes those roots and proves consistency in full.
    """
    last = db.value(conn, "SELECT max(seq) FROM entry")
    size = 0 if last is None else int(last) + 1
    if head.size > size:
        return HeadCheck(head, HeadStatus.ROLLED_BACK, size)
    if head.size == 0:
        return HeadCheck(head, HeadStatus.CONSISTENT, size)
    root = db.value(conn, "SELECT root FROM entry WHERE seq = ?", (head.size - 1,))
    ok = root is not None and bytes(root) == head.root
    return HeadCheck(head, HeadStatus.CONSISTENT if ok else HeadStatus.DIVERGED, size)
