"""iPhone backups (issue 21): sms.db, attributedBody, CallHistory, attachments, encryption."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.importers import ImportOptions, Rejected, detect_format, open_importer
from evidence_locker.importers.apple import BadArchive, apple_time, attributed_text
from evidence_locker.model import ContactDraft

from .conftest import SHANGHAI, records
from .ios_fixtures import (
    PHOTO,
    T0,
    apple_ns,
    apple_s,
    archived_text,
    build_call_history,
    build_sms_db,
    standard_backup,
)

OPTIONS = ImportOptions(timezone="Asia/Shanghai")
PASSWORD = "备份密码 2025"


def drafts(path: Path, **kwargs: object) -> list[ContactDraft | Rejected]:
    options = ImportOptions(**{"timezone": "Asia/Shanghai", **kwargs})  # type: ignore[arg-type]
    return list(open_importer(path, options=options).iter_drafts())


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_attributed_body_round_trips_through_the_typedstream_reader(text: str) -> None:
    assert attributed_text(archived_text(text)) == text


def test_a_long_attributed_body_uses_the_wide_length_forms() -> None:
    text = "逾期" * 20_000  # 120,000 UTF-8 bytes: the 4-byte length form
    assert attributed_text(archived_text(text)) == text


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=150))
def test_a_damaged_attributed_body_is_refused_cleanly(noise: bytes, cut: int) -> None:
    blob = archived_text("请还款")
    for damaged in (blob[:cut], blob[:16] + noise, noise):
        with contextlib.suppress(BadArchive):  # any other exception fails the test
            attributed_text(damaged)


def test_apple_dates_in_seconds_and_nanoseconds() -> None:
    seconds = apple_s(T0)  # 760,759,200 s after 2001-01-01
    assert apple_time(seconds, SHANGHAI) == apple_time(apple_ns(T0), SHANGHAI)
    assert apple_time(seconds, SHANGHAI).isoformat() == "2025-02-09T10:00:00+08:00"  # type: ignore[union-attr]
    assert apple_time(0, SHANGHAI) is None and apple_time(None, SHANGHAI) is None


def test_a_backup_folder_is_detected_and_every_message_and_call_read(tmp_path: Path) -> None:
    backup = standard_backup(tmp_path)
    assert detect_format(backup) == "iphone-backup"
    items = drafts(backup)
    made = [d for d in items if isinstance(d, ContactDraft)]
    assert len(items) == 14 + 6 and len(made) == 20
    by_text = {d.content: d for d in made if d.content}
    # attributedBody-only texts (newer iOS), emoji kept
    assert "【XX银行】最后通知：今日不还款将上报征信 😡" in by_text
    imsg = by_text["我们知道你单位在哪里"]
    assert imsg.channel.value == "message" and imsg.app == "imessage"
    assert imsg.address == "collector@icloud.com"
    sms = by_text["您的贷款已逾期，请尽快还款"]
    assert sms.channel.value == "sms" and sms.address == "+8613800138000"
    assert sms.occurred_at.isoformat() == "2025-02-09T10:00:00+08:00"
    assert by_text["旧手机上的短信"].occurred_at.isoformat() == "2025-02-08T10:00:00+08:00"
    # group chats keep the sender, and the group
    group = by_text["群里所有人都知道你欠钱"]
    assert group.address == "+8613911112222" and group.counterpart == "XX催收群"
    assert "Members: collector@icloud.com, +8613911112222" in (group.notes or "")
    mine = by_text["请不要在群里发我的信息"]
    assert mine.direction.value == "outgoing" and mine.counterpart == "XX催收群"
    # events, recalls, reactions, edits, failures: kept and said
    notes = [d.notes or "" for d in made]
    assert any("group renamed to “XX催收群”" in n for n in notes)
    assert any(n.startswith("Unsent by the sender at 2025-02-09T10:09") for n in notes)
    assert any("Reaction: liked a message" in n for n in notes)
    assert "Edited at" in (by_text["还款计划改为每月1000"].notes or "")
    assert by_text["发送失败的短信"].outcome.value == "failed"  # type: ignore[union-attr]
    # the backed-up photo is attached; the one missing from the backup is named
    (photo,) = [d for d in made if d.attachments]
    assert photo.attachments[0].data == PHOTO and photo.attachments[0].name == "IMG_0001.png"
    assert "IMG_0002.heic: not in the backup" in (by_text["没有附件备份的图片"].notes or "")
    # calls
    calls = [d for d in made if d.channel.value == "call"]
    assert [c.outcome.value for c in calls] == [  # type: ignore[union-attr]
        "connected", "missed", "missed", "connected", "connected", "missed",
    ]  # fmt: skip
    assert calls[0].duration_s == 125 and calls[0].counterpart == "催收小王"
    assert calls[2].direction.value == "outgoing"
    assert calls[4].app == "wechat" and "com.tencent.xin" in (calls[4].notes or "")
    assert calls[5].address is None and "withheld" in (calls[5].notes or "")
    # provenance: the database inside the backup, by its own hash
    sms_source = sms.source
    assert sms_source is not None and sms_source.file_name.endswith("Library/SMS/sms.db")  # type: ignore[union-attr]
    built = (tmp_path / "backup-sms.db").read_bytes()
    assert sms_source.file_sha256 == hashlib.sha256(built).hexdigest()
    assert calls[0].source.file_name.endswith("CallHistory.storedata")  # type: ignore[union-attr]


def test_importing_a_backup_twice_adds_nothing_and_leaves_the_folder_untouched(
    ready, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    backup = standard_backup(tmp_path)
    before = tree_digest(backup)
    first = json.loads(ready("import", str(backup), "--json").out)
    assert first["format"] == "iphone-backup" and first["imported"] == 20
    assert first["attachments"] == 1  # the one photo that was backed up
    again = json.loads(ready("import", str(backup), "--json").out)
    assert again["imported"] == 0 and again["duplicates"] == 20
    assert tree_digest(backup) == before  # no journal, WAL or lock file appeared
    data = records(ready)
    with_photo = [r for r in data if any(a["name"] == "IMG_0001.png" for a in r["attachments"])]
    assert len(with_photo) == 1
    out = tmp_path / "out"
    assert ready("extract", with_photo[0]["id"][:8], "--to", str(out)).code == 0
    assert (out / "IMG_0001.png").read_bytes() == PHOTO
    hits = json.loads(ready("search", "单位", "--json").out)
    assert any("我们知道你单位在哪里" in json.dumps(h, ensure_ascii=False) for h in hits)
    assert ready("verify").code == 0


def test_an_encrypted_backup_needs_its_password(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    backup = standard_backup(tmp_path, password=PASSWORD)
    before = tree_digest(backup)
    temp_before = set(os.listdir(tmp_path.parent))
    missing = ready("import", str(backup))
    assert missing.code == 1 and "encrypted" in missing.err and "Traceback" not in missing.err
    wrong = ready("import", str(backup), env={"EVIDENCE_LOCKER_BACKUP_PASSWORD": "not it"})
    assert wrong.code == 1 and "backup password is not right" in wrong.err
    assert records(ready) == []
    right = ready(
        "import", str(backup), "--json", env={"EVIDENCE_LOCKER_BACKUP_PASSWORD": PASSWORD}
    )
    assert right.code == 0, right.err
    assert json.loads(right.out)["imported"] == 20
    contents = {r["content"] for r in records(ready)}
    assert "【XX银行】最后通知：今日不还款将上报征信 😡" in contents
    assert tree_digest(backup) == before
    assert set(os.listdir(tmp_path.parent)) == temp_before  # nothing decrypted was written


def test_a_bare_sms_db_and_call_history_are_recognised(tmp_path: Path) -> None:
    sms, calls = tmp_path / "chat.db", tmp_path / "CallHistory.storedata"
    build_sms_db(sms)
    build_call_history(calls)
    assert detect_format(sms) == "iphone-sms" and detect_format(calls) == "iphone-calls"
    messages = drafts(sms)
    assert len(messages) == 14
    # no backup around it: the attachment is named, not invented
    assert any(
        "not in the backup" in (d.notes or "") for d in messages if isinstance(d, ContactDraft)
    )
    assert len(drafts(calls)) == 6


def test_an_overlong_text_in_sms_db_is_rejected_not_loaded(tmp_path: Path) -> None:
    sms = tmp_path / "sms.db"
    build_sms_db(sms)
    conn = sqlite3.connect(sms)
    conn.execute("UPDATE message SET text = ? WHERE guid = 'G1'", ("还" * 2_000_000,))
    conn.commit()
    conn.close()
    first = drafts(sms, max_text_chars=100_000)[0]
    assert isinstance(first, Rejected) and first.reason == "import.too_large"


def test_a_corrupt_database_is_a_clear_error(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "sms.db"
    fake.write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    r = ready("import", str(fake))
    assert r.code == 1 and "sms.db" in r.err and "Traceback" not in r.err
    folder = tmp_path / "not-a-backup"
    folder.mkdir()
    r = ready("import", str(folder))
    assert r.code == 1 and "not an iPhone backup" in r.err


@pytest.mark.parametrize("manifest", [b"", b"bplist00garbage", b"<?xml version='1.0'?><plist/>"])
def test_a_damaged_manifest_is_refused(ready, tmp_path: Path, manifest: bytes) -> None:  # type: ignore[no-untyped-def]
    backup = standard_backup(tmp_path)
    (backup / "Manifest.plist").write_bytes(manifest)
    (backup / "Manifest.db").write_bytes(b"not sqlite")
    r = ready("import", str(backup))
    assert r.code == 1 and backup.name in r.err and "Traceback" not in r.err


def test_the_secrets_an_import_will_ask_for_are_known_before_it_starts(tmp_path: Path) -> None:
    """The CLI asks for them before drawing its progress bar, which would hide a prompt."""
    from evidence_locker.importers import secrets_needed

    assert secrets_needed(standard_backup(tmp_path, password=PASSWORD)) == ("backup_password",)
    assert secrets_needed(standard_backup(tmp_path)) == ()
    assert secrets_needed("imap://me@163.com@imap.163.com/INBOX") == ("imap_password",)
    assert secrets_needed(tmp_path / "missing.xml") == ()


def test_a_crafted_manifest_reaches_nothing_outside_the_backup(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """fileIDs that are not 40 hex digits are ignored, and a stored file that is a link
    (which could point anywhere) is not read."""
    secret = tmp_path / "elsewhere.db"
    build_sms_db(secret)
    backup = standard_backup(tmp_path)
    index = sqlite3.connect(backup / "Manifest.db")
    index.execute(
        "UPDATE Files SET fileID = '../elsewhere.db' WHERE relativePath = 'Library/SMS/sms.db'"
    )
    (fid,) = index.execute(
        "SELECT fileID FROM Files WHERE relativePath LIKE '%CallHistory.storedata'"
    ).fetchone()
    index.commit()
    index.close()
    stored = backup / fid[:2] / fid
    stored.unlink()
    stored.symlink_to(secret)
    r = ready("import", str(backup))
    assert r.code == 1 and "neither Messages" in r.err  # nothing read: no sms.db, no calls
    assert records(ready) == []


def test_an_attachment_over_the_bound_leaves_its_message(tmp_path: Path) -> None:
    made = drafts(standard_backup(tmp_path), max_attachment_bytes=16)
    (photo,) = [d for d in made if isinstance(d, ContactDraft) and "IMG_0001" in (d.notes or "")]
    assert photo.attachments == () and "over the limit; not imported" in (photo.notes or "")
