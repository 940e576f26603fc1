"""Hostile backup files: mutated bytes give only documented errors, quickly, in bounded memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_locker.care import backup
from evidence_locker.errors import (
    FormatError,
    IntegrityError,
    NotFound,
    UsageError,
    WrongPassphrase,
)
from evidence_locker.locker import Locker
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft

from .conftest import PASSPHRASE, SHANGHAI

DOCUMENTED = (FormatError, IntegrityError, WrongPassphrase, UsageError, NotFound)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    from datetime import datetime

    base = tmp_path_factory.mktemp("fuzz")
    locker, recovery = Locker.create(base / "l", PASSPHRASE)
    with locker:
        locker.log(
            ContactDraft(
                channel=Channel.SMS,
                occurred_at=datetime(2025, 1, 2, tzinfo=SHANGHAI),
                address="95577",
                content="逾期 overdue",
                attachments=[AttachmentDraft(name="a.png", data=b"\x89PNG" * 1000)],
            )
        )
        backup.create_backup(locker, base / "b.elb")
    return (base / "b.elb").read_bytes(), recovery


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**9), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**9), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**9), st.integers(0, 255)),
)


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    out = bytearray(data)
    for op, where, value in ops:
        i = where % (len(out) + 1)
        if op == "flip" and i < len(out):
            out[i] ^= value
        elif op == "cut":
            del out[i:]
        elif op == "insert":
            out[i:i] = bytes([value])
    return bytes(out)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_backup_fails_cleanly(sample, tmp_path: Path, ops) -> None:
    data, recovery = sample
    bad = mutate(data, ops)
    file = tmp_path / "m.elb"
    file.write_bytes(bad)
    tracemalloc.start()
    try:
        info = backup.verify_backup(file, recovery_key=recovery)
    except DOCUMENTED:
        info = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024
    if bad != data and info is not None:
        # only a change the cipher cannot see (none exists) could pass: fail loudly
        pytest.fail(f"mutated backup accepted: {ops}")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    junk=st.binary(max_size=4096),
    prefix=st.sampled_from([b"", backup.MAGIC, backup.MAGIC + b"\x01"]),
)
def test_arbitrary_bytes_are_refused(tmp_path: Path, junk: bytes, prefix: bytes) -> None:
    file = tmp_path / "j.elb"
    file.write_bytes(prefix + junk)
    with pytest.raises(DOCUMENTED):
        backup.verify_backup(file, recovery_key="AAAA-" * 7 + "AAAA")


def test_restore_of_a_mutated_backup_leaves_nothing(sample, tmp_path: Path) -> None:
    data, recovery = sample
    file = tmp_path / "m.elb"
    file.write_bytes(data[:-5000] + bytes(5000))
    with pytest.raises(DOCUMENTED):
        backup.restore_backup(file, tmp_path / "target", recovery_key=recovery)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.elb"]
