"""The text read from a record's screenshots, as the rules see it.

A threat that only exists in a screenshot (the WeChat message the borrower kept as an
image) must be judged like a typed one, and the finding must say where it was found, so
a reader can look at the image rather than trust a machine's reading. The rules read
``subject + content + read text``; :func:`mark` adds "in the screenshot ... attached
to this record (machine-read)" to a finding whose phrases were found only in read text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from evidence_locker.locale.messages import t
from evidence_locker.model import AttachmentInfo, Record
from evidence_locker.rules.finding import Hit


def read_texts(rec: Record) -> list[tuple[AttachmentInfo, str]]:
    """(image, its read text) for each image of the record whose text was read."""
    return [(a, a.ocr.flowing_text) for a in rec.attachments if a.ocr is not None and a.ocr.lines]


def with_read_text(typed: str, rec: Record) -> str:
    """The typed text followed by the text read from the record's images."""
    read = [text for _, text in read_texts(rec)]
    return " ".join(x for x in (typed, *read) if x)


def mark(
    hit: Hit,
    rec: Record,
    phrases: Iterable[str],
    typed: str,
    find: Callable[[str], Iterable[str]],
) -> Hit:
    """Say which screenshots a hit's phrases were read from, when not all were typed.

    ``find`` returns the phrases in a (raw) text; ``typed`` is the record's own text.
    """
    only_read = set(phrases) - set(find(typed)) if rec.attachments else set()
    if not only_read:
        return hit
    names = [a.name for a, text in read_texts(rec) if only_read & set(find(text))]
    if not names:
        return hit
    joiner = {"en": ", ", "zh": "、"}
    where = {
        lang: t("rules.in_screenshot", lang, name=sep.join(names)) for lang, sep in joiner.items()
    }
    return hit._replace(en=f"{hit.en} {where['en']}", zh=f"{hit.zh}{where['zh']}")
