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


# ---- item 12: the closing words follow the law of the dossier's rule set ----

PERJURY = _flat("I declare under penalty of perjury that the foregoing is true and correct.")
UK_TRUTH = _flat("I believe that the facts stated in this declaration are true.")
PLAIN_EN = _flat("I confirm that the foregoing is true, accurate and complete")
PLAIN_ZH = _flat("本人保证以上内容真实、准确、完整，如有虚假，愿承担相应的法律责任。")
SETS = {"cn": "Chinese rules", "us": "FDCPA and Regulation F", "uk": "FCA CONC 7"}


@cache
def _law_pdf(lang: str, sets: tuple[str, ...], own: str | None = None) -> bytes:
    from evidence_locker.report.render import Extras

    records, bundle = finish(make_records(2, with_correction=False))
    extras = Extras(rule_sets=tuple((s, SETS[s]) for s in sets), declaration=own)
    return render_signed(records, bundle, lang=lang, claimant="Zhang San", extras=extras)


def test_no_perjury_clause_under_the_chinese_rule_set() -> None:
    text = _declaration(_law_pdf("en", ("cn",)))
    assert PERJURY not in text and "1746" not in text and "perjury" not in text
    assert PLAIN_EN in text


def test_the_perjury_clause_and_its_note_under_the_us_rule_set() -> None:
    text = _declaration(_law_pdf("en", ("us",)))
    assert PERJURY in text and _flat("28 U.S.C. § 1746(2)") in text
    zh = _declaration(_law_pdf("zh", ("us",)))
    assert "伪证罪" in zh and _flat("28 U.S.C. § 1746(2)") in zh and PLAIN_ZH not in zh


def test_a_statement_of_truth_under_the_uk_rule_set() -> None:
    text = _declaration(_law_pdf("en", ("uk",)))
    assert UK_TRUTH in text and "perjury" not in text and "1746" not in text
    assert _flat("Practice Direction 22") in text
    zh = _declaration(_law_pdf("zh", ("uk",)))
    assert "真实性声明" in zh and "伪证" not in zh


def test_without_a_rule_set_the_records_decide_and_chinese_records_get_no_perjury() -> None:
    """--no-flags: no rule set; the fixture's records are +86 numbers at +08:00."""
    text = _declaration(_law_pdf("en", ()))
    assert "perjury" not in text and PLAIN_EN in text
    zh = _declaration(_law_pdf("zh", ()))
    assert PLAIN_ZH in zh and "伪证" not in zh


def test_the_claimants_own_declaration_gets_the_same_closing_words() -> None:
    own = "I, Zhang San, declare these records true."
    text = _declaration(_law_pdf("en", ("cn",), own))
    assert _flat(own) in text and "perjury" not in text and PLAIN_EN in text
    text = _declaration(_law_pdf("en", ("us",), own))
    assert _flat(own) in text and PERJURY in text


def test_the_cli_export_with_a_declaration_file_follows_the_rule_set(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The review's command: an English export of Chinese records with the claimant's
    own statement; then the same with --rules us."""
    assert cli("init").code == 0
    assert cli("log", "sms", "--number", "+8613800138000", "--content", "逾期提醒").code == 0
    own = tmp_path / "my-statement.txt"
    own.write_text("本人张三，声明以上记录均为本人亲自记录，真实无误。\n", encoding="utf-8")
    out = tmp_path / "cn.pdf"
    r = cli("export", "pdf", "-o", str(out), "--lang", "en", "--declaration", str(own))
    assert r.code == 0, r.err
    text = _flat("".join(p.extract_text() for p in PdfReader(out).pages))
    assert "本人张三" in text and "perjury" not in text and PLAIN_EN in text
    out = tmp_path / "us.pdf"
    r = cli(
        "export", "pdf", "-o", str(out), "--lang", "en", "--declaration", str(own), "--rules", "us"
    )
    assert r.code == 0, r.err
    text = _flat("".join(p.extract_text() for p in PdfReader(out).pages))
    assert PERJURY in text


def test_typing_days_are_counted_as_the_pages_print_them() -> None:
    """The day after counts as soon, two days after as later, a logging day before the
    contact's day (a clock gone wrong) apart; a correction made later does not count."""
    from zoneinfo import ZoneInfo

    from evidence_locker.report.context import Contact
    from evidence_locker.report.declaration import typing_delay

    tz = ZoneInfo("Asia/Shanghai")
    rec = make_records(1, with_correction=False)[0]  # 2026-10-03 09:12 +08:00

    def delay(logged: timedelta, **kw: object) -> str:
        first = replace(rec, **kw)
        first = replace(first, logged_at=first.occurred_at + logged)
        fixed = replace(first, logged_at=first.logged_at + timedelta(days=30))
        return typing_delay(Contact("E-1", fixed, [first, fixed]), tz)

    assert delay(timedelta(days=1, hours=14)) == "soon"  # 2026-10-04 23:12
    assert delay(timedelta(days=1, hours=15)) == "later"  # 2026-10-05 00:12
    assert delay(timedelta(hours=-10)) == "before"  # 2026-10-02 23:12
    midnight = rec.occurred_at.replace(hour=0, minute=0)
    assert delay(timedelta(hours=47), occurred_at=midnight, time_known=False) == "soon"
    assert delay(timedelta(hours=48), occurred_at=midnight, time_known=False) == "later"
