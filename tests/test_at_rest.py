"""Without the passphrase, the locker's files reveal none of what the user wrote."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path

from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft, Direction

from .conftest import SHANGHAI

SECRETS = {
    "counterpart": "王建国经理工号7741",
    "organisation": "Zephyrine Recovery Partners 鑫源资产",
    "address": "zq.collector@example.org",
    "subject": "Final notice Quixotic 最后通牒",
    "content": "我们会去你单位找你领导 we will drop by your employer Xylograph",
    "location": "幸福小区3栋门口",
    "notes": "neighbour Mrs Okonkwo-Beltran saw it 邻居看见了",
}


def encodings(text: str) -> list[bytes]:
    return [
        text.encode("utf-8"),
        text.encode("utf-16-le"),
        text.encode("utf-16-be"),
        text.encode("gb18030", errors="ignore"),
    ]


def assert_nothing_readable(directory: Path) -> None:
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for value in SECRETS.values():
            for piece in (value, *value.split()):
                if len(piece) < 4:
                    continue
                for needle in encodings(piece):
                    assert needle not in data, f"{piece!r} readable in {path.name}"


def test_no_sensitive_field_is_readable_in_any_file(locker: Locker, locker_dir: Path) -> None:
    for channel in (Channel.VISIT, Channel.EMAIL):
        locker.log(
            ContactDraft(
                channel=channel,
                occurred_at=datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI),
                direction=Direction.IN_PERSON,
                **SECRETS,  # type: ignore[arg-type]
            )
        )
    locker.add_case("Quixotic-case", creditor=SECRETS["organisation"])
    locker.correct(
        locker.records()[0].id, reason="typo Quixotic", changes={"notes": SECRETS["notes"]}
    )
    # while the locker is open, the WAL and shared-memory files exist too
    assert_nothing_readable(locker_dir)
    locker.close()
    assert_nothing_readable(locker_dir)


def test_files_are_owner_only(locker: Locker, locker_dir: Path) -> None:
    locker.log(ContactDraft(channel=Channel.SMS, occurred_at=datetime.now(SHANGHAI), content="x"))
    assert stat.S_IMODE(os.stat(locker_dir).st_mode) == 0o700
    for path in locker_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
