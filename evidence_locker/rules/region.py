"""Which law to read the records against: chosen by the user, or from the records.

The interface language says nothing about where the collector works: a Chinese
speaker in New York is collected from under US law, an English speaker in Shanghai
under Chinese rules. So a check uses, in order, the sets given for the run, the sets
the user set for the locker (``evidence-locker config rules cn``), and otherwise the
region the records themselves point to (phone numbers' country codes, the offsets the
records were logged with, Chinese text). When the law chosen and the records' region
disagree, the report says so instead of quietly applying US law to a Chinese
borrower's records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from evidence_locker.locale.messages import t
from evidence_locker.model import Record
from evidence_locker.rules.context import Note
from evidence_locker.rules.ruleset import RuleSet, resolve_rule_sets

# Region -> the shipped rule set for it.
SET_OF_REGION = {"CN": "cn", "US": "us", "UK": "uk"}
_CALLING_CODES = (("+86", "CN"), ("+44", "UK"), ("+1", "US"))
# +00:00 is not here: it is what a computer whose clock is UTC writes (a server, a
# container), as well as a London winter; see records_region.
_OFFSETS = {8 * 60: "CN", 60: "UK", **{-m * 60: "US" for m in range(4, 11)}}
_SAMPLE = 2000  # records enough to see a region; a 100k locker is not scanned whole


def region_name(region: str | None, lang: str = "en") -> str:
    """ "China" / "中国" for "CN": a reader is told the country, not its code."""
    return t(f"rules.region.name.{region}", lang) if region in SET_OF_REGION else region or ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What points to a region in the records: counts per signal and region."""

    region: str | None
    signals: dict[str, Counter[str]] = field(default_factory=dict)

    def describe(self, lang: str = "en") -> str:
        parts = []
        for signal, counts in self.signals.items():
            n = counts.get(self.region or "", 0)
            if n:
                name = region_name(self.region, lang)
                parts.append(t(f"rules.region.{signal}", lang, n=n, region=name))
        return ("，" if lang == "zh" else ", ").join(parts)


def records_region(records: Sequence[Record]) -> Evidence:
    """The region most signals in the records point to (None: no signal at all).

    Records logged at +00:00 count for the United Kingdom only when nothing else points
    anywhere: on a computer whose clock is UTC, a Chinese borrower's records carry it too.
    """
    step = max(1, len(records) // _SAMPLE)
    phones: Counter[str] = Counter()
    offsets: Counter[str] = Counter()
    chinese: Counter[str] = Counter()
    at_utc = 0
    for rec in records[::step]:
        addr = rec.address or ""
        for code, region in _CALLING_CODES:
            if addr.startswith(code):
                phones[region] += 1
                break
        off = rec.occurred_at.utcoffset()
        if off is not None:
            minutes = int(off.total_seconds() // 60)
            region = _OFFSETS.get(minutes)
            if region:
                offsets[region] += 1
            elif minutes == 0:
                at_utc += 1
        text = rec.content or rec.subject or ""
        if any("\u4e00" <= ch <= "\u9fff" for ch in text[:200]):
            chinese["CN"] += 1
    if at_utc and not (phones or offsets or chinese):
        offsets["UK"] = at_utc
    total: Counter[str] = phones + offsets + chinese
    region = total.most_common(1)[0][0] if total else None
    return Evidence(region, {"phones": phones, "offsets": offsets, "chinese": chinese})


@dataclass(frozen=True, slots=True)
class RuleSetChoice:
    """The rule sets of a check and why they were chosen."""

    sets: tuple[RuleSet, ...]
    source: str  # "option" | "locker" | "records" | "fallback"
    evidence: Evidence | None = None

    def describe(self, lang: str = "en") -> str:
        names = ", ".join(rs.name for rs in self.sets)
        why = self.evidence.describe(lang) if self.evidence is not None else ""
        return t(f"rules.choice.{self.source}", lang, sets=names, why=why)


def choose_rule_sets(
    records: Sequence[Record],
    *,
    names: Iterable[str] = (),
    files: Iterable[str] = (),
    setting: str | None = None,
    fallback: str = "cn",
) -> RuleSetChoice:
    """The rule sets for a check (see the module docstring). ``fallback`` is used only
    when nothing was chosen and the records point nowhere (an empty locker)."""
    names, files = list(names), list(files)
    if names or files:
        return RuleSetChoice(tuple(resolve_rule_sets(names, files)), "option")
    if setting:
        chosen = [n.strip() for n in setting.split(",") if n.strip()]
        return RuleSetChoice(tuple(resolve_rule_sets(chosen)), "locker")
    evidence = records_region(records)
    if evidence.region is None:
        return RuleSetChoice(tuple(resolve_rule_sets([fallback])), "fallback")
    name = SET_OF_REGION[evidence.region]
    return RuleSetChoice(tuple(resolve_rule_sets([name])), "records", evidence)


def mismatch(choice: RuleSetChoice, records: Sequence[Record]) -> Evidence | None:
    """What points the records to a region none of the chosen sets is for (None: the
    sets fit, or the records point nowhere)."""
    evidence = choice.evidence or records_region(records)
    region = evidence.region
    if region is None or any(rs.jurisdiction.upper() == region for rs in choice.sets):
        return None
    return evidence


def mismatch_text(key: str, choice: RuleSetChoice, evidence: Evidence, lang: str) -> str:
    """Message ``key`` (the check's note, the dossier's warning) for a mismatch."""
    region = evidence.region
    assert region is not None  # a mismatch always has its region
    return t(
        key,
        lang,
        sets=", ".join(rs.name for rs in choice.sets),
        region=region_name(region, lang),
        why=evidence.describe(lang),
        set=SET_OF_REGION[region],
    )


def mismatch_note(choice: RuleSetChoice, evidence: Evidence) -> Note:
    """The check's warning that the rule sets are not the law of the records' region."""
    key = "rules.note.region_mismatch"
    en, zh = (mismatch_text(key, choice, evidence, lang) for lang in ("en", "zh"))
    return Note("region_mismatch", en, zh)
