"""Locker settings: the user's choices that change how the records are read.

Two today: ``tz``, the zone the debtor lives in (the rules read night hours and days
on it), and ``rules``, the rule sets to check against. They belong to the locker, not
to the computer: a borrower's laptop set to UTC must not turn their Beijing-time
records into night calls.

A setting is **sealed and verified**: it is a ledger entry (kind ``setting``) whose
name and value are encrypted like a record's fields and committed in the signed log.
Sealed, because the zone says where the borrower lives; verified, because a forged
zone would move every contact to another hour: ``verify`` detects a changed or
deleted setting like a changed record. The latest entry for a name wins; an empty
value unsets it. Setting history is kept, as everything in the ledger is.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence_locker.errors import UsageError
from evidence_locker.ledger.log import ENTRY_SELECT, PendingEntry
from evidence_locker.locker.session import Session, new_id
from evidence_locker.store import database as db


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError("tz.unknown", value=value) from None
    return value


def _rule_sets(value: str) -> str:
    from evidence_locker.rules import resolve_rule_sets

    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    resolve_rule_sets(names)  # an unknown name is a usage error naming the choices
    return ",".join(names)


# name -> the check that normalises a value (or refuses it with a usage error)
KNOWN: dict[str, Callable[[str], str]] = {"tz": _zone, "rules": _rule_sets}


def check_name(name: str) -> str:
    if name not in KNOWN:
        raise UsageError("config.unknown", name=name, choices=", ".join(sorted(KNOWN)))
    return name


class Settings:
    """The locker's settings, read from and written to its ledger (see the module doc)."""

    def __init__(self, session: Session):
        self.session = session

    def read(self) -> dict[str, str]:
        """Every setting that has a value, by name (decrypted and checked on read)."""
        out: dict[str, str] = {}
        with self.session.read() as conn:
            sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE kind = 'setting' ORDER BY seq"
            for row in db.rows(conn, sql):
                entry = self.session.decode(row)
                name, value = entry.value("name", ""), entry.value("value", "")
                if value:
                    out[name] = value
                else:
                    out.pop(name, None)
        return out

    def write(self, name: str, value: str | None) -> str | None:
        """Set (or, with None or "", unset) a setting in one transaction; returns the
        value as stored (normalised)."""
        check_name(name)
        stored = KNOWN[name](value.strip()) if value and value.strip() else ""
        fields = {"name": name, "value": stored} if stored else {"name": name}
        s = self.session
        with s.write() as conn:
            entry_id = new_id()
            pending = PendingEntry(
                id=entry_id, kind="setting", record_id=entry_id, logged_at=s.now_us(), fields=fields
            )
            s.append(conn, [pending])
        return stored or None
