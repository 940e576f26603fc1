"""What a rule reports: a possible problem, the records concerned, and its source."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True, slots=True)
class Flag:
    """One possible problem found by one rule.

    ``records`` are the ``record_id`` values (the stable id of a contact across its
    corrections) of the records concerned: one for most kinds, the whole group for
    frequency rules. Reasons exist in both languages so a dossier can show either.
    Nothing here is a legal conclusion: a flag marks a record for a human to review.
    """

    rule: str
    records: tuple[str, ...]
    reason_en: str
    reason_zh: str
    source: str
    severity: str  # "low" | "medium" | "high"
    kind: str
    score: float
    source_url: str = ""
    confidence: str = ""
    first_at: str = ""  # ISO time of the earliest record concerned, for display and sorting

    def reason(self, lang: str = "en") -> str:
        return self.reason_zh if lang == "zh" else self.reason_en

    def sort_key(self) -> tuple:
        """Worst first: severity, then score, then time and rule for a stable order."""
        return (-SEVERITY_RANK[self.severity], -self.score, self.first_at, self.rule, self.records)

    @staticmethod
    def sort_worst_first(flags: list[Flag]) -> None:
        """Sort ``flags`` in place into ``sort_key`` order, faster on large lists.

        Stable sorts from the least to the most significant key, each on C-level keys
        (no Python call per flag): the same order as ``flags.sort(key=Flag.sort_key)``.
        """
        flags.sort(key=_TIE_KEY)
        flags.sort(key=_SCORE, reverse=True)  # reverse=True keeps equal items in order
        buckets: dict[str, list[Flag]] = {"high": [], "medium": [], "low": []}
        for f in flags:
            buckets[f.severity].append(f)
        flags[:] = [*buckets["high"], *buckets["medium"], *buckets["low"]]

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        """The shape of ``check --json``; later features read it, so only ever add keys."""
        return {
            "rule": self.rule,
            "records": list(self.records),
            "reason": self.reason(lang),
            "source": self.source,
            "source_url": self.source_url,
            "confidence": self.confidence,
            "severity": self.severity,
            "kind": self.kind,
            "score": round(self.score, 3),
            "first_at": self.first_at,
            "possible": True,
        }


_TIE_KEY = attrgetter("first_at", "rule", "records")
_SCORE = attrgetter("score")
