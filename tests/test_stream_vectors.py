"""Shared test vectors (tests/vectors/stream): our decoder and an independent one.

The independent checker below is written from docs/stream-format.md alone, straight on
pyca/cryptography, so a bug shared by the encoder and decoder in
``evidence_locker.crypto.stream`` cannot make the vectors pass.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from evidence_locker.crypto import stream as S

DIR = Path(__file__).parent / "vectors" / "stream"
MANIFEST = json.loads((DIR / "vectors.json").read_text(encoding="utf-8"))
VECTORS = MANIFEST["vectors"]


def independent_decrypt(blob: bytes, key: bytes, blob_id: str) -> bytes | str:
    """Plaintext, or "truncated"/"corrupted", following the written spec only."""
    magic = b"EVLKBLOB\x01"
    if len(blob) < 25:
        return "truncated" if magic.startswith(blob[:9]) else "corrupted"
    if blob[:9] != magic:
        return "corrupted"
    salt = blob[9:25]
    pkey = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=salt,
        info=b"evidence-locker/v1/blob" + blob_id.encode("utf-8"),
    ).derive(key)
    aead = AESGCM(pkey)
    body = blob[25:]
    if not body:
        return "truncated"
    pieces = [body[i : i + 65552] for i in range(0, len(body), 65552)]
    out = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        nonce = i.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        try:
            plain = aead.decrypt(nonce, piece, None)
        except InvalidTag:
            if last and len(piece) == 65552:
                try:
                    aead.decrypt(i.to_bytes(11, "big") + b"\x00", piece, None)
                    return "truncated"
                except InvalidTag:
                    pass
            return "corrupted"
        if last and not plain and i > 0:
            return "corrupted"
        out.append(plain)
    return b"".join(out)


def test_manifest_covers_the_required_cases() -> None:
    names = {v["name"] for v in VECTORS}
    assert {
        "ok_small", "truncated", "reordered", "flipped_bit", "wrong_blob_id", "wrong_key",
        "extra_data", "empty", "chunk_exact", "chunk_minus_1", "chunk_plus_1", "two_chunks",
    } <= names  # fmt: skip
    assert MANIFEST["chunk_size"] == S.CHUNK_SIZE


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector(vector: dict) -> None:
    blob = (DIR / vector["file"]).read_bytes()
    key = bytes.fromhex(vector["key"])
    out = io.BytesIO()
    independent = independent_decrypt(blob, key, vector["blob_id"])
    if vector["expected"] == "ok":
        stats = S.decrypt_stream(io.BytesIO(blob), out, key=key, blob_id=vector["blob_id"])
        assert stats.size == vector["plaintext_size"]
        assert stats.sha256_hex == vector["plaintext_sha256"]
        assert hashlib.sha256(out.getvalue()).hexdigest() == vector["plaintext_sha256"]
        assert independent == out.getvalue()
    else:
        with pytest.raises(S.StreamError) as info:
            S.decrypt_stream(io.BytesIO(blob), out, key=key, blob_id=vector["blob_id"])
        assert info.value.reason == vector["expected"]
        assert independent == vector["expected"]


def test_generator_reproduces_the_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("stream_vector_gen", DIR / "generate.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.write(tmp_path)
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (DIR / path.name).read_bytes(), path.name
    assert {p.name for p in tmp_path.iterdir()} == {
        p.name for p in DIR.iterdir() if p.suffix in {".bin", ".json"}
    }
