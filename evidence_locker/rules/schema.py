"""What each rule kind's ``params`` may hold, and the strict checks a value goes through.

Unknown keys are errors, so a typo in a threshold never silently turns a rule off;
every error names the file, the rule and the field (``_Ctx.fail``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, time
from typing import Any

from evidence_locker.errors import FormatError
from evidence_locker.model import Channel, Direction, Event, Outcome

SEVERITIES = ("low", "medium", "high")
KINDS = (
    "quiet_hours",
    "frequency",
    "after_event",
    "third_party",
    "phrases",
    "announced_visit",
    "scam_signs",
    "disclosure",
)
# Kinds judged by the phrase engine (kinds/phrases.py). An announced visit is read like
# threatening words but is not one: its findings are a kind of their own, so a report
# does not list "明天上门" under threatening or abusive words.
PHRASE_KINDS = frozenset({"phrases", "announced_visit"})

# Outcome shorthands usable in ``outcomes`` lists. "unknown" stands for a record whose
# outcome was not logged and whose duration says nothing (a call with a duration was
# answered: the engine reads it as "connected").
_UNANSWERED = ("missed", "voicemail", "rejected", "blocked")
OUTCOME_GROUPS: dict[str, tuple[str, ...]] = {
    "connected": ("connected",),
    "unanswered": _UNANSWERED,
    "attempted": ("connected", *_UNANSWERED, "unknown"),
    "any": (*(o.value for o in Outcome), "unknown"),
}
_OUTCOME_TOKENS = {o.value for o in Outcome} | set(OUTCOME_GROUPS) | {"unknown"}

SCAM_CHECKS = (
    "unofficial_sender",
    "links",
    "short_links",
    "lookalike_link",
    "personal_account",
    "personal_payee",
    "unusual_payment",
)
# How a frequency or after-event rule decides whose contacts belong together.
PER = ("address", "organisation", "institution", "debt", "debtor")

_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
_CHANNELS = [c.value for c in Channel]
_DIRECTIONS = [d.value for d in Direction]
_EVENTS = [e.value for e in Event]
_CONTACT_CHANNELS = ("call", "sms", "visit", "message", "email", "letter", "other")
_COLLECTOR = ("incoming", "in_person")


class Ctx:
    """Where we are in the file, so every error can name file, rule and field."""

    def __init__(self, file: str, rule: str = "-") -> None:
        self.file = file
        self.rule = rule

    def fail(self, fld: str, detail: str) -> FormatError:
        return FormatError(
            "rules.bad_field", file=self.file, rule=self.rule, field=fld, detail=detail
        )


def text(ctx: Ctx, fld: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ctx.fail(fld, "expected a non-empty string")
    return value


def _int(ctx: Ctx, fld: str, value: Any, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ctx.fail(fld, f"expected an integer >= {minimum}")
    return value


def _number(ctx: Ctx, fld: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ctx.fail(fld, "expected a positive number")
    return float(value)


def _bool(ctx: Ctx, fld: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ctx.fail(fld, "expected true or false")
    return value


def str_list(ctx: Ctx, fld: str, value: Any, allowed: Iterable[str] | None = None) -> tuple:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ctx.fail(fld, "expected a non-empty list of strings")
    if allowed is not None:
        allowed_set = set(allowed)
        for v in value:
            if v not in allowed_set:
                raise ctx.fail(fld, f"unknown value {v!r}; expected one of {sorted(allowed_set)}")
    return tuple(value)


def _time(ctx: Ctx, fld: str, value: Any) -> time:
    m = _TIME_RE.match(value) if isinstance(value, str) else None
    if not m:
        raise ctx.fail(fld, "expected a time HH:MM or HH:MM:SS")
    return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def day(ctx: Ctx, fld: str, value: Any) -> date:
    """A TOML date (``2025-02-28``), or the same as a string."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ctx.fail(fld, "expected a date YYYY-MM-DD")


def weights(ctx: Ctx, fld: str, value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or not value:
        raise ctx.fail(fld, "expected a non-empty table of phrase = weight")
    out: dict[str, float] = {}
    for phrase, weight in value.items():
        if not phrase.strip():
            raise ctx.fail(fld, "empty phrase")
        out[phrase] = _number(ctx, f"{fld}.{phrase}", weight)
    return out


def _outcomes(ctx: Ctx, fld: str, value: Any) -> frozenset[str]:
    tokens = str_list(ctx, fld, value, _OUTCOME_TOKENS)
    out: set[str] = set()
    for tok in tokens:
        out.update(OUTCOME_GROUPS.get(tok, (tok,)))
    return frozenset(out)


def _thresholds_gone(ctx: Ctx, fld: str, value: Any) -> Any:
    raise ctx.fail(
        fld, "replaced by min_score: a phrase rule's severity is its own `severity` field"
    )


# Each kind: param name -> (parser, default). A default of ``REQUIRED`` means required.
REQUIRED = object()
Parser = Callable[[Ctx, str, Any], Any]


def _chan(c: Ctx, f: str, v: Any) -> frozenset[str]:
    return frozenset(str_list(c, f, v, _CHANNELS))


def _dirs(c: Ctx, f: str, v: Any) -> frozenset[str]:
    return frozenset(str_list(c, f, v, _DIRECTIONS))


def _events(c: Ctx, f: str, v: Any) -> frozenset[str]:
    return frozenset(str_list(c, f, v, _EVENTS))


def _choice(*choices: str) -> Parser:
    def parse(c: Ctx, f: str, v: Any) -> str:
        if v not in choices:
            raise c.fail(f, f"expected one of {list(choices)}")
        return v

    return parse


def _phrases(c: Ctx, f: str, v: Any) -> tuple[str, ...]:
    return tuple(str_list(c, f, v))


def _ids(c: Ctx, f: str, v: Any) -> tuple[str, ...]:
    return tuple(str_list(c, f, v))  # phrase-group ids, checked against the phrasebook later


def _positive(c: Ctx, f: str, v: Any) -> int:
    return _int(c, f, v, minimum=1)


def _nonneg(c: Ctx, f: str, v: Any) -> int:
    return _int(c, f, v, minimum=0)


_COMMON: dict[str, tuple[Parser, Any]] = {
    "channels": (_chan, frozenset(_CONTACT_CHANNELS)),
    "directions": (_dirs, frozenset(_COLLECTOR)),
}

SCHEMAS: dict[str, dict[str, tuple[Parser, Any]]] = {
    "quiet_hours": {
        **_COMMON,
        "start": (_time, REQUIRED),
        "end": (_time, REQUIRED),
        "start_inclusive": (_bool, True),
        "outcomes": (_outcomes, frozenset(OUTCOME_GROUPS["any"])),
    },
    "frequency": {
        **_COMMON,
        "channels": (_chan, frozenset({"call"})),
        "mode": (_choice("count", "after_conversation"), "count"),
        "outcomes": (_outcomes, frozenset(OUTCOME_GROUPS["attempted"])),
        "per": (_choice(*PER), "institution"),
        "period": (_choice("day", "rolling"), "day"),
        "window_days": (_positive, 1),
        "max": (_nonneg, None),
        "conversation_outcomes": (_outcomes, frozenset({"connected"})),
        "label_en": (text, "contact"),
        "label_zh": (text, "联系"),
    },
    "after_event": {
        **_COMMON,
        "events": (_events, REQUIRED),
        "grace_days": (_nonneg, 0),
        # Only requests made in writing count; an oral one is reported as a note.
        "written": (_bool, False),
        # Whose later contacts the event concerns: the organisation it names, that
        # organisation's institution (creditor with its agencies), the debt (case), or
        # every organisation (a moratorium covers all debts).
        "scope": (_choice("organisation", "institution", "debt", "all"), "institution"),
        "ended_by": (_events, frozenset()),
        "lasts_days": (_positive, None),
        # Content that marks a contact the source allows after the event (a collector's
        # letter confirming it stops, a statutory notice); such contacts are not flagged.
        "allowed_groups": (_ids, ()),
    },
    "third_party": {
        "channels": (_chan, frozenset(_CHANNELS)),
        "directions": (_dirs, frozenset(_DIRECTIONS)),
        # Who counts as the debtor for this source (US 1692c(d): the spouse, a parent
        # of a minor, a guardian, an executor): their reports are not third parties.
        "consumer_aliases": (_phrases, ()),
        # US 1692b: one location call to a person is allowed unless it mentions the
        # debt (any phrase of ``debt_groups``) or is repeated.
        "location_exception": (_bool, False),
        "debt_groups": (_ids, ()),
    },
    "phrases": {
        **_COMMON,
        "channels": (_chan, frozenset(_CHANNELS)),
        "groups": (_ids, ()),
        "phrases": (weights, {}),
        "category_en": (text, ""),
        "category_zh": (text, ""),
        "min_score": (_number, 1.0),
        "fields": (
            lambda c, f, v: str_list(c, f, v, ("subject", "content", "notes")),
            ("subject", "content"),
        ),
        "thresholds": (_thresholds_gone, None),
    },
    "scam_signs": {
        **_COMMON,
        "channels": (_chan, frozenset({"sms", "message", "email", "call", "letter"})),
        "directions": (_dirs, frozenset({"incoming"})),
        "checks": (
            lambda c, f, v: frozenset(str_list(c, f, v, SCAM_CHECKS)),
            frozenset(SCAM_CHECKS),
        ),
        "short_domains": (lambda c, f, v: tuple(s.lower() for s in str_list(c, f, v)), ()),
        "account_groups": (_ids, ("personal_account",)),
        "payment_groups": (_ids, ("unusual_payment",)),
        "personal_account_phrases": (_phrases, ()),
    },
    "disclosure": {
        **_COMMON,
        "channels": (_chan, frozenset({"sms", "message", "email", "letter"})),
        "directions": (_dirs, frozenset({"incoming"})),
        # Words in an organisation's name that mark a collection agency.
        "collector_words": (_phrases, REQUIRED),
        # Any of these phrases in the message is the disclosure the source asks for.
        "disclosure_groups": (_ids, REQUIRED),
    },
}
SCHEMAS["announced_visit"] = SCHEMAS["phrases"]  # read by the same engine


def parse_params(ctx: Ctx, kind: str, raw: Any) -> dict[str, Any]:
    """Validate a rule's ``params`` table against its kind's schema, filling defaults."""
    if not isinstance(raw, dict):
        raise ctx.fail("params", "expected a table")
    schema = SCHEMAS[kind]
    for key in raw:
        if key not in schema:
            raise ctx.fail(f"params.{key}", f"unknown parameter for kind {kind}")
    out: dict[str, Any] = {}
    for key, (parser, default) in schema.items():
        if key in raw:
            out[key] = parser(ctx, f"params.{key}", raw[key])
        elif default is REQUIRED:
            raise ctx.fail(f"params.{key}", "missing")
        else:
            out[key] = default
    out.pop("thresholds", None)
    _check_combinations(ctx, kind, raw, out)
    return out


def _check_combinations(ctx: Ctx, kind: str, raw: dict[str, Any], out: dict[str, Any]) -> None:
    if kind == "frequency":
        if out["mode"] == "count" and out["max"] is None:
            raise ctx.fail("params.max", "missing (required when mode = count)")
        if out["mode"] == "after_conversation" and "window_days" not in raw:
            raise ctx.fail("params.window_days", "missing (required for after_conversation)")
        if out["mode"] == "count" and out["period"] == "rolling" and "window_days" not in raw:
            raise ctx.fail("params.window_days", "missing (required for period = rolling)")
    if kind in PHRASE_KINDS:
        if not out["groups"] and not out["phrases"]:
            raise ctx.fail("params.groups", "missing (give groups, phrases or both)")
        if out["phrases"] and not (out["category_en"] and out["category_zh"]):
            raise ctx.fail("params.category_en", "missing (required with phrases)")
    if kind == "third_party" and out["location_exception"] and not out["debt_groups"]:
        raise ctx.fail("params.debt_groups", "missing (required with location_exception)")
