"""The letter kinds, per region: what each is for, what it needs, what sending it means.

A kind is data: the region whose law it rests on, the event a sent copy logs (so the
rules judge later contacts against it), whether it rests on findings (a complaint
with nothing to complain about is refused), the fields only the user can give, and
the channel it goes through with that channel's length limit. Its words live in
``locale/letters_<region>.toml``; how its body is put together, in
``letters/<region>.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidence_locker.errors import UsageError

REGIONS = ("cn", "us", "uk")


@dataclass(frozen=True, slots=True)
class Channel:
    """Where the text goes, and the most it may hold (None: no known limit)."""

    name: str  # "post", "web-form", "phone-or-web"
    limit: int | None = None  # characters, for the plain text (--text)
    limit_confidence: str = ""  # V / S / U, as the rule sets mark sources (docs/letters.md)


@dataclass(frozen=True, slots=True)
class LetterKind:
    id: str
    region: str
    event: str | None  # the model.Event a sent copy logs, if any
    needs_findings: bool  # refused when the rules found nothing about the organisation
    required: tuple[str, ...]  # user fields (letters/details.py) the letter cannot go without
    channel: Channel
    needs_org: bool = True
    to_regulator: bool = False  # addressed to a regulator about the organisation

    def title_key(self) -> str:
        return f"letters.{self.region}.{self.id}.title"


POST = Channel("post")
KINDS: tuple[LetterKind, ...] = (
    LetterKind(
        "complaint-12378",
        "cn",
        None,
        True,
        ("name", "phone", "request"),
        Channel("phone-or-web"),
        to_regulator=True,
    ),
    LetterKind("report-12321", "cn", None, False, ("phone",), Channel("web-form")),
    LetterKind("cease", "cn", "cease_request", False, ("name",), POST),
    LetterKind("pipl", "cn", None, False, ("name",), POST),
    LetterKind("cease", "us", "cease_request", False, ("name", "address"), POST),
    LetterKind("dispute", "us", "dispute", False, ("name", "address"), POST),
    # The CFPB form's "what happened" field counts characters down from about 4,000
    # (docs/letters.md: the exact figure is not read in a primary source).
    LetterKind("cfpb", "us", None, True, (), Channel("web-form", 4000, "U")),
    LetterKind("cca-request", "uk", None, False, ("name", "address", "account"), POST),
    LetterKind("complaint", "uk", None, True, ("name", "address", "request"), POST),
    LetterKind("contact-log", "uk", None, False, (), POST, needs_org=False),
)


def kind_ids() -> list[str]:
    """Every kind name, once (``cease`` exists in two regions)."""
    return list(dict.fromkeys(k.id for k in KINDS))


def kinds_for(region: str | None = None) -> list[LetterKind]:
    return [k for k in KINDS if region is None or k.region == region]


def regions_of(kind_id: str) -> list[str]:
    return [k.region for k in KINDS if k.id == kind_id]


def get_kind(kind_id: str, region: str | None, *, chosen: bool = False) -> LetterKind:
    """The kind ``kind_id`` for ``region``. A kind that exists in one region only needs
    no region, unless the user ``chosen`` another one: a US complaint is not a 12378
    complaint. A usage error names the choices otherwise."""
    found = [k for k in KINDS if k.id == kind_id]
    if not found:
        raise UsageError("letters.unknown_kind", kind=kind_id, choices=", ".join(kind_ids()))
    if len(found) == 1 and not (chosen and found[0].region != region):
        return found[0]
    for k in found:
        if k.region == region:
            return k
    raise UsageError(
        "letters.kind_region",
        kind=kind_id,
        region=region or "?",
        choices=", ".join(k.region for k in found),
    )
