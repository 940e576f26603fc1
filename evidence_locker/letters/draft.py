"""Drafting a letter: facts in, blocks out, within the channel's limit.

The one function callers use is :func:`draft_letter`. It refuses what would make a
letter untrue or empty (no records, no findings for a complaint, a required field
missing), then composes the letter at the most detailed level that fits its channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evidence_locker.errors import LockerError, UsageError
from evidence_locker.letters import cn, uk, us
from evidence_locker.letters.compose import DETAILS, Composer, Detail
from evidence_locker.letters.details import require
from evidence_locker.letters.document import Letter, too_long
from evidence_locker.letters.facts import Facts, LetterSource, gather_facts
from evidence_locker.letters.kinds import LetterKind
from evidence_locker.letters.numbering import DossierRef
from evidence_locker.model import RecordFilter

BUILDERS = {"cn": cn.BUILDERS, "us": us.BUILDERS, "uk": uk.BUILDERS}


@dataclass(frozen=True, slots=True)
class Request:
    """What the user asked for: the kind, the records, and what only they know."""

    kind: LetterKind
    selection: RecordFilter
    details: Mapping[str, str]
    lang: str
    generated_at: datetime
    breathing_space: datetime | None = None  # contact log: contacts after this moment


def draft_letter(
    source: LetterSource,
    request: Request,
    *,
    rule_sets: Sequence[Any],
    tz: Any,
    dossier: DossierRef | None = None,
) -> Letter:
    """The letter ``request`` asks for, from ``source``'s records and the findings of
    ``rule_sets`` (judged on clock ``tz``). Usage errors for a missing field or
    organisation, an unknown organisation or an empty selection; LockerError when a
    complaint has no findings or the text cannot fit its channel."""
    kind = request.kind
    if kind.needs_org and not request.selection.organisation:
        raise UsageError("letters.needs_org", kind=kind.id)
    details = dict(request.details)
    require(kind, details)
    facts = gather_facts(
        source,
        request.selection,
        region=kind.region,
        rule_sets=rule_sets,
        tz=tz,
        lang=request.lang,
        dossier=dossier,
    )
    if kind.needs_findings and not facts.concerns:
        raise LockerError(
            "letters.no_findings",
            kind=kind.id,
            org=facts.organisation or "-",
            sets=", ".join(rs.name for rs in rule_sets),
            hint="letters.hint_check",
        )
    for detail in DETAILS:
        letter = compose(kind, facts, request, details, detail)
        if too_long(letter) is None:
            return letter
    label, length, limit = too_long(letter) or ("", 0, 0)
    raise LockerError("letters.too_long", part=label, n=length, limit=limit)


def compose(
    kind: LetterKind,
    facts: Facts,
    request: Request,
    details: dict[str, str],
    detail: Detail,
) -> Letter:
    c = Composer(facts, request.lang, detail, request.generated_at)
    extra: dict[str, Any] = {
        "limit": kind.channel.limit,
        "breathing_space": request.breathing_space,
    }
    BUILDERS[kind.region][kind.id](c, details, extra)
    title = next((b.text for b in c.blocks if b.style == "title"), kind.id)
    letter = Letter(
        kind=kind.id,
        region=kind.region,
        lang=request.lang,
        title=title,
        blocks=c.blocks,
        footer=c.footer(),
        cited=tuple(c.cited),
    )
    limited = extra.get("limited")
    if limited is None and kind.channel.limit is not None:
        limited = [(kind.id, letter.text(), kind.channel.limit)]
    letter.limited = list(limited or [])
    letter.meta = {
        "kind": kind.id,
        "region": kind.region,
        "lang": request.lang,
        "event": kind.event,
        "organisation": facts.organisation,
        "recipient": details.get("to")
        or (c.L(f"{kind.region}.{kind.id}.to") if kind.to_regulator else facts.organisation),
        "case": request.selection.case,
        "dossier": facts.dossier.id if facts.dossier else None,
        "records": list(c.cited),
        "generated_at": request.generated_at.isoformat(),
        "title": title,
    }
    return letter
