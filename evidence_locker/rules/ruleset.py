"""Rule sets as data: loading and validating the TOML files.

A rule set is a TOML file (``rules/sets/*.toml`` shipped, or the user's own) with a
top-level ``jurisdiction``, ``name``, ``title_en``/``title_zh`` and an array of
``[[rules]]``. Each rule names its kind, its source (instrument, article, URL,
confidence) and the kind's ``params``. Validation is strict (unknown keys are errors)
so that a typo in a threshold never silently turns a rule off; every error names the
file, the rule and the field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence_locker.errors import FormatError, UsageError
from evidence_locker.model import Channel, Direction, Event, Outcome

SEVERITIES = ("low", "medium", "high")
# V = read in the primary text, S = secondary sources, U = unverified; "V/U" means
# partly verified, partly not (say which part in the description).
CONFIDENCES = ("V", "S", "U", "V/S", "V/U", "S/U")
KINDS = ("quiet_hours", "frequency", "after_event", "third_party", "phrases", "scam_signs")

# Outcome shorthands usable in ``outcomes`` lists. "unknown" stands for a record whose
# outcome was not logged: a hand-typed call usually has none, and it still was an attempt.
_UNANSWERED = ("missed", "voicemail", "rejected", "blocked")
OUTCOME_GROUPS: dict[str, tuple[str, ...]] = {
    "connected": ("connected",),
    "unanswered": _UNANSWERED,
    "attempted": ("connected", *_UNANSWERED, "unknown"),
    "any": (*(o.value for o in Outcome), "unknown"),
}
_OUTCOME_TOKENS = {o.value for o in Outcome} | set(OUTCOME_GROUPS) | {"unknown"}

_ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,63}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")

SCAM_CHECKS = ("unofficial_sender", "links", "short_links", "personal_account")


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: what to look for and which public text it comes from."""

    id: str
    kind: str
    instrument: str
    article: str
    description_en: str
    description_zh: str
    source_url: str
    confidence: str
    severity: str
    params: Mapping[str, Any] = field(default_factory=dict)
    see_also: tuple[str, ...] = ()
    jurisdiction: str = ""

    @property
    def citation(self) -> str:
        """The short source line a flag carries: instrument and article."""
        return f"{self.instrument}, {self.article}" if self.article else self.instrument

    @property
    def unverified(self) -> bool:
        """True when the facts behind the rule were not read in a primary text."""
        return "U" in self.confidence


@dataclass(frozen=True, slots=True)
class Reference:
    """A source the rules cite as related (``see_also``) without checking it on its own.

    Kept as data so docs/rules.md lists it with its confidence, instead of a rule that
    would flag the same records a second time under a weaker or narrower source.
    """

    id: str
    instrument: str
    article: str
    description_en: str
    description_zh: str
    source_url: str
    confidence: str

    @property
    def citation(self) -> str:
        return f"{self.instrument}, {self.article}" if self.article else self.instrument


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


# --- validation helpers -------------------------------------------------------------


class _Ctx:
    """Where we are in the file, so every error can name file, rule and field."""

    def __init__(self, file: str, rule: str = "-") -> None:
        self.file = file
        self.rule = rule

    def fail(self, fld: str, detail: str) -> FormatError:
        return FormatError(
            "rules.bad_field", file=self.file, rule=self.rule, field=fld, detail=detail
        )


def _str(ctx: _Ctx, fld: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ctx.fail(fld, "expected a non-empty string")
    return value


def _int(ctx: _Ctx, fld: str, value: Any, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ctx.fail(fld, f"expected an integer >= {minimum}")
    return value


def _bool(ctx: _Ctx, fld: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ctx.fail(fld, "expected true or false")
    return value


def _str_list(ctx: _Ctx, fld: str, value: Any, allowed: Iterable[str] | None = None) -> tuple:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ctx.fail(fld, "expected a non-empty list of strings")
    if allowed is not None:
        allowed_set = set(allowed)
        for v in value:
            if v not in allowed_set:
                raise ctx.fail(fld, f"unknown value {v!r}; expected one of {sorted(allowed_set)}")
    return tuple(value)


def _time(ctx: _Ctx, fld: str, value: Any) -> time:
    m = _TIME_RE.match(value) if isinstance(value, str) else None
    if not m:
        raise ctx.fail(fld, "expected a time HH:MM or HH:MM:SS")
    return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def _weights(ctx: _Ctx, fld: str, value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or not value:
        raise ctx.fail(fld, "expected a non-empty table of phrase = weight")
    out: dict[str, float] = {}
    for phrase, weight in value.items():
        if not phrase.strip():
            raise ctx.fail(fld, "empty phrase")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise ctx.fail(f"{fld}.{phrase}", "expected a positive number")
        out[phrase] = float(weight)
    return out


def _thresholds(ctx: _Ctx, fld: str, value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or set(value) != set(SEVERITIES):
        raise ctx.fail(fld, "expected a table with low, medium and high")
    out = {}
    for k in SEVERITIES:
        v = value[k]
        if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
            raise ctx.fail(f"{fld}.{k}", "expected a positive number")
        out[k] = float(v)
    if not out["low"] <= out["medium"] <= out["high"]:
        raise ctx.fail(fld, "expected low <= medium <= high")
    return out


_CHANNELS = [c.value for c in Channel]
_DIRECTIONS = [d.value for d in Direction]
_EVENTS = [e.value for e in Event]
_CONTACT_CHANNELS = ("call", "sms", "visit", "message", "email", "letter", "other")
_COLLECTOR = ("incoming", "in_person")


def _outcomes(ctx: _Ctx, fld: str, value: Any) -> frozenset[str]:
    tokens = _str_list(ctx, fld, value, _OUTCOME_TOKENS)
    out: set[str] = set()
    for tok in tokens:
        out.update(OUTCOME_GROUPS.get(tok, (tok,)))
    return frozenset(out)


# Each kind: param name -> (parser, default). A default of ``_REQUIRED`` means required.
_REQUIRED = object()
_Parser = Callable[[_Ctx, str, Any], Any]


def _chan(c: _Ctx, f: str, v: Any) -> frozenset[str]:
    return frozenset(_str_list(c, f, v, _CHANNELS))


def _dirs(c: _Ctx, f: str, v: Any) -> frozenset[str]:
    return frozenset(_str_list(c, f, v, _DIRECTIONS))


def _choice(*choices: str) -> _Parser:
    def parse(c: _Ctx, f: str, v: Any) -> str:
        if v not in choices:
            raise c.fail(f, f"expected one of {list(choices)}")
        return v

    return parse


def _label(c: _Ctx, f: str, v: Any) -> str:
    return _str(c, f, v)


_COMMON: dict[str, tuple[_Parser, Any]] = {
    "channels": (_chan, frozenset(_CONTACT_CHANNELS)),
    "directions": (_dirs, frozenset(_COLLECTOR)),
}

_SCHEMAS: dict[str, dict[str, tuple[_Parser, Any]]] = {
    "quiet_hours": {
        **_COMMON,
        "start": (_time, _REQUIRED),
        "end": (_time, _REQUIRED),
        "start_inclusive": (_bool, True),
        "outcomes": (_outcomes, frozenset(OUTCOME_GROUPS["any"])),
    },
    "frequency": {
        **_COMMON,
        "channels": (_chan, frozenset({"call"})),
        "mode": (_choice("count", "after_conversation"), "count"),
        "outcomes": (_outcomes, frozenset(OUTCOME_GROUPS["attempted"])),
        "per": (_choice("address", "organisation", "debtor"), "organisation"),
        "period": (_choice("day", "rolling"), "day"),
        "window_days": (lambda c, f, v: _int(c, f, v, minimum=1), 1),
        "max": (lambda c, f, v: _int(c, f, v, minimum=0), None),
        "conversation_outcomes": (_outcomes, frozenset({"connected"})),
        "label_en": (_label, "contact"),
        "label_zh": (_label, "联系"),
    },
    "after_event": {
        **_COMMON,
        "events": (lambda c, f, v: frozenset(_str_list(c, f, v, _EVENTS)), _REQUIRED),
        "grace_days": (lambda c, f, v: _int(c, f, v, minimum=0), 0),
    },
    "third_party": {
        "channels": (_chan, frozenset(_CHANNELS)),
        "directions": (_dirs, frozenset(_DIRECTIONS)),
    },
    "phrases": {
        **_COMMON,
        "channels": (_chan, frozenset(_CHANNELS)),
        "category_en": (_label, _REQUIRED),
        "category_zh": (_label, _REQUIRED),
        "phrases": (_weights, _REQUIRED),
        "fields": (
            lambda c, f, v: _str_list(c, f, v, ("subject", "content", "notes")),
            ("subject", "content"),
        ),
        "thresholds": (_thresholds, {"low": 1.0, "medium": 2.0, "high": 3.0}),
    },
    "scam_signs": {
        **_COMMON,
        "channels": (_chan, frozenset({"sms", "message", "email", "call"})),
        "directions": (_dirs, frozenset({"incoming"})),
        "checks": (
            lambda c, f, v: frozenset(_str_list(c, f, v, SCAM_CHECKS)),
            frozenset(SCAM_CHECKS),
        ),
        "short_domains": (lambda c, f, v: tuple(s.lower() for s in _str_list(c, f, v)), ()),
        "personal_account_phrases": (lambda c, f, v: _str_list(c, f, v), ()),
    },
}

_RULE_KEYS = {
    "id",
    "kind",
    "instrument",
    "article",
    "description_en",
    "description_zh",
    "source_url",
    "confidence",
    "severity",
    "params",
    "see_also",
}
_SET_KEYS = {
    "jurisdiction",
    "name",
    "title_en",
    "title_zh",
    "default_timezone",
    "rules",
    "references",
}
_REF_KEYS = {
    "id",
    "instrument",
    "article",
    "description_en",
    "description_zh",
    "source_url",
    "confidence",
}


def _parse_params(ctx: _Ctx, kind: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ctx.fail("params", "expected a table")
    schema = _SCHEMAS[kind]
    for key in raw:
        if key not in schema:
            raise ctx.fail(f"params.{key}", f"unknown parameter for kind {kind}")
    out: dict[str, Any] = {}
    for key, (parser, default) in schema.items():
        if key in raw:
            out[key] = parser(ctx, f"params.{key}", raw[key])
        elif default is _REQUIRED:
            raise ctx.fail(f"params.{key}", "missing")
        else:
            out[key] = default
    if kind == "frequency":
        if out["mode"] == "count" and out["max"] is None:
            raise ctx.fail("params.max", "missing (required when mode = count)")
        if out["mode"] == "after_conversation" and "window_days" not in raw:
            raise ctx.fail("params.window_days", "missing (required for after_conversation)")
        if out["mode"] == "count" and out["period"] == "rolling" and "window_days" not in raw:
            raise ctx.fail("params.window_days", "missing (required for period = rolling)")
    needs_phrases = kind == "scam_signs" and "personal_account" in out["checks"]
    if needs_phrases and not out["personal_account_phrases"]:
        raise ctx.fail("params.personal_account_phrases", "missing (check personal_account)")
    return out


def _source_fields(ctx: _Ctx, raw: dict[str, Any]) -> tuple[str, str]:
    """Check the fields every rule and reference has; return (article, confidence)."""
    for key in ("instrument", "description_en", "description_zh", "source_url"):
        if key not in raw:
            raise ctx.fail(key, "missing")
        _str(ctx, key, raw[key])
    article = _str(ctx, "article", raw.get("article", ""), allow_empty=True)
    if not re.match(r"^https?://\S+$", raw["source_url"]):
        raise ctx.fail("source_url", "expected an http(s) URL")
    confidence = raw.get("confidence")
    if confidence not in CONFIDENCES:
        raise ctx.fail("confidence", f"expected one of {list(CONFIDENCES)}")
    return article, confidence


def _table_with_id(
    ctx: _Ctx, where: str, raw: Any, allowed: Iterable[str], example: str
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


def _parse_reference(ctx: _Ctx, index: int, raw: Any) -> Reference:
    raw, rid = _table_with_id(ctx, f"references[{index}]", raw, _REF_KEYS, "CN-CRIM-293")
    article, confidence = _source_fields(ctx, raw)
    return Reference(
        id=rid,
        instrument=raw["instrument"],
        article=article,
        description_en=raw["description_en"],
        description_zh=raw["description_zh"],
        source_url=raw["source_url"],
        confidence=confidence,
    )


def _parse_rule(ctx: _Ctx, index: int, raw: Any, jurisdiction: str) -> Rule:
    raw, rid = _table_with_id(ctx, f"rules[{index}]", raw, _RULE_KEYS, "CN-CBA-TIME")
    if "kind" not in raw:
        raise ctx.fail("kind", "missing")
    kind = raw["kind"]
    if kind not in KINDS:
        raise ctx.fail("kind", f"unknown kind; expected one of {list(KINDS)}")
    article, confidence = _source_fields(ctx, raw)
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise ctx.fail("severity", f"expected one of {list(SEVERITIES)}")
    see_also = _str_list(ctx, "see_also", raw["see_also"]) if "see_also" in raw else ()
    params = _parse_params(ctx, kind, raw.get("params", {}))
    return Rule(
        id=rid,
        kind=kind,
        instrument=raw["instrument"],
        article=article,
        description_en=raw["description_en"],
        description_zh=raw["description_zh"],
        source_url=raw["source_url"],
        confidence=confidence,
        severity=severity,
        params=params,
        see_also=see_also,
        jurisdiction=jurisdiction,
    )


def parse_rule_set(text: str, file: str) -> RuleSet:
    """Parse and validate rule-set TOML ``text``; ``file`` is the name errors carry."""
    ctx = _Ctx(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ctx.fail("-", f"not valid TOML: {exc}") from None
    for key in data:
        if key not in _SET_KEYS:
            raise ctx.fail(key, "unknown top-level field")
    for key in ("jurisdiction", "name", "title_en", "title_zh"):
        if key not in data:
            raise ctx.fail(key, "missing")
        _str(ctx, key, data[key])
    tz = data.get("default_timezone")
    if tz is not None:
        try:
            ZoneInfo(_str(ctx, "default_timezone", tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise ctx.fail("default_timezone", f"unknown IANA timezone {tz!r}") from None
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ctx.fail("rules", "expected at least one [[rules]] table")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        rule = _parse_rule(ctx, i, raw, data["jurisdiction"])
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
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError("rules.no_file", file=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(
            "rules.bad_field", file=str(p), rule="-", field="-", detail=str(exc)
        ) from None
    return parse_rule_set(text, str(p))


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


def default_rule_set_name(lang: str | None = None, tz: str | None = None) -> str:
    """The set a bare ``check`` uses: from the timezone if it says where, else the language."""
    if tz:
        if tz.startswith("America/") or tz.startswith("US/") or tz == "Pacific/Honolulu":
            return "us"
        if tz in ("Europe/London", "Europe/Belfast", "GB"):
            return "uk"
        if tz in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Urumqi", "PRC", "Asia/Harbin"):
            return "cn"
    return "cn" if lang == "zh" else "us"
