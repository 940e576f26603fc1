"""The locker's clear settings, held to the keys (issue 13: "unchecked clear state").

``meta`` keeps in clear what is needed before, or without, unlocking. Four of its
values are set once by ``init`` and never changed: ``locker_id``, ``created_at``,
``region`` (how a phone number written without a country code is read, so it decides
how every new address is normalised, deduplicated and searched) and ``public_key``
(the public half of the signing key, for tools that do not unlock). Someone with the
files can change any of them with sqlite3, and nothing noticed.

Now ``meta.sealed_meta`` holds, for each of them, an HMAC-SHA256 under the key ring's
``meta`` subkey of ``key NUL value``, and ``verify`` (so ``doctor``) names each value
that no longer matches, and a ``public_key`` that is not the signing key's. A locker
of format 2 is sealed when it is made, or by the first write that upgrades a format-1
locker; a locker holding any entry sealed in version 2 without ``sealed_meta`` had it
deleted, and says so. A format-1 locker never written since has nothing to check its
settings against (docs/threat-model.md, "What verification cannot tell you").
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from evidence_locker import crypto
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.store.database import DbConn

SEALED_KEYS = ("locker_id", "created_at", "region", "public_key")
ROW = "sealed_meta"


def _mac(keyring: crypto.KeyRing, key: str, value: str) -> str:
    return keyring.mac("meta", key.encode() + b"\x00" + value.encode()).hex()


def _meta(conn: DbConn) -> dict[str, str]:
    return {r.key: r.value for r in db.rows(conn, "SELECT key, value FROM meta")}


def seal(conn: DbConn, keyring: crypto.KeyRing) -> None:
    """Write (or, after a key rotation, rewrite) the MACs of the settings as they are."""
    meta = _meta(conn)
    macs = {k: _mac(keyring, k, meta[k]) for k in SEALED_KEYS if k in meta}
    value = json.dumps(macs, sort_keys=True)
    if db.execute(conn, "UPDATE meta SET value = ? WHERE key = ?", (value, ROW)) == 0:
        db.execute(conn, "INSERT INTO meta (key, value) VALUES (?, ?)", (ROW, value))


def problems(conn: DbConn, keyring: crypto.KeyRing, *, must_be_sealed: bool) -> list[str]:
    """The i18n keys of what is wrong with the settings (empty: all hold).

    ``must_be_sealed``: the locker has format-2 entries, so it was sealed.
    """
    meta = _meta(conn)
    found: list[str] = []
    if meta.get("public_key", keyring.signer.public_key.hex()) != keyring.signer.public_key.hex():
        found.append("verify.meta.public_key")
    raw = meta.get(ROW)
    if raw is None:
        if must_be_sealed or meta.get("format") != "evidence-locker/1":
            found.append("verify.meta.unsealed")
        return found
    try:
        macs = json.loads(raw)
        if not isinstance(macs, dict):
            raise ValueError
    except ValueError:
        return [*found, "verify.meta.unsealed"]
    for key in SEALED_KEYS:
        mac = macs.get(key)
        value = meta.get(key)
        if value is None and mac is None:
            continue
        good = isinstance(mac, str) and value is not None
        if not good or not crypto.constant_time_equal(
            bytes.fromhex(_mac(keyring, key, value or "")), _hex(mac)
        ):
            name = f"verify.meta.{key}"
            if name not in found:
                found.append(name)
    return found


def _hex(value: object) -> bytes:
    try:
        return bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        return b""
