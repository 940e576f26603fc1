"""Memory does not grow with file size: a 300 MB blob in and out of a child process
whose peak RSS (resource.getrusage, a high-water mark) is measured around the work."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SIZE = 300 * 1024 * 1024
# SHA-256 of 300 MiB of zero bytes (hashlib, 1 MiB at a time)
ZEROS_300MIB_SHA256 = "17a88af83717f68b8bd97873ffcf022c8aed703416fe9b08e0fa9e3287692bf0"

CHILD = textwrap.dedent(
    """
    import json, os, resource, sys
    from evidence_locker.crypto import stream as S

    plain, blob, back = sys.argv[1:4]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    key = os.urandom(32)
    with open(plain, "rb") as src, open(blob, "wb") as dst:
        enc = S.encrypt_stream(src, dst, key=key, blob_id="big")
    with open(blob, "rb") as src, open(back, "wb") as dst:
        dec = S.decrypt_stream(src, dst, key=key, blob_id="big")
    with open(blob, "rb") as src:
        reader = S.open_decrypting(src, key, "big")
        while reader.read(1 << 20):
            pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_kib": before, "peak_kib": peak, "enc": [enc.size, enc.sha256_hex],
                      "dec": [dec.size, dec.sha256_hex], "read": reader.stats().sha256_hex}))
    """
)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="resource is POSIX only")
def test_300mb_round_trip_in_bounded_memory(tmp_path: Path) -> None:
    plain = tmp_path / "recording.m4a"
    with plain.open("wb") as f:  # sparse: reads as zeros, costs no disk
        f.truncate(SIZE)
    blob, back = tmp_path / "blob", tmp_path / "back"
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(plain), str(blob), str(back)],
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
        timeout=240,
    )
    result = json.loads(proc.stdout)
    assert result["enc"] == result["dec"]
    assert result["enc"] == [SIZE, ZEROS_300MIB_SHA256]
    assert result["read"] == result["enc"][1]
    assert blob.stat().st_size == 25 + SIZE + 16 * (SIZE // 65536)
    assert back.stat().st_size == SIZE
    peak_mb = result["peak_kib"] / 1024
    grown_mb = (result["peak_kib"] - result["before_kib"]) / 1024
    assert peak_mb < 100, f"peak RSS {peak_mb:.1f} MB"
    assert grown_mb < 16, f"RSS grew by {grown_mb:.1f} MB during the round trip"
