"""``verify --against FILE``: the head a dossier or a backup carries, against the locker.

A dossier handed out, or a backup kept elsewhere, fixes the ledger as it was then.
Its signed tree head is read from the file (a dossier's embedded proofs; a backup's
manifest, decrypted with this locker's backup key; or a signed tree head saved as
text) and checked against today's ledger
with a consistency proof (``Locker.heads.check_against``): the ledger extends it, or
it was rolled back (the head is larger), or its history was rewritten (diverged).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evidence_locker.errors import FormatError, IntegrityError, NotFound

if TYPE_CHECKING:
    from evidence_locker.ledger.consistency import HeadCheck
    from evidence_locker.locker import Locker

MAX_NOTE_FILE = 64 * 1024  # a signed note is a few hundred bytes
MAX_DOSSIER = 2 * 1024 * 1024 * 1024  # what verify-dossier also reads whole


@dataclass(frozen=True, slots=True)
class AgainstResult:
    """One file's head against the ledger. ``kind``: dossier, backup or note."""

    path: Path
    kind: str
    check: HeadCheck

    @property
    def ok(self) -> bool:
        return self.check.ok


def head_in_file(locker: Locker, path: Path) -> tuple[str, str]:
    """``(kind, signed note)`` from a dossier PDF, a backup of this locker, or a note."""
    from evidence_locker.care.backup import MAGIC, read_header
    from evidence_locker.care.backup.unpack import backup_head

    try:
        with open(path, "rb") as fh:
            start = fh.read(len(MAGIC))
            if start.startswith(MAGIC):
                fh.seek(0)
                if read_header(fh).locker_id != locker.locker_id:
                    raise IntegrityError("against.not_this_locker")
                return "backup", backup_head(path, locker.keyring)
            if start.startswith(b"%PDF"):
                if os.fstat(fh.fileno()).st_size > MAX_DOSSIER:
                    raise FormatError("against.unknown_file", path=str(path))
                fh.seek(0)
                return "dossier", _dossier_head(fh.read(), path)
            fh.seek(0)
            text = fh.read(MAX_NOTE_FILE + 1)
    except FileNotFoundError:
        raise NotFound("file.missing", path=str(path)) from None
    except IsADirectoryError:
        raise FormatError("against.unknown_file", path=str(path)) from None
    if len(text) > MAX_NOTE_FILE:
        raise FormatError("against.unknown_file", path=str(path))
    try:
        return "note", text.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("against.unknown_file", path=str(path)) from None


def _dossier_head(pdf: bytes, path: Path) -> str:
    from evidence_locker.report.pdfio import PROOFS_NAME, read_attachment

    try:
        raw = read_attachment(pdf, PROOFS_NAME)
        note = json.loads(raw)["checkpoint"] if raw is not None else None
    except Exception:  # a hostile or broken PDF: pypdf raises many kinds of errors
        note = None
    if not isinstance(note, str):
        raise FormatError("against.no_head", path=str(path))
    return note


def verify_against(locker: Locker, path: str | os.PathLike[str]) -> AgainstResult:
    """Read the head in ``path`` and judge it against ``locker``'s ledger."""
    where = Path(path).expanduser()
    kind, note = head_in_file(locker, where)
    return AgainstResult(where, kind, locker.heads.check_against(note))
