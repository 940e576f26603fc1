"""Rule sets as data: loading and validating the TOML files.

A rule set is a TOML file (``rules/sets/*.toml`` shipped, or the user's own) with a
top-level ``jurisdiction``, ``name``, ``title_en``/``title_zh`` and an array of
``[[rules]]``. Each rule names its kind, its source (instrument and article, in the
original and in Chinese, URL, confidence, the date the source took effect) and the
kind's ``params`` (see ``schema.py``). Phrase rules name meaning groups of the shared
phrasebook; a file may add its own ``[groups.ID]``. Validation is strict (unknown keys
are errors) so that a typo never silently turns a rule off; every error names the
file, the rule and the field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence_locker.errors import FormatError, UsageError
from evidence_locker.rules.phrasebook import PhraseGroup, parse_groups, shipped_groups
from evidence_locker.rules.schema import KINDS, SEVERITIES, Ctx, day, parse_params, str_list, text

# V = read in the primary text, S = secondary sources, U = unverified; "V/U" means
# partly verified, partly not (say which part in the description).
CONFIDENCES = ("V", "S", "U", "V/S", "V/U", "S/U")

_ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,63}$")
# Params that name phrase groups (checked against the phrasebook and the file's own).
_GROUP_PARAMS = (
    "groups",
    "allowed_groups",
    "debt_groups",
    "account_groups",
    "payment_groups",
    "disclosure_groups",
)


# ", in force 2021-11-01", ", until 2025-12-31", ", 2026-01-30" at the end of a title.
_DATED_TAIL = re.compile(
    r"[,，]?\s*(?:(?:in force|effective)(?: from)?|from|since|until)?\s*\d{4}-\d{2}-\d{2}$"
)
# "（2025-02-28施行）", "（2012年修正文本，适用至2025-12-31）": a closing parenthesis whose
# content holds a date.
_DATED_PARENTHESIS = re.compile(r"\s*[(（][^()（）]*\d{4}-\d{2}-\d{2}[^()（）]*[)）]$")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a rule or reference comes from, in the original and in Chinese.

    ``instrument_zh`` keeps the instrument's original title inside the Chinese one
    (``英国《1970年司法行政法》Administration of Justice Act 1970``), so a lawyer can
    find the text whatever language the report is in.
    """

    instrument: str
    article: str
    url: str
    confidence: str
    instrument_zh: str = ""
    article_zh: str = ""

    def title(self, lang: str = "en") -> str:
        """The instrument without the date it carries: what a note names beside its own
        date ("... applies from 2026-01-30"). Only a trailing date (with "in force",
        "until"...) or a trailing parenthesis holding one is cut: article numbers such as
        ``1006.6(b)(1)(i)``, official titles such as ``（试行）`` and English glosses stay.
        """
        text = (self.instrument_zh or self.instrument) if lang == "zh" else self.instrument
        text = _DATED_TAIL.sub("", text.strip())
        m = _DATED_PARENTHESIS.search(text)
        if m is not None:
            text = text[: m.start()].rstrip(" ,，")
        return text

    def citation(self, lang: str = "en") -> str:
        """The short source line a finding carries: instrument and article."""
        if lang == "zh":
            inst = self.instrument_zh or self.instrument
            art = self.article_zh or self.article
        else:
            inst, art = self.instrument, self.article
        sep = "，" if lang == "zh" else ", "
        return f"{inst}{sep}{art}" if art else inst


class _Cited:
    """What a rule and a reference share: a source, cited the same way, and words."""

    __slots__ = ()
    source: Source
    description_en: str
    description_zh: str

    @property
    def confidence(self) -> str:
        return self.source.confidence

    @property
    def source_url(self) -> str:
        return self.source.url

    def citation(self, lang: str = "en") -> str:
        return self.source.citation(lang)

    def description(self, lang: str = "en") -> str:
        return self.description_zh if lang == "zh" else self.description_en


@dataclass(frozen=True, slots=True)
class Rule(_Cited):
    """One rule: what to look for and which public text it comes from.

    ``in_force_from``/``in_force_until`` bound the contacts the rule judges: a contact
    made before its source took effect is not judged by it (the report says so).
    ``groups`` holds the phrase groups its params name, resolved at load time.
    """

    id: str
    kind: str
    source: Source
    description_en: str
    description_zh: str
    severity: str
    params: Mapping[str, Any] = field(default_factory=dict)
    see_also: tuple[str, ...] = ()
    jurisdiction: str = ""
    in_force_from: date | None = None
    in_force_until: date | None = None
    groups: Mapping[str, PhraseGroup] = field(default_factory=dict)

    @property
    def instrument(self) -> str:
        return self.source.instrument

    @property
    def article(self) -> str:
        return self.source.article

    @property
    def unverified(self) -> bool:
        """True when the facts behind the rule were not read in a primary text."""
        return "U" in self.confidence


@dataclass(frozen=True, slots=True)
class Reference(_Cited):
    """A source the rules cite as related (``see_also``) without checking it on its own.

    Kept as data so docs/rules.md lists it with its confidence, instead of a rule that
    would flag the same records a second time under a weaker or narrower source.
    """

    id: str
    source: Source
    description_en: str
    description_zh: str


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A named collection of rules for one jurisdiction, loaded from one file."""

    name: str
    jurisdiction: str
    title_en: str
    title_zh: str
    rules: tuple[Rule, ...]
    file: str = ""
    default_timezone: str | None = None
    references: tuple[Reference, ...] = ()

    def title(self, lang: str = "en") -> str:
        return self.title_zh if lang == "zh" else self.title_en


_SOURCE_KEYS = {
    "id",
    "instrument",
    "instrument_zh",
    "article",
    "article_zh",
    "description_en",
    "description_zh",
    "source_url",
    "confidence",
}
_RULE_KEYS = _SOURCE_KEYS | {
    "kind",
    "severity",
    "params",
    "see_also",
    "in_force_from",
    "in_force_until",
}
_SET_KEYS = {
    "jurisdiction",
    "name",
    "title_en",
    "title_zh",
    "default_timezone",
    "rules",
    "references",
    "groups",
}


def _source(ctx: Ctx, raw: dict[str, Any]) -> Source:
    """The fields every rule and reference has, checked."""
    for key in ("instrument", "description_en", "description_zh", "source_url"):
        if key not in raw:
            raise ctx.fail(key, "missing")
        text(ctx, key, raw[key])
    if not re.match(r"^https?://\S+$", raw["source_url"]):
        raise ctx.fail("source_url", "expected an http(s) URL")
    confidence = raw.get("confidence")
    if confidence not in CONFIDENCES:
        raise ctx.fail("confidence", f"expected one of {list(CONFIDENCES)}")
    return Source(
        instrument=raw["instrument"],
        article=text(ctx, "article", raw.get("article", ""), allow_empty=True),
        url=raw["source_url"],
        confidence=confidence,
        instrument_zh=text(ctx, "instrument_zh", raw.get("instrument_zh", ""), allow_empty=True),
        article_zh=text(ctx, "article_zh", raw.get("article_zh", ""), allow_empty=True),
    )


def _table_with_id(
    ctx: Ctx, where: str, raw: Any, allowed: Iterable[str], example: str
) -> tuple[dict[str, Any], str]:
    """A rule or reference table's id and known keys checked; errors name it from now on."""
    ctx.rule = where
    if not isinstance(raw, dict):
        raise ctx.fail("-", "expected a table")
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID_RE.match(rid):
        raise ctx.fail("id", f"expected an id of capitals, digits and '-' (e.g. {example})")
    ctx.rule = rid
    for key in raw:
        if key not in allowed:
            raise ctx.fail(key, "unknown field")
    return raw, rid


def _parse_reference(ctx: Ctx, index: int, raw: Any) -> Reference:
    raw, rid = _table_with_id(ctx, f"references[{index}]", raw, _SOURCE_KEYS, "CN-CRIM-293")
    return Reference(
        id=rid,
        source=_source(ctx, raw),
        description_en=raw["description_en"],
        description_zh=raw["description_zh"],
    )


def _parse_rule(
    ctx: Ctx, index: int, raw: Any, jurisdiction: str, groups: Mapping[str, PhraseGroup]
) -> Rule:
    raw, rid = _table_with_id(ctx, f"rules[{index}]", raw, _RULE_KEYS, "CN-CBA-TIME")
    if "kind" not in raw:
        raise ctx.fail("kind", "missing")
    kind = raw["kind"]
    if kind not in KINDS:
        raise ctx.fail("kind", f"unknown kind; expected one of {list(KINDS)}")
    source = _source(ctx, raw)
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise ctx.fail("severity", f"expected one of {list(SEVERITIES)}")
    see_also = str_list(ctx, "see_also", raw["see_also"]) if "see_also" in raw else ()
    params = parse_params(ctx, kind, raw.get("params", {}))
    used: dict[str, PhraseGroup] = {}
    for name in _GROUP_PARAMS:
        for gid in params.get(name, ()):
            if gid not in groups:
                raise ctx.fail(f"params.{name}", f"unknown phrase group {gid!r}")
            used[gid] = groups[gid]
    start = day(ctx, "in_force_from", raw["in_force_from"]) if "in_force_from" in raw else None
    until = day(ctx, "in_force_until", raw["in_force_until"]) if "in_force_until" in raw else None
    if start and until and until < start:
        raise ctx.fail("in_force_until", "earlier than in_force_from")
    return Rule(
        id=rid,
        kind=kind,
        source=source,
        description_en=raw["description_en"],
        description_zh=raw["description_zh"],
        severity=severity,
        params=params,
        see_also=see_also,
        jurisdiction=jurisdiction,
        in_force_from=start,
        in_force_until=until,
        groups=used,
    )


def parse_rule_set(source_text: str, file: str) -> RuleSet:
    """Parse and validate rule-set TOML ``source_text``; ``file`` is the name errors carry."""
    ctx = Ctx(file)
    try:
        data = tomllib.loads(source_text)
    except tomllib.TOMLDecodeError as exc:
        raise ctx.fail("-", f"not valid TOML: {exc}") from None
    for key in data:
        if key not in _SET_KEYS:
            raise ctx.fail(key, "unknown top-level field")
    for key in ("jurisdiction", "name", "title_en", "title_zh"):
        if key not in data:
            raise ctx.fail(key, "missing")
        text(ctx, key, data[key])
    tz = data.get("default_timezone")
    if tz is not None:
        try:
            ZoneInfo(text(ctx, "default_timezone", tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise ctx.fail("default_timezone", f"unknown IANA timezone {tz!r}") from None
    groups = dict(shipped_groups())
    own = parse_groups(ctx, data["groups"]) if "groups" in data else {}
    for gid in own:
        if gid in groups:
            ctx.rule = f"groups.{gid}"
            raise ctx.fail("-", "a shipped phrase group has this id; choose another")
    groups.update(own)
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ctx.fail("rules", "expected at least one [[rules]] table")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        rule = _parse_rule(ctx, i, raw, data["jurisdiction"], groups)
        if rule.id in seen:
            raise ctx.fail("id", "duplicate rule id")
        seen.add(rule.id)
        rules.append(rule)
    raw_refs = data.get("references", [])
    if not isinstance(raw_refs, list):
        raise ctx.fail("references", "expected [[references]] tables")
    refs: list[Reference] = []
    for i, raw in enumerate(raw_refs):
        ref = _parse_reference(ctx, i, raw)
        if ref.id in seen:
            raise ctx.fail("id", "duplicate id")
        seen.add(ref.id)
        refs.append(ref)
    for rule in rules:
        ctx.rule = rule.id
        for other in rule.see_also:
            if other not in seen:
                raise ctx.fail(
                    "see_also", f"{other} is neither a rule nor a reference in this file"
                )
    return RuleSet(
        name=data["name"],
        jurisdiction=data["jurisdiction"],
        title_en=data["title_en"],
        title_zh=data["title_zh"],
        rules=tuple(rules),
        file=file,
        default_timezone=tz,
        references=tuple(refs),
    )


def load_rule_file(path: str | Path) -> RuleSet:
    """Load a user's rule-set file; any problem is a ``FormatError`` naming the file."""
    p = Path(path)
    try:
        content = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError("rules.no_file", file=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(
            "rules.bad_field", file=str(p), rule="-", field="-", detail=str(exc)
        ) from None
    return parse_rule_set(content, str(p))


def shipped_names() -> tuple[str, ...]:
    """Names of the rule sets shipped in the package (``cn``, ``uk``, ``us``)."""
    folder = resources.files("evidence_locker.rules") / "sets"
    return tuple(sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".toml")))


@cache
def shipped_rule_set(name: str) -> RuleSet:
    """A shipped rule set by name; cached because the files never change at run time."""
    if name not in shipped_names():
        raise UsageError("rules.unknown_set", name=name, choices=", ".join(shipped_names()))
    entry = resources.files("evidence_locker.rules") / "sets" / f"{name}.toml"
    return parse_rule_set(entry.read_text(encoding="utf-8"), f"{name}.toml")


def shipped_rule_sets() -> tuple[RuleSet, ...]:
    return tuple(shipped_rule_set(n) for n in shipped_names())


def resolve_rule_sets(names: Iterable[str] = (), files: Iterable[str | Path] = ()) -> list[RuleSet]:
    """What ``check --rules cn --rules-file mine.toml`` means: shipped sets plus files."""
    out = [shipped_rule_set(n.lower()) for n in names]
    out.extend(load_rule_file(f) for f in files)
    return out
