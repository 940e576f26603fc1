"""Generate the blob-stream test vectors in this folder (see README.md).

Deterministic: keys, nonces and plaintexts are derived from fixed labels with SHA-256,
so running it again rewrites byte-identical files (tests/test_stream_vectors.py checks
that). Usage, from the repository root::

    python tests/vectors/stream/generate.py [OUTPUT_DIR]
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from evidence_locker.crypto import _primitives as P
from evidence_locker.crypto import stream as S

HERE = Path(__file__).resolve().parent
KEY = hashlib.sha256(b"evidence-locker stream vector key").digest()
OTHER_KEY = hashlib.sha256(b"evidence-locker stream vector other key").digest()
BLOB_ID = "att-0001"
OTHER_BLOB_ID = "att-0002"
K = S.CHUNK_SIZE
E = S.ENC_CHUNK_SIZE
H = S.HEADER_SIZE


def plaintext(n: int) -> bytes:
    """n pseudo-random bytes: SHA-256 of a label and a 4-byte counter, concatenated."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"evidence-locker stream vector" + i.to_bytes(4, "big")).digest()
        i += 1
    return bytes(out[:n])


def seal(data: bytes, name: str, *, blob_id: str = BLOB_ID) -> bytes:
    nonce = hashlib.sha256(b"nonce " + name.encode()).digest()[:16]
    out = io.BytesIO()
    S._encrypt_with_nonce(io.BytesIO(data), out, key=KEY, blob_id=blob_id, nonce=nonce)
    return out.getvalue()


def chunks(blob: bytes) -> list[bytes]:
    body = blob[H:]
    return [body[i : i + E] for i in range(0, len(body), E)]


def empty_final_after_full(name: str) -> bytes:
    """A full non-final chunk then an empty final one: valid tags, banned by age's rule."""
    nonce = hashlib.sha256(b"nonce " + name.encode()).digest()[:16]
    aead = P.AESGCM(S.payload_key(KEY, nonce, BLOB_ID))
    head = S.MAGIC + bytes([S.VERSION]) + nonce
    c0 = aead.encrypt(S.chunk_nonce(0, False), plaintext(K), None)
    c1 = aead.encrypt(S.chunk_nonce(1, True), b"", None)
    return head + c0 + c1


def build() -> list[tuple[dict[str, Any], bytes]]:
    """Every vector as (manifest entry, blob bytes)."""
    vectors: list[tuple[dict[str, Any], bytes]] = []

    def add(name: str, blob: bytes, expected: str, note: str, **kw: Any) -> None:
        entry: dict[str, Any] = {
            "name": name,
            "file": f"{name}.bin",
            "key": kw.get("key", KEY).hex(),
            "blob_id": kw.get("blob_id", BLOB_ID),
            "expected": expected,
            "note": note,
        }
        if expected == "ok":
            data = kw["data"]
            entry["plaintext_size"] = len(data)
            entry["plaintext_sha256"] = hashlib.sha256(data).hexdigest()
        vectors.append((entry, blob))

    for name, size, note in [
        ("ok_small", 1000, "one short final chunk"),
        ("empty", 0, "empty plaintext: one empty final chunk (tag only)"),
        ("chunk_minus_1", K - 1, "64 KiB - 1: one short final chunk"),
        ("chunk_exact", K, "exactly 64 KiB: one full final chunk"),
        ("chunk_plus_1", K + 1, "64 KiB + 1: full chunk, then a 1-byte final chunk"),
        ("two_chunks", 2 * K, "2 x 64 KiB: full chunk, then a full final chunk"),
    ]:
        data = plaintext(size)
        add(name, seal(data, name), "ok", note, data=data)

    two = seal(plaintext(2 * K), "two_chunks")
    small = seal(plaintext(1000), "ok_small")
    c = chunks(two)
    add("truncated", two[: H + E], "truncated", "two_chunks with its final chunk removed")
    add("truncated_header", two[:10], "truncated", "the first 10 bytes of a header")
    add("header_only", two[:H], "truncated", "a header and no chunk")
    add(
        "truncated_mid_chunk",
        two[: H + E + 1000],
        "corrupted",
        "cut inside the final chunk: cannot be told from tampering",
    )
    add("reordered", two[:H] + c[1] + c[0], "corrupted", "two_chunks with its chunks swapped")
    flipped = bytearray(small)
    flipped[H + 500] ^= 0x04
    add("flipped_bit", bytes(flipped), "corrupted", "ok_small with one ciphertext bit flipped")
    flipped_nonce = bytearray(small)
    flipped_nonce[H - 1] ^= 0x80
    add("flipped_nonce", bytes(flipped_nonce), "corrupted", "ok_small, a header nonce bit flipped")
    add("bad_magic", b"X" + small[1:], "corrupted", "ok_small with the magic altered")
    add(
        "wrong_blob_id",
        small,
        "corrupted",
        "ok_small opened under another attachment id",
        blob_id=OTHER_BLOB_ID,
    )
    add("wrong_key", small, "corrupted", "ok_small opened with another key", key=OTHER_KEY)
    add("extra_data", small + b"\x00", "corrupted", "ok_small with one byte after the final chunk")
    add(
        "extra_chunk",
        two + c[1],
        "corrupted",
        "two_chunks with its final chunk repeated after the end",
    )
    add(
        "empty_final_after_full",
        empty_final_after_full("empty_final_after_full"),
        "corrupted",
        "full chunk then an empty final chunk (only an empty file may end with one)",
    )
    return vectors


def write(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = []
    for entry, blob in build():
        (out_dir / entry["file"]).write_bytes(blob)
        manifest.append(entry)
    text = json.dumps({"chunk_size": K, "vectors": manifest}, indent=1, ensure_ascii=False)
    (out_dir / "vectors.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
