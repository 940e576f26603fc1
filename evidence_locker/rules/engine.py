"""The rule engine: one function per rule kind, and ``check`` that runs a rule set.

Input is the latest, non-deleted version of each record (see ``live_records``). The
records are prepared once (local time in the debtor's timezone, calendar day, seconds
since local midnight, organisation key) and bucketed by channel, direction and outcome,
so each rule touches only the records it can concern. Each kind then makes one pass
over its records in time order, grouping with dicts; nothing is quadratic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, time, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence_locker.errors import UsageError
from evidence_locker.i18n import catalog, t
from evidence_locker.model import Record, micros
from evidence_locker.rules.flag import SEVERITY_RANK, Flag
from evidence_locker.rules.numbers import OfficialNumbers, as_official_numbers, org_key
from evidence_locker.rules.ruleset import Rule, RuleSet
from evidence_locker.rules.text import PhraseMatcher, find_links, link_host, normalise

# --- preparing records --------------------------------------------------------------


class _Item:
    """A record with the figures every rule needs, computed once."""

    __slots__ = (
        "_date",
        "_text",
        "_time",
        "day",
        "direction",
        "local",
        "org",
        "outcome",
        "rec",
        "sod",
        "us",
    )

    def __init__(self, rec: Record, zone: tzinfo) -> None:
        self.rec = rec
        self.us = micros(rec.occurred_at)
        local = rec.occurred_at.astimezone(zone)
        self.local = local
        self.day = local.toordinal()
        self.sod = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        self.org = org_key(rec.organisation)
        self.direction = rec.direction.value
        self.outcome = rec.outcome.value if rec.outcome is not None else "unknown"
        self._date: str | None = None
        self._time: str | None = None
        self._text: dict[tuple[str, ...], str] | None = None

    # Formatting and normalising are the costly parts of a flag; each record does them
    # at most once however many rules look at it.
    @property
    def date_s(self) -> str:
        if self._date is None:
            self._date = self.local.date().isoformat()
        return self._date

    @property
    def time_s(self) -> str:
        if self._time is None:
            self._time = _hhmm(self.local)
        return self._time

    def text(self, fields: tuple[str, ...]) -> str:
        """The normalised text of ``fields``, computed once per record and field set."""
        cache = self._text
        if cache is None:
            cache = self._text = {}
        got = cache.get(fields)
        if got is None:
            rec = self.rec
            parts = [getattr(rec, f) for f in fields]
            got = cache[fields] = normalise(" ".join(x for x in parts if x))
        return got


class _Prepared:
    """All records in time order, with buckets to select a rule's records quickly."""

    def __init__(self, records: Iterable[Record], zone: tzinfo, tz_name: str) -> None:
        items = [_Item(r, zone) for r in records]
        items.sort(key=lambda i: (i.us, i.rec.record_id))
        self.items = items
        self.tz_name = tz_name
        self.events: list[_Item] = []
        buckets: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for n, it in enumerate(items):
            if it.rec.event is not None:
                # A logged event (the user's letter) is not a contact by the collector.
                self.events.append(it)
            else:
                buckets[(it.rec.channel.value, it.direction, it.outcome)].append(n)
        self._buckets = dict(buckets)
        self._cache: dict[tuple, list[_Item]] = {}

    def select(
        self,
        channels: frozenset[str],
        directions: frozenset[str],
        outcomes: frozenset[str] | None = None,
    ) -> list[_Item]:
        """Contact records (no events) of the given channels, directions and outcomes."""
        key = (channels, directions, outcomes)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        idx: list[int] = []
        for (c, d, o), lst in self._buckets.items():
            if c in channels and d in directions and (outcomes is None or o in outcomes):
                idx.extend(lst)
        idx.sort()
        items = self.items
        out = [items[i] for i in idx]
        self._cache[key] = out
        return out


# --- formatting helpers -------------------------------------------------------------


def _ordinal_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _hhmm(local: datetime) -> str:
    return local.strftime("%H:%M:%S" if local.second or local.microsecond else "%H:%M")


def _clock(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _both(key: str, **params: Any) -> tuple[str, str]:
    return t(key, "en", **params), t(key, "zh", **params)


@cache
def _templates(key: str) -> tuple[str, str]:
    """The raw en and zh message templates, looked up once (flags are made in bulk)."""
    texts = catalog()[key]
    return texts["en"], texts.get("zh", texts["en"])


@cache
def _channel_names(channel: str) -> tuple[str, str]:
    return _both(f"rules.channel.{channel}")


def _channel(rec: Record) -> tuple[str, str]:
    return _channel_names(rec.channel.value)


def _who(per: str, it: _Item) -> tuple[str, str]:
    """ " from +86..." / "来自...的" for the group a frequency figure is about."""
    if per == "address" and it.rec.address:
        return _both("rules.who.address", x=it.rec.address)
    if per in ("organisation", "address") and it.rec.organisation:
        return _both("rules.who.organisation", x=it.rec.organisation)
    return "", ""


def _flag(
    rule: Rule,
    items: list[_Item],
    reasons: tuple[str, str],
    *,
    severity: str | None = None,
    score: float = 1.0,
) -> Flag:
    return Flag(
        rule=rule.id,
        records=tuple(dict.fromkeys(i.rec.record_id for i in items)),
        reason_en=reasons[0],
        reason_zh=reasons[1],
        source=rule.citation,
        severity=severity or rule.severity,
        kind=rule.kind,
        score=score,
        source_url=rule.source_url,
        confidence=rule.confidence,
        first_at=_first_at(items),
    )


def _first_at(items: list[_Item]) -> str:
    if not items:
        return ""
    first = items[0] if len(items) == 1 else min(items, key=lambda i: i.us)
    return first.local.isoformat()


def _date(day: int) -> str:
    return datetime.fromordinal(day).date().isoformat()


# --- the kinds ----------------------------------------------------------------------


def check_quiet_hours(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """Contacts inside a window of the debtor's local clock, e.g. 22:00–08:00.

    The window includes its start (unless ``start_inclusive = false``, for rules that
    say "after 9 p.m.") and excludes its end; a start later than the end means the
    window crosses midnight. Local time comes from zoneinfo, so DST is handled.
    """
    p = rule.params
    start: time = p["start"]
    end: time = p["end"]
    s = start.hour * 3600 + start.minute * 60 + start.second
    e = end.hour * 3600 + end.minute * 60 + end.second
    incl = p["start_inclusive"]
    wraps = s > e
    s_txt, e_txt = _clock(start), _clock(end)
    tpl_en, tpl_zh = _templates("rules.reason.quiet_hours")
    flags: list[Flag] = []
    for it in prep.select(p["channels"], p["directions"], p["outcomes"]):
        x = it.sod
        after_start = x >= s if incl else x > s
        inside = (after_start or x < e) if wraps else (after_start and x < e)
        if not inside:
            continue
        ch_en, ch_zh = _channel(it.rec)
        common = {
            "date": it.date_s,
            "time": it.time_s,
            "tz": prep.tz_name,
            "start": s_txt,
            "end": e_txt,
        }
        reasons = (tpl_en.format(channel=ch_en, **common), tpl_zh.format(channel=ch_zh, **common))
        flags.append(_flag(rule, [it], reasons))
    return flags


def _group_key(per: str, it: _Item) -> str | None:
    if per == "debtor":
        return ""
    if per == "address":
        a = it.rec.address
        return a.strip().casefold() if a else None
    if it.org:
        return it.org
    a = it.rec.address
    return "address:" + a.strip().casefold() if a else "(unknown)"


def check_frequency(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """More than ``max`` contacts per group per day or per rolling window; or any
    contact within ``window_days`` after a conversation (the conversation's day is day 1).
    """
    p = rule.params
    if p["mode"] == "after_conversation":
        return _after_conversation(rule, prep)
    per = p["per"]
    groups: dict[str, list[_Item]] = defaultdict(list)
    for it in prep.select(p["channels"], p["directions"], p["outcomes"]):
        key = _group_key(per, it)
        if key is not None:
            groups[key].append(it)
    if p["period"] == "day":
        return _per_day(rule, groups)
    return _rolling(rule, groups)


def _per_day(rule: Rule, groups: Mapping[str, list[_Item]]) -> list[Flag]:
    p = rule.params
    limit = p["max"]
    flags: list[Flag] = []
    for items in groups.values():
        if len(items) <= limit:
            continue
        by_day: dict[int, list[_Item]] = defaultdict(list)
        for it in items:
            by_day[it.day].append(it)
        for day, day_items in by_day.items():
            count = len(day_items)
            if count <= limit:
                continue
            first_over = day_items[limit]
            n = limit + 1
            who = _who(p["per"], first_over)
            common = {"date": _date(day), "count": count, "max": limit, "n": n}
            reasons = (
                t(
                    "rules.reason.freq_day",
                    "en",
                    ordinal=_ordinal_en(n),
                    label=p["label_en"],
                    who_en=who[0],
                    **common,
                )
                + f" ({_hhmm(first_over.local)})",
                t("rules.reason.freq_day", "zh", label=p["label_zh"], who_zh=who[1], **common)
                + f"（{_hhmm(first_over.local)}）",
            )
            flags.append(_flag(rule, day_items, reasons, score=count / max(limit, 1)))
    return flags


def _rolling(rule: Rule, groups: Mapping[str, list[_Item]]) -> list[Flag]:
    """Two pointers over each group's records: the window holds the records of the
    last ``window_days`` calendar days. A run of records that each exceed the limit
    makes one flag (the first record over the limit gives the figures)."""
    p = rule.params
    limit, days = p["max"], p["window_days"]
    flags: list[Flag] = []
    for items in groups.values():
        if len(items) <= limit:
            continue
        lo = 0
        run: list[_Item] | None = None
        first: tuple[int, int, int] | None = None  # (count, window start day, day)
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
                flags.append(_rolling_flag(rule, run, first))
                run = None
        if run is not None:
            flags.append(_rolling_flag(rule, run, first))
    return flags


def _rolling_flag(rule: Rule, run: list[_Item], first: tuple[int, int, int] | None) -> Flag:
    assert first is not None
    p = rule.params
    count, start, day = first
    who = _who(p["per"], run[0])
    common = {
        "days": p["window_days"],
        "start": _date(start),
        "end": _date(day),
        "max": p["max"],
        "n": count,
        "total": len(run),
    }
    reasons = (
        t(
            "rules.reason.freq_window",
            "en",
            ordinal=_ordinal_en(count),
            label=p["label_en"],
            who_en=who[0],
            **common,
        ),
        t("rules.reason.freq_window", "zh", label=p["label_zh"], who_zh=who[1], **common),
    )
    return _flag(rule, run, reasons, score=len(run) / max(p["max"], 1))


def _after_conversation(rule: Rule, prep: _Prepared) -> list[Flag]:
    p = rule.params
    per, days = p["per"], p["window_days"]
    # Conversations: connected contacts of these channels in any direction (a call the
    # debtor made counts as a conversation too). Contacts: the collector's attempts.
    all_dirs = frozenset({"incoming", "outgoing", "in_person"})
    conv_ids = {id(i) for i in prep.select(p["channels"], all_dirs, p["conversation_outcomes"])}
    contact_ids = {id(i) for i in prep.select(p["channels"], p["directions"], p["outcomes"])}
    merged = prep.select(p["channels"], all_dirs, None)
    # group -> (latest conversation, key of the episode it belongs to). A conversation
    # that was itself too soon restarts the clock but stays in the same episode, so a
    # chain of calls makes one flag instead of one per call.
    last_conv: dict[str, tuple[_Item, int]] = {}
    episodes: dict[int, list[_Item]] = {}
    for it in merged:
        key = id(it)
        is_conv, is_contact = key in conv_ids, key in contact_ids
        if not (is_conv or is_contact):
            continue
        g = _group_key(per, it)
        if g is None:
            continue
        prev = last_conv.get(g)
        episode = key
        if is_contact and prev is not None:
            conv, ep_key = prev
            if it.us > conv.us and it.day - conv.day < days:
                episodes.setdefault(ep_key, [conv]).append(it)
                episode = ep_key
        if is_conv:
            last_conv[g] = (it, episode)
    flags: list[Flag] = []
    for ep in episodes.values():
        conv, later = ep[0], ep[1:]
        first = later[0]
        who = _who(per, conv)
        common = {
            "count": len(later),
            "days": days,
            "conv_date": conv.local.date().isoformat(),
            "conv_time": _hhmm(conv.local),
            "date": first.local.date().isoformat(),
            "time": _hhmm(first.local),
            "day": first.day - conv.day + 1,  # the conversation's day is day 1
        }
        reasons = (
            t(
                "rules.reason.after_conversation",
                "en",
                label=p["label_en"],
                who_en=who[0],
                **common,
            ),
            t(
                "rules.reason.after_conversation",
                "zh",
                label=p["label_zh"],
                who_zh=who[1],
                **common,
            ),
        )
        flags.append(_flag(rule, ep, reasons, score=float(len(later))))
    return flags


def check_after_event(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """Contacts by an organisation after the user logged an event about it (a cease
    request, a dispute, a lawyer's notice, a repayment plan). An event logged without
    an organisation applies to every organisation: the user did not narrow it."""
    p = rule.params
    grace_us = p["grace_days"] * 86_400_000_000
    first_event: dict[str, _Item] = {}
    for ev in prep.events:
        if ev.rec.event is not None and ev.rec.event.value in p["events"]:
            first_event.setdefault(ev.org, ev)  # events are in time order: keep the earliest
    if not first_event:
        return []
    global_ev = first_event.get("")
    flags: list[Flag] = []
    for it in prep.select(p["channels"], p["directions"], None):
        ev = first_event.get(it.org) if it.org else None
        if global_ev is not None and (ev is None or global_ev.us < ev.us):
            ev = global_ev
        if ev is None or it.us <= ev.us + grace_us:
            continue
        assert ev.rec.event is not None
        ch_en, ch_zh = _channel(it.rec)
        who = _who("organisation", it)
        ev_en, ev_zh = _both(f"rules.event.{ev.rec.event.value}")
        common = {
            "event_date": ev.local.date().isoformat(),
            "date": it.local.date().isoformat(),
            "time": _hhmm(it.local),
        }
        reasons = (
            t(
                "rules.reason.after_event",
                "en",
                event=ev_en,
                channel=ch_en,
                who_en=who[0],
                **common,
            ),
            t(
                "rules.reason.after_event",
                "zh",
                event=ev_zh,
                channel=ch_zh,
                who_zh=who[1],
                **common,
            ),
        )
        flag = _flag(rule, [it], reasons)
        # The event record is evidence too: list it after the contact.
        flags.append(_with_extra_record(flag, ev.rec.record_id))
    return flags


def _with_extra_record(flag: Flag, record_id: str) -> Flag:
    from dataclasses import replace

    if record_id in flag.records:
        return flag
    return replace(flag, records=(*flag.records, record_id))


def check_third_party(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """Records the user marked as reported by someone else (family, employer...)."""
    p = rule.params
    flags: list[Flag] = []
    for it in prep.select(p["channels"], p["directions"], None):
        who = it.rec.third_party
        if not who:
            continue
        ch_en, ch_zh = _channel(it.rec)
        date = it.local.date().isoformat()
        reasons = (
            t("rules.reason.third_party", "en", channel=ch_en, date=date, who=who),
            t("rules.reason.third_party", "zh", channel=ch_zh, date=date, who=who),
        )
        flags.append(_flag(rule, [it], reasons))
    return flags


def _severity_for(score: float, thresholds: Mapping[str, float]) -> str | None:
    for sev in ("high", "medium", "low"):
        if score >= thresholds[sev]:
            return sev
    return None


def check_phrases(rules: list[Rule], prep: _Prepared, ctx: _Context) -> list[Flag]:
    """All phrase rules together: one matcher over all their phrases, one pass per record.

    A rule's score is the sum of the weights of its distinct phrases found; the score
    picks the severity through the rule's thresholds, and below ``low`` nothing is
    flagged (so a lone low-weight word such as 征信 is not a flag by itself).
    """
    if not rules:
        return []
    matcher, table = ctx.phrase_matcher(rules)
    by_fields: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for n, r in enumerate(rules):
        by_fields[r.params["fields"]].append(n)
    flags: list[Flag] = []
    for fields, rule_idx in by_fields.items():
        chans = frozenset().union(*(rules[n].params["channels"] for n in rule_idx))
        dirs = frozenset().union(*(rules[n].params["directions"] for n in rule_idx))
        wanted = set(rule_idx)
        for it in prep.select(chans, dirs, None):
            text = it.text(fields)
            if not text:
                continue
            hits = matcher.find(text)
            if not hits:
                continue
            found: dict[int, list[tuple[str, float]]] = defaultdict(list)
            for phrase in hits:
                for n, w in table[phrase]:
                    if n in wanted:
                        found[n].append((phrase, w))
            for n, pairs in found.items():
                rule = rules[n]
                rp = rule.params
                if (
                    it.rec.channel.value not in rp["channels"]
                    or it.direction not in rp["directions"]
                ):
                    continue
                score = sum(w for _, w in pairs)
                sev = _severity_for(score, rp["thresholds"])
                if sev is None:
                    continue
                pairs.sort(key=lambda pw: (-pw[1], pw[0]))
                shown = "、".join(f"“{ph}”" for ph, _ in pairs)
                shown_en = ", ".join(f"“{ph}”" for ph, _ in pairs)
                reasons = (
                    t(
                        "rules.reason.phrases",
                        "en",
                        category=rp["category_en"],
                        phrases=shown_en,
                        score=f"{score:g}",
                    ),
                    t(
                        "rules.reason.phrases",
                        "zh",
                        category=rp["category_zh"],
                        phrases=shown,
                        score=f"{score:g}",
                    ),
                )
                flags.append(_flag(rule, [it], reasons, severity=sev, score=score))
    return flags


_SCAM_SEVERITY = {
    "unofficial_sender": "medium",
    "links": "low",
    "short_links": "medium",
    "personal_account": "high",
}
_SCAM_SCORE = {"unofficial_sender": 2.0, "links": 1.0, "short_links": 2.0, "personal_account": 3.0}


def check_scam_signs(rule: Rule, prep: _Prepared, ctx: _Context) -> list[Flag]:
    """Signs the public guides name: a sender that is not an official number of the
    organisation (only when the user listed that organisation's numbers), links,
    short links, and demands to pay into a personal account."""
    p = rule.params
    checks = p["checks"]
    short = set(p["short_domains"])
    acct = (
        ctx.matcher_for(tuple(p["personal_account_phrases"]))
        if "personal_account" in checks
        else None
    )
    official = ctx.official
    flags: list[Flag] = []
    for it in prep.select(p["channels"], p["directions"], None):
        rec = it.rec
        signs: list[tuple[str, dict[str, str]]] = []
        if "unofficial_sender" in checks and official is not None and rec.address:
            entry = official.for_org(rec.organisation)
            if entry is not None and not entry.is_official(rec.address):
                signs.append(
                    ("unofficial_sender", {"address": rec.address, "org": rec.organisation or ""})
                )
        text = it.text(("subject", "content")) if (rec.content or rec.subject) else ""
        if text:
            if "links" in checks or "short_links" in checks:
                links = find_links(text)
                shorts = [x for x in links if link_host(x) in short]
                if shorts and "short_links" in checks:
                    signs.append(("short_links", {"link": shorts[0]}))
                elif links and "links" in checks:
                    signs.append(("links", {"link": links[0]}))
            if acct is not None:
                hits = acct.find(text)
                if hits:
                    signs.append(("personal_account", {"phrases": ", ".join(sorted(hits))}))
        if not signs:
            continue
        en = "; ".join(t(f"rules.scam.{k}", "en", **v) for k, v in signs)
        zh = "；".join(t(f"rules.scam.{k}", "zh", **v) for k, v in signs)
        reasons = (t("rules.reason.scam", "en", signs=en), t("rules.reason.scam", "zh", signs=zh))
        sev = max((_SCAM_SEVERITY[k] for k, _ in signs), key=SEVERITY_RANK.__getitem__)
        score = sum(_SCAM_SCORE[k] for k, _ in signs)
        flags.append(_flag(rule, [it], reasons, severity=sev, score=score))
    return flags


KIND_CHECKS: dict[str, Callable[[Rule, _Prepared, _Context], list[Flag]]] = {
    "quiet_hours": check_quiet_hours,
    "frequency": check_frequency,
    "after_event": check_after_event,
    "third_party": check_third_party,
    "scam_signs": check_scam_signs,
}


# --- running a check ----------------------------------------------------------------

_MATCHER_CACHE: dict[tuple[str, ...], PhraseMatcher] = {}


class _Context:
    """What a check run shares between rules: official numbers and compiled matchers."""

    def __init__(self, official: OfficialNumbers | None) -> None:
        self.official = official

    @staticmethod
    def matcher_for(phrases: tuple[str, ...]) -> PhraseMatcher:
        m = _MATCHER_CACHE.get(phrases)
        if m is None:
            m = _MATCHER_CACHE[phrases] = PhraseMatcher(phrases)
        return m

    def phrase_matcher(
        self, rules: list[Rule]
    ) -> tuple[PhraseMatcher, dict[str, list[tuple[int, float]]]]:
        """One matcher for all phrase rules, and normalised phrase -> [(rule index, weight)]."""
        table: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for n, rule in enumerate(rules):
            for phrase, weight in rule.params["phrases"].items():
                norm = normalise(phrase)
                # The same phrase listed twice in one rule counts once, at its top weight.
                prev = [x for x in table[norm] if x[0] == n]
                if prev:
                    if prev[0][1] < weight:
                        table[norm].remove(prev[0])
                        table[norm].append((n, weight))
                    continue
                table[norm].append((n, weight))
        return self.matcher_for(tuple(sorted(table))), table


def _zone(tz: str | tzinfo) -> tuple[tzinfo, str]:
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz), tz
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError("rules.bad_timezone", tz=tz) from None
    return tz, str(tz)


def check(
    records: Iterable[Record],
    rule_sets: RuleSet | Iterable[RuleSet],
    *,
    tz: str | tzinfo,
    official_numbers: OfficialNumbers | Mapping[str, Any] | str | Path | None = None,
    include_unverified: bool = True,
) -> list[Flag]:
    """Run the rule sets over ``records`` (latest, non-deleted versions) and return the
    flags, worst first.

    ``tz`` is the debtor's IANA timezone: every record's time is judged on that clock.
    ``official_numbers`` (object, dict or TOML path) enables the unofficial-sender sign.
    ``include_unverified=False`` skips rules whose only confidence is "U".
    """
    zone, tz_name = _zone(tz)
    sets = [rule_sets] if isinstance(rule_sets, RuleSet) else list(rule_sets)
    ctx = _Context(as_official_numbers(official_numbers))
    prep = _Prepared(records, zone, tz_name)
    flags: list[Flag] = []
    phrase_rules: list[Rule] = []
    for rs in sets:
        for rule in rs.rules:
            if not include_unverified and rule.confidence == "U":
                continue
            if rule.kind == "phrases":
                phrase_rules.append(rule)
            else:
                flags.extend(KIND_CHECKS[rule.kind](rule, prep, ctx))
    flags.extend(check_phrases(phrase_rules, prep, ctx))
    flags.sort(key=Flag.sort_key)
    return flags
