"""A letter as a list of blocks, and its plain-text form.

The same blocks become the PDF (:mod:`evidence_locker.letters.pdf`) and the text for a
web form, so the two never say different things. ``limited`` names the parts a
channel bounds (the CFPB form's narrative field) with their limits; ``meta`` is what
the PDF carries for ``letter sent`` (kind, organisation, event: nothing personal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How each block style reads in plain text: (text before, text after).
_TEXT = {
    "title": ("", "\n"),
    "heading": ("\n", ""),
    "item": ("- ", ""),
    "quote": ("    ", ""),
    "sign": ("\n", ""),
}


@dataclass(frozen=True, slots=True)
class Block:
    style: str  # title, meta, heading, para, item, quote, sign, note
    text: str


@dataclass
class Letter:
    kind: str
    region: str
    lang: str
    title: str
    blocks: list[Block]
    footer: str  # not legal advice, and where to get free help
    meta: dict[str, Any] = field(default_factory=dict)
    cited: tuple[str, ...] = ()  # record ids the letter names
    # (label, text, limit): parts a channel bounds, checked before anything is written
    limited: list[tuple[str, str, int]] = field(default_factory=list)

    def text(self) -> str:
        """The letter as plain text (what ``--text`` prints)."""
        return blocks_text(self.blocks)


def blocks_text(blocks: list[Block]) -> str:
    lines: list[str] = []
    for b in blocks:
        before, after = _TEXT.get(b.style, ("", ""))
        lines.append(f"{before}{b.text}{after}")
    return "\n".join(lines).strip() + "\n"


def too_long(letter: Letter) -> tuple[str, int, int] | None:
    """The first bounded part over its limit: (label, length, limit), else None."""
    for label, text, limit in letter.limited:
        if len(text) > limit:
            return label, len(text), limit
    return None
