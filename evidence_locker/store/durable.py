"""Durable file writes: the one place that knows how to replace a file atomically.

A file appears under its final name only once it is complete and on disk: written
to a temporary name in the same directory (0600, created exclusively), fsynced,
renamed, and the directory fsynced so the rename itself survives a power cut.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename durable. Windows has no directory fsync; NTFS journals renames."""
    if os.name == "nt":
        return
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(target: Path, data: bytes, *, replace: bool = False) -> None:
    """Write ``data`` to ``target`` all or nothing, owner-only (0600).

    Raises FileExistsError if ``target`` exists and ``replace`` is false (checked
    again just before the rename), and OSError from the disk; the temporary file is
    removed on any failure.
    """
    if target.exists() and not replace:
        raise FileExistsError(str(target))
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists() and not replace:
            raise FileExistsError(str(target))
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()
