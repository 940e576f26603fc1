"""Too many contacts: per day, per rolling window, or too soon after a conversation.

Who is counted together is the rule's ``per`` (see ``prepare.py``): the debtor's same
contact as reached by one institution with its agencies (a collector rotating seven
numbers is one collector), the debt (case), or every contact. Two rules that count the
same group on the same day make one finding (their hits share an anchor).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping
from operator import attrgetter

from evidence_locker.rules.context import Context
from evidence_locker.rules.finding import Hit
from evidence_locker.rules.kinds.base import (
    Maker,
    date_of,
    in_force_groups,
    ordinal_en,
    templates,
    who,
)
from evidence_locker.rules.prepare import UNKNOWN_ORG, Item, Prepared
from evidence_locker.rules.ruleset import Rule

_day = attrgetter("day")
_address = attrgetter("address")


def _who(prep: Prepared, per: str, key: str, it: Item) -> tuple[str, str]:
    """ " by XX银行" / "XX银行的" for the group a figure is about."""
    if per == "address":
        return who("address", it.rec.address or "")
    if per == "debtor":
        return "", ""
    if per == "debt" and key.startswith("case:"):
        return who("case", it.rec.case or it.rec.case_id or "")
    if key == UNKNOWN_ORG:
        return who("unknown", "-")
    return who("organisation", prep.name(key) or key)


def _numbers(items: list[Item], per: str) -> tuple[str, str]:
    """ ", from 3 numbers" when one collector used several (a rotating caller)."""
    if per == "address":
        return "", ""
    numbers = set(map(_address, items))
    numbers.discard(None)
    numbers.discard("")
    n = len(numbers)
    if n < 2:
        return "", ""
    return f", from {n} numbers", f"，来自{n}个号码"


def check_frequency(rule: Rule, prep: Prepared, ctx: Context) -> list[Hit]:
    """More than ``max`` contacts per group per day or per rolling window; or any
    contact within ``window_days`` after a conversation (the conversation's day is day 1).
    """
    p = rule.params
    if p["mode"] == "after_conversation":
        return _after_conversation(rule, prep, ctx)
    per = p["per"]
    groups = in_force_groups(rule, prep, per, p["channels"], p["directions"], p["outcomes"], ctx)
    if p["period"] == "day":
        return _per_day(rule, prep, groups)
    return _rolling(rule, prep, groups)


def _per_day(rule: Rule, prep: Prepared, groups: Mapping[str, list[Item]]) -> list[Hit]:
    p = rule.params
    limit, per = p["max"], p["per"]
    make = Maker(rule, prep)
    tpl_en, tpl_zh = templates("rules.reason.freq_day")
    hits: list[Hit] = []
    for key, items in groups.items():
        if len(items) <= limit:
            continue
        # A group's items are in time order, so each day is one run of them: count the
        # days (in C) and cut out only the days over the limit.
        days = list(map(_day, items))
        for day, count in Counter(days).items():
            if count <= limit:
                continue
            start = bisect_left(days, day)
            day_items = items[start : start + count]
            first_over = day_items[limit]
            n = limit + 1
            who_en, who_zh = _who(prep, per, key, first_over)
            nums_en, nums_zh = _numbers(day_items, per)
            common = {"date": date_of(day), "count": count, "max": limit, "n": n}
            at = first_over.time_s
            en = tpl_en.format(
                ordinal=ordinal_en(n), label=p["label_en"], who_en=who_en, numbers=nums_en, **common
            )
            zh = tpl_zh.format(label=p["label_zh"], who_zh=who_zh, numbers=nums_zh, **common)
            if at:
                en, zh = f"{en} ({at})", f"{zh}（{at}）"
            anchor = f"day:{per}:{key}:{day}"
            score = count / max(limit, 1)
            hits.append(make.many(day_items, anchor, en, zh, score=score, org=first_over.inst))
    return hits


def _rolling(rule: Rule, prep: Prepared, groups: Mapping[str, list[Item]]) -> list[Hit]:
    """Two pointers over each group's records: the window holds the records of the
    last ``window_days`` calendar days. A run of records that each exceed the limit
    makes one hit (the first record over the limit gives the figures)."""
    p = rule.params
    limit, days = p["max"], p["window_days"]
    make = Maker(rule, prep)
    hits: list[Hit] = []
    for key, items in groups.items():
        if len(items) <= limit:
            continue
        lo = 0
        run: list[Item] | None = None
        first: tuple[int, int, int] = (0, 0, 0)  # (count, window start day, day)
        for hi, it in enumerate(items):
            while items[lo].day <= it.day - days:
                lo += 1
            count = hi - lo + 1
            if count > limit:
                if run is None:
                    run = items[lo : hi + 1]
                    first = (count, it.day - days + 1, it.day)
                else:
                    run.append(it)
            elif run is not None:
                hits.append(_rolling_hit(rule, prep, make, key, run, first))
                run = None
        if run is not None:
            hits.append(_rolling_hit(rule, prep, make, key, run, first))
    return hits


def _rolling_hit(
    rule: Rule, prep: Prepared, make: Maker, key: str, run: list[Item], first: tuple[int, int, int]
) -> Hit:
    p = rule.params
    count, start, day = first
    who_en, who_zh = _who(prep, p["per"], key, run[0])
    common = {
        "days": p["window_days"],
        "start": date_of(start),
        "end": date_of(day),
        "max": p["max"],
        "n": count,
        "total": len(run),
    }
    tpl_en, tpl_zh = templates("rules.reason.freq_window")
    en = tpl_en.format(ordinal=ordinal_en(count), label=p["label_en"], who_en=who_en, **common)
    zh = tpl_zh.format(label=p["label_zh"], who_zh=who_zh, **common)
    anchor = f"roll:{p['per']}:{key}:{run[0].rid}"
    return make.many(run, anchor, en, zh, score=len(run) / max(p["max"], 1), org=run[0].inst)


def _after_conversation(rule: Rule, prep: Prepared, ctx: Context) -> list[Hit]:
    p = rule.params
    per, days = p["per"], p["window_days"]
    # Conversations: connected contacts of these channels in any direction (a call the
    # debtor made counts as a conversation too). Contacts: the collector's attempts.
    all_dirs = frozenset({"incoming", "outgoing", "in_person"})
    conv_outcomes = p["conversation_outcomes"]
    directions, outcomes = p["directions"], p["outcomes"]
    groups = in_force_groups(rule, prep, per, p["channels"], all_dirs, None, ctx)
    # Per group, in time order: the latest conversation and the key of the episode it
    # belongs to. A conversation that was itself too soon restarts the clock but stays
    # in the same episode, so a chain of calls makes one hit instead of one per call.
    episodes: dict[int, list[Item]] = {}
    keys: dict[int, str] = {}
    for g, items in groups.items():
        last_conv: tuple[Item, int] | None = None
        for it in items:
            is_conv = it.outcome in conv_outcomes
            is_contact = it.direction in directions and it.outcome in outcomes
            if not (is_conv or is_contact):
                continue
            episode = id(it)
            if is_contact and last_conv is not None:
                conv, ep_key = last_conv
                # A record whose time is unknown is compared by its day alone.
                known = it.time_known and conv.time_known
                later = it.us > conv.us if known else it.day > conv.day
                if later and it.day - conv.day < days:
                    episodes.setdefault(ep_key, [conv]).append(it)
                    keys[ep_key] = g
                    episode = ep_key
            if is_conv:
                last_conv = (it, episode)
    make = Maker(rule, prep)
    tpl_en, tpl_zh = templates("rules.reason.after_conversation")
    hits: list[Hit] = []
    for ep_key, ep in episodes.items():
        conv, later = ep[0], ep[1:]
        first = later[0]
        who_en, who_zh = _who(prep, per, keys[ep_key], conv)
        common = {
            "count": len(later),
            "days": days,
            "conv_when": conv.when_s,
            "when": first.when_s,
            "day": first.day - conv.day + 1,  # the conversation's day is day 1
        }
        en = tpl_en.format(label=p["label_en"], who_en=who_en, **common)
        zh = tpl_zh.format(label=p["label_zh"], who_zh=who_zh, **common)
        anchor = f"conv:{per}:{keys[ep_key]}:{conv.rid}"
        hits.append(make.many(ep, anchor, en, zh, score=float(len(later)), org=conv.inst))
    return hits
