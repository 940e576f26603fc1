"""What one check run shares between rules: the phrase matcher, official numbers,
and the notes the report prints beside the findings (what was left out, and why)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from evidence_locker.locale.messages import t
from evidence_locker.rules.numbers import OfficialNumbers
from evidence_locker.rules.phrasebook import PhraseGroup
from evidence_locker.rules.prepare import Item
from evidence_locker.rules.ruleset import Rule
from evidence_locker.rules.schema import PHRASE_KINDS
from evidence_locker.rules.text import PhraseMatcher, normalise

_MATCHER_CACHE: dict[frozenset[str], PhraseMatcher] = {}
_MATCHER_CACHE_MAX = 16  # compiled matchers kept between runs (user rule files vary)


def matcher_for(phrases: frozenset[str]) -> PhraseMatcher:
    m = _MATCHER_CACHE.get(phrases)
    if m is None:
        if len(_MATCHER_CACHE) >= _MATCHER_CACHE_MAX:
            _MATCHER_CACHE.pop(next(iter(_MATCHER_CACHE)))
        m = _MATCHER_CACHE[phrases] = PhraseMatcher(phrases)
    return m


@dataclass(frozen=True, slots=True)
class Note:
    """Something the reader must know about the check itself (not a finding)."""

    kind: str
    en: str
    zh: str
    records: tuple[str, ...] = ()

    def text(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text(lang), "records": list(self.records)}


def note(kind: str, records: Iterable[str] = (), **params: Any) -> Note:
    """A note whose words take the same values in both languages."""
    return bilingual(kind, records, params, params)


def bilingual(kind: str, records: Iterable[str], en: dict[str, Any], zh: dict[str, Any]) -> Note:
    key = f"rules.note.{kind}"
    return Note(kind, t(key, "en", **en), t(key, "zh", **zh), tuple(records))


@dataclass
class Notes:
    """Collects, during a run, what rules left out; ``build`` words it once at the end.
    Names shown in a note (a channel, an event) are kept as (en, zh) pairs. Records are
    kept as items, so a note lists them in time order (not in a set's order, which
    changes from run to run)."""

    time_unknown: set[Item] = field(default_factory=set)
    not_in_force: dict[str, tuple[Rule, set[Item]]] = field(default_factory=dict)
    oral: dict[str, tuple[Rule, tuple[str, str], str]] = field(default_factory=dict)
    no_org: dict[str, tuple[tuple[str, str], str]] = field(default_factory=dict)

    def skip_not_in_force(self, rule: Rule, items: Iterable[Item]) -> None:
        got = self.not_in_force.get(rule.id)
        if got is None:
            got = self.not_in_force[rule.id] = (rule, set())
        got[1].update(items)

    def build(self) -> list[Note]:
        out: list[Note] = []
        if self.time_unknown:
            ids = _in_time_order(self.time_unknown)
            out.append(note("time_unknown", ids, n=len(ids)))
        # One line per instrument and date, naming its rules.
        by_source: dict[tuple[str, str], tuple[list[str], set[Item], Rule]] = {}
        for rule, ids in self.not_in_force.values():
            when = (rule.in_force_from or rule.in_force_until).isoformat()  # type: ignore[union-attr]
            got = by_source.setdefault((rule.instrument, when), ([], set(), rule))
            got[0].append(rule.id)
            got[1].update(ids)
        for (_, when), (rule_ids, ids, rule) in sorted(by_source.items()):
            kind = "not_yet_in_force" if rule.in_force_from else "no_longer_in_force"
            common = {"date": when, "n": len(ids)}
            en = {"source": rule.source.title("en"), "rules": ", ".join(rule_ids), **common}
            zh = {"source": rule.source.title("zh"), "rules": "、".join(rule_ids), **common}
            out.append(bilingual(kind, _in_time_order(ids), en, zh))
        for rid, (rule, (ch_en, ch_zh), date) in self.oral.items():
            common = {"rule": rule.id, "date": date}
            out.append(
                bilingual(
                    "oral_request",
                    (rid,),
                    {"channel": ch_en, **common},
                    {"channel": ch_zh, **common},
                )
            )
        for rid, ((ev_en, ev_zh), date) in self.no_org.items():
            out.append(
                bilingual(
                    "event_without_org",
                    (rid,),
                    {"event": ev_en, "date": date},
                    {"event": ev_zh, "date": date},
                )
            )
        return out


def _in_time_order(items: Iterable[Item]) -> list[str]:
    """Record ids in the order the run reads records (time, then record id)."""
    return [it.rid for it in sorted(items, key=_place)]


_place = attrgetter("n")


class Context:
    """The run's one phrase matcher (every phrase of every rule, plus the benign
    collocations that cancel them), official numbers, and the notes."""

    def __init__(self, official: OfficialNumbers | None, rules: Iterable[Rule]) -> None:
        self.official = official
        rules = tuple(rules)
        self.rules = rules  # every rule of the run (kinds share work between their rules)
        self.notes = Notes()
        # Phrase and scam rules read every message: their phrases share the run's one
        # matcher, whose hits each record keeps. The phrases other kinds look for
        # (a debt mentioned to a neighbour, a statutory notice after a request) concern
        # few records and words as common as 还款: a second matcher, used on demand.
        phrases: set[str] = set()
        other: set[str] = set()
        for rule in rules:
            bucket = phrases if rule.kind in PHRASE_KINDS or rule.kind == "scam_signs" else other
            for group in rule.groups.values():
                bucket.update(normalise(x) for x in group.phrases)
                bucket.update(normalise(x) for x in group.own_words)
                bucket.update(normalise(x) for x in group.benign)
            if rule.kind in PHRASE_KINDS:
                phrases.update(normalise(x) for x in rule.params["phrases"])
            elif rule.kind == "scam_signs":
                phrases.update(normalise(x) for x in rule.params["personal_account_phrases"])
        phrases.discard("")
        other.discard("")
        self.matcher = matcher_for(frozenset(phrases))
        self.other_matcher = matcher_for(frozenset(other))
        self.cache: dict[Any, Any] = {}  # per-run memo shared by kinds (scam candidates...)
        self._other_found: dict[str, dict[str, list[int]]] = {}

    def other_found(self, text: str) -> dict[str, list[int]]:
        """``other_matcher``'s hits in a normalised text (read only), scanned once per
        distinct text and run: the after-event, disclosure and third-party rules of
        several sets read the same messages."""
        got = self._other_found.get(text)
        if got is None:
            got = self._other_found[text] = self.other_matcher.find_all(text)
        return got


def group_phrases(groups: Iterable[PhraseGroup]) -> frozenset[str]:
    """Every phrase of ``groups``, normalised."""
    return frozenset(normalise(p) for g in groups for p in g.phrases) - {""}
