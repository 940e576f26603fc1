"""China: a complaint for the financial regulator (12378), a harassment report for
12321, a stop-improper-collection and objection letter, a PIPL request.

Each function writes one kind's blocks with a :class:`Composer`; the words are in
``locale/letters_cn.toml`` (keys ``letters.cn.*``), the sources in docs/letters.md.
"""

from __future__ import annotations

from typing import Any

from evidence_locker.errors import LockerError
from evidence_locker.letters.compose import Composer, night_window
from evidence_locker.model import Channel

MAX_REPORTED = 50  # records listed in a 12321 report; the rest are in the dossier


def complaint_12378(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    """The fields of 《银行业保险业消费投诉处理管理办法》 art. 13, in its order."""
    k = "cn.complaint-12378"
    c.letterhead(d, c.L(f"{k}.to"), c.L(f"{k}.title"), sender=False)
    c.add("heading", c.L(f"{k}.h.complainant"))
    for field in ("name", "id_number", "phone", "address", "email"):
        if d.get(field):
            c.add("item", c.L(f"field.{field}", value=d[field]))
    c.add("heading", c.L(f"{k}.h.respondent"))
    c.add("item", c.L(f"{k}.institution", value=c.who()))
    staff = sorted({r.counterpart for r in c.facts.contacts if r.counterpart})
    if staff:
        c.add("item", c.L(f"{k}.staff", value=c.sep().join(staff[:8])))
    numbers = sorted({r.address for r in c.facts.contacts if r.address})
    if numbers:
        c.add("item", c.L(f"{k}.numbers", value=c.sep().join(numbers[:8])))
    c.add("heading", c.L(f"{k}.h.request"))
    c.add("para", d["request"])
    c.add("heading", c.L(f"{k}.h.facts"))
    c.overview()
    c.concerns()
    c.steps()
    c.basis(
        [(f"{k}.basis.measures", "V"), (f"{k}.basis.limits", "S"), (f"{k}.basis.line", "S")],
        heading=f"{k}.h.basis",
    )
    c.annex()
    c.add("para", c.L(f"{k}.true"))
    c.add("sign", c.L(f"{k}.sign", name=d["name"], date=c.today()))


def report_12321(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    """One entry per call or SMS: number, time, duration, the text as received."""
    k = "cn.report-12321"
    calls_sms = [r for r in c.facts.contacts if r.channel in (Channel.CALL, Channel.SMS)]
    flagged = {r.record_id for con in c.facts.concerns for r in con.records}
    chosen = [r for r in calls_sms if r.record_id in flagged] or calls_sms
    if not chosen:
        raise LockerError("letters.no_calls_sms", org=c.who())
    c.add("title", c.L(f"{k}.title"))
    c.add("meta", c.L(f"{k}.reporter", value=d["phone"]))
    c.add("meta", c.L("field.date", value=c.today()))
    c.add("para", c.L(f"{k}.intro", who=c.who(), n=len(chosen), channels=c.counts(chosen)))
    kinds: dict[str, list[str]] = {}
    for con in c.facts.concerns:
        for r in con.records:
            kinds.setdefault(r.record_id, []).append(c.kind_label(con.kind))
    for r in chosen[:MAX_REPORTED]:
        c.add("heading", c.nos([r]))
        c.add("item", c.L(f"{k}.number", value=r.address or c.L(f"{k}.no_number")))
        c.add("item", c.L(f"{k}.time", value=c.when(r)))
        c.add("item", c.L(f"{k}.type", value=c.channel(r)))
        if r.channel == Channel.CALL and r.duration_s is not None:
            c.add("item", c.L(f"{k}.duration", value=c.duration(r.duration_s)))
        if r.channel == Channel.SMS and (r.content or r.subject):
            c.add("item", c.L(f"{k}.text"))
            c.add("quote", r.content or r.subject or "")  # as received, never cut
        if r.record_id in kinds:
            c.add("item", c.L(f"{k}.flagged", value=c.sep().join(kinds[r.record_id])))
    if len(chosen) > MAX_REPORTED:
        c.add("para", c.L(f"{k}.more", n=len(chosen) - MAX_REPORTED))
    c.add("note", c.L(f"{k}.how"))
    c.annex()


def cease(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    """Stop improper collection, contact in writing only, and any objection."""
    k = "cn.cease"
    c.letterhead(d, c.who(), c.L(f"{k}.title"))
    c.add("para", c.L(f"{k}.opening", name=d["name"]))
    c.add("heading", c.L(f"{k}.h.facts"))
    c.overview()
    c.concerns()
    c.steps()
    c.add("heading", c.L(f"{k}.h.requests"))
    quiet = c.facts.concern("quiet_hours")
    window = night_window(quiet.params) if quiet else None
    if window:
        c.add("item", c.L(f"{k}.ask.quiet", start=window[0], end=window[1]))
    if c.facts.concern("frequency"):
        c.add("item", c.L(f"{k}.ask.frequency"))
    if c.facts.concern("third_party"):
        c.add("item", c.L(f"{k}.ask.third_party"))
    if c.facts.concern("phrases"):
        c.add("item", c.L(f"{k}.ask.phrases"))
    where = "writing" if d.get("address") or d.get("email") else "writing_plain"
    c.add("item", c.L(f"{k}.ask.{where}"))
    if d.get("request"):
        c.add("item", d["request"])
    if d.get("reason"):
        c.add("heading", c.L(f"{k}.h.objection"))
        c.add("para", c.L(f"{k}.objection", reason=d["reason"]))
    c.add("para", c.L(f"{k}.next"))
    if c.facts.concerns:
        c.basis([])
    c.annex()
    c.signature(d)


def pipl(c: Composer, d: dict[str, str], extra: dict[str, Any]) -> None:
    """Access, restriction, correction and deletion requests under PIPL arts. 44-47."""
    k = "cn.pipl"
    c.letterhead(d, c.who(), c.L(f"{k}.title"))
    c.add("para", c.L(f"{k}.opening", name=d["name"]))
    for ask in ("access", "restrict", "correct", "delete"):
        c.add("item", c.L(f"{k}.ask.{ask}"))
    if d.get("request"):
        c.add("item", d["request"])
    c.add("heading", c.L(f"{k}.h.facts"))
    c.overview()
    c.concerns()
    c.add("para", c.L(f"{k}.reply"))
    c.basis(
        [
            (f"{k}.basis.44", "V"),
            (f"{k}.basis.45", "V"),
            (f"{k}.basis.46", "V"),
            (f"{k}.basis.47", "V"),
            (f"{k}.basis.50", "U"),
        ]
    )
    c.annex()
    c.signature(d)


BUILDERS = {
    "complaint-12378": complaint_12378,
    "report-12321": report_12321,
    "cease": cease,
    "pipl": pipl,
}
