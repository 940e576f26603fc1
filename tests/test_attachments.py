"""Attachments through the Locker: stored encrypted, bound to records, provable."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from evidence_locker.errors import IntegrityError, NotFound, UsageError
from evidence_locker.locker import Locker, safe_file_name
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft

from .conftest import SHANGHAI


def png(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 30, 30)).save(path)
    return path


def call(**kw: object) -> ContactDraft:
    return ContactDraft(
        channel=Channel.CALL,
        occurred_at=datetime(2025, 2, 9, 22, 47, tzinfo=SHANGHAI),
        address="13800138000",
        content="说要上门",
        **kw,  # type: ignore[arg-type]
    )


def test_log_with_files_then_extract_byte_identical(locker: Locker, tmp_path: Path) -> None:
    recording = tmp_path / "录音 2025-02-09.m4a"
    recording.write_bytes(os.urandom(200_000))
    shot = png(tmp_path / "screenshot.png")
    record = locker.log(
        call(
            attachments=(
                AttachmentDraft(name=recording.name, path=str(recording)),
                AttachmentDraft(name="wechat.png", path=str(shot), caption="威胁截图"),
                AttachmentDraft(name="note.txt", data="门上贴的通知".encode()),
            )
        )
    )
    assert [a.name for a in record.attachments] == [recording.name, "wechat.png", "note.txt"]
    by_name = {a.name: a for a in record.attachments}
    assert by_name[recording.name].sha256 == hashlib.sha256(recording.read_bytes()).hexdigest()
    assert by_name["wechat.png"].mime == "image/png"
    assert by_name["wechat.png"].metadata.get("width") == 64
    assert by_name["wechat.png"].caption == "威胁截图"
    out = locker.extract(record.id, tmp_path / "out")
    assert (tmp_path / "out" / recording.name).read_bytes() == recording.read_bytes()
    assert (tmp_path / "out" / "note.txt").read_text() == "门上贴的通知"
    assert len(out) == 3
    with pytest.raises(UsageError):
        locker.extract(record.id, tmp_path / "out")
    assert len(locker.extract(record.id, tmp_path / "out", force=True)) == 3
    assert locker.verify().ok and locker.verify_blobs() == []


def test_attaching_later_adds_a_ledger_leaf(locker: Locker, tmp_path: Path) -> None:
    record = locker.log(call())
    size_before = locker.verify().size
    info = locker.attach(record.id[:8], png(tmp_path / "a.png"), caption="photo")
    # The file is one leaf; reading its text (with the ocr extra) is another.
    assert locker.verify().size == size_before + 1 + (info.ocr is not None)
    assert locker.get(record.id).attachments == [info]
    assert len(info.leaf_hash or "") == 64
    with pytest.raises(NotFound):
        locker.attach(record.id, tmp_path / "missing.png")


def test_file_names_on_disk_reveal_nothing(
    locker: Locker, locker_dir: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "Zanzibar-威胁录音.m4a"
    secret.write_bytes(b"audio" * 100)
    locker.log(
        call(
            attachments=(
                AttachmentDraft(name=secret.name, path=str(secret), caption="Quokkaphobia caption"),
            )
        )
    )
    for path in locker_dir.rglob("*"):
        assert "Zanzibar" not in path.name
        if path.is_file():
            data = path.read_bytes()
            for needle in ("Zanzibar", "威胁录音", "Quokkaphobia"):
                for enc in ("utf-8", "utf-16-le", "gb18030"):
                    assert needle.encode(enc) not in data


def test_swapped_truncated_or_missing_blob_is_named(
    locker: Locker, locker_dir: Path, tmp_path: Path
) -> None:
    one = tmp_path / "one.bin"
    two = tmp_path / "two.bin"
    one.write_bytes(os.urandom(150_000))
    two.write_bytes(os.urandom(150_000))
    a = locker.log(call(attachments=(AttachmentDraft(name="one.bin", path=str(one)),)))
    b = locker.log(call(attachments=(AttachmentDraft(name="two.bin", path=str(two)),)))
    blob_a = locker.blobs.path(a.attachments[0].id)
    blob_b = locker.blobs.path(b.attachments[0].id)
    shutil.copy(blob_b, blob_a)  # a swapped blob
    problems = locker.verify_blobs()
    assert [p[0].id for p in problems] == [a.attachments[0].id]
    with pytest.raises(IntegrityError):
        locker.extract(a.id, tmp_path / "out")
    assert not (tmp_path / "out" / "one.bin").exists()  # never a partial plaintext
    data = blob_b.read_bytes()
    blob_b.write_bytes(data[: len(data) // 2])  # truncated
    assert {p[0].id for p in locker.verify_blobs()} == {a.attachments[0].id, b.attachments[0].id}
    blob_b.unlink()
    assert any(what == "attachments.blob_missing" for _, what in locker.verify_blobs())


def test_failed_attach_leaves_no_blob(
    locker: Locker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = locker.log(call())
    before = set(locker.blobs.ids())

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(locker.ledger, "append", boom)
    with pytest.raises(OSError):
        locker.attach(record.id, png(tmp_path / "x.png"))
    assert set(locker.blobs.ids()) == before
    monkeypatch.undo()
    assert locker.verify().ok and locker.get(record.id).attachments == []


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd", "passwd"),
        ("a/b\\c.txt", "c.txt"),
        ("..", "attachment-abcdef12"),
        ("\x00\x07x.png", "x.png"),
        ("通知.jpg", "通知.jpg"),
    ],
)
def test_untrusted_names_cannot_escape(name: str, expected: str) -> None:
    assert safe_file_name(name, "abcdef1234") == expected
