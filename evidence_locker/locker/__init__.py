"""The locker: :class:`Locker`, the one public API, and the parts it is made of.

``from evidence_locker.locker import Locker`` is the import callers use; the names
below are the module-level ones callers have always taken from here.
"""

from evidence_locker.locker.facade import (
    BLOB_DIR,
    DB_NAME,
    BatchResult,
    Locker,
    RecordHistory,
    SearchHit,
    default_locker_dir,
    new_id,
    safe_file_name,
)

__all__ = [
    "BLOB_DIR",
    "DB_NAME",
    "BatchResult",
    "Locker",
    "RecordHistory",
    "SearchHit",
    "default_locker_dir",
    "new_id",
    "safe_file_name",
]
