"""One-file encrypted backups of a locker: write, verify, restore, merge.

The format and its header are in :mod:`.format` (docs/backup-format.md has the
bytes); writing in :mod:`.write`; reading a backup back, with every check, in
:mod:`.unpack` (which ``verify`` is); :mod:`.restore` and :mod:`.merge` build on it.

Why each choice:

- One payload stream whose id is derived from the SHA-256 of the clear header, so
  the header cannot be swapped or edited without the payload failing to authenticate.
- Memory is flat: the database snapshot goes to a temporary file in the locker
  directory, and every section is copied through the cipher in 1 MiB pieces.
- Speed (within 2x of ``tar`` of the locker folder for 100k records and 1 GiB): the
  writer hashes nothing (the stream's tags authenticate it), the reader checks each
  blob while copying it, fsyncs run on a worker thread, and ``restore`` checks the
  ledger's tree and signed head rather than recomputing every leaf, which
  ``backup --verify`` still does.
- Written atomically, restored all or nothing, merged as a union by entry id.
"""

from evidence_locker.care.backup.format import (
    MAGIC,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    BackupHeader,
    BackupInfo,
    read_header,
    unlock_header,
)
from evidence_locker.care.backup.merge import MergeResult, merge_backup
from evidence_locker.care.backup.restore import restore_backup
from evidence_locker.care.backup.unpack import verify_backup
from evidence_locker.care.backup.write import create_backup

__all__ = [
    "MAGIC",
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "BackupHeader",
    "BackupInfo",
    "MergeResult",
    "create_backup",
    "merge_backup",
    "read_header",
    "restore_backup",
    "unlock_header",
    "verify_backup",
]
