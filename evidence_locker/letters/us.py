"""United States: a cease-communication letter (FDCPA 1692c(c)), a dispute and
verification request (1692g(b), Reg F 1006.38) and a CFPB complaint narrative.

Words in ``locale/letters_us.toml`` (keys ``letters.us.*``); sources in
docs/letters.md.
"""

from __future__ import annotations

from typing import Any

from evidence_locker.letters.compose import Composer
from evidence_locker.letters.document import blocks_text

# The complaint database's issue for each kind of finding (docs/letters.md).
CFPB_ISSUE = {
    "quiet_hours": "communication",
    "frequency": "communication",
    "after_event": "communication",
    "third_party": "third_party",
    "disclosure": "third_party",
    "phrases": "threat",
    "scam_signs": "false",
}


def cease(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    k = "us.cease"
    c.letterhead(d, c.who(), c.L(f"{k}.title"))
    for part in ("ask", "allowed", "no_admission"):
        c.add("para", c.L(f"{k}.{part}"))
    if d.get("request"):
        c.add("para", d["request"])
    _records(c)
    c.add("para", c.L(f"{k}.next"))
    c.basis([(f"{k}.basis.1692c", "V"), (f"{k}.basis.regf", "U"), ("us.basis.scope", "S")])
    c.annex()
    c.signature(d)


def dispute(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    k = "us.dispute"
    c.letterhead(d, c.who(), c.L(f"{k}.title"))
    c.add("para", c.L(f"{k}.dispute"))
    if d.get("reason"):
        c.add("para", d["reason"])
    for part in ("ask", "stop", "no_admission"):
        c.add("para", c.L(f"{k}.{part}"))
    if d.get("request"):
        c.add("para", d["request"])
    _records(c)
    c.basis(
        [
            (f"{k}.basis.1692g", "V"),
            (f"{k}.basis.1006_38", "V"),
            (f"{k}.basis.period", "S"),
            ("us.basis.scope", "S"),
        ]
    )
    c.annex()
    c.signature(d)


def _records(c: Composer) -> None:
    if c.facts.contacts or c.facts.concerns:
        c.add("heading", c.L("us.h.records"))
        c.overview()
        c.concerns()
        c.steps()


def cfpb(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    """The "what happened" narrative, within the form's limit, and the issue it maps
    to. No name, address or account: the form asks for those elsewhere."""
    k = "us.cfpb"
    issues = list(
        dict.fromkeys(CFPB_ISSUE.get(con.kind, "communication") for con in c.facts.concerns)
    )
    c.add("title", c.L(f"{k}.title"))
    c.add("meta", c.L(f"{k}.company", value=c.who()))
    c.add("meta", c.L(f"{k}.issue", value=c.L(f"{k}.issues.{issues[0]}")))
    if len(issues) > 1:
        others = "; ".join(c.L(f"{k}.issues.{i}") for i in issues[1:])
        c.add("meta", c.L(f"{k}.also", value=others))
    c.add("heading", c.L(f"{k}.h.what"))
    start = len(c.blocks)
    c.overview()
    c.concerns()
    c.steps()
    d_ref = c.facts.dossier
    c.add("para", c.L(f"{k}.records", id=d_ref.id) if d_ref else c.L(f"{k}.records_plain"))
    narrative = blocks_text(c.blocks[start:])
    c.add("heading", c.L(f"{k}.h.resolution"))
    c.add("para", d.get("request") or c.L(f"{k}.resolution"))
    c.add("note", c.L(f"{k}.basis_note"))
    extra["limited"] = [(c.L(f"{k}.h.what"), narrative, extra["limit"])]


BUILDERS = {"cease": cease, "dispute": dispute, "cfpb": cfpb}
