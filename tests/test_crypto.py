"""Key hierarchy, field sealing and their failure modes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker import crypto


def test_kdf_parameters_below_rfc9106_are_refused() -> None:
    params = crypto.KdfParams.new().to_json()
    for name, bad in (("memory_kib", 1024), ("iterations", 1), ("lanes", 1)):
        with pytest.raises(ValueError, match=name):
            crypto.KdfParams.from_json({**params, name: bad})


def test_forged_header_cannot_demand_huge_memory() -> None:
    params = crypto.KdfParams.new().to_json()
    with pytest.raises(ValueError, match="memory_kib"):
        crypto.KdfParams.from_json({**params, "memory_kib": 100 * 1024 * 1024})


def test_malformed_kdf_parameters_are_one_clear_error() -> None:
    for bad in ({}, {"alg": "scrypt"}, {"alg": "argon2id", "salt": "!!"}, {"alg": "argon2id"}):
        with pytest.raises(ValueError):
            crypto.KdfParams.from_json(bad)


def test_wrapped_master_key_opens_only_with_the_right_kek_and_context() -> None:
    master = crypto.new_master_key()
    kek = crypto.random_bytes(32)
    blob = crypto.wrap_key(kek, master, context=b"slot/a")
    assert crypto.unwrap_key(kek, blob, context=b"slot/a") == master
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unwrap_key(crypto.random_bytes(32), blob, context=b"slot/a")
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unwrap_key(kek, blob, context=b"slot/b")


def test_recovery_key_round_trip_tolerates_how_people_type_it() -> None:
    key = crypto.new_recovery_key()
    assert len(key.split("-")) == 9  # 8 groups of key, 1 check group
    salt = crypto.random_bytes(16)
    same = crypto.recovery_kek(key.lower().replace("-", " "), salt)
    assert same == crypto.recovery_kek(key, salt)
    with pytest.raises(ValueError):
        crypto.parse_recovery_key("not-a-key")


def test_subkeys_differ_per_purpose() -> None:
    ring = crypto.KeyRing(crypto.new_master_key())
    keys = {ring.subkey(p) for p in crypto.KeyRing.PURPOSES}
    assert len(keys) == len(crypto.KeyRing.PURPOSES)
    with pytest.raises(ValueError):
        ring.subkey("anything-else")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000), st.binary(max_size=40), st.data())
def test_sealed_fields_round_trip_and_any_flipped_bit_fails(
    plaintext: bytes, ad: bytes, data: st.DataObject
) -> None:
    cipher = crypto.FieldCipher(crypto.random_bytes(32))
    blob = cipher.seal(plaintext, ad)
    assert cipher.open(blob, ad) == plaintext
    i = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = bytearray(blob)
    flipped[i] ^= 1 << bit
    with pytest.raises(crypto.DecryptionFailed):
        cipher.open(bytes(flipped), ad)
    with pytest.raises(crypto.DecryptionFailed):
        cipher.open(blob, ad + b"x")
    with pytest.raises(crypto.DecryptionFailed):
        cipher.open(blob[:-1], ad)


def test_same_plaintext_seals_differently() -> None:
    cipher = crypto.FieldCipher(crypto.random_bytes(32))
    assert cipher.seal(b"same", b"ad") != cipher.seal(b"same", b"ad")
