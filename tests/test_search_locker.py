"""Search through the Locker and the CLI, checked against a brute-force oracle."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_locker.errors import UsageError
from evidence_locker.locker import Locker
from evidence_locker.model import AttachmentDraft, Channel, ContactDraft, RecordFilter
from evidence_locker.search.index import searchable_fields
from evidence_locker.search.normalize import normalize
from evidence_locker.search.query import parse_query

from .conftest import SHANGHAI

PIECES = [
    "逾期",
    "還款",
    "还款",
    "起诉",
    "上门",
    "单位",
    "律师函",
    "lawsuit",
    "LAWSUIT",
    "ＡＢＣ１２３",
    "abc123",
    "visit",
    "employer",
    "13800138000",
    "+86 138 0013 8000",
    "95577",
    "😀",
    "🙏",
    "催收",
    "家人",
    "通讯录",
    "Final Notice",
    "final notice",
    " ",
    "，",
    "。",
    "x",
    "7",
]
CHANNELS = [Channel.SMS, Channel.CALL, Channel.VISIT, Channel.MESSAGE]


def text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8)))


def oracle(locker: Locker, query: str, flt: RecordFilter) -> set[str]:
    q = parse_query(query)
    out = set()
    for r in locker.records(flt):
        fields = searchable_fields(r.to_json(), [a.name for a in r.attachments])
        normalised = [normalize(v) for v in fields.values()]
        if all(any(term.text in f for f in normalised) for term in q.terms):
            out.add(r.id)
    return out


@pytest.fixture(params=["index", "decrypted"])
def searching(request: pytest.FixtureRequest, locker: Locker) -> Locker:
    """The locker, searched through the blind index or through the decrypted view
    (``keep_decrypted``, taken before any record is written, so every write after it
    exercises the view's refresh)."""
    if request.param == "decrypted":
        locker.keep_decrypted()
    return locker


@pytest.fixture
def corpus(searching: Locker) -> Locker:
    locker = searching
    rng = random.Random(7)
    start = datetime(2025, 1, 1, 8, 0, tzinfo=SHANGHAI)
    drafts = [
        ContactDraft(
            channel=rng.choice(CHANNELS),
            occurred_at=start + timedelta(hours=7 * i),
            counterpart=text(rng) if rng.random() < 0.5 else None,
            organisation=rng.choice(["XX农商银行", "某催收公司", "Acme Recovery", None]),
            address=rng.choice(["13800138000", "95577", "agent@collector.example", None]),
            content=text(rng),
            notes=text(rng) if rng.random() < 0.3 else None,
            tags=("threat",) if rng.random() < 0.2 else (),
            attachments=(AttachmentDraft(name=f"录音{i}.m4a", data=b"x"),) if i % 17 == 0 else (),
        )
        for i in range(160)
    ]
    locker.log_batch(drafts)
    records = locker.records()
    for r in records[:10]:
        locker.correct(r.id, reason="fix", changes={"content": "更正后 corrected " + text(rng)})
    for r in records[10:15]:
        locker.delete(r.id, reason="not a collector")
    return locker


def test_results_equal_the_oracle(corpus: Locker) -> None:
    rng = random.Random(11)
    all_versions = RecordFilter(all_versions=True, include_deleted=True)
    queries = [
        "逾期",
        "还款",
        "還款",
        "abc123",
        "ＡＢＣ１２３",
        "lawsuit",
        "13800138000",
        "+86 13800138000",
        "138 0013 8000",
        "上门 单位",
        "录音",
        "😀",
        "x",
        "7",
        "更正后",
        "final notice",
        "催收 家人 通讯录",
        "no-such-thing-here",
    ]
    for r in rng.sample(corpus.records(), 15):  # substrings of real records too
        content = r.content or ""
        if len(content) > 3:
            a = rng.randrange(0, len(content) - 2)
            queries.append(content[a : a + rng.randint(2, 6)].replace('"', ""))
    filters = [
        RecordFilter(),
        RecordFilter(channels=(Channel.SMS, Channel.CALL)),
        RecordFilter(organisation="农商"),
        all_versions,
        RecordFilter(
            since=datetime(2025, 1, 20, tzinfo=SHANGHAI),
            until=datetime(2025, 2, 10, tzinfo=SHANGHAI),
        ),
    ]
    checked = 0
    for q in queries:
        try:
            parse_query(q)
        except UsageError:
            continue
        for flt in filters:
            got = {h.record.id for h in corpus.search(q, flt, limit=None)}
            assert got == oracle(corpus, q, flt), (q, flt)
            checked += 1
    assert checked > 50


def test_newest_first_and_limit(corpus: Locker) -> None:
    hits = corpus.search("还款", limit=None)
    times = [h.record.occurred_at for h in hits]
    assert times == sorted(times, reverse=True) and len(hits) > 5
    assert [h.record.id for h in corpus.search("还款", limit=5)] == [h.record.id for h in hits[:5]]


def test_corrections_and_deletions(searching: Locker) -> None:
    locker = searching
    at = datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI)
    a = locker.log(ContactDraft(channel=Channel.SMS, occurred_at=at, content="旧的内容 oldword"))
    b = locker.log(ContactDraft(channel=Channel.SMS, occurred_at=at, content="删掉的 goneword"))
    locker.correct(a.id, reason="fix", changes={"content": "新的内容 newword"})
    locker.delete(b.id, reason="wrong number")
    assert [h.record.content for h in locker.search("newword")] == ["新的内容 newword"]
    assert locker.search("oldword") == []
    old = locker.search("oldword", RecordFilter(all_versions=True))
    assert [h.record.id for h in old] == [a.id] and old[0].record.superseded_by
    assert locker.search("goneword") == []
    assert [h.record.id for h in locker.search("goneword", RecordFilter(include_deleted=True))] == [
        b.id
    ]


def test_file_names_are_searchable_however_attached(searching: Locker, tmp_path: Path) -> None:
    locker = searching
    at = datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI)
    r = locker.log(
        ContactDraft(
            channel=Channel.CALL,
            occurred_at=at,
            address="95577",
            attachments=(AttachmentDraft(name="通话录音.m4a", data=b"a"),),
        )
    )
    f = tmp_path / "门上通知 notice.jpg"
    f.write_bytes(b"jpeg")
    locker.attach(r.id, f)
    assert [h.record.id for h in locker.search("通话录音")] == [r.id]
    assert [h.record.id for h in locker.search("门上通知")] == [r.id]
    fixed = locker.correct(r.id, reason="number", changes={"address": "13800138000"})
    assert [h.record.id for h in locker.search("notice.jpg")] == [fixed.id]
    assert locker.rebuild_index() == 2
    assert [h.record.id for h in locker.search("门上通知")] == [fixed.id]


@pytest.mark.parametrize("bad", ["", "   ", "！！", "...", '""'])
def test_bad_queries_are_usage_errors(searching: Locker, bad: str) -> None:
    locker = searching
    with pytest.raises(UsageError):
        locker.search(bad)


def test_absurd_date_range_is_a_usage_error(searching: Locker) -> None:
    locker = searching
    with pytest.raises(UsageError):
        locker.search(
            "x",
            RecordFilter(
                since=datetime(2025, 3, 1, tzinfo=SHANGHAI),
                until=datetime(2025, 1, 1, tzinfo=SHANGHAI),
            ),
        )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    texts=st.lists(
        st.text(st.sampled_from(list("逾期還款还abcABCＡ１1 😀，-+")), max_size=12),
        min_size=1,
        max_size=6,
    ),
    query=st.text(st.sampled_from(list("逾期還款还abcABCＡ１1😀")), min_size=1, max_size=3),
)
def test_property_matches_oracle(searching: Locker, texts: list[str], query: str) -> None:
    locker = searching
    at = datetime(2025, 2, 9, 18, 43, tzinfo=SHANGHAI)
    before = {r.id for r in locker.records()}
    locker.log_batch(
        ContactDraft(channel=Channel.SMS, occurred_at=at, content=t or "-") for t in texts
    )
    got = {h.record.id for h in locker.search(query, limit=None)}
    assert got == oracle(locker, query, RecordFilter())
    assert before is not None


def test_search_cli(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    cli(
        "log",
        "call",
        "--org",
        "XX农商银行",
        "--number",
        "138 0013 8000",
        "--content",
        "说要上门到你单位，再不还款就起诉",
        "--at",
        "2025-02-09 10:00",
    )
    cli(
        "log",
        "sms",
        "--number",
        "95577",
        "--content",
        "您的貸款已逾期 LAWSUIT",
        "--at",
        "2025-02-10 10:00",
    )
    r = cli("search", "起诉")
    assert r.code == 0 and "说要上门" in r.out and "1 match" in r.out
    both = json.loads(
        cli(
            "search",
            "上门 单位",
            "--org",
            "农商",
            "--channel",
            "call,sms",
            "--since",
            "2025-01-01",
            "--until",
            "2025-03-31",
            "--json",
        ).out
    )
    assert len(both) == 1 and set(both[0]) == set(json.loads(cli("list", "--json").out)[0])
    assert len(json.loads(cli("search", "13800138000", "--json").out)) == 1
    assert len(json.loads(cli("search", "lawsuit", "--json").out)) == 1
    assert len(json.loads(cli("search", "贷款", "--json").out)) == 1  # Traditional finds Simplified
    assert cli("search", "！！").code == 2
    assert "No records match" in cli("search", "nothing-like-this").err


def test_search_only_flagged(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    cli(
        "log",
        "call",
        "--number",
        "13800138000",
        "--content",
        "还款 night call",
        "--at",
        "2026-02-09 23:10",  # the rules apply from when their sources took effect
    )
    cli(
        "log",
        "call",
        "--number",
        "13800138000",
        "--content",
        "还款 day call",
        "--at",
        "2026-02-10 11:00",
    )
    assert len(json.loads(cli("search", "还款", "--json").out)) == 2
    only = json.loads(cli("search", "还款", "--flagged", "--json").out)
    assert [r["content"] for r in only] == ["还款 night call"]


def test_interactive_search_unlocks_once_and_answers_each_line(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    for channel, content, at in (
        ("sms", "再不还款就上门", "2025-02-09 10:00"),
        ("call", "lawsuit 起诉", "2025-02-10 09:00"),
    ):
        assert cli("log", channel, "--number", "95577", "--content", content, "--at", at).code == 0
    r = cli("search", "--interactive", "--json", "还款", input="起诉\n！！\n上门 lawsuit\n\n还款\n")
    assert r.code == 0
    answers, at, decoder = [], 0, json.JSONDecoder()
    while r.out[at:].strip():  # one JSON array per query, one after another
        at += len(r.out[at:]) - len(r.out[at:].lstrip())
        value, at = decoder.raw_decode(r.out, at)
        answers.append(value)
    # the first query, the second; the bad one is explained on stderr; the third has
    # no hit; the empty line ends the session before the last
    assert [[x["content"] for x in a] for a in answers] == [
        ["再不还款就上门"],
        ["lawsuit 起诉"],
        [],
    ]
    assert "only punctuation" in r.err and "Ready to search 2 record version(s)" in r.err
    zh = cli("--lang", "zh", "search", "-i", input="还款\n")
    assert zh.code == 0 and "再不还款就上门" in zh.out and "已准备好 2 个记录版本" in zh.err


def test_a_bad_query_fails_before_the_passphrase_is_asked(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    r = cli("search", "！！", env={"EVIDENCE_LOCKER_PASSPHRASE": None})
    assert r.code == 2 and "only punctuation" in r.err
