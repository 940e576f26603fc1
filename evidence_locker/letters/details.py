"""What only the user can say: their name, address, account, what they ask for.

These come from options, a template file (TOML, one key per field) or prompts at a
terminal, and go into the letter and nowhere else: nothing here is written to the
locker or to disk (a sent letter is stored in the locker as an encrypted attachment,
like any other file).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from evidence_locker.errors import NotFound, UsageError
from evidence_locker.letters.kinds import LetterKind

# field name -> the option that gives it (messages name the option a user can type)
FIELDS: dict[str, str] = {
    "name": "--name",
    "address": "--address",
    "phone": "--phone",
    "email": "--email",
    "id_number": "--id-number",
    "account": "--account",
    "request": "--request",
    "reason": "--reason",
    "to": "--to",
    "to_address": "--to-address",
}
MAX_FIELD = 4000  # characters: a field longer than a page is a mistake (a pasted file)


def load_details(path: Path) -> dict[str, str]:
    """A template file's fields. Unknown keys and non-text values are usage errors
    naming the file (a typo must not silently drop the user's address)."""
    if not path.is_file():
        raise NotFound("file.missing", path=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UsageError("letters.details_encoding", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError("letters.details_syntax", path=str(path), detail=str(exc)) from None
    out: dict[str, str] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in FIELDS:
            raise UsageError(
                "letters.details_key", path=str(path), key=key, choices=", ".join(FIELDS)
            )
        if not isinstance(value, str):
            raise UsageError("letters.details_type", path=str(path), key=key)
        out[name] = value
    return clean(out)


def clean(values: Mapping[str, str | None]) -> dict[str, str]:
    """Stripped, empty values dropped, each bounded."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None or not value.strip():
            continue
        if len(value) > MAX_FIELD:
            raise UsageError("letters.field_long", option=FIELDS.get(name, name), max=MAX_FIELD)
        out[name] = value.strip()
    return out


def merge(*layers: Mapping[str, str | None]) -> dict[str, str]:
    """Later layers win: template file, then options, then answers to prompts."""
    out: dict[str, str] = {}
    for layer in layers:
        out.update(clean(layer))
    return out


def missing(kind: LetterKind, values: Mapping[str, str]) -> list[str]:
    """The fields ``kind`` requires that ``values`` lacks, in the kind's order."""
    return [f for f in kind.required if not values.get(f)]


def require(kind: LetterKind, values: Mapping[str, str]) -> None:
    """A usage error naming every missing field at once, with the options that give
    them, so a user fixes the command in one try."""
    gaps = missing(kind, values)
    if gaps:
        raise UsageError(
            "letters.missing_field",
            kind=kind.id,
            field=", ".join(gaps),
            option=" ".join(FIELDS[g] for g in gaps),
            hint="letters.hint_details",
        )
