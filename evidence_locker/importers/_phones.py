"""One normal form for counterpart addresses, so the same collector matches across sources.

Phone numbers become E.164 when the ``phonenumbers`` metadata says they are valid.
Anything else keeps the digits the source wrote: a short code (95577), a Chinese 400/800
service number, an SMS gateway (1069...) or an alphanumeric sender id are identifiers in
their own right, and adding a country code to them would invent a number nobody dialled.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-().\u00a0\u2000-\u200b\u202f\u3000]")
_DIALLABLE = re.compile(r"^\+?[0-9]+$")
_SHORT_CODE_MAX = 6
_CN_SERVICE_PREFIXES = ("400", "800")


@lru_cache(maxsize=8192)  # a backup repeats the same few numbers; parsing one costs ~0.1 ms
def normalise_address(text: str, region: str = "CN") -> str:
    """The comparable form of a phone number, e-mail address or sender id.

    E-mail addresses are lower-cased; valid phone numbers become E.164; short codes,
    400/800 numbers and numbers that do not validate keep their written digits (and a
    leading ``+`` if one was written); other text is returned stripped.
    """
    value = text.strip()
    if not value:
        return value
    if value.startswith("tel:"):
        value = value[4:]
    if "@" in value:
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
        and region.upper() == "CN"
        and len(digits) == 10
        and digits.startswith(_CN_SERVICE_PREFIXES)
    ):
        return digits
    try:
        number = phonenumbers.parse(compact, None if plus else region)
    except phonenumbers.NumberParseException:
        return compact
    if phonenumbers.is_valid_number(number) or (plus and phonenumbers.is_possible_number(number)):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return compact


def national_digits(address: str) -> str | None:
    """The national significant number of an E.164 address, for ``138*``-style filters."""
    if not address.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(address, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.national_significant_number(number)
