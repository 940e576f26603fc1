"""Decrypting an encrypted iTunes/Finder backup with the password the user chose for it.

The key schedule and ciphers are iphone-backup-decrypt's (``iphone_backup_decrypt.utils``:
the keybag parser, PBKDF2 unlock, RFC 3394 unwrap, AES-CBC): nothing here is hand-made.
Its ``EncryptedBackup`` class is not used, because it writes the decrypted Manifest.db to
a temporary folder and prints to standard output; here every decrypted byte stays in
memory (the importer opens the databases with SQLite's ``deserialize``).

Facts used (the library's structure, Apple's backup format): ``Manifest.plist`` holds
``IsEncrypted``, ``BackupKeyBag`` and ``ManifestKey`` (a 4-byte little-endian protection
class, then the wrapped key); ``Manifest.db`` is encrypted with that key; each file's
key is in its ``Files.file`` property list, wrapped with its protection class's key.
"""

from __future__ import annotations

import struct
from typing import Any

from evidence_locker.errors import FormatError, WrongPassphrase

# Decrypting holds the encrypted and the decrypted file in memory at once.
MAX_DECRYPTED_BYTES = 1 << 30


class BackupKeys:
    """The unlocked keybag of one backup: decrypts its Manifest.db and its files."""

    def __init__(self, manifest: dict[str, Any], password: str, label: str) -> None:
        from iphone_backup_decrypt import utils
        from iphone_backup_decrypt.exceptions import UnsafeBackupError

        self._label = label
        try:
            keybag = utils.BackupKeyBag(manifest["BackupKeyBag"])
            unlocked = keybag.unlock_with_passphrase(password.encode("utf-8"))
        except UnsafeBackupError as exc:
            raise FormatError("import.backup_unsafe", file=label, detail=str(exc)) from exc
        except (KeyError, ValueError, TypeError, struct.error) as exc:
            raise FormatError("import.bad_backup", file=label, detail=type(exc).__name__) from exc
        if not unlocked:
            raise WrongPassphrase("import.backup_wrong_password", file=label)
        self._keybag = keybag

    def decrypt_manifest_db(self, manifest: dict[str, Any], data: bytes) -> bytes:
        try:
            wrapped = manifest["ManifestKey"]
            protection = struct.unpack("<l", wrapped[:4])[0]
            key = self._keybag.unwrap_key_for_class(protection, wrapped[4:])
        except (KeyError, ValueError, TypeError, struct.error) as exc:
            raise FormatError("import.bad_backup", file=self._label, detail="ManifestKey") from exc
        return self._decrypt(data, key, "Manifest.db")

    def decrypt_file(self, file_plist: bytes, data: bytes, name: str) -> bytes:
        """``data`` (a file of the backup) decrypted with the key in its property list."""
        from iphone_backup_decrypt import utils

        try:
            info = utils.FilePlist(file_plist)
            if info.encryption_key is None:
                return data  # folders and empty files carry no key
            key = self._keybag.unwrap_key_for_class(info.protection_class, info.encryption_key)
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
            raise FormatError("import.bad_backup", file=self._label, detail=name) from exc
        return self._decrypt(data, key, name)

    def _decrypt(self, data: bytes, key: bytes, name: str) -> bytes:
        from iphone_backup_decrypt import utils

        if len(data) > MAX_DECRYPTED_BYTES:
            raise FormatError(
                "import.backup_file_too_large",
                file=self._label,
                part=name,
                limit=MAX_DECRYPTED_BYTES,
            )
        if not data:
            return b""
        try:
            return bytes(utils.remove_cbc_padding(utils.aes_decrypt_cbc(data=data, key=key)))
        except (ValueError, IndexError) as exc:
            raise FormatError("import.bad_backup", file=self._label, detail=name) from exc
