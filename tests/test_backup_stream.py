"""The pieces that make backup and restore fast, checked against the reference code:
the push-style StreamWriter gives byte for byte what encrypt_stream gives, however the
plaintext is cut, and a DecryptingReader without its digest reads the same bytes."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.crypto import stream as S

KEY = bytes(range(32))
K = S.CHUNK_SIZE
NONCE = bytes(range(100, 116))
# Lengths around the chunk boundaries, where the last-chunk rule bites.
EDGES = [0, 1, K - 1, K, K + 1, 2 * K, 2 * K + 17, 3 * K]


def reference(data: bytes, blob_id: str = "backup-test") -> bytes:
    out = io.BytesIO()
    S._encrypt_with_nonce(io.BytesIO(data), out, key=KEY, blob_id=blob_id, nonce=NONCE)
    return out.getvalue()


def pushed(data: bytes, cuts: list[int], out_size: int, blob_id: str = "backup-test") -> bytes:
    out = io.BytesIO()
    writer = S._writer_with_nonce(out, key=KEY, blob_id=blob_id, nonce=NONCE, out_size=out_size)
    last = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        writer.write(data[last:cut])  # empty pieces included
        last = cut
    writer.write(memoryview(data)[last:])
    writer.close()
    assert writer.size == len(data)
    return out.getvalue()


@pytest.mark.parametrize("length", EDGES)
@pytest.mark.parametrize("out_size", [1, S.ENC_CHUNK_SIZE * 3, 1 << 20])
def test_writer_matches_encrypt_stream_at_chunk_edges(length: int, out_size: int) -> None:
    data = os.urandom(length)
    assert pushed(data, [], out_size) == reference(data)
    assert pushed(data, [K, K], out_size) == reference(data)  # a cut exactly on a boundary


@settings(max_examples=80, deadline=None)
@given(
    length=st.one_of(st.sampled_from(EDGES), st.integers(0, 4 * K)),
    cuts=st.lists(st.integers(0, 4 * K), max_size=8),
    out_size=st.sampled_from([1, S.ENC_CHUNK_SIZE * 2 + 5, 1 << 20]),
)
def test_writer_is_the_same_stream_however_the_bytes_arrive(
    length: int, cuts: list[int], out_size: int
) -> None:
    data = bytes((i * 7 + length) & 0xFF for i in range(length))
    blob = pushed(data, cuts, out_size)
    assert blob == reference(data)
    assert S.decrypt_bytes(blob, key=KEY, blob_id="backup-test") == data


def test_writer_uses_a_fresh_nonce_and_refuses_writes_after_close() -> None:
    a, b = io.BytesIO(), io.BytesIO()
    for out in (a, b):
        w = S.StreamWriter(out, key=KEY, blob_id="x")
        w.write(b"same plaintext")
        w.close()
        w.close()  # idempotent: no second final chunk
        with pytest.raises(ValueError):
            w.write(b"more")
    assert a.getvalue() != b.getvalue()
    assert S.decrypt_bytes(a.getvalue(), key=KEY, blob_id="x") == b"same plaintext"


def test_an_unclosed_writer_is_a_truncated_stream() -> None:
    out = io.BytesIO()
    w = S.StreamWriter(out, key=KEY, blob_id="x", out_size=1)
    w.write(os.urandom(3 * K + 5))  # three full chunks sealed and written, no final one
    with pytest.raises(S.StreamError) as err:
        S.decrypt_bytes(out.getvalue(), key=KEY, blob_id="x")
    assert err.value.reason == "truncated"


@pytest.mark.parametrize("length", [0, K, 2 * K + 3])
def test_reader_without_digest_reads_the_same_bytes(length: int) -> None:
    data = os.urandom(length)
    blob = reference(data)
    with_digest = S.DecryptingReader(io.BytesIO(blob), key=KEY, blob_id="backup-test")
    without = S.DecryptingReader(io.BytesIO(blob), key=KEY, blob_id="backup-test", digest=False)
    assert with_digest.read() == without.read() == data
    assert without.at_eof and with_digest.stats().size == length
    with pytest.raises(ValueError):
        without.stats()
    bad = bytearray(blob)
    bad[-1] ^= 1
    with pytest.raises(S.StreamError):
        S.DecryptingReader(
            io.BytesIO(bytes(bad)), key=KEY, blob_id="backup-test", digest=False
        ).read()
