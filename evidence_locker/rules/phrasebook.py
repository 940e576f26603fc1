"""Phrase groups by meaning, shared by every rule set.

Collectors word the same threat many ways ("通知你老婆", "打爆你亲戚的电话", "tell your
boss"). Rules name meaning groups (family, employer, community, shaming, court-looking
documents, unusual payment...) instead of repeating word lists, so a wording added to a
group reaches every rule that cites it, in Chinese and English alike. The shipped
groups live in ``rules/phrasebook.toml``; a rule file may add its own ``[groups.ID]``.

A group has labels, weighted phrases and ``benign`` collocations: an occurrence of a
phrase inside one of them does not count ("请放心并注意安全" is a courtesy, not a threat).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from evidence_locker.rules.schema import Ctx, str_list, text, weights

_GROUP_KEYS = {"label_en", "label_zh", "phrases", "benign"}


@dataclass(frozen=True, slots=True)
class PhraseGroup:
    """Phrases that say one thing (a threat to tell the family, a fake court paper)."""

    id: str
    label_en: str
    label_zh: str
    phrases: Mapping[str, float]
    benign: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


def parse_groups(ctx: Ctx, raw: Any) -> dict[str, PhraseGroup]:
    """``[groups.ID]`` tables of a phrasebook or rule file, strictly checked."""
    if not isinstance(raw, dict):
        raise ctx.fail("groups", "expected [groups.ID] tables")
    out: dict[str, PhraseGroup] = {}
    for gid, table in raw.items():
        ctx.rule = f"groups.{gid}"
        if not isinstance(table, dict):
            raise ctx.fail("-", "expected a table")
        for key in table:
            if key not in _GROUP_KEYS:
                raise ctx.fail(key, "unknown field")
        for key in ("label_en", "label_zh", "phrases"):
            if key not in table:
                raise ctx.fail(key, "missing")
        benign = str_list(ctx, "benign", table["benign"]) if "benign" in table else ()
        out[gid] = PhraseGroup(
            id=gid,
            label_en=text(ctx, "label_en", table["label_en"]),
            label_zh=text(ctx, "label_zh", table["label_zh"]),
            phrases=weights(ctx, "phrases", table["phrases"]),
            benign=tuple(benign),
        )
    ctx.rule = "-"
    return out


@cache
def shipped_groups() -> Mapping[str, PhraseGroup]:
    """The phrasebook every shipped rule set draws on (read once)."""
    entry = resources.files("evidence_locker.rules") / "phrasebook.toml"
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    ctx = Ctx("phrasebook.toml")
    for key in data:
        if key != "groups":
            raise ctx.fail(key, "unknown top-level field")
    return parse_groups(ctx, data.get("groups", {}))
