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

from collections.abc import Iterator

from evidence_locker.errors import FormatError
from evidence_locker.model import ContactDraft

from ._common import Importer, Rejected, file_sha256
from .iphone_folder import CALL_HISTORY, SMS_DB, Backup, Oversized, is_backup_folder


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
        except Oversized as exc:
            from ._common import TooLarge

            raise TooLarge(
                relative.rsplit("/", 1)[-1], exc.size, self.options.max_attachment_bytes
            ) from exc
