"""The blind index against a brute-force oracle, on a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert, text
from sqlmodel import Session, SQLModel

from evidence_locker.crypto import KeyRing
from evidence_locker.errors import UsageError
from evidence_locker.search.index import (
    SearchPosting,
    Tokenizer,
    candidate_seqs,
    confirm,
    grams,
    highlight,
    matches,
    posting_rows,
    searchable_fields,
    tokens_for,
)
from evidence_locker.search.normalize import normalize
from evidence_locker.search.query import Query, parse_query

KEYS = KeyRing(bytes(range(32)))

PIECES = [
    *"abcdeXYZ",
    *"0123456789",
    *" -.,()+!?",
    *"还款還逾期起诉訴上门單单位催收律师函",
    "ＡＢＣ",
    "１２３",
    "😀",
    "👍🏽",
    "ß",
    "ﬁ",
    "é",
    "e\u0301",
    "\u0301",
    "\x00",
    "\n",
    "13800138000",
    "138-0013-8000",
    "+86 138 0013 8000",
    "lawsuit",
    "Lawsuit",
]
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)
field_names = st.sampled_from(["content", "subject", "notes", "counterpart", "tags"])
records = st.lists(
    st.dictionaries(field_names, texts, min_size=1, max_size=3), min_size=1, max_size=8
)


def build(records_: list[dict[str, str]], tok: Tokenizer) -> Session:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    session = Session(engine)
    # Two chunks, as two separate writes would make, so lists span several rows.
    entries = [(seq, tokens_for(f, tok)) for seq, f in enumerate(records_, start=1)]
    for part in (entries[: len(entries) // 2], entries[len(entries) // 2 :]):
        rows = posting_rows(part[0][0], part) if part else []
        if rows:
            session.execute(
                insert(SearchPosting), [{"token": t, "chunk": c, "seqs": b} for t, c, b in rows]
            )
    session.commit()
    return session


def oracle(query: Query, records_: list[dict[str, str]]) -> set[int]:
    """Plain substring match over the normalised text of each field."""
    return {
        seq
        for seq, fields in enumerate(records_, start=1)
        if all(any(term.text in normalize(v) for v in fields.values()) for term in query.terms)
    }


def search(session: Session, query: Query, records_: list[dict[str, str]], tok: Tokenizer):
    candidates = candidate_seqs(session.connection(), query, tok)
    pool = candidates if candidates is not None else range(1, len(records_) + 1)
    found = {seq for seq in pool if confirm(query, records_[seq - 1])}
    return candidates, found


@st.composite
def record_and_query(draw: st.DrawFn) -> tuple[list[dict[str, str]], str]:
    recs = draw(records)
    kind = draw(st.sampled_from(["substring", "random", "two", "phrase"]))
    if kind == "random":
        return recs, draw(texts)
    rec = draw(st.sampled_from(recs))
    value = draw(st.sampled_from(sorted(rec.values())))
    i = draw(st.integers(0, len(value)))
    j = draw(st.integers(i, len(value)))
    piece = value[i:j]
    if kind == "two":
        return recs, piece + " " + draw(texts)
    if kind == "phrase":
        return recs, '"' + piece.replace('"', "") + '"'
    return recs, piece


@pytest.mark.parametrize("token_bytes", [4, 1])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=record_and_query())
def test_index_plus_confirmation_equals_oracle(
    token_bytes: int, case: tuple[list[dict[str, str]], str]
) -> None:
    """No false negatives from the index; confirmation removes every false positive.

    With 1-byte tokens almost every lookup collides, which exercises the second half.
    """
    recs, raw = case
    try:
        query = parse_query(raw)
    except UsageError:
        assume(False)
        return
    tok = Tokenizer(KEYS.index_token, size=token_bytes)
    session = build(recs, tok)
    expected = oracle(query, recs)
    candidates, found = search(session, query, recs, tok)
    if candidates is not None:
        assert expected <= candidates
    assert found == expected
    for seq in expected:
        assert matches(query, recs[seq - 1]) is not None
    session.close()


def test_grams_cover_cjk_unigrams_bigrams_and_latin_trigrams() -> None:
    assert grams("还款ab") == {"还", "款", "还款", "款a"}
    assert grams("abcd") == {"abc", "bcd"}
    assert grams("ab还") == {"b还", "还"}
    assert grams("ab") == set()


def test_short_latin_terms_cannot_narrow_but_cjk_can() -> None:
    tok = Tokenizer(KEYS.index_token)
    session = build([{"content": "ab 还"}, {"content": "xy"}], tok)
    assert candidate_seqs(session.connection(), parse_query("ab"), tok) is None
    assert candidate_seqs(session.connection(), parse_query("还"), tok) == {1}
    assert candidate_seqs(session.connection(), parse_query("还 ab"), tok) == {1}
    assert candidate_seqs(session.connection(), parse_query("zzz"), tok) == set()


def test_realistic_queries() -> None:
    recs = [
        {"content": "您的還款已逾期30天，请联系王经理 138-0013-8000", "organisation": "农商银行"},
        {"content": "We will file a LAWSUIT. Call +86 138 0013 8000"},
        {"content": "他们说要上门到你单位", "tags": "上门, 威胁"},
        {"content": "逾期未还", "attachments": "截图 2025-01-15.png"},
    ]
    tok = Tokenizer(KEYS.index_token)
    session = build(recs, tok)
    expect = {
        "还款": {1},
        "逾期": {1, 4},
        "13800138000": {1, 2},
        "+86 138 0013 8000": {1, 2},
        "lawsuit": {2},
        '"file a lawsuit"': {2},
        '"lawsuit file"': set(),
        "单位 上门": {3},
        '"上门到你"': {3},
        '"上门 单位"': set(),
        "農商": {1},
        "20250115": {4},
        "威胁": {3},
    }
    for raw, seqs in expect.items():
        assert search(session, parse_query(raw), recs, tok)[1] == seqs, raw


def test_highlight_spans_point_into_the_original_text() -> None:
    fields = {"content": "請於明天前還款，電話 +86 138 0013 8000", "notes": "ＬＡＷＳＵＩＴ"}
    spans = highlight(parse_query("还款 13800138000 lawsuit"), fields)
    content = fields["content"]
    assert [content[a:b] for a, b in spans["content"]] == ["還款", "138 0013 8000"]
    assert [fields["notes"][a:b] for a, b in spans["notes"]] == ["ＬＡＷＳＵＩＴ"]
    assert matches(parse_query("还款 missing"), fields) is None


def test_searchable_fields_picks_searched_fields_and_joins_lists() -> None:
    values = {
        "content": "hello",
        "tags": ["上门", "威胁"],
        "duration_s": 30,
        "outcome": "missed",
        "source": {"kind": "manual"},
    }
    fields = searchable_fields(values, attachment_names=["a.png", "b.mp3"])
    assert fields == {"content": "hello", "tags": "上门, 威胁", "attachments": "a.png, b.mp3"}


def test_tokens_are_keyed_truncated_and_hold_no_plaintext(tmp_path: Path) -> None:
    fields = {"content": "仲裁委员会 secret-word 13800138000"}
    tokens = tokens_for(fields, Tokenizer(KEYS.index_token))
    other = tokens_for(fields, Tokenizer(KeyRing(bytes(32)).index_token))
    assert tokens and all(len(t) == 4 for t in tokens)
    assert not tokens & other  # another key gives unrelated tokens
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        rows = posting_rows(1, [(1, tokens_for(fields, Tokenizer(KEYS.index_token)))])
        session.execute(
            insert(SearchPosting), [{"token": t, "chunk": c, "seqs": b} for t, c, b in rows]
        )
        session.commit()
        ddl = session.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'search_posting'")
        ).scalar_one()
    engine.dispose()
    assert "WITHOUT ROWID" in ddl
    raw = (tmp_path / "x.db").read_bytes()
    for word in ("仲裁", "secret", "word", "138001", "ecr"):
        assert word.encode() not in raw
