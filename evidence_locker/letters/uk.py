"""United Kingdom: a Consumer Credit Act ss.77-78 request, a complaint to the firm
(which can go to the Financial Ombudsman after the final response or eight weeks),
and a contact log for a debt adviser (Breathing Space).

Words in ``locale/letters_uk.toml`` (keys ``letters.uk.*``); sources in
docs/letters.md.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from evidence_locker.letters.compose import Composer
from evidence_locker.model import Record

MAX_LOGGED = 500  # contacts listed in a contact log; the rest are in the dossier


def cca_request(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    k = "uk.cca-request"
    c.letterhead(d, c.who(), c.L(f"{k}.title"))
    for part in ("sections", "ask", "fee", "period"):
        c.add("para", c.L(f"{k}.{part}"))
    if c.facts.contacts:
        c.overview()
    c.basis(
        [(f"{k}.basis.77", "S"), (f"{k}.basis.78", "U"), (f"{k}.basis.period", "V")], findings=False
    )
    c.annex()
    c.signature(d)


def complaint(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    k = "uk.complaint"
    c.letterhead(d, c.who(), c.L(f"{k}.title"))
    c.add("para", c.L(f"{k}.opening"))
    c.add("heading", c.L(f"{k}.h.what"))
    c.overview()
    c.concerns()
    c.steps()
    c.add("heading", c.L(f"{k}.h.put_right"))
    c.add("para", d["request"])
    c.add("para", c.L(f"{k}.ombudsman"))
    c.basis([(f"{k}.basis.disp16", "V"), (f"{k}.basis.disp28", "V")])
    c.annex()
    c.signature(d)


def contact_log(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    """Every contact, per organisation, for a debt adviser; with a breathing-space
    start date, the contacts made after it."""
    k = "uk.contact-log"
    c.add("title", c.L(f"{k}.title"))
    if d.get("name"):
        c.add("meta", c.L(f"{k}.for", value=d["name"]))
    c.add("meta", c.L("field.date", value=c.today()))
    by_org: dict[str, list[Record]] = defaultdict(list)
    for r in c.facts.contacts:
        by_org[r.organisation or c.L("the_collector")].append(r)
    c.add("heading", c.L(f"{k}.h.summary"))
    for org, recs in sorted(by_org.items(), key=lambda kv: -len(kv[1])):
        c.add(
            "item",
            c.L(
                f"{k}.org",
                org=org,
                channels=c.counts(recs),
                span=c.span(recs[0], recs[-1]),
            ),
        )
    start: datetime | None = extra.get("breathing_space")
    if start is not None:
        after = [r for r in c.facts.contacts if r.occurred_at >= start]
        c.add("heading", c.L(f"{k}.h.moratorium"))
        day = start.astimezone(c.facts.tz).date().isoformat()
        if after:
            c.add("para", c.L(f"{k}.after", day=day, n=len(after), nos=c.nos(after)))
        else:
            c.add("para", c.L(f"{k}.none_after", day=day))
    if c.facts.concerns:
        c.add("heading", c.L(f"{k}.h.findings"))
        c.concerns()
    c.add("heading", c.L(f"{k}.h.all"))
    for r in c.facts.contacts[:MAX_LOGGED]:
        parts = [c.nos([r], 1), c.when(r), c.channel(r), r.organisation or "", r.address or ""]
        if r.duration_s is not None:
            parts.append(c.duration(r.duration_s))
        line = " · ".join(p for p in parts if p)
        text = c.quote(r)
        c.add("quote", f"{line}: “{text}”" if text else line)
    if len(c.facts.contacts) > MAX_LOGGED:
        c.add("para", c.L(f"{k}.more", n=len(c.facts.contacts) - MAX_LOGGED))
    c.basis([(f"{k}.basis.regs", "S"), (f"{k}.basis.contents", "V")])
    c.annex()


BUILDERS = {"cca-request": cca_request, "complaint": complaint, "contact-log": contact_log}
