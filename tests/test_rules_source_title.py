"""The instrument a report's notes name ("... applies from 2026-01-30"): its title
without the date it carries, and nothing else cut.

A note that says "15 U.S.C. 1692c(a)(1); 12 CFR 1006.6(b)(1) applies from 2021-11-30"
has lost the paragraph "(i)" of the citation, and "..., in force applies from ..." reads
as a mistake: a lawyer reading either stops trusting the rest.
"""

from __future__ import annotations

import re

import pytest

from evidence_locker.rules import shipped_rule_set
from evidence_locker.rules.ruleset import Source

SETS = ("cn", "us", "uk")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _sources() -> list[Source]:
    out: dict[tuple[str, str], Source] = {}
    for name in SETS:
        for rule in shipped_rule_set(name).rules:
            out[(rule.source.instrument, rule.source.instrument_zh)] = rule.source
    return list(out.values())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_titles_drop_only_the_date_they_carry(lang: str) -> None:
    for source in _sources():
        full = (source.instrument_zh or source.instrument) if lang == "zh" else source.instrument
        title = source.title(lang)
        assert full.startswith(title), (full, title)
        cut = full[len(title) :]
        # What is cut holds a date, or nothing is cut at all.
        assert not cut or DATE.search(cut), (full, title)
        assert not re.search(r"(in force|until|from|[,，、;；])\s*$", title), title
        for open_, close in ("()", "（）"):
            assert title.count(open_) == title.count(close), title


def test_titles_of_the_shipped_sources() -> None:
    by_instrument = {s.instrument: s for s in _sources()}
    pipl = by_instrument[
        "中华人民共和国个人信息保护法 (Personal Information Protection Law), in force 2021-11-01"
    ]
    assert pipl.title("en") == "中华人民共和国个人信息保护法 (Personal Information Protection Law)"
    assert pipl.title("zh") == "《中华人民共和国个人信息保护法》"
    cba = by_instrument[
        "China Banking Association, 金融机构个人消费类贷款催收工作指引（试行）, 2026-01-30"
    ]
    assert (
        cba.title("en") == "China Banking Association, 金融机构个人消费类贷款催收工作指引（试行）"
    )
    assert cba.title("zh") == "中国银行业协会《金融机构个人消费类贷款催收工作指引（试行）》"
    reg_f = by_instrument["15 U.S.C. 1692c(a)(1); 12 CFR 1006.6(b)(1)(i)"]
    assert reg_f.title("en") == "15 U.S.C. 1692c(a)(1); 12 CFR 1006.6(b)(1)(i)"
    assert reg_f.title("zh").endswith("12 CFR 1006.6(b)(1)(i)")
    law_2012 = "治安管理处罚法 (Public Security Administration Punishments Law, 2012 text)"
    old = by_instrument[f"{law_2012}, until 2025-12-31"]
    assert old.title("en") == law_2012
