"""The time-stamp authorities a locker asks, and the roots it trusts them under.

Kept in the locker's ``meta`` table under the key ``tsa``, as JSON::

    {"tsas": [{"name": "freetsa", "url": "https://freetsa.org/tsr",
               "roots": ["<base64 DER>", ...], "auto": false,
               "added_at": <µs>, "removed_at": <µs or null>}, ...],
     "mac": "<hex HMAC-SHA256>"}

Why there, and why a MAC. The list is not secret (a URL and public certificates),
so it is not encrypted. But the roots decide which tokens ``verify`` believes: a
root swapped for one the attacker controls would let forged tokens pass as trusted.
So the whole list is authenticated with HMAC-SHA256 under the locker's
``settings`` subkey (HKDF from the master key), over RFC 8785 JSON of the origin
and the list: anyone without the passphrase who edits the database (adversaries A1,
A2 of docs/threat-model.md) changes a root only by breaking the MAC, which every
reader reports. In the locker, not in a user config file: it travels with the
locker (backups, another machine), and a second locker has its own list.

Removing a TSA keeps its entry, marked ``removed_at``: the stamps it made stay
verifiable under the roots they were made under. Adding the same name again adds a
new entry (a TSA that changed its root).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import IntegrityError, NotFound, UsageError
from evidence_locker.ledger.canonical import jcs
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.crypto import KeyRing
    from evidence_locker.store.database import DbConn

META_KEY = "tsa"
NAME_PATTERN = re.compile(r"^[\w.-]{1,40}$")  # letters of any script, digits, . _ -


@dataclass(frozen=True, slots=True)
class TsaConfig:
    """One time-stamp authority as the user configured it."""

    name: str
    url: str
    roots: tuple[bytes, ...]  # DER certificates
    auto: bool
    added_at: int
    removed_at: int | None = None

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "roots": [base64.b64encode(r).decode() for r in self.roots],
            "auto": self.auto,
            "added_at": self.added_at,
            "removed_at": self.removed_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TsaConfig:
        return cls(
            name=str(data["name"]),
            url=str(data["url"]),
            roots=tuple(base64.b64decode(r, validate=True) for r in data["roots"]),
            auto=bool(data["auto"]),
            added_at=int(data["added_at"]),
            removed_at=None if data.get("removed_at") is None else int(data["removed_at"]),
        )


def _mac(tsas: list[TsaConfig], keyring: KeyRing, origin: str) -> str:
    message = jcs({"origin": origin, "tsas": [t.to_json() for t in tsas]})
    return keyring.mac("settings", message).hex()


def load(conn: DbConn, keyring: KeyRing, origin: str) -> list[TsaConfig]:
    """Every configured TSA (removed ones too), oldest first. Raises IntegrityError
    if the stored list does not carry this locker's MAC."""
    from evidence_locker.crypto import constant_time_equal

    raw = db.value(conn, "SELECT value FROM meta WHERE key = ?", (META_KEY,))
    if raw is None:
        return []
    try:
        data = json.loads(raw)
        tsas = [TsaConfig.from_json(t) for t in data["tsas"]]
        mac = bytes.fromhex(data["mac"])
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError("tsa.settings_altered") from exc
    if not constant_time_equal(mac, bytes.fromhex(_mac(tsas, keyring, origin))):
        raise IntegrityError("tsa.settings_altered")
    return tsas


def save(conn: DbConn, tsas: list[TsaConfig], keyring: KeyRing, origin: str) -> None:
    """Replace the stored list (inside the caller's write transaction)."""
    value = json.dumps(
        {"tsas": [t.to_json() for t in tsas], "mac": _mac(tsas, keyring, origin)},
        separators=(",", ":"),
    )
    if db.execute(conn, "UPDATE meta SET value = ? WHERE key = ?", (value, META_KEY)) == 0:
        db.execute(conn, "INSERT INTO meta (key, value) VALUES (?, ?)", (META_KEY, value))


def with_added(tsas: list[TsaConfig], new: TsaConfig) -> list[TsaConfig]:
    """The list with ``new`` appended; its name must be free among active TSAs."""
    if not NAME_PATTERN.match(new.name):
        raise UsageError("tsa.bad_name", name=new.name)
    if not new.url.startswith(("http://", "https://")):
        raise UsageError("tsa.bad_url", url=new.url)
    if any(t.active and t.name == new.name for t in tsas):
        raise UsageError("tsa.exists", name=new.name)
    return [*tsas, new]


def with_removed(tsas: list[TsaConfig], name: str, now: int) -> list[TsaConfig]:
    """The list with the active TSA ``name`` marked removed (kept for its stamps)."""
    if not any(t.active and t.name == name for t in tsas):
        raise NotFound("tsa.unknown", name=name)
    return [replace(t, removed_at=now) if t.active and t.name == name else t for t in tsas]


def roots_for(tsas: list[TsaConfig], name: str) -> list[bytes]:
    """Every root ever configured under ``name``: stamps keep verifying after the
    TSA is removed or re-added with a new root."""
    out: list[bytes] = []
    for t in tsas:
        if t.name == name:
            out.extend(r for r in t.roots if r not in out)
    return out
