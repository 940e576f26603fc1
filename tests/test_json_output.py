"""The CLI's JSON writer (``render.json_utf8``): the text ``json.dumps`` writes, faster.

orjson writes it where the two agree; everything else goes to ``json`` as before.
"""

from __future__ import annotations

import io
import json
import math
import sys
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.cli import render
from evidence_locker.cli.render import json_utf8


def json_text(data: object) -> str:
    out = json_utf8(data)
    return out.decode() if isinstance(out, bytes) else out


def reference(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses, json writes them
    | st.floats(allow_nan=False, allow_infinity=False)  # exponents both ways
    | st.text(st.characters(codec=None))  # lone surrogates, controls, U+2028...
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400)
@given(values)
def test_json_text_is_what_json_writes(data: object) -> None:
    try:
        expected = reference(data)
    except (TypeError, ValueError):  # what json refuses, json_text refuses too
        with pytest.raises((TypeError, ValueError)):
            json_text(data)
        return
    assert json_text(data) == expected


@settings(max_examples=1000)
@given(
    st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=1e-7, max_value=1e-3)
    | st.floats(min_value=1e14, max_value=1e18)
)
def test_every_float_is_written_as_json_writes_it(value: float) -> None:
    for data in (value, [value], {"score": -value}, [[1, value], "x"]):
        assert json_text(data) == reference(data)


@pytest.mark.parametrize("value", [1e16, 1e-5, 9.99e-5, 1e-6, 1e21, -2.5e-300, 123.0, 0.0001])
def test_floats_are_written_as_json_writes_them(value: float) -> None:
    data = {"score": value, "list": [value, "1e16", 'x": 1e16']}
    assert json_text(data) == reference(data)


def test_types_json_cannot_write_are_refused_as_before() -> None:
    with pytest.raises(TypeError):
        json_text({"at": datetime(2025, 2, 9, tzinfo=UTC)})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_float_that_is_not_a_number_becomes_null(value: float) -> None:
    out = json_text({"score": value})
    assert json.loads(out) == {"score": None}  # json.dumps wrote NaN: not JSON


def test_a_large_report_is_written_as_utf8_after_what_came_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = {"findings": [{"id": f"{i:032x}", "reason": "夜间来电 at 23:10"} for i in range(500)]}
    assert isinstance(json_utf8(data), bytes)  # the fast path
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    stdout.write("before\n")
    render.print_json(data)
    stdout.flush()
    assert raw.getvalue().decode() == "before\n" + reference(data) + "\n"


def test_a_stdout_in_another_encoding_gets_text(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"reason": "夜间来电", "n": [1, 2]}
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="gb18030")
    monkeypatch.setattr(sys, "stdout", stdout)
    render.print_json(data)
    stdout.flush()
    assert raw.getvalue().decode("gb18030") == reference(data) + "\n"


def test_where_lines_end_in_crlf_the_text_layer_writes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Windows stdout turns "\\n" into "\\r\\n"; bytes written to its buffer would not."""
    data = {"findings": [{"id": "F-1", "reason": "夜间来电"}]}
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", newline="\r\n")
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(render.os, "linesep", "\r\n")
    render.print_json(data)
    stdout.flush()
    assert raw.getvalue().decode() == (reference(data) + "\n").replace("\n", "\r\n")
