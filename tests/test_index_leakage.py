"""Known-plaintext leakage of private notes through the blind index (issue 13, item 6).

The attack (tests/attacks/index_leak.py, no key): a collector who knows the 400
messages it sent maps index tokens to grams, then reads those grams in the user's own
notes. Before token spaces, every field shared one key and the attack read most of a
note (a lawyer's number, a repayment date); with the user's words keyed apart
(search/spaces.py) it reads nothing of them. The figures go into docs/search.md.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft, Direction, micros
from evidence_locker.search import spaces
from tests.attacks.index_leak import Recovery, attack, recovered

from .conftest import PASSPHRASE, SHANGHAI

NOTE = "律师张伟电话13912345678，约定3月15日前还款5000元，案号AJ-2025-0042"
ORGS = ("平安普惠", "招联金融", "农商银行", "鼎信资产管理")
NUMBERS = ("13800138000", "95511", "4008201234", "02161234567")
TEMPLATES = (
    "【{org}】尊敬的客户，您的借款已逾期{days}天，欠款{amount}元，请于{month}月{day}日前还款。回电{phone}",
    "{org}提醒：您尾号{tail}的账户逾期未还款{amount}元，我司已受理委托，请尽快处理。",
    "最后通知：如{month}月{day}日前仍未还款{amount}元，我司将上门催收并联系你的单位。{org}",
    "您的案件已转入诉前调解，案号AJ-{year}-{case:04d}，请联系{phone}处理。",
    "Dear customer, your loan of {amount} RMB is {days} days overdue."
    " Call {phone} before {month}/{day}.",
)


@dataclass
class Built:
    locker_dir: Path
    known: list[tuple[int, list[str]]]
    note_seq: int


def build(locker_dir: Path) -> Built:
    rnd = random.Random(13)
    start = datetime(2025, 1, 1, 9, 0, tzinfo=SHANGHAI)
    drafts, known = [], []
    for i in range(400):
        org, phone = rnd.choice(ORGS), rnd.choice(NUMBERS)
        text = rnd.choice(TEMPLATES).format(
            org=org,
            days=rnd.randint(3, 400),
            amount=rnd.randint(500, 99999),
            month=rnd.randint(1, 12),
            day=rnd.randint(1, 28),
            phone=phone,
            tail=rnd.randint(1000, 9999),
            year=rnd.randint(2023, 2026),
            case=rnd.randint(1, 9999),
        )
        when = start + timedelta(minutes=37 * i + rnd.randint(0, 30))
        drafts.append(
            ContactDraft(
                channel=Channel.SMS,
                occurred_at=when,
                address=phone,
                organisation=org,
                content=text,
            )
        )
        known.append((micros(when), [text, phone, org]))
    # the user's reply to one of them: the collector has it too
    reply_at = start + timedelta(days=20, hours=3)
    reply = "我已联系律师，请不要再打电话到我单位"
    drafts.append(
        ContactDraft(
            channel=Channel.SMS,
            occurred_at=reply_at,
            direction=Direction.OUTGOING,
            address="13800138000",
            content=reply,
        )
    )
    known.append((micros(reply_at), [reply, "13800138000"]))
    # the user's own note, on a visit to the lawyer
    drafts.append(
        ContactDraft(
            channel=Channel.VISIT,
            occurred_at=start + timedelta(days=21),
            direction=Direction.IN_PERSON,
            location="律师事务所",
            notes=NOTE,
        )
    )
    locker, _ = Locker.create(locker_dir, PASSPHRASE)
    with locker:
        locker.log_batch(drafts)
        note_seq = locker.records()[-1].seq
        assert locker.search("13912345678")[0].record.notes == NOTE
    return Built(locker_dir, known, note_seq)


def run_attack(built: Built) -> Recovery:
    db = built.locker_dir / "locker.db"
    return recovered(db, attack(db, built.known), built.note_seq, NOTE)


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Recovery]:
    base = tmp_path_factory.mktemp("leak")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("EVIDENCE_LOCKER_STATE_DIR", str(base / "state"))
        after = run_attack(build(base / "spaces"))
        # before: every field keyed alike, as index format 1 did
        m.setattr(spaces, "space_of", lambda field, channel, direction: spaces.RECEIVED)
        before = run_attack(build(base / "one-space"))
    return {"before": before, "after": after}


def test_one_shared_space_leaks_most_of_a_private_note(figures: dict[str, Recovery]) -> None:
    before = figures["before"]
    assert before.mapped_tokens > 500
    assert before.chars * 10 >= before.total_chars * 4, before  # at least 40%
    assert before.right > before.wrong


def test_the_users_words_keyed_apart_reveal_nothing(figures: dict[str, Recovery]) -> None:
    after = figures["after"]
    assert after.mapped_tokens > 500  # the attack still maps what the collector wrote
    assert (after.right, after.chars) == (0, 0), after


def test_search_finds_across_spaces(tmp_path: Path) -> None:
    """One term in a received message and another in the user's note: still found."""
    locker, _ = Locker.create(tmp_path / "l", PASSPHRASE)
    with locker:
        r = locker.log(
            ContactDraft(
                channel=Channel.SMS,
                occurred_at=datetime(2025, 1, 2, 9, 0, tzinfo=SHANGHAI),
                address="95511",
                content="最后通知 final notice",
                notes="交给律师 lawyer has it",
            )
        )
        for query in ("最后通知 律师", "final lawyer", "95511 律师", "notice"):
            assert [h.record.id for h in locker.search(query)] == [r.id], query
        assert locker.check_index().ok


def test_an_index_of_format_1_is_rebuilt_into_spaces(tmp_path: Path) -> None:
    """The upgrade path: a locker indexed with one key (tests/fixtures/lockers/v1) is
    rebuilt before its first search; its notes are then found through the own space."""
    import shutil
    import sqlite3

    copy = tmp_path / "v1"
    shutil.copytree(Path(__file__).parent / "fixtures" / "lockers" / "v1", copy)
    con = sqlite3.connect(copy / "locker.db")
    before = set(con.execute("SELECT token FROM search_posting").fetchall())
    assert con.execute("SELECT value FROM meta WHERE key='index_format'").fetchone() is None
    con.close()
    with Locker.open(copy, passphrase="fixture passphrase 电池") as opened:
        hits = opened.search("张律师")
        assert [h.record.notes for h in hits] == ["my lawyer 张律师 13912345678"]
        assert opened.check_index().ok
    con = sqlite3.connect(copy / "locker.db")
    after = set(con.execute("SELECT token FROM search_posting").fetchall())
    assert con.execute("SELECT value FROM meta WHERE key='index_format'").fetchone() == ("2",)
    con.close()
    assert before - after  # the notes' tokens are not the ones keyed with the index key
