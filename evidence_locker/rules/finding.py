"""What a check reports: findings, one per record (or group of records) and kind.

Each rule kind produces ``Hit``s: one rule's verdict about one *anchor* (a record, or a
group such as "XX银行's calls on 2025-02-10"). Two rules that say the same thing about
the same anchor (the banking guideline and the national standard on one night call)
make one ``Finding`` citing both sources, instead of two rows. A finding is never a
legal conclusion: it points a person at records and says which public texts make them
worth a look.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from evidence_locker.locale.messages import t
from evidence_locker.rules.ruleset import Rule

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


class Hit(NamedTuple):
    """One rule's verdict about one anchor, before findings are merged."""

    rule: Rule
    anchor: str  # what the verdict is about: a record id, or group and day
    records: tuple[str, ...]  # record ids, in time order
    first_us: int  # the earliest record's time (sorting)
    first_at: str  # ... as ISO text on the debtor's clock
    en: str
    zh: str
    severity: str
    score: float
    organisation: str | None  # who the finding is about, as the user wrote it


@dataclass(frozen=True, slots=True)
class Citation:
    """A rule behind a finding, with its source and how sure that source is."""

    rule: Rule

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        r = self.rule
        return {
            "rule": r.id,
            "citation": r.citation(lang),
            "url": r.source_url,
            "confidence": r.confidence,
            "confidence_text": t(f"rules.confidence.{r.confidence}", lang),
            "severity": r.severity,
            "in_force_from": r.in_force_from.isoformat() if r.in_force_from else None,
        }


class Finding(NamedTuple):
    """A possible problem: records, what makes them worth a look, and every source.

    ``records`` are ``record_id`` values (stable across corrections), in time order.
    ``reasons_en``/``reasons_zh`` hold one sentence per rule that found it (rules that
    say the same thing in the same words give one). ``id`` is stable for the same kind
    and anchor, so a later check can be compared with an earlier one. A named tuple:
    a check makes tens of thousands of them, and a tuple is the cheapest to build.
    """

    id: str
    kind: str
    severity: str
    score: float
    records: tuple[str, ...]
    first_at: str
    organisation: str | None
    reasons_en: tuple[str, ...]
    reasons_zh: tuple[str, ...]
    citations: tuple[Citation, ...]
    first_us: int = 0

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(c.rule.id for c in self.citations)

    def reasons(self, lang: str = "en") -> tuple[str, ...]:
        return self.reasons_zh if lang == "zh" else self.reasons_en

    def reason(self, lang: str = "en") -> str:
        return ("；" if lang == "zh" else "; ").join(self.reasons(lang))

    def sources(self, lang: str = "en") -> list[str]:
        return [c.rule.citation(lang) for c in self.citations]

    @property
    def unverified(self) -> bool:
        """Whether every source behind the finding is unverified."""
        return all(c.rule.confidence == "U" for c in self.citations)

    def sort_key(self) -> tuple:
        """Worst first: severity, then score, then time, then id (a stable order)."""
        return (-SEVERITY_RANK[self.severity], -self.score, self.first_us, self.id)

    def to_json(self, lang: str = "en", memo: dict[Any, Any] | None = None) -> dict[str, Any]:
        """One element of ``check --json``'s ``findings`` (docs/rules.md).

        ``rule``, ``source``, ``source_url`` and ``confidence`` repeat the first (worst)
        citation for readers of the first version of this shape; only ever add keys.
        ``memo`` (one dict per report, see :meth:`CheckReport.to_json`) keeps each
        citation's and kind's words, which tens of thousands of findings share.
        """
        if memo is None:
            memo = {}
        first = self.citations[0].rule
        return {
            "id": self.id,
            "kind": self.kind,
            "kind_label": _kind_label(self.kind, lang, memo),
            "severity": self.severity,
            "score": round(self.score, 3),
            "first_at": self.first_at,
            "organisation": self.organisation,
            "records": list(self.records),
            "reason": self.reason(lang),
            "reasons": list(self.reasons(lang)),
            "rules": list(self.rules),
            "sources": [_citation_json(c, lang, memo) for c in self.citations],
            "rule": first.id,
            "source": first.citation(lang),
            "source_url": first.source_url,
            "confidence": first.confidence,
            "possible": True,
        }


def finding_id(kind: str, anchor: str) -> str:
    """A short stable id for a kind and anchor (not secret: records ids are not either)."""
    digest = hashlib.blake2b(f"{kind}\x1f{anchor}".encode(), digest_size=5).hexdigest()
    return f"F-{digest}"


def merge_hits(hits: Iterable[Hit]) -> list[Finding]:
    """One finding per kind and anchor, citing every rule that made a hit there;
    worst first."""
    # Most anchors have one hit: those become findings directly, in one pass.
    first: dict[tuple[str, str], Hit] = {}
    more: dict[tuple[str, str], list[Hit]] = {}
    for h in hits:
        key = (h.rule.kind, h.anchor)
        got = first.setdefault(key, h)
        if got is not h:
            group = more.get(key)
            if group is None:
                more[key] = [got, h]
            else:
                group.append(h)
    cite: dict[int, Citation] = {}
    cites: dict[tuple[int, ...], tuple[Citation, ...]] = {}
    out = [
        _single(kind, anchor, h, cite)
        if (kind, anchor) not in more
        else _finding(kind, anchor, more[(kind, anchor)], cite, cites)
        for (kind, anchor), h in first.items()
    ]
    # Finding.sort_key's order as stable sorts on one key each, least significant
    # first: tens of thousands of findings sort faster without a key tuple each.
    out.sort(key=attrgetter("id"))
    out.sort(key=attrgetter("first_us"))
    out.sort(key=attrgetter("score"), reverse=True)
    out.sort(key=_rank, reverse=True)
    return out


def _rank(f: Finding) -> int:
    return SEVERITY_RANK[f.severity]


def _citation(rule: Rule, cite: dict[int, Citation]) -> Citation:
    """One Citation object per rule and run (findings share them)."""
    got = cite.get(id(rule))  # the rules live as long as the run: ids are stable
    if got is None:
        got = cite[id(rule)] = Citation(rule)
    return got


def _single(kind: str, anchor: str, h: Hit, cite: dict[int, Citation]) -> Finding:
    """The finding of an anchor only one rule hit."""
    return _new_finding(
        (
            finding_id(kind, anchor),
            kind,
            h.severity,
            h.score,
            h.records,
            h.first_at,
            h.organisation,
            (h.en,),
            (h.zh,),
            (_citation(h.rule, cite),),
            h.first_us,
        )
    )


def _finding(
    kind: str,
    anchor: str,
    hits: list[Hit],
    cite: dict[int, Citation],
    cites: dict[tuple[int, ...], tuple[Citation, ...]],
) -> Finding:
    """The finding of an anchor several rules hit."""
    # The worst verdict leads; sentences repeated word for word appear once. (The
    # fields are read with attrgetters and compared in C: tens of thousands of findings
    # merge hits.)
    hits.sort(key=_worst)
    lead = hits[0]
    n = len(hits)
    # Most anchors' hits name the same records from the same time: the lead's.
    first = lead if list(map(_first_us, hits)).count(lead.first_us) == n else None
    if first is None:
        first = min(hits, key=_first_us)
    records = lead.records
    if list(map(_records, hits)).count(records) != n:  # a group's hits can name others
        records = _time_order(hits)
    # The rules cited, each once, worst first: anchors alike share the tuple.
    rules = tuple(map(_rule, hits))
    key = tuple(map(id, rules))  # the rules live as long as the run: ids are stable
    citations = cites.get(key)
    if citations is None:
        citations = cites[key] = tuple({r.id: _citation(r, cite) for r in rules}.values())
    return _new_finding(
        (
            finding_id(kind, anchor),
            kind,
            lead.severity,
            max(map(_score, hits)),
            records,
            first.first_at,
            next(filter(None, map(_organisation, hits)), None),
            tuple(dict.fromkeys(map(_en, hits))),
            tuple(dict.fromkeys(map(_zh, hits))),
            citations,
            first.first_us,
        )
    )


def _new_finding(fields: tuple) -> Finding:
    """``Finding(*fields)`` without the named tuple's Python ``__new__`` (a check makes
    tens of thousands)."""
    return tuple.__new__(Finding, fields)


def _worst(h: Hit) -> tuple[int, float, str]:
    return (-SEVERITY_RANK[h.severity], -h.score, h.rule.id)


_first_us = attrgetter("first_us")
_records = attrgetter("records")
_score = attrgetter("score")
_organisation = attrgetter("organisation")
_en = attrgetter("en")
_zh = attrgetter("zh")
_rule = attrgetter("rule")


def _time_order(hits: list[Hit]) -> tuple[str, ...]:
    """The union of the hits' records; each hit's records are already in time order,
    and the hit that starts earliest leads."""
    out: dict[str, None] = {}
    for h in sorted(hits, key=_first_us):
        out.update(dict.fromkeys(h.records))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """Findings of one kind about one organisation: a heading in the report."""

    organisation: str | None
    kind: str
    severity: str  # the worst of its findings
    findings: tuple[Finding, ...]

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def records(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for f in self.findings for r in f.records))

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "kind": self.kind,
            "kind_label": t(f"rules.kind.{self.kind}", lang),
            "severity": self.severity,
            "count": self.count,
            "findings": [f.id for f in self.findings],
        }


def _kind_label(kind: str, lang: str, memo: dict[Any, Any]) -> str:
    got = memo.get(("kind", kind))
    if got is None:
        got = memo["kind", kind] = t(f"rules.kind.{kind}", lang)
    return got


def _citation_json(c: Citation, lang: str, memo: dict[Any, Any]) -> dict[str, Any]:
    """``c.to_json(lang)``, made once per citation and report (the same dict each time:
    JSON writers only read it). A report's citations live as long as it: ids are stable."""
    got = memo.get(id(c))
    if got is None:
        got = memo[id(c)] = c.to_json(lang)
    return got


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """Findings grouped by organisation and kind, worst group first (its worst finding,
    then how many), each group's findings worst first. What a report's summary shows;
    the dossier uses it too."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    names: dict[str, str | None] = {}
    for f in findings:
        key = (f.organisation or "").casefold()
        names.setdefault(key, f.organisation)
        groups.setdefault((key, f.kind), []).append(f)
    out = []
    for (key, kind), items in groups.items():
        items.sort(key=Finding.sort_key)
        out.append(FindingGroup(names[key], kind, items[0].severity, tuple(items)))
    out.sort(
        key=lambda g: (
            -SEVERITY_RANK[g.severity],
            -g.count,
            g.organisation is None,
            g.organisation or "",
            g.kind,
        )
    )
    return out
