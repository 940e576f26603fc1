"""Importers use the project's one address normaliser (:mod:`evidence_locker.parsing.phones`)."""

from __future__ import annotations

from evidence_locker.parsing.phones import national_digits
from evidence_locker.parsing.phones import normalise_address as _normalise_address

__all__ = ["national_digits", "normalise_address"]


def normalise_address(text: str, region: str = "CN") -> str:
    """Like :func:`~evidence_locker.parsing.phones.normalise_address`, for text never None."""
    return _normalise_address(text, region) or text.strip()
