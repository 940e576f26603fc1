"""Phrase groups by meaning, shared by every rule set.

Collectors word the same threat many ways ("通知你老婆", "打爆你亲戚的电话", "tell your
boss"). Rules name meaning groups (family, employer, community, shaming, court-looking
documents, unusual payment...) instead of repeating word lists, so a wording added to a
group reaches every rule that cites it, in Chinese and English alike. The shipped
groups live in ``rules/phrasebook.toml``; a rule file may add its own ``[groups.ID]``.

A group has labels, weighted phrases and ``benign`` collocations: an occurrence of a
phrase inside one of them does not count ("请放心并注意安全" is a courtesy, not a threat).

``own_words`` are the same meaning as the borrower writes it down, in the first person
or as reported speech ("说要通知我单位", "told my neighbour I owe money"). They count
only where the text is the borrower's account of a contact (a call, a visit, another
contact): in a message's own text "我" is the sender, and "请联系我公司" is a collector
naming itself, not a threat to call your employer. Said with the borrower as subject
("我告诉我妈", "I told my boss") they are the borrower's own act: each own-words phrase
after "我" or "I" is a benign collocation of its group.

``visit_itself`` names phrases of the group that, in a visit record, say what happened
rather than threaten: "两名男子找上门" logged as a visit is the visit, while "再不还就找
上门" in a message is a threat. They do not count in visit records.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from evidence_locker.rules.schema import Ctx, str_list, text, weights

_GROUP_KEYS = {"label_en", "label_zh", "phrases", "benign", "own_words", "visit_itself"}


@dataclass(frozen=True, slots=True)
class PhraseGroup:
    """Phrases that say one thing (a threat to tell the family, a fake court paper)."""

    id: str
    label_en: str
    label_zh: str
    phrases: Mapping[str, float]
    benign: tuple[str, ...] = ()
    own_words: Mapping[str, float] = field(default_factory=dict)
    visit_itself: tuple[str, ...] = ()

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
        benign = str_list(ctx, "benign", table["benign"]) if "benign" in table else []
        own = weights(ctx, "own_words", table["own_words"]) if "own_words" in table else {}
        plain = weights(ctx, "phrases", table["phrases"])
        itself = (
            str_list(ctx, "visit_itself", table["visit_itself"]) if "visit_itself" in table else []
        )
        for p in itself:
            if p not in plain and p not in own:
                raise ctx.fail("visit_itself", f"not a phrase of this group: {p}")
        out[gid] = PhraseGroup(
            id=gid,
            label_en=text(ctx, "label_en", table["label_en"]),
            label_zh=text(ctx, "label_zh", table["label_zh"]),
            phrases=plain,
            benign=(*benign, *(said_by_borrower(p) for p in own)),
            own_words=own,
            visit_itself=tuple(itself),
        )
    ctx.rule = "-"
    return out


def said_by_borrower(phrase: str) -> str:
    """``phrase`` with the borrower as its subject: "我告诉我妈", "i told my boss"."""
    return f"i {phrase}" if phrase[:1].isascii() else f"我{phrase}"


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
