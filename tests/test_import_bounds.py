"""Hostile input stays bounded (issue 13, Low): nesting depth and parse time.

A crafted message or attribute may cost its own entry, never the whole import, and never
time that grows with the square of its size.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from xml.parsers import expat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.errors import FormatError
from evidence_locker.importers import ImportOptions, Rejected, open_importer
from evidence_locker.importers.email_import import MAX_MIME_CONTAINERS
from evidence_locker.importers.xml_stream import feed_chunks
from evidence_locker.model import ContactDraft

from .conftest import records


def _deep_message(depth: int) -> bytes:
    body = b""
    for i in range(depth):
        body += b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
    body += b"Content-Type: text/plain\n\nhello\n"
    for i in reversed(range(depth)):
        body += b"--b%d--\n" % i
    return (
        b"From: a@b.example\nDate: Sun, 9 Feb 2025 10:00:00 +0800\nSubject: deep\n"
        b"Message-ID: <deep@x>\nMIME-Version: 1.0\n" + body
    )


FINE = (
    "From: c@d.example\nDate: Sun, 9 Feb 2025 11:00:00 +0800\nSubject: fine\n"
    "Message-ID: <ok@x>\nContent-Type: text/plain; charset=utf-8\n\n请于今日还款\n"
).encode()


def _mbox(*messages: bytes) -> bytes:
    return b"\n".join(b"From x@y.example Sun Feb  9 10:00:00 2025\n" + m for m in messages)


def test_a_deeply_nested_mail_is_rejected_and_the_rest_imported(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mbox = tmp_path / "inbox.mbox"
    mbox.write_bytes(_mbox(_deep_message(3000), FINE))
    r = ready("import", str(mbox), "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["imported"] == 1
    (rejected,) = out["rejected"]
    assert rejected["entry"] == "message #1" and "nest" in rejected["reason"]
    assert [d["content"] for d in records(ready)] == ["请于今日还款"]


def test_nesting_at_the_bound_is_still_read(tmp_path: Path) -> None:
    mbox = tmp_path / "inbox.mbox"
    mbox.write_bytes(
        _mbox(_deep_message(MAX_MIME_CONTAINERS), _deep_message(MAX_MIME_CONTAINERS + 1))
    )
    at, over = open_importer(mbox, options=ImportOptions(timezone="UTC")).iter_drafts()
    assert isinstance(at, ContactDraft) and at.content == "hello"
    assert isinstance(over, Rejected) and over.reason == "import.mime_too_deep"


def test_nested_comments_in_a_header_cost_only_their_message(tmp_path: Path) -> None:
    hostile = (
        b"From: a@b.example\nDate: Sun, 9 Feb 2025 10:00:00 +0800\nMessage-ID: <h@x>\n"
        b"Content-Type: text/plain; x=" + b"(" * 50_000 + b")" * 50_000 + b"\n\nhi\n"
    )
    mbox = tmp_path / "inbox.mbox"
    mbox.write_bytes(_mbox(hostile, FINE))
    items = list(open_importer(mbox, options=ImportOptions(timezone="UTC")).iter_drafts())
    assert len(items) == 2 and isinstance(items[1], ContactDraft)


def _one_huge_sms(tmp_path: Path, megabytes: int) -> Path:
    body = "还" * (megabytes * 1024 * 1024 // 3)
    path = tmp_path / f"huge{megabytes}.xml"
    path.write_bytes(
        (
            '<?xml version="1.0" encoding="UTF-8"?><smses count="2">'
            f'<sms address="95577" date="1739066400000" type="1" body="{body}" />'
            '<sms address="95577" date="1739066500000" type="1" body="请还款" /></smses>'
        ).encode()
    )
    return path


def test_one_huge_attribute_parses_in_linear_time(tmp_path: Path) -> None:
    """Against a one-call expat parse of the same bytes, measured in the same run: the
    chunked parse rescanned the growing attribute on every 64 KiB (~40x at 12 MB)."""
    path = _one_huge_sms(tmp_path, 12)
    data = path.read_bytes()
    start = time.perf_counter()
    parser = expat.ParserCreate()
    parser.Parse(data, True)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    items = list(open_importer(path, options=ImportOptions(timezone="UTC")).iter_drafts())
    elapsed = time.perf_counter() - start
    assert isinstance(items[0], Rejected) and items[0].reason == "import.too_large"
    assert isinstance(items[1], ContactDraft) and items[1].content == "请还款"
    assert elapsed < 8 * baseline + 0.5, (elapsed, baseline)


def test_a_token_over_the_limit_stops_with_the_limit_named(tmp_path: Path) -> None:
    path = _one_huge_sms(tmp_path, 3)
    options = ImportOptions(timezone="UTC", max_message_bytes=1024 * 1024)
    with pytest.raises(FormatError) as info:
        list(open_importer(path, options=options).iter_drafts())
    assert info.value.key == "import.token_too_large"
    assert "huge3.xml" in str(info.value) and "1048576" in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=300_000), min_size=1, max_size=6))
def test_feed_chunks_hand_on_every_byte_and_rescan_linearly(tag_sizes: list[int]) -> None:
    """Whatever the tag sizes, the chunks join to the input, and what expat would rescan
    (the unfinished tail before each call) adds up to at most twice the input."""
    data = b"".join(b"<" + b"a" * n + b">" for n in tag_sizes)
    stream = io.BytesIO(data)
    chunks = list(feed_chunks(stream.read, limit=1 << 30))
    assert b"".join(c for c, _ in chunks) == data and chunks[-1][1]
    rescanned, tail = 0, 0
    for chunk, _ in chunks:
        rescanned += tail
        end = chunk.rfind(b">")
        tail = tail + len(chunk) if end < 0 else len(chunk) - end - 1
    assert rescanned <= 2 * len(data) + 65536
