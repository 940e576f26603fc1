"""BlobStore: atomic writes, permissions, all-or-nothing extract, crash and disk-full."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evidence_locker.errors import IntegrityError, NotFound, StorageError, UsageError
from evidence_locker.store import blobs
from evidence_locker.store.blobs import BlobStore

KEY = hashlib.sha256(b"test attachment key").digest()
MARKER = b"PLAINTEXT-MARKER-"  # must never appear in the store


def recording(n: int) -> bytes:
    return (MARKER + os.urandom(15)) * (n // 32) + MARKER[: n % 32]


def all_bytes(directory: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(directory.rglob("*")) if p.is_file()]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def test_put_and_extract_round_trip(store: BlobStore, tmp_path: Path) -> None:
    data = recording(200_000)
    src = tmp_path / "录音 recording.m4a"
    src.write_bytes(data)
    blob_id = blobs.new_id()
    stats = store.put(src, key=KEY, blob_id=blob_id)
    assert stats.size == len(data)
    assert stats.sha256_hex == hashlib.sha256(data).hexdigest()
    names = [p.name for p in store.directory.iterdir()]
    assert names == [f"{blob_id}.blob"]  # a random id, nothing of the original name
    assert store.exists(blob_id) and list(store.ids()) == [blob_id]
    assert store.size(blob_id) == 25 + len(data) + 16 * 4
    assert all(MARKER not in content for _, content in all_bytes(store.directory))

    out = tmp_path / "out" / "recording.m4a"
    out.parent.mkdir()
    assert store.extract(blob_id, out, key=KEY, expected_sha256=stats.sha256_hex) == stats
    assert out.read_bytes() == data
    assert os.listdir(out.parent) == ["recording.m4a"]
    assert store.verify(blob_id, key=KEY) == stats
    with store.reader(blob_id, key=KEY) as reader:
        assert reader.read() == data
        raw = reader._src
    assert raw.closed


def test_put_from_open_file(store: BlobStore) -> None:
    stats = store.put(io.BytesIO(b"\x89PNG..."), key=KEY, blob_id="screenshot-1")
    assert stats.size == 7
    with store.open("screenshot-1") as f:
        assert f.read(9) == b"EVLKBLOB\x01"


def test_permissions_ignore_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        loose = tmp_path / "loose"
        loose.mkdir(mode=0o755)
        store = BlobStore(loose)
        assert mode(loose) == 0o700
        fresh = BlobStore(tmp_path / "a" / "b")
        assert mode(fresh.directory) == 0o700
        store.put(io.BytesIO(b"x"), key=KEY, blob_id="b1")
        assert mode(store.path("b1")) == 0o600
        out = tmp_path / "out.bin"
        store.extract("b1", out, key=KEY)
        assert mode(out) == 0o600
    finally:
        os.umask(old)


def test_extract_refuses_to_overwrite_without_force(store: BlobStore, tmp_path: Path) -> None:
    store.put(io.BytesIO(b"new evidence"), key=KEY, blob_id="b1")
    dest = tmp_path / "note.jpg"
    dest.write_bytes(b"keep me")
    with pytest.raises(UsageError) as info:
        store.extract("b1", dest, key=KEY)
    assert info.value.exit_code == 2
    assert info.value.render_hint("en") and "--force" in info.value.render_hint("en")
    assert dest.read_bytes() == b"keep me"
    store.extract("b1", dest, key=KEY, force=True)
    assert dest.read_bytes() == b"new evidence"
    with pytest.raises(UsageError):
        store.extract("b1", tmp_path, key=KEY)  # a directory is never a target


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda b: b[: 25 + 65552], "truncated"),
        (lambda b: b[:-1], "corrupted"),
        (lambda b: b[:200] + bytes([b[200] ^ 1]) + b[201:], "corrupted"),
    ],
)
def test_failed_extract_leaves_no_plaintext(
    store: BlobStore, tmp_path: Path, damage, reason
) -> None:
    data = recording(150_000)
    store.put(io.BytesIO(data), key=KEY, blob_id="b1")
    path = store.path("b1")
    path.write_bytes(damage(path.read_bytes()))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "old.m4a").write_bytes(b"previous")
    for dest, force in [(out_dir / "rec.m4a", False), (out_dir / "old.m4a", True)]:
        with pytest.raises(IntegrityError) as info:
            store.extract("b1", dest, key=KEY, force=force)
        assert info.value.params["reason"] == reason
        assert info.value.key == f"attachments.{reason}"
        assert "b1" in str(info.value)
    assert leftovers(out_dir) == ["old.m4a"]
    assert (out_dir / "old.m4a").read_bytes() == b"previous"
    with pytest.raises(IntegrityError):
        store.verify("b1", key=KEY)


def test_blob_swapped_under_another_id_fails(store: BlobStore, tmp_path: Path) -> None:
    store.put(io.BytesIO(b"threat screenshot"), key=KEY, blob_id="aaa1")
    store.put(io.BytesIO(b"harmless"), key=KEY, blob_id="bbb2")
    shutil.copyfile(store.path("aaa1"), store.path("bbb2"))
    with pytest.raises(IntegrityError):
        store.extract("bbb2", tmp_path / "x", key=KEY)
    assert not (tmp_path / "x").exists()


def test_hash_mismatch_with_ledger_leaves_nothing(store: BlobStore, tmp_path: Path) -> None:
    store.put(io.BytesIO(b"abc"), key=KEY, blob_id="b1")
    with pytest.raises(IntegrityError) as info:
        store.extract("b1", tmp_path / "x", key=KEY, expected_sha256="00" * 32)
    assert info.value.key == "attachments.hash_mismatch"
    assert not (tmp_path / "x").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["blobs"]


class FailingSource(io.RawIOBase):
    """Gives ``limit`` bytes of recognisable plaintext, then raises ``exc``."""

    def __init__(self, limit: int, exc: BaseException):
        self.left = limit
        self.exc = exc

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self.left <= 0:
            raise self.exc
        n = min(len(buffer), self.left, 4096)
        chunk = (MARKER * (n // len(MARKER) + 1))[:n]
        buffer[:n] = chunk
        self.left -= n
        return n


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (OSError(errno.EIO, "Input/output error"), StorageError),
        (RuntimeError("boom"), RuntimeError),
    ],
)
def test_writer_failing_mid_stream_leaves_nothing(store: BlobStore, exc, expected) -> None:
    with pytest.raises(expected):
        store.put(FailingSource(300_000, exc), key=KEY, blob_id="b1")
    assert leftovers(store.directory) == []
    assert not store.exists("b1")


def test_disk_full_is_a_clean_error(store: BlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = blobs._open_exclusive

    class FullDisk:
        """The real temporary file, but the disk fills up after 100 000 bytes."""

        def __init__(self, f):
            self.f = f
            self.written = 0

        def write(self, data) -> int:
            if self.written + len(data) > 100_000:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.written += len(data)
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.f.close()

    created: list[Path] = []

    def open_full(path: Path):
        created.append(path)
        return FullDisk(real_open(path))

    monkeypatch.setattr(blobs, "_open_exclusive", open_full)
    with pytest.raises(StorageError) as info:
        store.put(io.BytesIO(recording(500_000)), key=KEY, blob_id="b1")
    assert info.value.key == "attachments.disk_full"
    assert "disk is full" in str(info.value)
    assert created and not created[0].exists()  # the temp file really existed, then went
    assert leftovers(store.directory) == []


WRITER = textwrap.dedent(
    """
    import io, sys, time
    from evidence_locker.store.blobs import BlobStore

    class Slow(io.RawIOBase):
        # Endless plaintext carrying a marker, slow enough to be killed mid-write.
        def readable(self):
            return True
        def readinto(self, buffer):
            time.sleep(0.002)
            n = min(len(buffer), 65536)
            buffer[:n] = (b"PLAINTEXT-MARKER-" * 4000)[:n]
            return n

    BlobStore(sys.argv[1]).put(Slow(), key=bytes(32), blob_id="big")
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_kill_9_mid_write_leaves_only_ciphertext_temp(tmp_path: Path) -> None:
    directory = tmp_path / "blobs"
    BlobStore(directory)
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(directory)], cwd=root)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            temps = [p for p in directory.iterdir() if p.name.endswith(".part")]
            if temps and temps[0].stat().st_size > 2_000_000:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the writer never got going")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    store = BlobStore(directory)
    assert not store.exists("big")
    names = leftovers(directory)
    assert len(names) == 1 and names[0].startswith(".tmp-") and names[0].endswith(".part")
    content = (directory / names[0]).read_bytes()
    assert len(content) > 2_000_000 and b"PLAINTEXT" not in content
    assert store.sweep_temp() == 1
    assert leftovers(directory) == []


def test_sweep_spares_young_temp_files_and_real_blobs(store: BlobStore) -> None:
    store.put(io.BytesIO(b"x"), key=KEY, blob_id="keep")
    (store.directory / ".tmp-0123.part").write_bytes(b"ciphertext")
    (store.directory / "notes.txt").write_bytes(b"not ours")
    assert store.sweep_temp(min_age_s=3600) == 0
    assert store.sweep_temp() == 1
    assert leftovers(store.directory) == ["keep.blob", "notes.txt"]
    assert list(store.ids()) == ["keep"]


def test_ids_delete_and_errors(store: BlobStore, tmp_path: Path) -> None:
    for bad in ["", "../escape", "a/b", ".tmp-x", "x.blob", "名字", "a" * 200]:
        with pytest.raises(ValueError):
            store.path(bad)
    store.put(io.BytesIO(b"x"), key=KEY, blob_id="b1")
    with pytest.raises(ValueError):
        store.put(io.BytesIO(b"y"), key=KEY, blob_id="b1")
    assert store.verify("b1", key=KEY).size == 1  # the first blob is untouched
    store.delete("b1")
    assert not store.exists("b1")
    store.delete("b1")  # rollback twice is harmless
    with pytest.raises(NotFound):
        store.open("b1")
    with pytest.raises(NotFound):
        store.size("b1")
    with pytest.raises(NotFound):
        store.extract("b1", tmp_path / "x", key=KEY)
    with pytest.raises(NotFound):
        store.put(tmp_path / "missing.jpg", key=KEY, blob_id="b2")
    assert len(blobs.new_id()) == 32 and blobs.new_id() != blobs.new_id()
