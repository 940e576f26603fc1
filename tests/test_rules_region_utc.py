"""Which law on a computer whose clock is UTC.

A record logged on a UTC clock carries +00:00, the United Kingdom's winter offset too.
The README's first command, typed on such a computer (a server, a container, a cloud
shell), logs a Chinese bank's SMS in Chinese at +00:00; the check then chose the UK
rule set and flagged the SMS as a night contact on London's clock. +00:00 now counts
for the UK only when nothing else in the records points anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from evidence_locker.model import Channel, Direction, Record
from evidence_locker.rules import choose_rule_sets, records_region


def _rec(i: int, when: datetime, *, content: str | None = None, address: str = "95577") -> Record:
    channel = Channel.SMS if content else Channel.CALL
    return Record(
        id=f"v{i}",
        record_id=f"r{i}",
        seq=i,
        channel=channel,
        direction=Direction.INCOMING,
        occurred_at=when,
        logged_at=when,
        organisation="XX农商银行",
        address=address,
        content=content,
    )


def test_readme_example_on_a_utc_clock_is_read_as_chinese() -> None:
    at = datetime(2026, 12, 2, 7, 2, tzinfo=UTC)
    records = [
        _rec(1, at, content="您的贷款已逾期，请尽快还款"),
        _rec(2, at - timedelta(days=295)),  # a call, no text, also at +00:00
    ]
    choice = choose_rule_sets(records)
    assert [rs.name for rs in choice.sets] == ["cn"] and choice.source == "records"
    why = choice.describe("en")
    assert "in Chinese" in why and "United Kingdom" not in why, why


def test_utc_alone_still_points_to_the_uk() -> None:
    """English letters and visits logged in a London winter, no numbers: +00:00 is all
    there is, and it is the UK's."""
    at = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
    records = [_rec(i, at + timedelta(days=i), content="Please pay", address="") for i in range(3)]
    evidence = records_region(records)
    assert evidence.region == "UK" and evidence.signals["offsets"]["UK"] == 3


def test_british_summer_time_and_other_signals_count_as_before() -> None:
    bst = timezone(timedelta(hours=1))
    at = datetime(2026, 7, 1, 10, 0, tzinfo=bst)
    uk = [_rec(i, at, content="Please pay", address="+447700900123") for i in range(3)]
    assert records_region(uk).region == "UK"
    ny = timezone(timedelta(hours=-5))
    us = [_rec(i, at.astimezone(ny), content="请还款", address="+12125550100") for i in range(3)]
    # A Chinese speaker in New York: US numbers and offsets outweigh the Chinese text.
    assert records_region(us).region == "US"
