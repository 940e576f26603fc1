"""The rules' findings, read through the one narrow door the letters use.

``Locker.check`` answers with the rule engine's own objects (a list of flags today, a
report of findings once the rules rework lands). Letters need little of them: which
records, which kind of problem, how bad, and which public texts say so. This module
reads exactly that, so a change in the engine's shape is one change here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True, slots=True)
class Citation:
    """A public text behind a finding, as the rule set names it."""

    rule: str
    text: str
    url: str
    confidence: str
    instrument: str = ""  # the text cited (a statute, a guideline), when the rule says
    article: str = ""  # the part of it, when the rule says
    in_language: bool = True  # False: ``article`` is the English name (no Chinese one)


@dataclass(frozen=True, slots=True)
class Found:
    """One finding: a kind of problem, the records (record ids) and its sources."""

    kind: str
    records: tuple[str, ...]
    severity: str
    citations: tuple[Citation, ...]


def read_findings(result: Any, rule_sets: Sequence[Any], lang: str) -> list[Found]:
    """``Locker.check``'s answer as :class:`Found`, worst first."""
    items = getattr(result, "findings", result)
    rules = {r.id: r for rs in rule_sets for r in rs.rules}
    out = [_found(item, rules, lang) for item in items]
    out.sort(key=lambda f: -SEVERITY_RANK.get(f.severity, 0))
    return out


def _found(item: Any, rules: dict[str, Any], lang: str) -> Found:
    citations = getattr(item, "citations", None)
    if citations is not None:  # a finding citing every rule that made it
        cited = tuple(_citation(c.rule, lang) for c in citations)
    else:  # a flag: one rule
        rule = rules.get(item.rule)
        cited = (
            (_citation(rule, lang),)
            if rule is not None
            else (Citation(item.rule, item.source, item.source_url, item.confidence),)
        )
    return Found(item.kind, tuple(item.records), item.severity, cited)


def _citation(rule: Any, lang: str) -> Citation:
    text = rule.citation(lang) if callable(rule.citation) else rule.citation
    instrument = _field(rule, "instrument", lang) or _field(rule, "instrument", "")
    article = _field(rule, "article", lang)
    in_language = lang == "en" or bool(article)
    article = article or _field(rule, "article", "")
    return Citation(
        rule.id, text, rule.source_url, rule.confidence, instrument, article, in_language
    )


def _field(rule: Any, name: str, lang: str) -> str:
    """A rule's ``instrument`` or ``article`` in ``lang`` (``article_zh``; "" for the
    text as written), on the rule or on its ``source``; "" when it has none."""
    key = f"{name}_{lang}" if lang and lang != "en" else name
    for holder in (rule, getattr(rule, "source", None)):
        value = getattr(holder, key, None) if holder is not None else None
        if value:
            return str(value)
    return ""


def rule_params(rule_sets: Sequence[Any], rule_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The parameters of the named rules (a window's hours, a limit), in that order."""
    rules = {r.id: r for rs in rule_sets for r in rs.rules}
    return [dict(rules[i].params) for i in rule_ids if i in rules]
