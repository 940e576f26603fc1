"""Letters and complaints drafted from the records: facts from the locker and the
rules' findings, words from the user, legal basis from verified sources.

    from evidence_locker.letters import Request, draft_letter, get_kind
    from evidence_locker.letters.pdf import render_pdf
    kind = get_kind("cease", "cn")
    letter = draft_letter(locker, Request(kind, flt, {"name": "张三"}, "zh", now),
                          rule_sets=resolve_rule_sets(["cn"]), tz="Asia/Shanghai")
    pdf = render_pdf(letter, generated_at=now)

docs/letters.md lists every kind, its legal basis and how sure each source is. Names
are loaded on first use: ``letter list`` and ``--help`` need no PDF library.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "FIELDS": "details",
    "load_details": "details",
    "merge": "details",
    "missing": "details",
    "Block": "document",
    "Letter": "document",
    "Request": "draft",
    "draft_letter": "draft",
    "KINDS": "kinds",
    "REGIONS": "kinds",
    "LetterKind": "kinds",
    "get_kind": "kinds",
    "kind_ids": "kinds",
    "kinds_for": "kinds",
    "regions_of": "kinds",
    "DossierRef": "numbering",
    "open_dossier": "numbering",
    "VIA": "sent",
    "Sent": "sent",
    "sent_draft": "sent",
    "sent_from_meta": "sent",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(import_module(f"evidence_locker.letters.{module}"), name)
