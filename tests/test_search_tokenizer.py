"""The tokenizer's memos change nothing: batch and memoised tokens equal one-by-one ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker import crypto
from evidence_locker.search.index import Tokenizer, grams, tokens_for
from evidence_locker.search.normalize import normalize

KEYS = crypto.KeyRing(bytes(range(32)))
TEXT = st.text(
    alphabet=st.sampled_from(list("还款逾期上門單位律师函 abcXYZ0123-+（）１２３😀\u3000")),
    max_size=120,
)


def reference(texts: list[str]) -> set[bytes]:
    tok = Tokenizer(KEYS.index_token)
    out: set[bytes] = set()
    for text in texts:
        out |= {tok(g) for g in grams(normalize(text))}
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(TEXT, max_size=4), st.integers(min_value=1, max_value=64))
def test_memoised_tokens_equal_one_by_one_tokens(texts: list[str], memo_max: int) -> None:
    """Also with a memo small enough to be cleared in the middle of a record."""
    tok = Tokenizer(KEYS.index_token, memo_max=memo_max)
    fields = {f"f{i}": t for i, t in enumerate(texts)}
    expected = reference(texts)
    assert tokens_for(fields, tok) == expected
    assert tokens_for(fields, tok) == expected  # second time: from the memos


def test_field_value_memo_is_bounded_and_skips_long_texts() -> None:
    tok = Tokenizer(KEYS.index_token)
    for i in range(5000):
        tok.text_tokens(f"催收员{i}号")
    body = "您的贷款已逾期，请于今日内还款，否则将上门。" * 10
    tok.text_tokens(body)
    assert len(tok._texts) <= 4096
    assert body not in tok._texts
    assert tok.text_tokens(body) == reference([body])
