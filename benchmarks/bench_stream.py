"""Throughput and memory of the attachment stream cipher, beside single-shot AES-GCM.

Prints one JSON object per line: {"name", "value", "unit", "baseline", "ratio", "goal"}.

- ``stream_encrypt`` / ``stream_decrypt``: file on disk to file on disk through
  ``encrypt_stream`` / ``decrypt_stream`` (64 KiB chunks, SHA-256 of the plaintext
  on the way), in MB/s. Baseline: one AES-256-GCM call over the same bytes held in
  memory, in the same run. Goal: ratio >= 0.5.
- ``blobstore_put`` / ``blobstore_extract``: the same through ``BlobStore`` (temp
  file, fsync, rename, directory fsync), same baselines and goal.
- ``stream_peak_rss``: peak resident memory of the process that did the four
  streaming runs above, in MB. Baseline: peak RSS of the single-shot process.
  Goal: value < 100 (MB).

The streaming runs happen in a child process so that the baseline's gigabytes of
buffers do not count in their peak RSS. The input file is freshly written, so reads
come mostly from the page cache, as they would right after a user copies a file in.

Usage: python benchmarks/bench_stream.py [--quick] [--size-mb N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evidence_locker.crypto import _primitives as P  # noqa: E402
from evidence_locker.crypto import stream as S  # noqa: E402
from evidence_locker.store.blobs import BlobStore  # noqa: E402

MB = 1_000_000


def peak_rss_mb() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * 1024 / (1024 * 1024) if sys.platform != "darwin" else kib / (1024 * 1024)


def write_input(path: Path, size: int) -> None:
    """Random bytes (a 16 MiB random block repeated: AES cost does not depend on them)."""
    block = os.urandom(16 * 1024 * 1024)
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n


def child(work: Path, size: int) -> None:
    key = os.urandom(32)
    plain, blob, back = work / "plain.bin", work / "blob.bin", work / "back.bin"
    out: dict[str, float] = {}
    with plain.open("rb") as src, blob.open("wb") as dst:
        t = time.perf_counter()
        enc = S.encrypt_stream(src, dst, key=key, blob_id="bench")
        out["stream_encrypt"] = time.perf_counter() - t
    with blob.open("rb") as src, back.open("wb") as dst:
        t = time.perf_counter()
        dec = S.decrypt_stream(src, dst, key=key, blob_id="bench")
        out["stream_decrypt"] = time.perf_counter() - t
    assert enc == dec and enc.size == size
    blob.unlink()
    back.unlink()
    store = BlobStore(work / "store")
    t = time.perf_counter()
    put = store.put(plain, key=key, blob_id="bench")
    out["blobstore_put"] = time.perf_counter() - t
    t = time.perf_counter()
    got = store.extract("bench", work / "extracted.bin", key=key, expected_sha256=put.sha256_hex)
    out["blobstore_extract"] = time.perf_counter() - t
    assert got == put == enc
    print(json.dumps({"seconds": out, "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="64 MB instead of 1 GB")
    ap.add_argument("--size-mb", type=int, default=None)
    ap.add_argument("--dir", default=None, help="where to put the temporary files")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    size = (args.size_mb or (64 if args.quick else 1000)) * MB
    if args.child:
        child(Path(args.child), size)
        return

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-stream-") as tmp:
        work = Path(tmp)
        write_input(work / "plain.bin", size)
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(work), "--size-mb", str(size // MB)],
            capture_output=True,
            text=True,
            check=True,
        )
        streamed = json.loads(proc.stdout)

        # Baseline: one AES-256-GCM call over all the bytes, in memory, same run.
        data = (work / "plain.bin").read_bytes()
        aead = P.AESGCM(os.urandom(32))
        nonce = os.urandom(12)
        t = time.perf_counter()
        sealed = aead.encrypt(nonce, data, None)
        base_enc = size / (time.perf_counter() - t) / MB
        t = time.perf_counter()
        opened = aead.decrypt(nonce, sealed, None)
        base_dec = size / (time.perf_counter() - t) / MB
        assert opened == data
        base_rss = peak_rss_mb()

    def line(name: str, value: float, unit: str, baseline: float, goal: float) -> None:
        print(
            json.dumps(
                {
                    "name": name,
                    "value": round(value, 1),
                    "unit": unit,
                    "baseline": round(baseline, 1),
                    "ratio": round(value / baseline, 3),
                    "goal": goal,
                }
            ),
            flush=True,
        )

    secs = streamed["seconds"]
    for name, base in [
        ("stream_encrypt", base_enc),
        ("stream_decrypt", base_dec),
        ("blobstore_put", base_enc),
        ("blobstore_extract", base_dec),
    ]:
        line(f"{name}_{size // MB}MB", size / secs[name] / MB, "MB/s", base, 0.5)
    line("stream_peak_rss", streamed["peak_rss_mb"], "MB", base_rss, 100)


if __name__ == "__main__":
    main()
