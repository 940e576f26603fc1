"""One spelling per counterpart address, so that the same number is the same person.

Phone numbers become E.164 (``+8613800138000``) with the ``phonenumbers`` library,
whatever spaces, dashes or country prefix the user typed. Service short codes
(``95577``, ``10086``) and Chinese 400/800 hotlines stay as their digits: they
have no international form people recognise. E-mail addresses are lower-cased.
Anything else (a street address) is kept as typed, trimmed.
"""

from __future__ import annotations

import re

DEFAULT_REGION = "CN"
_PHONE_CHARS = re.compile(r"^[+\d\s\-().（）]{3,}$")


def normalise_address(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    if "@" in raw and " " not in raw:
        return raw.lower()
    if not _PHONE_CHARS.match(raw):
        return raw
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return raw
    if len(digits) <= 6 and not raw.startswith("+"):
        return digits  # service short code
    if region == "CN" and re.fullmatch(r"[48]00\d{7}", digits):
        return digits  # 400 / 800 hotline
    import phonenumbers  # lazy: ~10 ms of metadata only when a number is typed

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return digits
    if phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return digits


def looks_like_phone(text: str) -> bool:
    return bool(_PHONE_CHARS.match(text.strip())) and sum(c.isdigit() for c in text) >= 3
