"""An iPhone backup folder opened for reading: its Manifest, files found by domain and
path, decrypted in memory when the backup is encrypted.

A folder of its own so the readers of sms.db and CallHistory can name the type they are
handed without importing the importer that drives them.
"""

from __future__ import annotations

import hashlib
import plistlib
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evidence_locker.errors import FormatError

from . import _sqlite
from ._common import file_sha256

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
        over ``limit`` bytes raises :class:`Oversized` before it is read."""
        found = self.locate(domain, relative)
        if found is None:
            return None
        stored, plist = found
        if stored.stat().st_size > limit + 16:
            raise Oversized(stored.stat().st_size)
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


class Oversized(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size
