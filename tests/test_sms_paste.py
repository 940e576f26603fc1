"""Reading an SMS pasted from a phone (parsing/sms_paste.py): the header lines a phone
puts around a message are read and left out; the message is kept as it was."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.errors import UsageError
from evidence_locker.parsing.sms_paste import read_pasted_sms
from evidence_locker.parsing.times import When

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2025, 3, 1, 23, 0, tzinfo=SHANGHAI)


def read(text: str):  # type: ignore[no-untyped-def]
    return read_pasted_sms(text, tz=SHANGHAI, now=NOW)


# A message line: Chinese and Latin text with digits and punctuation, never a line a
# header reader could take (it starts with a letter, a CJK character or 【).
_LINE = st.text(
    alphabet=st.sampled_from(list("您的贷款已逾期请尽快还款回复退订ABCxyz0123456789，。！ ")),
    min_size=1,
    max_size=40,
).map(lambda s: "尊敬的客户" + s.strip())
_ORG = st.text(
    alphabet=st.sampled_from(list("XX农商银行消费金融催收公司AB")), min_size=2, max_size=12
)
_NUMBER = st.sampled_from(["95577", "10690000123", "+86 138 0013 8000", "138-0013-8000"])


@settings(max_examples=80, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=4),
    org=_ORG,
    at_end=st.booleans(),
    number=st.none() | _NUMBER,
    when=st.none()
    | st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 3, 1, 22)),
    labelled=st.booleans(),
)
def test_header_and_signature_are_read_and_the_message_kept(
    lines: list[str],
    org: str,
    at_end: bool,
    number: str | None,
    when: datetime | None,
    labelled: bool,
) -> None:
    body = "\n".join(lines)
    body = f"{body}【{org}】" if at_end else f"【{org}】{body}"
    header = []
    if number:
        header.append(f"发件人：{number}" if labelled else number)
    if when:
        when = when.replace(second=0, microsecond=0)
        stamp = f"{when.year}/{when.month}/{when.day} {when.hour}:{when.minute:02d}"
        header.append(f"时间：{stamp}" if labelled else stamp)
    pasted = read("\n".join([*header, body]) + "\n")
    assert pasted.content == body
    assert pasted.organisation == org
    assert pasted.address == number
    assert pasted.when == (When(when.replace(tzinfo=SHANGHAI)) if when else None)


def test_number_and_time_on_one_line_and_time_below() -> None:
    pasted = read("95577 2025-02-09 18:43\n【XX银行】您的贷款已逾期")
    assert (pasted.address, pasted.when) == (
        "95577",
        When(datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI)),
    )
    pasted = read("【XX银行】您的贷款已逾期\n请尽快处理\n昨天 下午3点")
    assert pasted.content == "【XX银行】您的贷款已逾期\n请尽快处理"
    assert pasted.when == When(datetime(2025, 2, 28, 15, 0, tzinfo=SHANGHAI))


def test_numbers_and_times_inside_the_message_are_not_taken() -> None:
    pasted = read("请于今天 18:00 前致电 4008123456 处理，否则将上门。")
    assert pasted.address is None and pasted.when is None and pasted.organisation is None
    assert pasted.content == "请于今天 18:00 前致电 4008123456 处理，否则将上门。"


@pytest.mark.parametrize("text", ["", "  \n", "95577\n2025-02-09 18:43\n", "发件人：95577"])
def test_a_paste_with_no_message_is_refused(text: str) -> None:
    with pytest.raises(UsageError) as err:
        read(text)
    assert err.value.key == "paste.empty" and err.value.exit_code == 2
