"""Masking of phone numbers, addresses and identity numbers in dossier text.

Masking keeps the last four digits so a reader can still tell numbers apart
("*******5678"). The proof bundle cannot reveal half a field (each field has one
salted commitment), so any field whose text a mask changes must be *withheld* from
the bundle: :func:`fields_to_withhold` says which, and the locker passes that set to
``EntryReveal(redact=...)``. The renderer never prints a withheld field in clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from evidence_locker.parsing.sensitive import EMAIL, EN_ADDRESS, ID, PHONE, ZH_ADDRESS

# "names" is found in screenshots' read text (parsing/sensitive.py) but not masked in
# typed text, where a name is a field of its own (the counterpart) and stays readable.
CATEGORIES = frozenset({"numbers", "addresses", "ids"})
_ID, _PHONE, _EMAIL = ID, PHONE, EMAIL
_ZH_ADDRESS, _EN_ADDRESS = ZH_ADDRESS, EN_ADDRESS


def _keep_last4(match: re.Match[str]) -> str:
    text = match.group(0)
    alnum = [i for i, ch in enumerate(text) if ch.isalnum()]
    keep = set(alnum[-4:])
    return "".join(ch if (i in keep or not ch.isalnum()) else "*" for i, ch in enumerate(text))


def _mask_email(match: re.Match[str]) -> str:
    local, domain = match.group(1), match.group(2)
    return f"{local[:1]}***@{domain}"


def _mask_all(match: re.Match[str]) -> str:
    return "*" * len(match.group(0))


def mask_text(text: str, redact: Iterable[str]) -> str:
    """Mask the categories in ``redact`` inside free text."""
    cats = set(redact) & CATEGORIES
    if not cats or not text:
        return text
    if "ids" in cats:
        text = _ID.sub(_keep_last4, text)
    if "numbers" in cats:
        text = _PHONE.sub(_keep_last4, text)
    if "addresses" in cats:
        text = _EMAIL.sub(_mask_email, text)
        text = _ZH_ADDRESS.sub(_mask_all, text)
        text = _EN_ADDRESS.sub(_mask_all, text)
    return text


def mask_value(value: Any, redact: Iterable[str]) -> Any:
    if isinstance(value, str):
        return mask_text(value, redact)
    if isinstance(value, list | tuple):
        return [mask_value(v, redact) for v in value]
    return value


# Fields that are an address as a whole: withheld whenever addresses are redacted.
_ADDRESS_FIELDS = ("address", "location")


def fields_to_withhold(values: dict[str, Any], redact: Iterable[str]) -> frozenset[str]:
    """Which sensitive fields the proof bundle must withhold for this redaction.

    ``values`` is a record's sensitive fields (``ContactDraft.sensitive_values()`` shape
    or any mapping of field name to value). A field is withheld when masking changes
    it, and the address-like fields are always withheld when addresses are redacted.
    """
    cats = set(redact) & CATEGORIES
    if not cats:
        return frozenset()
    out = set()
    for name, value in values.items():
        if value is None:
            continue
        plain = list(value) if isinstance(value, tuple) else value
        whole_address = name in _ADDRESS_FIELDS and "addresses" in cats
        if whole_address or (name != "source" and mask_value(value, cats) != plain):
            out.add(name)
    return frozenset(out)
