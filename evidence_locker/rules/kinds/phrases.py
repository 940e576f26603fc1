"""Weighted words in the content: threats, fake legal process, telling others.

All phrase rules share the run's one matcher and one pass per record. For each rule a
phrase counts once, and only where some occurrence of it is

* not inside a longer phrase of the same rule (爆通讯录 counts, the 通讯录 inside it
  does not; 刑事责任 counts once, not again as 刑事),
* not inside a benign collocation of its group ("请放心并注意安全"),
* not negated ("you will not be arrested", "我们不会联系您的紧急联系人"),
* for a group's ``own_words`` ("说要通知我单位"), in the borrower's own account of a
  contact (a call, a visit), not in a message's text, where "我" is the sender,
* for a group's ``visit_itself`` (找上门), not in a visit record, where it says what
  happened.

A rule's score is the sum of the weights of the phrases that count; a score of at least
``min_score`` makes a hit with the severity the rule declares. Messages repeat
(templates with a different amount), so verdicts are cached by a position-free summary
of what was found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from evidence_locker.rules import screenshots
from evidence_locker.rules.context import Context
from evidence_locker.rules.finding import Hit
from evidence_locker.rules.kinds.base import Maker, templates
from evidence_locker.rules.negation import may_negate, negation_test
from evidence_locker.rules.prepare import CONTENT, Item, Prepared
from evidence_locker.rules.ruleset import Rule
from evidence_locker.rules.text import PhraseMatcher, normalise

# phrase -> per distinct occurrence: (longer phrases found around it, negated)
Summary = frozenset[tuple[str, frozenset[tuple[frozenset[str], bool]]]]


class _Table:
    """One phrase rule's normalised phrases: weight and group label, and what cancels.

    ``voices``: the phrases that count in the borrower's account of a call or another
    contact (``"own"``: all), of a visit (``"visit"``: less the groups' ``visit_itself``)
    and in a message's text (``"written"``: less their ``own_words``).
    """

    __slots__ = ("benign", "labels", "phrases", "voices", "weights")

    def __init__(self, rule: Rule) -> None:
        p = rule.params
        self.weights: dict[str, float] = {}
        self.labels: dict[str, tuple[str, str]] = {}
        own = (p["category_en"], p["category_zh"])
        groups = _groups(rule)
        sources = [(g.phrases, (g.label_en, g.label_zh)) for g in groups]
        sources.append((p["phrases"], own))
        written = set()
        for phrases, label in sources:
            for phrase, weight in phrases.items():
                norm = normalise(phrase)
                if norm and weight > self.weights.get(norm, 0.0):
                    self.weights[norm] = weight
                    self.labels[norm] = label
                written.add(norm)
        for g in groups:
            for phrase, weight in g.own_words.items():
                norm = normalise(phrase)
                if norm and norm not in written and weight > self.weights.get(norm, 0.0):
                    self.weights[norm] = weight
                    self.labels[norm] = (g.label_en, g.label_zh)
        self.phrases = frozenset(self.weights)
        itself = {normalise(p) for g in groups for p in g.visit_itself}
        self.voices = {
            "own": self.phrases,
            "visit": self.phrases - itself,
            "written": frozenset(written) - {""},
        }
        self.benign = frozenset(normalise(b) for g in _groups(rule) for b in g.benign) - {""}


def _groups(rule: Rule) -> list:
    return [rule.groups[g] for g in rule.params["groups"]]


_PLAIN = frozenset({(frozenset(), False)})  # one occurrence, alone and not negated


def summarise(
    text: str,
    occ: Mapping[str, list[int]],
    wanted: frozenset[str],
    supers: Mapping[str, tuple],
    memo: dict[frozenset[str], Summary] | None = None,
) -> Summary:
    """What was found, without positions: for each wanted phrase, its occurrences as
    (longer phrases found around it, negated).

    ``memo`` (one per ``wanted`` and ``supers``) keeps the summaries of texts with no
    negation cue and no nesting: those depend only on which phrases were found.
    """
    negatable = may_negate(text)
    if not negatable:
        known = memo.get(frozenset(occ)) if memo is not None else None
        if known is not None:
            return known
        if not any(q in occ for p in occ for q in supers.get(p, ())):
            # Nothing nested, nothing negated (most messages): the phrases alone.
            plain = frozenset((p, _PLAIN) for p in occ if p in wanted)
            if memo is not None:
                memo[frozenset(occ)] = plain
            return plain
    negated = negation_test(text) if negatable else None
    out = []
    for p, starts in occ.items():
        if p not in wanted:
            continue
        n = len(p)
        outer = [q for q in supers.get(p, ()) if q in occ]
        kinds = set()
        for s in starts:
            around = frozenset(
                q for q in outer if any(qs <= s and s + n <= qs + len(q) for qs in occ[q])
            )
            kinds.add((around, negated is not None and negated(s, p)))
        out.append((p, frozenset(kinds)))
    return frozenset(out)


def counted(summary: Summary, phrases: frozenset[str], cancel: frozenset[str]) -> list[str]:
    """The phrases of ``phrases`` with an occurrence that is neither negated nor inside
    a longer phrase of ``phrases`` or a phrase of ``cancel``."""
    blockers = phrases | cancel
    return [
        p
        for p, kinds in summary
        if p in phrases and any(not neg and blockers.isdisjoint(around) for around, neg in kinds)
    ]


def superstrings(phrases: frozenset[str], matcher: PhraseMatcher) -> dict[str, tuple[str, ...]]:
    """phrase -> the longer phrases that contain it (those can hide it).

    The run's matcher, run over each phrase, finds the phrases inside it as it finds
    them in a text (word edges included), in time linear in the phrases' length:
    comparing every pair took about 30 ms for the thousand phrases of the shipped sets.
    """
    out: dict[str, list[str]] = defaultdict(list)
    for q in phrases:
        for p in matcher.find_all(q):
            if p != q and p in phrases:
                out[p].append(q)
    return {p: tuple(sorted(qs, key=lambda q: (len(q), q))) for p, qs in out.items()}


def check_phrases(rules: list[Rule], prep: Prepared, ctx: Context) -> list[Hit]:
    """All phrase rules together: one pass per record and field set."""
    if not rules:
        return []
    tables = [_Table(r) for r in rules]
    makers = [Maker(r, prep) for r in rules]
    every = frozenset().union(*(t.phrases | t.benign for t in tables))
    supers = ctx.cache.get(("supers", every))
    if supers is None:
        supers = ctx.cache[("supers", every)] = superstrings(every, ctx.matcher)
    by_fields: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for n, r in enumerate(rules):
        by_fields[r.params["fields"]].append(n)
    tpl = templates("rules.reason.phrases")
    # Per rule: channels, directions and the days (ordinals) its source was in force.
    limits = [
        (
            r.params["channels"],
            r.params["directions"],
            r.in_force_from.toordinal() if r.in_force_from else 0,
            r.in_force_until.toordinal() if r.in_force_until else 10**7,
        )
        for r in rules
    ]
    hits: list[Hit] = []
    matcher = ctx.matcher
    voices: dict[str, str] = {}
    skipped: defaultdict[int, list[Item]] = defaultdict(list)  # rule -> not in force
    for fields, idx in by_fields.items():
        chans = frozenset().union(*(rules[n].params["channels"] for n in idx))
        dirs = frozenset().union(*(rules[n].params["directions"] for n in idx))
        wanted = frozenset().union(*(tables[n].phrases | tables[n].benign for n in idx))
        verdicts: dict[tuple[Summary, str], list[tuple[int, str, str, float, list[str]]]] = {}
        memo: dict[frozenset[str], Summary] = {}
        if fields == CONTENT:  # only contacts with text of their own can have any
            found_in = [
                x for x in prep.scanned(matcher) if x[0].channel in chans and x[0].direction in dirs
            ]
        else:
            found_in = [
                (it, it.text(fields), it.hits(matcher, fields))
                for it in prep.select(chans, dirs, None)
            ]
        # Contacts that repeat a message share its text (``Prepared.scanned``): each
        # distinct text is summarised once, and judged once per voice.
        summaries: dict[str, Summary] = {}
        judged: dict[str, dict[str, list[tuple[int, str, str, float, list[str]]]]] = {
            "written": {},
            "visit": {},
            "own": {},
        }
        for it, text, occ in found_in:
            if not occ:
                continue
            voice = voices.get(it.channel)  # whose words: it depends on the channel alone
            if voice is None:
                voice = voices[it.channel] = voice_of(it)
            by_text = judged[voice]
            found = by_text.get(text)
            if found is None:
                if wanted.isdisjoint(occ):
                    found = by_text[text] = []
                    continue
                summary = summaries.get(text)
                if summary is None:
                    summary = summaries[text] = summarise(text, occ, wanted, supers, memo)
                found = verdicts.get((summary, voice))
                if found is None:
                    found = verdicts[summary, voice] = _verdicts(
                        summary, voice, idx, tables, rules, tpl
                    )
                by_text[text] = found
            for n, en, zh, score, phrases in found:
                chan, direc, lo, hi = limits[n]
                if it.channel not in chan or it.direction not in direc:
                    continue
                if it.day < lo or it.day > hi:
                    skipped[n].append(it)
                    continue
                hit = makers[n].one(it, en, zh, score=score)
                if it.rec.attachments and fields == CONTENT:
                    hit = _screenshot(hit, it, phrases, matcher)
                hits.append(hit)
    for n, items in skipped.items():
        ctx.notes.skip_not_in_force(rules[n], items)
    return hits


def voice_of(it: Item) -> str:
    """Whose words a record's text is: a message's own (``written``), the borrower's
    account of a visit (``visit``) or of a call or another contact (``own``)."""
    if it.written:
        return "written"
    return "visit" if it.channel == "visit" else "own"


def _verdicts(
    summary: Summary,
    voice: str,
    idx: list[int],
    tables: list[_Table],
    rules: list[Rule],
    tpl: tuple[str, str],
) -> list[tuple[int, str, str, float, list[str]]]:
    """For one summary: each rule that scores enough, with its reasons, score and the
    phrases that counted. ``voice``: whose text it is (``voice_of``)."""
    out = []
    for n in idx:
        table = tables[n]
        found = counted(summary, table.voices[voice], table.benign)
        if not found:
            continue
        score = sum(table.weights[p] for p in found)
        if score < rules[n].params["min_score"]:
            continue
        found.sort(key=lambda p: (-table.weights[p], p))
        rp = rules[n].params
        if rp["category_en"] and rp["category_zh"]:
            labels = [(rp["category_en"], rp["category_zh"])]
        else:
            labels = list(dict.fromkeys(table.labels[p] for p in found))
        en = tpl[0].format(
            category="; ".join(lab[0] for lab in labels),
            phrases=", ".join(f"“{p}”" for p in found),
            score=f"{score:g}",
        )
        zh = tpl[1].format(
            category="；".join(lab[1] for lab in labels),
            phrases="、".join(f"“{p}”" for p in found),
            score=f"{score:g}",
        )
        out.append((n, en, zh, score, found))
    return out


def _screenshot(hit: Hit, it: Item, phrases: list[str], matcher: PhraseMatcher) -> Hit:
    """Name the screenshots a hit's phrases were read from (rules/screenshots.py)."""
    rec = it.rec
    typed = " ".join(x for x in (rec.subject, rec.content) if x)
    return screenshots.mark(hit, rec, phrases, typed, lambda text: matcher.find(normalise(text)))
