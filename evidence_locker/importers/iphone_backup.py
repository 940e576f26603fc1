"""iPhone backups made by iTunes or Finder: the folder, its Manifest, encrypted or not.

A backup folder holds ``Manifest.plist`` (is it encrypted, the keybag), ``Manifest.db``
(SQLite: ``Files(fileID, domain, relativePath, flags, file)``) and every file of the
phone under ``<fileID[:2]>/<fileID>``, where ``fileID`` is the SHA-1 of
``domain-relativePath``. The importer reads ``HomeDomain/Library/SMS/sms.db`` (messages,
:mod:`.iphone_sms`), ``HomeDomain/Library/CallHistoryDB/CallHistory.storedata`` (calls,
:mod:`.iphone_calls`) and each message attachment found in ``MediaDomain`` through
Manifest.db. Nothing in the backup folder is ever written, and a decrypted file never
touches the disk.
"""

from __future__ import annotations

import hashlib
import plistlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from evidence_locker.errors import FormatError
from evidence_locker.model import ContactDraft

from . import _sqlite
from ._common import Importer, Rejected, file_sha256

SMS_DB = ("HomeDomain", "Library/SMS/sms.db")
CALL_HISTORY = ("HomeDomain", "Library/CallHistoryDB/CallHistory.storedata")
_FILE_ID = re.compile(r"[0-9a-f]{40}")
_MAX_PLIST_BYTES = 16 * 1024 * 1024  # Manifest.plist is a few KB; its keybag under 10 KB


def is_encrypted(folder: Path) -> bool:
    """Whether the backup's Manifest.plist says it is encrypted (False if unreadable:
    opening the backup then says what is wrong)."""
    try:
        return bool(Backup.read_manifest_plist(folder).get("IsEncrypted"))
    except FormatError:
        return False


def is_backup_folder(path: Path) -> bool:
    return path.is_dir() and (
        (path / "Manifest.db").is_file() or (path / "Manifest.plist").is_file()
    )


class Backup:
    """One backup folder opened for reading: finds files by domain and path, decrypts them."""

    def __init__(self, folder: Path, ask_password: Callable[[], str | None]) -> None:
        self.folder = folder
        self.label = folder.name
        self.manifest = self._manifest_plist()
        self.encrypted = bool(self.manifest.get("IsEncrypted"))
        self.keys: Any = None
        manifest_db = folder / "Manifest.db"
        if not manifest_db.is_file():
            raise FormatError("import.bad_backup", file=self.label, detail="no Manifest.db")
        if self.encrypted:
            password = ask_password()
            if not password:
                raise FormatError("import.backup_encrypted", file=self.label)
            from evidence_locker.crypto.ios_backup import BackupKeys

            self.keys = BackupKeys(self.manifest, password, self.label)
            plain = self.keys.decrypt_manifest_db(self.manifest, manifest_db.read_bytes())
            self.index = _sqlite.open_bytes(plain, f"{self.label}/Manifest.db")
        else:
            self.index = _sqlite.open_file(manifest_db, f"{self.label}/Manifest.db")
        if "Files" not in _sqlite.tables(self.index):
            raise FormatError(
                "import.bad_backup", file=self.label, detail="Manifest.db has no Files"
            )

    def _manifest_plist(self) -> dict[str, Any]:
        return self.read_manifest_plist(self.folder)

    @staticmethod
    def read_manifest_plist(folder: Path) -> dict[str, Any]:
        path = folder / "Manifest.plist"
        if not path.is_file():
            return {}
        if path.stat().st_size > _MAX_PLIST_BYTES:
            raise FormatError("import.bad_backup", file=folder.name, detail="Manifest.plist size")
        try:
            data = plistlib.loads(path.read_bytes())
        except (plistlib.InvalidFileException, ValueError, TypeError, OverflowError) as exc:
            raise FormatError(
                "import.bad_backup", file=folder.name, detail="Manifest.plist"
            ) from exc
        return data if isinstance(data, dict) else {}

    def locate(self, domain: str, relative: str) -> tuple[Path, bytes | None] | None:
        """The stored file of ``domain``/``relative`` and its property list, if backed up."""
        try:
            row = self.index.execute(
                "SELECT fileID, file FROM Files WHERE domain = ? AND relativePath = ? LIMIT 1",
                (domain, relative),
            ).fetchone()
        except sqlite3.Error as exc:
            raise FormatError(
                "import.bad_sqlite", file=f"{self.label}/Manifest.db", detail=str(exc)
            ) from exc
        if row is None:
            return None
        file_id = str(row[0])
        if not _FILE_ID.fullmatch(file_id):  # a crafted index must not reach outside the folder
            return None
        for stored in (self.folder / file_id[:2] / file_id, self.folder / file_id):
            # (backups before iOS 10 are flat); a link could point anywhere: not read
            if stored.is_file() and not stored.is_symlink():
                return stored, row[1] if isinstance(row[1], bytes) else None
        return None

    def read(self, domain: str, relative: str, limit: int) -> bytes | None:
        """The file's plain bytes (decrypted if need be), None if not backed up; a file
        over ``limit`` bytes raises :class:`_Oversized` before it is read."""
        found = self.locate(domain, relative)
        if found is None:
            return None
        stored, plist = found
        if stored.stat().st_size > limit + 16:
            raise _Oversized(stored.stat().st_size)
        data = stored.read_bytes()
        if self.encrypted:
            if plist is None:
                return None
            data = self.keys.decrypt_file(plist, data, relative)
        return data

    def database(self, domain: str, relative: str) -> tuple[sqlite3.Connection, str, str] | None:
        """A backed-up SQLite database opened read-only: (connection, label, SHA-256)."""
        found = self.locate(domain, relative)
        if found is None:
            return None
        stored, plist = found
        label = f"{self.label}/{domain}/{relative}"
        if not self.encrypted:
            return _sqlite.open_file(stored, label), label, file_sha256(stored)
        if plist is None:
            return None
        data = self.keys.decrypt_file(plist, stored.read_bytes(), relative)
        return _sqlite.open_bytes(data, label), label, hashlib.sha256(data).hexdigest()

    def close(self) -> None:
        self.index.close()


class _Oversized(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class IphoneBackupImporter(Importer):
    """A whole backup folder: its messages, then its calls."""

    name = "iphone-backup"

    def _identify(self) -> tuple[str, str]:
        if not self.path.exists():
            from evidence_locker.errors import NotFound

            raise NotFound("import.no_file", file=str(self.path))
        if not is_backup_folder(self.path):
            raise FormatError("import.unknown_folder", file=self.path.name)
        # The backup as a whole is named by its index: the same Manifest.db, the same backup.
        return self.path.name, file_sha256(self.path / "Manifest.db")

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        from .iphone_calls import CallHistoryReader
        from .iphone_sms import SmsDbReader

        secret = self.options.secret
        backup = Backup(self.path, lambda: secret("backup_password") if secret else None)
        self._backup = backup
        try:
            found_any = False
            for (domain, relative), reader in (
                (SMS_DB, SmsDbReader),
                (CALL_HISTORY, CallHistoryReader),
            ):
                opened = backup.database(domain, relative)
                if opened is None:
                    continue
                found_any = True
                conn, label, digest = opened
                self.part = (label, digest)
                try:
                    yield from reader(self, conn, backup).entries()
                finally:
                    conn.close()
            if not found_any:
                raise FormatError("import.backup_empty", file=self.path.name)
        finally:
            self.part = None
            backup.close()

    def attachment(self, relative: str) -> bytes | None:
        """An attachment's bytes from the backup's MediaDomain (None if not backed up)."""
        try:
            return self._backup.read("MediaDomain", relative, self.options.max_attachment_bytes)
        except _Oversized as exc:
            from ._common import TooLarge

            raise TooLarge(
                relative.rsplit("/", 1)[-1], exc.size, self.options.max_attachment_bytes
            ) from exc
