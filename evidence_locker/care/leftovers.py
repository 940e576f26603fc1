"""What an interrupted backup or restore leaves behind, and when it is safe to remove.

A killed ``backup`` leaves its database snapshot (``.elb-*.db.part``) in the locker
folder and its unfinished file (``.elb-*.part``) beside the destination; a killed
``restore`` leaves its work folder (``.elb-restore-*.part``) beside the target.
``doctor`` names them; the next run of the same command removes them.

"Safe to remove" must never mean "another backup is writing it right now". So each
temporary name carries the id of the process that made it: a leftover whose process
is gone is removed at once; one whose process is alive is left alone (if the id was
reused, it stays until later: the safe direction); a name without an id (made by an
older version) is removed once it is an hour old.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from pathlib import Path

MAX_AGE_S = 3600  # for names without a process id


def temp_name(prefix: str, suffix: str) -> str:
    """``<prefix><pid>-<random><suffix>``: unique, and says which process owns it."""
    return f"{prefix}{os.getpid()}-{secrets.token_hex(8)}{suffix}"


def _owner(name: str, prefix: str) -> int | None:
    head = name[len(prefix) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: alive
    return True


def find(directory: Path, prefix: str, suffix: str) -> list[Path]:
    """Every leftover-looking entry of ``directory`` (files and folders)."""
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.name.startswith(prefix) and p.name.endswith(suffix))


def is_stale(path: Path, prefix: str) -> bool:
    """Whether nobody can still be writing ``path`` (see the module docstring)."""
    pid = _owner(path.name, prefix)
    if pid is not None:
        return not _alive(pid)
    try:
        return time.time() - path.lstat().st_mtime > MAX_AGE_S
    except OSError:
        return False


def sweep(directory: Path, prefix: str, suffix: str) -> list[str]:
    """Remove the stale leftovers in ``directory``; returns their names."""
    removed = []
    for path in find(directory, prefix, suffix):
        if not is_stale(path, prefix):
            continue
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path.name)
    return removed
