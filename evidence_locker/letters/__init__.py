"""Letters and complaints drafted from the records: facts from the locker and the
rules' findings, words from the user, legal basis from verified sources.

    from evidence_locker.letters import Request, draft_letter, get_kind, render_pdf
    letter = draft_letter(locker, Request(get_kind("cease", "cn"), flt, details, "zh", now),
                          rule_sets=[shipped_rule_set("cn")], tz="Asia/Shanghai")
    pdf = render_pdf(letter, generated_at=now)

docs/letters.md lists every kind, its legal basis and how sure each source is.
"""

from evidence_locker.letters.details import FIELDS, load_details, merge, missing
from evidence_locker.letters.document import Block, Letter
from evidence_locker.letters.draft import Request, draft_letter
from evidence_locker.letters.kinds import (
    KINDS,
    REGIONS,
    LetterKind,
    get_kind,
    kind_ids,
    kinds_for,
    regions_of,
)
from evidence_locker.letters.numbering import DossierRef, open_dossier
from evidence_locker.letters.sent import VIA, Sent, sent_draft, sent_from_meta

__all__ = [
    "FIELDS",
    "KINDS",
    "REGIONS",
    "VIA",
    "Block",
    "DossierRef",
    "Letter",
    "LetterKind",
    "Request",
    "Sent",
    "draft_letter",
    "get_kind",
    "kind_ids",
    "kinds_for",
    "load_details",
    "merge",
    "missing",
    "open_dossier",
    "regions_of",
    "sent_draft",
    "sent_from_meta",
]
