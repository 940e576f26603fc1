"""Cases: the debts a locker's records are filed under (creditor, account, amount).

A case is a ledger entry of its own, so naming one is as tamper-evident as a record.
Cases are few and read by nearly every listing, so they are held once decrypted
until a write could have changed them (:meth:`Cases.forget`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evidence_locker.errors import NotFound, UsageError
from evidence_locker.ledger.log import ENTRY_SELECT, PendingEntry
from evidence_locker.locker.session import Session, new_id
from evidence_locker.model import Case, utc_from_micros
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.store.database import DbConn


class Cases:
    def __init__(self, session: Session):
        self.session = session
        self._cache: dict[str, Case] | None = None

    def forget(self) -> None:
        """Read the cases again next time (a case may have been added)."""
        self._cache = None

    def add(self, name: str, **details: str | None) -> Case:
        """A new case; ``details`` are its creditor, account, amount and notes."""
        name = (name or "").strip()
        if not name:
            raise UsageError("case.name_required")
        s = self.session
        with s.write() as conn:
            if any(c.name == name for c in self.in_tx(conn).values()):
                raise UsageError("case.exists", name=name)
            fields = {k: v for k, v in {"name": name, **details}.items() if v}
            case_id = new_id()
            pending = PendingEntry(
                id=case_id, kind="case", record_id=case_id, logged_at=s.now_us(), fields=fields
            )
            s.append(conn, [pending])
        self.forget()
        return self.by_id()[case_id]

    def in_tx(self, conn: DbConn) -> dict[str, Case]:
        """Every case by id, read in the caller's transaction (or held from before)."""
        if self._cache is not None:
            return self._cache
        cases: dict[str, Case] = {}
        sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE kind = 'case' ORDER BY seq"
        for row in db.rows(conn, sql):
            d = self.session.decode(row)
            cases[row.id] = Case(
                id=row.id,
                name=d.value("name", ""),
                creditor=d.value("creditor"),
                account=d.value("account"),
                amount=d.value("amount"),
                notes=d.value("notes"),
                created_at=utc_from_micros(row.logged_at),
            )
        self._cache = cases
        return cases

    def by_id(self) -> dict[str, Case]:
        with self.session.read() as conn:
            return self.in_tx(conn)

    def resolve(self, conn: DbConn, name_or_id: str) -> str:
        """A case's id from its id, its name, or a unique id prefix of 4+ characters."""
        cases = self.in_tx(conn)
        if name_or_id in cases:
            return name_or_id
        for case in cases.values():
            if case.name == name_or_id:
                return case.id
        matches = [c for c in cases if len(name_or_id) >= 4 and c.startswith(name_or_id)]
        if len(matches) == 1:
            return matches[0]
        raise NotFound("case.unknown", name=name_or_id, hint="hint.case_add")
