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


# A hash printed in hex (a file's SHA-256) is not personal data, and its decimal runs
# would otherwise look like numbers: never masked. At least one letter a-f, so a long
# run of decimal digits is still a number.
_HEX_HASH = re.compile(r"(?<![0-9A-Za-z])(?=[0-9]*[A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Za-z])")


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
    """Mask the categories in ``redact`` inside free text (hex hashes are left whole)."""
    cats = set(redact) & CATEGORIES
    if not cats or not text:
        return text
    if _HEX_HASH.search(text):
        pieces = _HEX_HASH.split(text)
        hashes = _HEX_HASH.findall(text)
        out = [_mask(pieces[0], cats)]
        for h, piece in zip(hashes, pieces[1:], strict=True):
            out += [h, _mask(piece, cats)]
        return "".join(out)
    return _mask(text, cats)


def _mask(text: str, cats: set[str]) -> str:
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
    """``mask_text`` through lists and dicts (tags, a record's source, file metadata)."""
    if isinstance(value, str):
        return mask_text(value, redact)
    if isinstance(value, list | tuple):
        return [mask_value(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v, redact) for k, v in value.items()}
    return value


# Fields that are an address as a whole: withheld whenever addresses are redacted.
_ADDRESS_FIELDS = ("address", "location")


def fields_to_withhold(values: dict[str, Any], redact: Iterable[str]) -> frozenset[str]:
    """Which sensitive fields the proof bundle must withhold for this redaction.

    ``values`` is an entry's fields (a record's ``ContactDraft.sensitive_values()``
    shape, an attachment's name, caption and metadata, a correction's reason: any
    mapping of field name to value). A field is withheld when masking changes it
    anywhere (inside lists and dicts too), and the address-like fields are always
    withheld when addresses are redacted.
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
        if whole_address or mask_value(value, cats) != plain:
            out.add(name)
    return frozenset(out)
