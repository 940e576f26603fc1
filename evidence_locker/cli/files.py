"""Writing a user's output file: checked before the passphrase is asked, written whole.

A command that writes a file (a letter, a dossier) checks the target first, so a typo
in ``-o`` costs nothing, and writes it atomically: never a half file under the final
name, never an existing file replaced without ``--force``.
"""

from __future__ import annotations

import os
from pathlib import Path

from evidence_locker.errors import StorageError, UsageError


def check_target(target: Path, *, force: bool) -> None:
    if target.exists() and not force:
        raise UsageError("export.exists", path=str(target), hint="export.hint_force")
    if target.is_dir():
        raise UsageError("export.is_dir", path=str(target))
    parent = target.parent
    if not parent.exists() or not os.access(parent, os.W_OK):
        raise StorageError("export.unwritable", path=str(target))


def write_new(target: Path, data: bytes, *, force: bool) -> None:
    from evidence_locker.store.durable import atomic_write_bytes

    try:
        atomic_write_bytes(target, data, replace=force)
    except FileExistsError:
        raise UsageError("export.exists", path=str(target), hint="export.hint_force") from None
    except OSError as exc:
        raise StorageError("export.write_failed", path=str(target), detail=exc.strerror) from exc
