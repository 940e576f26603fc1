"""One normal form for counterpart addresses, so the same collector matches across sources.

Phone numbers become E.164 (``+8613800138000``) with the ``phonenumbers`` library,
whatever spaces, dashes or country prefix were written. Anything that is not a
valid number keeps the digits written: a short code (95577), a Chinese 400/800
service number, an SMS gateway (1069...) are identifiers in their own right, and
adding a country code would invent a number nobody dialled. E-mail addresses are
lower-cased; other text (a street address, a sender name) is kept, trimmed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

DEFAULT_REGION = "CN"
_SEPARATORS = re.compile(r"[\s\-().\u00a0\u2000-\u200b\u202f\u3000（）]")
_DIALLABLE = re.compile(r"^\+?[0-9]+$")
_SHORT_CODE_MAX = 6
_CN_SERVICE_PREFIXES = ("400", "800")


def normalise_address(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The comparable form of a phone number, e-mail address or sender id (None stays None)."""
    if text is None:
        return None
    value = text.strip()
    return _normalise(value, region.upper()) if value else None


def normalise_address_text(text: str, region: str = DEFAULT_REGION) -> str:
    """:func:`normalise_address` for text an export always has: blank text stays, trimmed.

    Importers compare and store this form; they never have a None to pass through.
    """
    return normalise_address(text, region) or text.strip()


@lru_cache(maxsize=8192)  # an import repeats the same few numbers; one parse costs ~0.1 ms
def _normalise(value: str, region: str) -> str:
    if value.startswith("tel:"):
        value = value[4:]
    if "@" in value and " " not in value:
        return value.lower()
    compact = _SEPARATORS.sub("", value)
    if compact.startswith("＋"):
        compact = "+" + compact[1:]
    if not _DIALLABLE.match(compact):
        return value
    plus = compact.startswith("+")
    digits = compact.lstrip("+")
    if not plus and len(digits) <= _SHORT_CODE_MAX:
        return digits
    if (
        not plus
        and region == "CN"
        and len(digits) == 10
        and digits.startswith(_CN_SERVICE_PREFIXES)
    ):
        return digits
    import phonenumbers  # lazy: its metadata costs start-up time only when a number is seen

    try:
        number = phonenumbers.parse(compact, None if plus else region)
    except phonenumbers.NumberParseException:
        return compact
    if phonenumbers.is_valid_number(number) or (plus and phonenumbers.is_possible_number(number)):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return compact


def _parsed(address: str) -> Any | None:
    """An E.164 address as a ``phonenumbers.PhoneNumber``, or None for anything else."""
    if not address.startswith("+"):
        return None
    import phonenumbers

    try:
        return phonenumbers.parse(address, None)
    except phonenumbers.NumberParseException:
        return None


def national_digits(address: str) -> str | None:
    """The national significant number of an E.164 address, for ``138*``-style filters."""
    number = _parsed(address)
    if number is None:
        return None
    import phonenumbers

    return phonenumbers.national_significant_number(number)


@lru_cache(maxsize=1024)  # a locker's few collector numbers recur on every line of a list
def grouped_number(address: str, space: str = " ") -> str:
    """A stored E.164 number in groups as people read it (``+86 138 0013 8000``, as the
    dossier prints it), with ``space`` between the groups (a no-break space keeps it on
    one line in a terminal table); any other address unchanged."""
    number = _parsed(address) if address[1:].isdigit() else None
    if number is None:
        return address
    import phonenumbers

    if not phonenumbers.is_possible_number(number):
        return address
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return shown.replace(" ", space)


def looks_like_phone(text: str) -> bool:
    compact = _SEPARATORS.sub("", text.strip()).replace("＋", "+")
    return bool(_DIALLABLE.match(compact)) and len(compact.lstrip("+")) >= 3


def phone_forms(text: str, region: str = DEFAULT_REGION) -> tuple[str, ...]:
    """The spellings of a typed number as stored addresses hold it, for filters.

    ``138 0013 8000``, ``+86 13800138000`` and ``13800138000`` all give forms found in
    the stored ``+8613800138000`` (digits without separators, E.164, the national
    number), as search matches numbers however written. Text that is not a number gives ().
    """
    if not looks_like_phone(text):
        return ()
    compact = _SEPARATORS.sub("", text.strip()).replace("＋", "+")
    normal = normalise_address(compact, region) or compact
    national = national_digits(normal)
    return tuple(sorted({compact, normal, *([national] if national else [])}))
