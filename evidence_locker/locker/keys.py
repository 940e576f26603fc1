"""Keys and key slots: making a locker, unlocking it, changing what unlocks it.

One random master key encrypts everything; each key slot holds it wrapped under a
key-encryption key, from the passphrase (Argon2id, parameters in the slot) or from
the recovery key (HKDF). Changing the passphrase or the recovery key rewraps the
master key in one row and re-encrypts nothing (docs/file-format.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_locker import crypto
from evidence_locker.errors import (
    IntegrityError,
    LockerExists,
    LockerMissing,
    StorageError,
    UsageError,
    WrongPassphrase,
)
from evidence_locker.ledger.log import READABLE_FORMATS
from evidence_locker.locker.session import (
    DB_NAME,
    FORMAT,
    Clock,
    Session,
    new_id,
)
from evidence_locker.model import micros
from evidence_locker.store import database as db
from evidence_locker.store.connect import Database

if TYPE_CHECKING:
    from evidence_locker.store.database import DbConn


def default_locker_dir() -> Path:
    """``$EVIDENCE_LOCKER_DIR``, else the platform's user data directory."""
    env = os.environ.get("EVIDENCE_LOCKER_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("evidence-locker", appauthor=False))


def exists(path: Path) -> bool:
    return (Path(path) / DB_NAME).exists()


def slot_context(kind: str, locker_id: str) -> bytes:
    """What a wrapped master key is bound to: its slot's kind and its locker."""
    return f"evidence-locker/v1/keyslot/{kind}/{locker_id}".encode()


def _has_anything(directory: Path) -> bool:
    try:
        return any(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return directory.is_symlink() or directory.exists()  # a file in its place
    except OSError:
        return False  # unreadable: mkdir below says why


def keyring_for(master: bytes, signing_wrapped: bytes | None, locker_id: str) -> crypto.KeyRing:
    """The key ring of a master key; with the ``signing`` slot of a locker whose keys
    were rotated, the signing key it carries (passwd --rotate keeps the identity)."""
    if signing_wrapped is None:
        return crypto.KeyRing(master)
    plain = crypto.KeyRing(master)
    try:
        seed = crypto.unwrap_key(
            plain.subkey("signing-carry"),
            bytes(signing_wrapped),
            context=slot_context("signing", locker_id),
        )
    except crypto.DecryptionFailed:
        raise IntegrityError("error.bad_header", detail="the signing key slot") from None
    return crypto.KeyRing(master, signing_seed=seed)


def _database_for(path: Path, database_url: str | None, read_only: bool | None = False) -> Database:
    if database_url:
        return Database(url=database_url)
    return Database(path / DB_NAME, read_only=read_only)


def create(
    path: Path | str | None, passphrase: str, database_url: str | None, clock: Clock, region: str
) -> tuple[Session, str]:
    """A new locker's session and its recovery key (shown once, never stored)."""
    directory = Path(path) if path is not None else default_locker_dir()
    if not passphrase:
        raise UsageError("init.empty_passphrase")
    if database_url is None and exists(directory):
        raise LockerExists(path=str(directory))
    if database_url is None and _has_anything(directory):
        # a locker takes over its folder (owner-only modes on every file): never
        # someone's documents, nor files a symbolic link there points at
        raise UsageError("init.not_empty", path=str(directory))
    os.umask(0o077)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
    except OSError as exc:
        raise StorageError("storage.mkdir", path=str(directory), detail=exc.strerror) from exc
    from evidence_locker.search.upkeep import INDEX_FORMAT
    from evidence_locker.store import engine as store_engine

    database = _database_for(directory, database_url)
    master = crypto.new_master_key()
    keyring = crypto.KeyRing(master)
    locker_id = new_id()
    recovery_key = crypto.new_recovery_key()
    now = micros(clock())
    try:
        store_engine.create_schema(database.engine)
        session = Session(database, keyring, path=directory, locker_id=locker_id, clock=clock)
        with session.write() as conn:
            if db.value(conn, "SELECT count(*) FROM meta"):
                raise LockerExists(path=database_url or str(directory))
            db.execute_many(
                conn,
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("format", FORMAT),
                    ("locker_id", locker_id),
                    ("created_at", str(now)),
                    ("region", region),
                    ("public_key", keyring.signer.public_key.hex()),
                    ("index_format", INDEX_FORMAT),
                    ("key_id", keyring.key_id),
                ],
            )
            write_keyslots(conn, master, locker_id, now, passphrase, recovery_key)
            from evidence_locker.ledger import meta_seal
            from evidence_locker.ledger.merkle import Frontier

            meta_seal.seal(conn, keyring)

            session.ledger.write_head(conn, Frontier())
    except Exception as exc:
        if not db.is_database_error(exc):
            raise
        detail = db.error_text(exc)
        raise StorageError("storage.write", path=str(directory), detail=detail) from exc
    if database_url is None:
        store_engine.secure_file_modes(directory)
    session.region = region
    return session, recovery_key


def write_keyslots(
    conn: DbConn,
    master: bytes,
    locker_id: str,
    now: int,
    passphrase: str | None,
    recovery_key: str | None,
) -> None:
    """(Re)wrap the master key under the passphrase and/or the recovery key given."""
    slots = []
    if passphrase is not None:
        params = crypto.KdfParams.new()
        kek = crypto.passphrase_kek(passphrase, params)
        slots.append(("passphrase", json.dumps(params.to_json()), kek))
    if recovery_key is not None:
        salt = crypto.random_bytes(crypto.SALT_SIZE)
        kek = crypto.recovery_kek(recovery_key, salt)
        slots.append(("recovery", json.dumps({"alg": "hkdf-sha256", "salt": salt.hex()}), kek))
    for kind, kdf, kek in slots:
        wrapped = crypto.wrap_key(kek, master, context=slot_context(kind, locker_id))
        db.execute(conn, "DELETE FROM keyslot WHERE kind = ?", (kind,))
        db.execute(
            conn,
            "INSERT INTO keyslot (kind, kdf, wrapped, updated_at) VALUES (?, ?, ?, ?)",
            (kind, kdf, wrapped, now),
        )


def unlock(
    path: Path | str | None,
    passphrase: str | None,
    recovery_key: str | None,
    database_url: str | None,
    clock: Clock,
    read_only: bool | None = None,
) -> Session:
    """Unlock with the passphrase or the recovery key. One error for any wrong key.

    ``read_only`` None: read-only when the database cannot be written (a write-blocked
    copy) or ``EVIDENCE_LOCKER_READ_ONLY`` asks for it; then nothing is ever written.
    """
    directory = Path(path) if path is not None else default_locker_dir()
    if database_url is None and not exists(directory):
        raise LockerMissing(path=str(directory), hint="hint.init")
    os.umask(0o077)
    database = _database_for(directory, database_url, read_only)
    try:
        meta, slots = _read_header(database)
    except Exception as exc:
        if not db.is_database_error(exc):
            raise
        raise _unreadable(exc, directory, database) from exc
    if meta.get("format") not in READABLE_FORMATS or "locker_id" not in meta:
        raise IntegrityError("error.db_unreadable", path=str(directory))
    locker_id = meta["locker_id"]
    if recovery_key is not None:
        slot, kind = slots.get("recovery"), "recovery"
        if slot is None:
            raise IntegrityError("error.no_recovery_slot", hint="hint.no_recovery_slot")
        kek = recovery_kek_of(recovery_key, json.loads(slot.kdf))
    else:
        slot, kind = slots.get("passphrase"), "passphrase"
        if slot is None:
            raise IntegrityError("error.db_unreadable", path=str(directory))
        try:
            params = crypto.KdfParams.from_json(json.loads(slot.kdf))
        except ValueError as exc:
            raise IntegrityError("error.bad_header", detail=str(exc)) from exc
        kek = crypto.passphrase_kek(passphrase or "", params)
    if slot is None:
        raise WrongPassphrase()
    try:
        master = crypto.unwrap_key(kek, slot.wrapped, context=slot_context(kind, locker_id))
    except crypto.DecryptionFailed:
        if kind == "recovery":
            raise WrongPassphrase("error.wrong_recovery_key") from None
        raise WrongPassphrase() from None
    signing = slots.get("signing")
    keyring = keyring_for(master, signing.wrapped if signing else None, locker_id)
    session = Session(
        database,
        keyring,
        path=directory,
        locker_id=locker_id,
        clock=clock,
        region=meta.get("region", "CN"),
    )
    session.memory.check_at_unlock()  # older than the newest head seen? (newest_head.py)
    return session


def recovery_kek_of(recovery_key: str, kdf: dict[str, Any]) -> bytes:
    """The recovery slot's key-encryption key; a key mistyped (its check group) is
    said as such, anything else is one "wrong recovery key"."""
    try:
        return crypto.recovery_kek(recovery_key, bytes.fromhex(kdf["salt"]))
    except crypto.RecoveryKeyMistyped:
        raise UsageError("error.recovery_key_typo") from None
    except (ValueError, KeyError, TypeError):
        raise WrongPassphrase("error.wrong_recovery_key") from None


def _unreadable(exc: BaseException, directory: Path, database: Database) -> Exception:
    """Why the header could not be read: the disk or the mount, said as such, before
    concluding that the file is damaged (issue 13: "damaged" was a misdiagnosis)."""
    message = db.error_text(exc).lower()
    if "disk is full" in message or "disk i/o error" in message:
        import shutil

        try:
            free = f"{shutil.disk_usage(directory).free // 1024} KiB"
        except OSError:
            free = "?"
        return StorageError("storage.io", path=str(directory), detail=db.error_text(exc), free=free)
    if database.read_only and "unable to open" in message:
        return StorageError("storage.read_only_wal", path=str(directory))
    if "readonly" in message or "read-only" in message:
        return StorageError("storage.read_only", path=str(directory))
    return IntegrityError("error.db_unreadable", path=str(directory))


def _read_header(database: Database) -> tuple[dict[str, str], dict[str, Any]]:
    """The ``meta`` settings and the key slots: all that unlocking reads."""

    def read(conn: DbConn) -> tuple[dict[str, str], dict[str, Any]]:
        meta = {r.key: r.value for r in db.rows(conn, "SELECT key, value FROM meta")}
        slots = {r.kind: r for r in db.rows(conn, "SELECT kind, kdf, wrapped FROM keyslot")}
        return meta, slots

    driver = database.driver()
    if driver is None:
        with database.engine.connect() as conn:
            return read(conn)
    try:
        return read(driver)
    finally:
        driver.close()


class KeySlots:
    """Changing what unlocks an open locker."""

    def __init__(self, session: Session):
        self.session = session

    def change_passphrase(self, new_passphrase: str) -> None:
        """Rewrap the master key under a new passphrase: one row, one transaction.

        Nothing is re-encrypted, and the old passphrase works until the commit.
        """
        if not new_passphrase:
            raise UsageError("init.empty_passphrase")
        self._rewrap(new_passphrase, None)

    def new_recovery_key(self) -> str:
        """Replace the recovery key (the old one stops working). Shown once."""
        key = crypto.new_recovery_key()
        self._rewrap(None, key)
        return key

    def _rewrap(self, passphrase: str | None, recovery_key: str | None) -> None:
        s = self.session
        with s.write() as conn:
            write_keyslots(
                conn, s.keyring.master, s.locker_id, s.now_us(), passphrase, recovery_key
            )
