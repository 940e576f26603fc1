"""The streaming blob cipher: round trips at chunk boundaries, every way to break a
blob, the reader that never hands out unauthenticated bytes, and property tests."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_locker.crypto import DecryptionFailed
from evidence_locker.crypto import _primitives as P
from evidence_locker.crypto import stream as S

KEY = bytes(range(32))
K = S.CHUNK_SIZE
E = S.ENC_CHUNK_SIZE
H = S.HEADER_SIZE


class TrickleReader(io.RawIOBase):
    """A source that returns at most ``step`` bytes per read, like a pipe."""

    def __init__(self, data: bytes, step: int):
        self._data = memoryview(data)
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = min(len(buffer), self._step, len(self._data) - self._pos)
        buffer[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def chunk_count(n: int) -> int:
    return max(1, -(-n // K))


@pytest.mark.parametrize("size", [0, 1, K - 1, K, K + 1, 2 * K - 1, 2 * K, 2 * K + 1, 3 * K])
def test_round_trip_at_chunk_boundaries(size: int) -> None:
    data = os.urandom(size)
    src, dst = io.BytesIO(data), io.BytesIO()
    stats = S.encrypt_stream(src, dst, key=KEY, blob_id="a")
    assert stats == S.StreamStats(size, hashlib.sha256(data).hexdigest())
    blob = dst.getvalue()
    assert len(blob) == H + size + S.TAG_SIZE * chunk_count(size)
    assert blob[:9] == b"EVLKBLOB\x01"
    out = io.BytesIO()
    assert S.decrypt_stream(io.BytesIO(blob), out, key=KEY, blob_id="a") == stats
    assert out.getvalue() == data


def test_chunk_layout_follows_age_rules() -> None:
    """Exactly 2 x 64 KiB is two full chunks, the second flagged final (no empty tail)."""
    data = os.urandom(2 * K)
    blob = S.encrypt_bytes(data, key=KEY, blob_id="a")
    assert len(blob) == H + 2 * E
    nonce = blob[S.HEADER_SIZE - S.NONCE_SIZE : H]
    aead = P.AESGCM(S.payload_key(KEY, nonce, "a"))
    assert aead.decrypt(S.chunk_nonce(0, False), blob[H : H + E], None) == data[:K]
    assert aead.decrypt(S.chunk_nonce(1, True), blob[H + E :], None) == data[K:]


def test_short_reads_from_source_do_not_change_chunking() -> None:
    data = os.urandom(K + 5000)
    out = io.BytesIO()
    S.encrypt_stream(TrickleReader(data, 777), out, key=KEY, blob_id="a")
    assert len(out.getvalue()) == H + len(data) + 2 * S.TAG_SIZE
    assert S.decrypt_bytes(out.getvalue(), key=KEY, blob_id="a") == data
    plain = io.BytesIO()
    S.decrypt_stream(TrickleReader(out.getvalue(), 999), plain, key=KEY, blob_id="a")
    assert plain.getvalue() == data


def test_each_encryption_uses_a_fresh_nonce() -> None:
    a = S.encrypt_bytes(b"same", key=KEY, blob_id="a")
    b = S.encrypt_bytes(b"same", key=KEY, blob_id="a")
    assert a[:9] == b[:9] and a[9:H] != b[9:H] and a[H:] != b[H:]


def reason(blob: bytes, *, key: bytes = KEY, blob_id: str = "a") -> str:
    with pytest.raises(S.StreamError) as info:
        S.decrypt_bytes(blob, key=key, blob_id=blob_id)
    assert isinstance(info.value, DecryptionFailed)
    assert str(info.value) == f"blob {info.value.reason}"
    return info.value.reason


def test_wrong_key_and_swapped_blob_id_fail() -> None:
    blob = S.encrypt_bytes(b"call recording", key=KEY, blob_id="att-1")
    assert reason(blob, key=bytes(32), blob_id="att-1") == "corrupted"
    assert reason(blob, blob_id="att-2") == "corrupted"
    assert S.decrypt_bytes(blob, key=KEY, blob_id="att-1") == b"call recording"


def test_truncation_is_named_only_at_chunk_boundaries() -> None:
    blob = S.encrypt_bytes(os.urandom(2 * K + 10), key=KEY, blob_id="a")
    assert reason(blob[: H + E]) == "truncated"
    assert reason(blob[: H + 2 * E]) == "truncated"
    assert reason(blob[:H]) == "truncated"
    assert reason(blob[:5]) == "truncated"
    assert reason(b"") == "truncated"
    assert reason(blob[: H + E + 100]) == "corrupted"  # mid-chunk: indistinguishable
    assert reason(blob[:-1]) == "corrupted"


def test_reordered_dropped_and_appended_chunks_fail() -> None:
    blob = S.encrypt_bytes(os.urandom(3 * K + 10), key=KEY, blob_id="a")
    c = [blob[H + i * E : H + (i + 1) * E] for i in range(4)]
    head = blob[:H]
    assert reason(head + c[1] + c[0] + c[2] + c[3]) == "corrupted"
    assert reason(head + c[0] + c[2] + c[3]) == "corrupted"  # a middle chunk dropped
    assert reason(blob + b"\x00") == "corrupted"
    assert reason(blob + c[3]) == "corrupted"
    other = S.encrypt_bytes(os.urandom(3 * K + 10), key=KEY, blob_id="a")
    assert reason(head + other[H : H + E] + c[1] + c[2] + c[3]) == "corrupted"  # spliced


def test_bad_magic_or_version_fails() -> None:
    blob = S.encrypt_bytes(b"x", key=KEY, blob_id="a")
    assert reason(b"Y" + blob[1:]) == "corrupted"
    assert reason(blob[:8] + b"\x02" + blob[9:]) == "corrupted"
    assert reason(b"not a blob at all") == "corrupted"


def test_reader_returns_only_authenticated_chunks() -> None:
    data = os.urandom(3 * K)
    blob = bytearray(S.encrypt_bytes(data, key=KEY, blob_id="a"))
    blob[H + 2 * E + 7] ^= 1  # damage the final chunk
    reader = S.open_decrypting(io.BytesIO(bytes(blob)), KEY, "a")
    assert reader.read(K) == data[:K]
    assert reader.read(K) == data[K : 2 * K]
    with pytest.raises(S.StreamError):
        reader.read(K)
    with pytest.raises(S.StreamError):  # and it keeps failing, never a quiet EOF
        reader.read(K)


def test_reader_reports_eof_only_after_final_chunk() -> None:
    data = os.urandom(2 * K)
    blob = S.encrypt_bytes(data, key=KEY, blob_id="a")
    reader = S.open_decrypting(io.BytesIO(blob[: H + E]), KEY, "a")  # final chunk missing
    with pytest.raises(S.StreamError) as info:
        reader.read()
    assert info.value.reason == "truncated"
    whole = S.open_decrypting(io.BytesIO(blob), KEY, "a")
    assert b"".join(whole.iter_chunks()) == data
    assert whole.at_eof
    assert whole.stats() == S.StreamStats(len(data), hashlib.sha256(data).hexdigest())


def test_reader_works_with_buffered_io() -> None:
    data = ("催收短信 collection SMS\n" * 5000).encode()
    blob = S.encrypt_bytes(data, key=KEY, blob_id="a")
    text = io.TextIOWrapper(
        io.BufferedReader(S.open_decrypting(io.BytesIO(blob), KEY, "a")), encoding="utf-8"
    )
    lines = text.readlines()
    assert len(lines) == 5000 and lines[0] == "催收短信 collection SMS\n"


def test_header_is_checked_on_open() -> None:
    with pytest.raises(S.StreamError):
        S.open_decrypting(io.BytesIO(b"EVLKBLOB\x09" + bytes(40)), KEY, "a")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        S.encrypt_bytes(b"x", key=b"short", blob_id="a")
    with pytest.raises(ValueError):
        S.encrypt_bytes(b"x", key=KEY, blob_id="")
    with pytest.raises(OverflowError):
        S.chunk_nonce(S.MAX_CHUNKS, False)
    assert S.chunk_nonce(258, True) == bytes(9) + b"\x01\x02\x01"


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        # sizes around the chunk boundaries, where the interesting cases are
        st.integers(0, 2 * K + 70).map(lambda n: (bytes(range(251)) * (n // 251 + 1))[:n]),
    ),
    sizes=st.lists(st.integers(1, 3 * K), min_size=1, max_size=20),
)
def test_round_trip_with_arbitrary_read_sizes(data: bytes, sizes: list[int]) -> None:
    blob = S.encrypt_bytes(data, key=KEY, blob_id="prop")
    reader = S.open_decrypting(io.BytesIO(blob), KEY, "prop")
    got = bytearray()
    i = 0
    while True:
        part = reader.read(sizes[i % len(sizes)])
        i += 1
        if not part:
            break
        got += part
    assert bytes(got) == data
    assert reader.stats().sha256_hex == hashlib.sha256(data).hexdigest()


BLOB_FOR_MUTATION = S.encrypt_bytes(bytes(range(256)) * 300, key=KEY, blob_id="m")  # 2 chunks


@SETTINGS
@given(
    pos=st.integers(0, len(BLOB_FOR_MUTATION) - 1),
    mask=st.integers(1, 255),
)
def test_any_changed_byte_fails(pos: int, mask: int) -> None:
    blob = bytearray(BLOB_FOR_MUTATION)
    blob[pos] ^= mask
    with pytest.raises(S.StreamError):
        S.decrypt_bytes(bytes(blob), key=KEY, blob_id="m")


@SETTINGS
@given(cut=st.integers(0, len(BLOB_FOR_MUTATION) - 1))
def test_any_truncation_fails(cut: int) -> None:
    with pytest.raises(S.StreamError):
        S.decrypt_bytes(BLOB_FOR_MUTATION[:cut], key=KEY, blob_id="m")
