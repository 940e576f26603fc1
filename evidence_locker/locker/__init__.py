"""The locker: :class:`Locker`, the one public API, and the parts it is made of.

``from evidence_locker.locker import Locker`` is the import callers use; the names
below are the module-level ones callers have always taken from here.
"""

from evidence_locker.locker.attachments import safe_file_name
from evidence_locker.locker.facade import Locker
from evidence_locker.locker.keys import default_locker_dir
from evidence_locker.locker.records import RecordHistory
from evidence_locker.locker.session import BLOB_DIR, DB_NAME, new_id
from evidence_locker.locker.writing import BatchResult
from evidence_locker.search.hit import SearchHit

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
