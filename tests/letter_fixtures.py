"""Lockers with known contacts for the letter tests, and reading letters back."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft, Direction, Outcome, Record

from .conftest import PASSPHRASE, FakeClock

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
COLLECTOR = "某催收公司"
BANK = "XX农商银行"
THREAT = "再不还钱就通知你单位和家人，后果自负"


def at(text: str, tz: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def cn_drafts() -> list[ContactDraft]:
    """Five night contacts (three calls, two SMS, one after midnight, one at 07:50), a
    threat, a day SMS, a contact reported by the debtor's mother; one bank call."""
    c, s = Channel.CALL, Channel.SMS
    return [
        ContactDraft(c, at("2026-03-01 23:10"), organisation=COLLECTOR, address="13800138000",
                     counterpart="王经理 工号1024", duration_s=120, outcome=Outcome.CONNECTED),
        ContactDraft(c, at("2026-03-03 23:40"), organisation=COLLECTOR, address="13800138000",
                     outcome=Outcome.MISSED),
        ContactDraft(s, at("2026-03-05 22:30"), organisation=COLLECTOR, address="10690000",
                     content=THREAT),
        ContactDraft(s, at("2026-03-06 10:30"), organisation=COLLECTOR, address="10690000",
                     content="您的账单已逾期，请尽快还款。"),
        ContactDraft(c, at("2026-03-07 11:00"), organisation=COLLECTOR, address="13800138001",
                     third_party="母亲", content="打给我妈妈说我欠钱"),
        ContactDraft(c, at("2026-03-10 00:30"), organisation=COLLECTOR, address="13800138000",
                     outcome=Outcome.MISSED),
        ContactDraft(s, at("2026-03-11 07:50"), organisation=COLLECTOR, address="10690000",
                     content="今天必须还款"),
        ContactDraft(c, at("2026-03-08 11:00"), organisation=BANK, address="95577",
                     outcome=Outcome.CONNECTED),
    ]  # fmt: skip


def us_drafts() -> list[ContactDraft]:
    c, s = Channel.CALL, Channel.SMS
    org = "Acme Collections"
    return [
        *(
            ContactDraft(c, at(f"2025-03-0{d} 21:30", NY), organisation=org,
                         address="+12125550100", outcome=Outcome.MISSED)
            for d in (1, 2, 3)
        ),
        ContactDraft(s, at("2025-03-04 10:00", NY), organisation=org, address="+12125550100",
                     content="Pay today or we will have you arrested and tell your employer."),
        ContactDraft(c, at("2025-03-05 12:00", NY), organisation=org, address="+12125550101",
                     third_party="my sister"),
    ]  # fmt: skip


def make_locker(path: Path, drafts: list[ContactDraft], state: Path) -> None:
    """A locker at ``path`` holding ``drafts`` (its newest head kept under ``state``)."""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("EVIDENCE_LOCKER_STATE_DIR", str(state))
        # logged after everything the fixtures say happened (November 2026)
        locker, _ = Locker.create(
            path, PASSPHRASE, clock=FakeClock(datetime(2026, 11, 1, tzinfo=UTC))
        )
        with locker:
            for d in drafts:
                locker.log(d)


def open_locker(path: Path) -> Locker:
    return Locker.open(path, passphrase=PASSPHRASE)


def pdf_text(path: Path) -> str:
    """The PDF's text as a reader copies it: pdftotext, lines joined."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def flat(text: str) -> str:
    """Whitespace removed: line breaks fall differently in every extractor."""
    return "".join(text.split())


def fonts_embedded(path: Path) -> list[str]:
    """Font names of the PDF; fails when any font is not embedded."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = out.stdout.splitlines()[2:]
    assert rows
    for row in rows:
        assert re.search(r"\syes\s+yes\s+yes\s", row), row  # emb, sub, uni
    return [r.split()[0] for r in rows]


def e_numbers(text: str) -> set[str]:
    """The E-numbers in ``text``: whole words only (a dossier id such as EL-A41E-8932
    holds "E-8932" but cites no record)."""
    return set(re.findall(r"(?<![A-Za-z0-9-])E-\d+(?!\d)", text))


def local(rec: Record, tz: ZoneInfo) -> datetime:
    return rec.occurred_at.astimezone(tz)


def collector_contacts(records: list[Record], org: str) -> list[Record]:
    return [
        r for r in records
        if r.organisation == org and r.event is None and r.direction != Direction.OUTGOING
    ]  # fmt: skip
