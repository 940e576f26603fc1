"""The user's list of each organisation's official numbers, for the scam-sign rule.

Public guides tell borrowers to check that a message comes from the institution's
official number. Which numbers are official is something only the user (reading the
back of their card or the bank's website) can say, so it is a small TOML file they keep:

    ["XX农商银行"]
    numbers = ["96008", "+86 400 123 4567"]
    emails = ["bank.example.cn"]          # optional: official e-mail domains
    websites = ["bank.example.cn"]        # optional: official web sites (links)
    aliases = ["XX农商行"]                  # optional: other spellings of the name

A plain dict ``{"XX农商银行": ["96008", ...]}`` works too (for tests and the CLI).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence_locker.errors import FormatError

_NON_DIGIT = re.compile(r"\D")
# Shorter official numbers than this are not matched by suffix, so that "110" cannot
# make every number ending in 110 look official.
_MIN_SUFFIX = 5


def org_key(name: str | None) -> str:
    """How organisation names are compared: NFKC, case-folded, inner spaces removed."""
    if not name:
        return ""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def _digits(s: str) -> str:
    return _NON_DIGIT.sub("", s)


def _one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with exactly one letter changed, added or dropped."""
    if a == b or abs(len(a) - len(b)) > 1 or len(b) < 3:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@dataclass(frozen=True, slots=True)
class OfficialContacts:
    """The official numbers and e-mail domains of one organisation."""

    name: str
    numbers: tuple[str, ...]  # digits only
    email_domains: tuple[str, ...]
    websites: tuple[str, ...] = ()

    @property
    def domains(self) -> tuple[str, ...]:
        """Every domain the organisation owns: its web sites and e-mail domains."""
        return tuple(dict.fromkeys((*self.websites, *self.email_domains)))

    def owns_host(self, host: str) -> bool:
        h = host.casefold().rstrip(".")
        return any(h == d or h.endswith("." + d) for d in self.domains)

    def imitated_by(self, host: str) -> str | None:
        """The official domain ``host`` imitates, if it looks like one without being it:
        the brand label inside another name (``icbc-pay.top``) or one letter off
        (``1cbc.com.cn``). Public guides call such links the mark of a fake sender."""
        h = host.casefold().rstrip(".")
        if self.owns_host(h):
            return None
        labels = h.replace("-", ".").split(".")
        for d in self.domains:
            brand = d.split(".")[0]
            if len(brand) < 3:
                continue
            if brand in h or any(_one_edit(brand, lab) for lab in labels):
                return d
        return None

    def is_official(self, address: str) -> bool:
        """Whether ``address`` (a phone number or an e-mail address) is one of these."""
        a = address.strip().casefold()
        if "@" in a:
            domain = a.rsplit("@", 1)[1]
            return any(domain == d or domain.endswith("." + d) for d in self.email_domains)
        digits = _digits(a)
        if not digits:
            return False
        for n in self.numbers:
            if digits == n:
                return True
            short, long_ = (n, digits) if len(n) < len(digits) else (digits, n)
            # "+86 95588" and "95588" are the same line; so are a national number with
            # and without its country code.
            if len(short) >= _MIN_SUFFIX and long_.endswith(short):
                return True
        return False


class OfficialNumbers:
    """Lookup from organisation name (or alias) to its official contacts."""

    def __init__(self, entries: Sequence[OfficialContacts], aliases: Mapping[str, str]) -> None:
        self._by_key = {org_key(e.name): e for e in entries}
        for alias, name in aliases.items():
            self._by_key[org_key(alias)] = self._by_key[org_key(name)]

    def __len__(self) -> int:
        return len(self._by_key)

    def for_org(self, organisation: str | None) -> OfficialContacts | None:
        return self._by_key.get(org_key(organisation)) if organisation else None

    def for_key(self, key: str) -> OfficialContacts | None:
        """Like ``for_org`` for a name already passed through ``org_key``."""
        return self._by_key.get(key)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], file: str = "<dict>") -> OfficialNumbers:
        """Build from ``{org: [numbers]}`` or ``{org: {numbers, emails, aliases}}`` tables."""
        entries: list[OfficialContacts] = []
        aliases: dict[str, str] = {}
        for name, value in data.items():
            if isinstance(value, list | tuple):
                value = {"numbers": list(value)}
            if not isinstance(value, dict):
                raise FormatError(
                    "rules.bad_numbers", file=file, org=name, field="-", detail="expected a table"
                )
            for key in value:
                if key not in ("numbers", "emails", "websites", "aliases"):
                    raise FormatError(
                        "rules.bad_numbers", file=file, org=name, field=key, detail="unknown field"
                    )
            lists: dict[str, list[str]] = {}
            for key in ("numbers", "emails", "websites", "aliases"):
                items = value.get(key, [])
                if not isinstance(items, list | tuple) or not all(
                    isinstance(i, str) for i in items
                ):
                    raise FormatError(
                        "rules.bad_numbers",
                        file=file,
                        org=name,
                        field=key,
                        detail="expected a list of strings",
                    )
                lists[key] = list(items)
            numbers = tuple(_digits(n) for n in lists["numbers"])
            if any(not n for n in numbers):
                raise FormatError(
                    "rules.bad_numbers",
                    file=file,
                    org=name,
                    field="numbers",
                    detail="a number without digits",
                )
            if not numbers and not lists["emails"] and not lists["websites"]:
                raise FormatError(
                    "rules.bad_numbers",
                    file=file,
                    org=name,
                    field="numbers",
                    detail="no numbers, emails or websites",
                )
            domains = tuple(
                e.strip().casefold().lstrip("@").split("@")[-1] for e in lists["emails"]
            )
            sites = tuple(
                w.strip().casefold().split("://")[-1].split("/")[0].removeprefix("www.")
                for w in lists["websites"]
            )
            entries.append(
                OfficialContacts(name=name, numbers=numbers, email_domains=domains, websites=sites)
            )
            for alias in lists["aliases"]:
                aliases[alias] = name
        return cls(entries, aliases)


def load_official_numbers(path: str | Path) -> OfficialNumbers:
    """Read the user's official-numbers TOML file (see the module docstring)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError("rules.no_file", file=str(p)) from None
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(
            "rules.bad_numbers", file=str(p), org="-", field="-", detail=str(exc)
        ) from None
    return OfficialNumbers.from_mapping(data, str(p))


def as_official_numbers(
    value: OfficialNumbers | Mapping[str, Any] | str | Path | None,
) -> OfficialNumbers | None:
    """Accept what callers have at hand: the object, a dict, or a path to the TOML file."""
    if value is None or isinstance(value, OfficialNumbers):
        return value
    if isinstance(value, str | Path):
        return load_official_numbers(value)
    return OfficialNumbers.from_mapping(value)
