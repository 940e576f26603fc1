"""Masking of numbers, addresses and ids, and which fields the bundle must withhold."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.report.redact import fields_to_withhold, mask_text

ALL = frozenset({"numbers", "addresses", "ids"})


def test_phone_numbers_keep_last_four() -> None:
    assert mask_text("请回电 13812345678 谢谢", {"numbers"}) == "请回电 *******5678 谢谢"
    assert mask_text("致电13812345678或", {"numbers"}) == "致电*******5678或"
    assert mask_text("call +1 415 555 0137 now", {"numbers"}) == "call +* *** *** 0137 now"
    # short numbers (amounts, times, dates) stay
    assert mask_text("还款 3,560.00 元 18:00 2026-10-03", {"numbers"}) == (
        "还款 3,560.00 元 18:00 2026-10-03"
    )


def test_ids_emails_and_addresses() -> None:
    assert mask_text("身份证 11010519491231002X", {"ids"}) == "身份证 **************002X"
    assert mask_text("mail zhang.san@example.com", {"addresses"}) == "mail z***@example.com"
    masked = mask_text("地址：上海市浦东新区世纪大道100号5楼", {"addresses"})
    assert "世纪大道" not in masked and masked.startswith("地址：")
    assert "Main" not in mask_text("at 221 Main Street today", {"addresses"})


def test_numbers_inside_names_urls_and_labels() -> None:
    """Issue 13 item 8: digits joined to words by _ / : - were left in clear."""
    assert mask_text("scr_13912345678.png", {"numbers"}) == "scr_*******5678.png"
    assert mask_text("https://x.cn/u/13912345678", {"numbers"}) == "https://x.cn/u/*******5678"
    assert mask_text("ID:13912345678", {"numbers"}) == "ID:*******5678"
    assert mask_text("card-6222021234567890123", {"ids"}) == "card-***************0123"
    assert mask_text("att_11010519491231002X.jpg", {"ids"}) == "att_**************002X.jpg"
    sha = "0123456789abcdef" * 4  # a SHA-256 in hex: its digit runs are not numbers
    assert mask_text(f"file {sha} from 13912345678", {"numbers"}) == f"file {sha} from *******5678"
    assert fields_to_withhold({"sha256": sha, "size": 12345678}, {"numbers", "ids"}) == set()
    meta = {"camera": "scan 13912345678", "width": 10}
    assert fields_to_withhold({"name": "a.png", "metadata": meta}, {"numbers"}) == {"metadata"}


def test_nothing_masked_without_categories() -> None:
    text = "13812345678 a@b.cn"
    assert mask_text(text, frozenset()) == text
    assert fields_to_withhold({"content": text}, frozenset()) == frozenset()


def test_fields_to_withhold() -> None:
    values = {
        "counterpart": "王经理",
        "address": "+8613812345678",
        "content": "请回电 13812345678",
        "notes": "no numbers here",
        "location": "公司楼下",
        "tags": ["threat"],
        "source": {"kind": "import", "file_name": "sms-13812345678.xml"},
    }
    # the source names a file with a number in it: withheld too (issue 13, item 8)
    assert fields_to_withhold(values, {"numbers"}) == {"address", "content", "source"}
    assert fields_to_withhold(values, {"addresses"}) == {"address", "location"}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=10**6, max_value=10**14), max_size=4), st.text(max_size=20))
def test_masked_numbers_show_at_most_four_digits(numbers: list[int], filler: str) -> None:
    filler = re.sub(r"\d", "", filler)
    text = filler.join(f" {n} " for n in numbers)
    masked = mask_text(text, {"numbers", "ids"})
    for run in re.findall(r"[\d*]{7,}", masked):
        assert len(re.findall(r"\d", run)) <= 4, (text, masked)
