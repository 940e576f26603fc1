"""Properties of letters over any text: a 12321 report keeps every SMS exactly as
received, a cut quote is always the start of the record's own text, and each source
the findings cite is listed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.letters import Request, draft_letter, get_kind
from evidence_locker.letters.compose import DETAILS, Composer, cited_sources
from evidence_locker.letters.facts import Facts
from evidence_locker.letters.findings import Citation
from evidence_locker.model import Channel, Direction, Record, RecordFilter

from .letter_fixtures import SH

START = datetime(2025, 2, 1, 9, 0, tzinfo=SH)
ORG = "某催收公司"


def _rec(i: int, content: str) -> Record:
    rid = f"{i:032x}"
    return Record(
        id=rid,
        record_id=rid,
        seq=i,
        channel=Channel.SMS,
        direction=Direction.INCOMING,
        occurred_at=START + timedelta(hours=i),
        logged_at=datetime(2025, 3, 1, tzinfo=UTC),
        organisation=ORG,
        address="10690000",
        content=content,
    )


class Memory:
    """A LetterSource over records in memory, with no findings."""

    public_key = b"\x00" * 32

    def __init__(self, records: list[Record]):
        self._records = records

    def records(self, flt: RecordFilter | None = None) -> list[Record]:
        org = flt.organisation if flt else None
        return [r for r in self._records if not org or org in (r.organisation or "")]

    def check(self, flt=None, *, rule_sets, tz):  # type: ignore[no-untyped-def]
        return []

    def cases(self) -> list:  # type: ignore[type-arg]
        return []


TEXTS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=400
).filter(lambda s: s.strip() == s and s)


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=6))
def test_a_12321_report_keeps_each_sms_exactly(contents: list[str]) -> None:
    source = Memory([_rec(i, c) for i, c in enumerate(contents)])
    kind = get_kind("report-12321", "cn")
    req = Request(kind, RecordFilter(organisation=ORG), {"phone": "139"}, "zh", START)
    letter = draft_letter(source, req, rule_sets=[], tz="Asia/Shanghai")
    text = letter.text()
    for i, c in enumerate(contents, 1):
        assert f"E-{i}\n" in text
        assert f"\n    {c}\n" in text
    assert f"的{len(contents)}次联系" in text


@settings(max_examples=80, deadline=None)
@given(TEXTS, st.sampled_from(DETAILS))
def test_a_quote_is_the_records_own_text_or_its_start(content: str, detail) -> None:  # type: ignore[no-untyped-def]
    facts = Facts("cn", SH, ORG, (ORG,), (), (), (), {})
    quoted = Composer(facts, "en", detail, START).quote(_rec(1, content))
    if detail.quote_chars is None or len(content) <= detail.quote_chars:
        assert quoted == content
    else:
        assert quoted.endswith("…")
        assert content.startswith(quoted[:-1])
        assert len(quoted) <= detail.quote_chars + 1


def _cite(
    instrument: str, article: str, confidence: str = "V", in_language: bool = True
) -> Citation:
    """A citation; ``in_language``: its rule names the article in the letter's language."""
    text = f"{instrument}, {article}"
    return Citation("R", text, "", confidence, instrument, article, in_language)


def test_each_cited_instrument_is_listed_once_with_its_weakest_mark() -> None:
    """The findings' sources: one line per instrument, its parts once each; a shorter
    citation of the same parts is covered by the longer one; the basis the letter
    already states is not repeated."""
    cba = "China Banking Association, 指引 (2026-01-30)"
    cites = [
        (_cite(cba, "third parties"), "third parties"),
        (_cite(cba, "night", "S"), "night"),
        (_cite(cba, "third parties; private data", "S/U"), "third parties; private data"),
        (_cite("15 U.S.C. 1692c(b), (d)", "x"), "communication with third parties"),
        (_cite("15 U.S.C. 1692c(b)", "x"), "communication with third parties"),
        (_cite("15 U.S.C. 1692g(b)", "x"), "dispute"),
    ]
    stated = ["15 U.S.C. 1692g(b): a written dispute stops collection."]
    assert cited_sources(cites, stated) == [
        (f"{cba}, third parties; night; private data", "S/U"),
        ("15 U.S.C. 1692c(b), (d), communication with third parties", "V"),
    ]
    zh = cited_sources([(cites[0][0], "第三人；散布隐私"), (cites[1][0], "夜间")], [], ("：", "；"))
    assert zh == [(f"{cba}：第三人；散布隐私；夜间", "S")]


def test_a_kind_of_finding_without_its_own_sentence_is_still_stated() -> None:
    """A rule set's new kind of finding: named by its label (the rules' own, else its
    id) with its records' numbers; a Chinese letter whose rule names the article in
    English only says which kind of problem the source is cited for."""
    from evidence_locker.letters.facts import Concern

    recs = (_rec(1, "a"), _rec(2, "b"))
    numbers = {r.record_id: f"E-{r.seq}" for r in recs}
    for lang, said in (("en", "Records flagged as “unheard_of”: E-1, E-2."),
                       ("zh", "被标为“unheard_of”的记录：E-1、E-2。")):  # fmt: skip
        cite = _cite("Some guideline", "identity", in_language=lang == "en")
        concern = Concern("unheard_of", "low", recs, (cite,), ())
        facts = Facts("cn", SH, ORG, (ORG,), recs, (), (concern,), numbers)
        c = Composer(facts, lang, DETAILS[0], START)
        c.concerns()
        assert [b.text for b in c.blocks] == [said]
        c.basis([])
        part = "identity" if lang == "en" else "unheard_of"
        assert any(b.text.startswith("Some guideline") and part in b.text for b in c.blocks)
    assert Composer(facts, "zh", DETAILS[0], START).kind_label("quiet_hours") == "夜间联系"
