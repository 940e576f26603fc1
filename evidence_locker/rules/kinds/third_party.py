"""Contacts the user marked as reported by someone else (family, employer, neighbour).

Who counts as a third party depends on the source: US law treats the spouse as the
consumer (15 U.S.C. 1692c(d)), so a call the spouse reports is not one. US law also
allows one location call to a person (1692b) as long as the debt is not mentioned:
with ``location_exception`` a report is flagged only when it mentions the debt or is
the second from the same organisation to the same person.
"""

from __future__ import annotations

from collections import defaultdict

from evidence_locker.rules.context import Context, group_phrases
from evidence_locker.rules.finding import Hit
from evidence_locker.rules.kinds.base import Maker, channel_names, in_force, templates
from evidence_locker.rules.kinds.phrases import counted, summarise
from evidence_locker.rules.prepare import Prepared
from evidence_locker.rules.ruleset import Rule
from evidence_locker.rules.text import normalise

_TEXT_FIELDS = ("subject", "content", "notes")


def check_third_party(rule: Rule, prep: Prepared, ctx: Context) -> list[Hit]:
    p = rule.params
    make = Maker(rule, prep)
    tpl_en, tpl_zh = templates("rules.reason.third_party")
    aliases = [normalise(a) for a in p["consumer_aliases"]]
    debt = group_phrases(rule.groups[g] for g in p["debt_groups"])
    seen: dict[tuple[str, str], int] = defaultdict(int)
    chans, dirs = p["channels"], p["directions"]
    reported = [it for it in prep.reported if it.channel in chans and it.direction in dirs]
    hits: list[Hit] = []
    for it in in_force(rule, reported, ctx):
        reporter = it.rec.third_party or ""
        norm = normalise(reporter)
        if any(a and a in norm for a in aliases):
            continue  # the source counts this person as the debtor
        extra_en = extra_zh = ""
        if p["location_exception"]:
            seen[(it.inst, norm)] += 1
            text = it.text(_TEXT_FIELDS)
            summary = summarise(text, ctx.other_found(text), debt, {})
            mentions = bool(counted(summary, debt, frozenset()))
            if mentions:
                extra_en, extra_zh = templates("rules.reason.third_party_debt")
            elif seen[(it.inst, norm)] > 1:
                extra_en, extra_zh = templates("rules.reason.third_party_repeat")
            else:
                continue  # one location call that does not mention the debt
        ch_en, ch_zh = channel_names(it.channel, it.rec.app)
        en = tpl_en.format(channel=ch_en, date=it.date_s, who=reporter) + extra_en
        zh = tpl_zh.format(channel=ch_zh, date=it.date_s, who=reporter) + extra_zh
        hits.append(make.one(it, en, zh))
    return hits
