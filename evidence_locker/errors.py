"""The project's exceptions: one tree, so the CLI can turn any of them into one clean line.

The library never imports typer; the CLI catches ``LockerError`` once, prints
``message`` (and ``hint`` if there is one) and exits with ``exit_code``.
Messages are keys into :mod:`evidence_locker.locale.messages` so that the same error reads in
English or Chinese; ``params`` fill the placeholders.
"""

from __future__ import annotations

from typing import Any


class LockerError(Exception):
    """Base of every error a user can meet. ``exit_code`` 1 = failure, 2 = usage."""

    exit_code = 1
    key = "error.generic"

    def __init__(self, key: str | None = None, /, hint: str | None = None, **params: Any):
        self.key = key or type(self).key
        self.params = params
        self.hint_key = hint
        super().__init__(self.render("en"))

    def render(self, lang: str = "en") -> str:
        from evidence_locker.locale.messages import t

        return t(self.key, lang, **self.params)

    def render_hint(self, lang: str = "en") -> str | None:
        if not self.hint_key:
            return None
        from evidence_locker.locale.messages import t

        return t(self.hint_key, lang, **self.params)


class UsageError(LockerError):
    """Bad input from the user: a bad date, an unknown channel, a missing field."""

    exit_code = 2
    key = "error.usage"


class NotFound(LockerError):
    """An id, a case or a file that does not exist."""

    key = "error.not_found"


class LockerMissing(LockerError):
    key = "error.locker_missing"


class LockerExists(LockerError):
    key = "error.locker_exists"


class WrongPassphrase(LockerError):
    """The passphrase or recovery key does not unlock the locker.

    Deliberately says nothing about *why* (as pyca's ``InvalidToken``).
    """

    key = "error.wrong_passphrase"


class IntegrityError(LockerError):
    """Stored data failed authentication or does not match the ledger.

    Names the record concerned, never which internal check failed.
    """

    key = "error.integrity"


class FormatError(LockerError):
    """A file (import, dossier, backup, rule set) is not in the expected format."""

    key = "error.format"


class StorageError(LockerError):
    """The disk refused a write (full, read-only, permissions)."""

    key = "error.storage"
