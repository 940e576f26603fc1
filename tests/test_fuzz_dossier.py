"""Hostile dossiers: the offline verifier reports, never crashes, never accepts a change."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_locker.report import render_dossier, verify_dossier
from tests.report_fixtures import DOSSIER_SEED, GENERATED, finish, make_records


@pytest.fixture(scope="module")
def pdf() -> bytes:
    records, bundle = finish(make_records(4))
    data = render_dossier(
        records,
        bundle,
        lang="en",
        generated_at=GENERATED,
        tz=ZoneInfo("Asia/Shanghai"),
        signing_seed=DOSSIER_SEED,
    )
    assert verify_dossier(data).ok
    return data


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**9), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**9), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**9), st.integers(0, 255)),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(mutation, min_size=1, max_size=3))
def test_mutated_dossiers_are_rejected_cleanly(pdf: bytes, changes: list) -> None:  # type: ignore[type-arg]
    data = bytearray(pdf)
    for kind, where, value in changes:
        if not data:
            break
        i = where % len(data)
        if kind == "flip":
            data[i] ^= value
        elif kind == "cut":
            del data[i:]
        else:
            data.insert(i, value)
    if bytes(data) == pdf:
        return
    start = time.monotonic()
    report = verify_dossier(bytes(data))  # must not raise
    assert time.monotonic() - start < 20
    assert not report.ok
    assert report.messages


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_are_not_a_dossier(junk: bytes) -> None:
    report = verify_dossier(b"%PDF-1.7\n" + junk)
    assert not report.ok and report.messages
