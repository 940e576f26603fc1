"""evidence-locker: an encrypted, tamper-evident record of debt-collection contacts.

``evidence_locker.Locker`` is the API; the command line is a thin shell over it.
Imported lazily so that ``import evidence_locker.cli`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Locker", "__version__"]

if TYPE_CHECKING:
    from evidence_locker.locker import Locker


def __getattr__(name: str) -> Any:
    if name == "Locker":
        from evidence_locker.locker import Locker

        return Locker
    raise AttributeError(name)
