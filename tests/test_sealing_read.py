"""Reading an entry through orjson gives exactly what the JSON encoder and parser gave.

Two shortcuts in ledger/sealing.py save about 3 µs of the 7 that opening a sealed
entry took: the associated data of a seal (the bound clear columns, as compact ASCII
JSON) written by orjson (``_encode_bound``), and the sealed JSON read by orjson
(``_loads``). Each must be invisible: the same bytes authenticated (they are what was
sealed), the same values with the same types, the same refusals. These properties
compare each with the standard-library path it stands in for.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evidence_locker.crypto import DecryptionFailed
from evidence_locker.ledger import sealing
from evidence_locker.model import Channel

# What the encoder of the associated data wrote before the fast path (the reference).
_reference_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

# Every character, lone surrogates, DEL and the control characters included.
any_text = st.text(st.characters(exclude_categories=()), max_size=12)
boundary_ints = st.sampled_from(
    [0, -1, 2**53, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, -(2**64), 10**30]
)
column_values = st.one_of(
    st.none(),
    any_text,
    st.integers(),
    boundary_ints,
    st.sampled_from(["0f3a9c1e2b4d5f60718293a4b5c6d7e8", "record", "sms", "短信", "a\x7fb"]),
    st.booleans(),
    st.floats(),
    st.binary(max_size=4),
    st.sampled_from(list(Channel)),  # a str subclass
)


def reference_binding(values: list[Any], leaf: bytes) -> bytes:
    try:
        text = _reference_encode(list(values))
        tail = bytes(leaf)
    except (TypeError, ValueError):
        raise DecryptionFailed from None
    return sealing.AD_PREFIX_V2 + text.encode() + tail


@settings(max_examples=1500, deadline=None)
@given(st.lists(column_values, max_size=12), st.booleans())
@example([5, "ab", None, 2**63, -(2**63), 2**64 - 1, "é", "\x7f", "\ud800", '\x00\n"'], False)
@example([2**64, "x"], False)  # beyond orjson's integers
@example([float("nan")], False)  # orjson would write null
@example([True, 1], True)
def test_the_associated_data_is_the_encoders_bytes(values: list[Any], as_tuple: bool) -> None:
    given_values = tuple(values) if as_tuple else values
    leaf = bytes(range(32))
    try:
        expected = reference_binding(values, leaf)
    except DecryptionFailed:
        with pytest.raises(DecryptionFailed):
            sealing.binding(given_values, leaf)
        return
    assert sealing.binding(given_values, leaf) == expected


def test_a_typical_row_takes_the_fast_path() -> None:
    """Otherwise the property above would pass with the fast path never used."""
    values = [7, "0f3a" * 8, "record", None, "0f3a" * 8, "sms", "incoming", 1, 480, 2, None, None]
    assert sealing._encode_bound(values) == _reference_encode(values).encode()
    orjson = pytest.importorskip("orjson")
    assert orjson.dumps(values) == sealing._encode_bound(values)


def typed(value: Any) -> Any:
    """``value`` with every leaf's exact type (1 is not 1.0, -0.0 is not 0.0)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    return (type(value).__name__, value)


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    boundary_ints,
    st.floats(),
    any_text,
    st.sampled_from(["6222021234567890123", "1" * 40]),  # long digit runs in strings
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=16,
)


def reference_loads(data: bytes) -> Any:
    try:
        return ("ok", typed(json.loads(data)))
    except ValueError:
        return ("error", None)


@settings(max_examples=1500, deadline=None)
@given(json_values, st.booleans(), st.sampled_from(["strict", "surrogatepass"]))
@example({"f": {"duration_s": ["c2FsdA==", 2**64]}}, False, "strict")
@example({"f": {"n": ["c2FsdA==", -(2**63) - 1]}}, False, "strict")
@example({"f": {"x": ["c2FsdA==", float("nan")]}}, False, "strict")
def test_sealed_json_parses_as_json_loads_parses_it(
    value: Any, ascii_only: bool, errors: str
) -> None:
    """Whatever a writer could seal (json.dumps's JSON in UTF-8), the same values."""
    text = json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"))
    try:
        data = text.encode("utf-8", errors)
    except UnicodeEncodeError:  # a lone surrogate: no writer seals these bytes
        return
    assert ("ok", typed(sealing._loads(data))) == reference_loads(data)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=40))
@example(b'\xef\xbb\xbf{"a":1}')  # a byte-order mark: json.loads reads it
@example('{"a":1}'.encode("utf-16"))
@example(b'{"a":"\xed\xa0\x80"}')  # an encoded surrogate
@example(b'{"a":1,"a":2}')
@example(b' {"a":18446744073709551616} ')
def test_any_bytes_parse_or_fail_as_json_loads_does(data: bytes) -> None:
    try:
        got = ("ok", typed(sealing._loads(data)))
    except ValueError:
        got = ("error", None)
    assert got == reference_loads(data)


def test_plain_values_of_a_big_integer_stay_an_integer() -> None:
    plaintext = b'{"f":{"duration_s":["c2FsdA==",18446744073709551616]}}'
    assert sealing.plain_values(plaintext) == {"duration_s": 2**64}
    assert type(sealing.plain_values(plaintext)["duration_s"]) is int
