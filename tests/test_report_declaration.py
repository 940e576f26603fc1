"""The declaration the claimant signs, read back from the PDF: every sentence must be
true of the records it counts (review 7, items 1 and 12)."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, timedelta
from functools import cache

from pypdf import PdfReader

from evidence_locker.model import Source
from tests.report_fixtures import finish, make_records, render_signed


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@cache
def _declaration(pdf: bytes) -> str:
    """The declaration page(s), whitespace removed: from its title to the verification page."""
    text = _flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    start = max(text.rfind("DeclarationofZhangSan"), text.rfind("当事人声明（ZhangSan）"))
    assert start >= 0, "no declaration title"
    end = max(text.rfind("Verificationpage"), text.rfind("核验页"))
    return text[start:end]


def _records():  # type: ignore[no-untyped-def]
    """Six contacts: typed within minutes; typed 21 months later; imported; a day with
    no time typed the next day; typed three days later; a day with no time typed two
    days later (which may be less than 48 hours after the contact, or more)."""
    recs = make_records(6, with_correction=False)
    late = recs[1].occurred_at + timedelta(days=640)
    recs[1] = replace(recs[1], logged_at=late.astimezone(UTC))
    recs[2] = replace(
        recs[2],
        source=Source(
            kind="import", format="sms-backup", file_name="sms.xml", file_sha256="ab" * 32
        ),
        logged_at=(recs[2].occurred_at + timedelta(days=300)).astimezone(UTC),
    )
    day = recs[3].occurred_at.replace(hour=0, minute=0, second=0, microsecond=0)
    recs[3] = replace(
        recs[3], occurred_at=day, time_known=False, logged_at=day + timedelta(hours=40)
    )
    recs[4] = replace(recs[4], logged_at=recs[4].occurred_at + timedelta(days=3))
    day = recs[5].occurred_at.replace(hour=0, minute=0, second=0, microsecond=0)
    recs[5] = replace(
        recs[5], occurred_at=day, time_known=False, logged_at=day + timedelta(hours=60)
    )
    return finish(recs)


@cache
def _pdf(lang: str) -> bytes:
    records, bundle = _records()
    return render_signed(records, bundle, lang=lang, claimant="Zhang San")


def test_the_declaration_counts_late_typing_apart_in_english() -> None:
    text = _declaration(_pdf("en"))
    assert _flat("when the contact happened or soon after") not in text
    assert _flat("typed by me on the day of the contact or the day after: 2 records") in text
    assert (
        _flat(
            "typed by me later than the day after the contact, from memory, notes or other"
            " evidence: 3 records"
        )
        in text
    )
    assert _flat("imported from the file sms.xml (format sms-backup, SHA-256 abababab") in text
    assert _flat(": 1 record") in text and _flat(": 1 records") not in text


def test_the_declaration_counts_late_typing_apart_in_chinese() -> None:
    text = _declaration(_pdf("zh"))
    assert "在联系发生时或其后不久" not in text
    assert _flat("由本人在联系当天或次日手工录入：2 条") in text
    assert _flat("由本人在联系次日之后依据记忆、笔记或其他材料补录：3 条") in text
    assert _flat("从文件 sms.xml 导入（格式 sms-backup") in text


def test_the_completeness_sentence_counts_in_plain_words() -> None:
    """Review 7, item 15: "lists the 0 records I withdrew" / "the 1 records"."""
    en, zh = _declaration(_pdf("en")), _declaration(_pdf("zh"))
    assert _flat("it shows every contact of that selection (6 in all). I withdrew none") in en
    assert "0records" not in en
    assert _flat("全部联系（共 6 次）。本人未撤回其中任何记录。") in zh
