"""A collector's written message that does not say it comes from a debt collector.

US law (15 U.S.C. 1692e(11)) asks a third-party debt collector to say so in its
communications; an original creditor need not. The rule therefore only looks at
messages from an organisation that is a collector on the records' own evidence: its
name says so ("ACME Collections", "XX资产管理"), or it acts for another creditor (it
appears on the records of a case whose creditor is someone else).
"""

from __future__ import annotations

from evidence_locker.rules.context import Context, group_phrases
from evidence_locker.rules.finding import Hit
from evidence_locker.rules.kinds.base import Maker, channel_names, in_force, templates
from evidence_locker.rules.prepare import Prepared
from evidence_locker.rules.ruleset import Rule
from evidence_locker.rules.text import normalise


def check_disclosure(rule: Rule, prep: Prepared, ctx: Context) -> list[Hit]:
    p = rule.params
    words = [normalise(w) for w in p["collector_words"]]
    said = group_phrases(rule.groups[g] for g in p["disclosure_groups"])
    make = Maker(rule, prep)
    tpl_en, tpl_zh = templates("rules.reason.disclosure")
    collector: dict[str, bool] = {}
    hits: list[Hit] = []
    for it in in_force(rule, prep.select(p["channels"], p["directions"], None), ctx):
        if not (it.org and (it.rec.content or it.rec.subject)):
            continue
        is_collector = collector.get(it.org)
        if is_collector is None:
            name = normalise(prep.name(it.org) or "")
            is_collector = collector[it.org] = any(w in name for w in words)
        if not (is_collector or it.inst != it.org):
            continue
        if not said.isdisjoint(ctx.other_found(it.text())):
            continue
        ch_en, ch_zh = channel_names(it.channel, it.rec.app)
        org = prep.name(it.org) or ""
        when = it.when_s
        en = tpl_en.format(channel=ch_en, when=when, org=org)
        zh = tpl_zh.format(channel=ch_zh, when=when, org=org)
        hits.append(make.one(it, en, zh))
    return hits
