"""`--at` as people type it (issue 18), and a day without a time kept as "time unknown"
in every view: list, show, CSV, JSON, never a made-up 00:00."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Saturday evening: 昨天 is Friday 28 February, 上周五 the Friday of the week before.
NOW = datetime(2025, 3, 1, 23, 0, tzinfo=SHANGHAI)


@pytest.fixture
def ready(cli, monkeypatch):  # type: ignore[no-untyped-def]
    from evidence_locker.cli.context import State

    monkeypatch.setattr(State, "now", lambda self: NOW.astimezone(self.tz))
    assert cli("init").code == 0
    return cli


def logged(cli, at: str, *extra: str) -> dict:  # type: ignore[no-untyped-def]
    r = cli("log", "sms", "--number", "95577", "--content", "您的贷款已逾期", "--at", at, *extra)
    assert r.code == 0, r.err
    return listed(cli)[-1]


TYPED = [
    ("昨天 下午3点", "2025-02-28T15:00:00+08:00", True),
    ("下午3点", "2025-03-01T15:00:00+08:00", True),
    ("今天 晚上10点半", "2025-03-01T22:30:00+08:00", True),
    ("2月9日 18:43", "2025-02-09T18:43:00+08:00", True),
    ("2025年2月9日 18:43", "2025-02-09T18:43:00+08:00", True),
    ("前天", "2025-02-27T00:00:00+08:00", False),
    ("上周五 9:00", "2025-02-21T09:00:00+08:00", True),
    ("3 days ago", "2025-02-26T00:00:00+08:00", False),
    ("last Friday 9pm", "2025-02-28T21:00:00+08:00", True),
    ("Feb 9 6:43pm", "2025-02-09T18:43:00+08:00", True),
    # today's forms keep working
    ("2025-02-09 18:43", "2025-02-09T18:43:00+08:00", True),
    ("2025/2/9 9:05", "2025-02-09T09:05:00+08:00", True),
    ("2025-02-09T18:43+08:00", "2025-02-09T18:43:00+08:00", True),
    ("today 15:30", "2025-03-01T15:30:00+08:00", True),
    ("yesterday 21:10", "2025-02-28T21:10:00+08:00", True),
    ("昨天 21:10", "2025-02-28T21:10:00+08:00", True),
    ("18:43", "2025-03-01T18:43:00+08:00", True),
    ("now", "2025-03-01T23:00:00+08:00", True),
    ("2025-02-09", "2025-02-09T00:00:00+08:00", False),
]


def test_at_accepts_what_people_type(ready) -> None:  # type: ignore[no-untyped-def]
    for typed, _, _ in TYPED:
        r = ready("log", "sms", "--number", "95577", "--content", typed, "--at", typed)
        assert r.code == 0, (typed, r.err)
    got = {d["content"]: (d["occurred_at"], d["time_known"]) for d in listed(ready)}
    assert got == {typed: (at, known) for typed, at, known in TYPED}


def listed(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(cli("list", "--json").out)


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("en", ["yesterday 9pm", "last Friday 9pm", "昨天 下午3点"]),
        ("zh", ["昨天 下午3点", "2月9日 18:43"]),
    ],
)
def test_a_refused_time_hints_in_the_users_language(ready, lang: str, shown: list[str]) -> None:  # type: ignore[no-untyped-def]
    r = ready("--lang", lang, "log", "sms", "--number", "1", "--content", "x", "--at", "下午25点")
    assert r.code == 2
    error, hint = r.err.strip().splitlines()
    assert "下午25点" in error
    assert hint.startswith("hint:" if lang == "en" else "提示:")
    assert all(form in hint for form in shown)
    assert ready("list", "--json").out.strip() == "[]"


@pytest.mark.parametrize(
    ("lang", "typed", "said"),
    [
        ("en", "tomorrow 9am", "future times are not accepted"),
        ("zh", "明天 上午9点", "不接受将来的时间"),
        ("en", "2026-03-01", "future times are not accepted"),
    ],
)
def test_a_future_time_is_refused_as_future(ready, lang: str, typed: str, said: str) -> None:  # type: ignore[no-untyped-def]
    r = ready("--lang", lang, "log", "sms", "--number", "1", "--content", "x", "--at", typed)
    assert r.code == 2
    error = r.err.strip().splitlines()[0]
    assert typed in error and said in error
    assert "cannot read" not in r.err and "无法识别" not in r.err
    assert "Asia/Shanghai" in error or typed == "2026-03-01"
    assert ready("list", "--json").out.strip() == "[]"


def test_a_date_alone_is_time_unknown_in_every_view(ready) -> None:  # type: ignore[no-untyped-def]
    record = logged(ready, "2025-02-09")
    short = record["id"][:8]
    table = ready("list")
    assert "2025-02-09 (time unknown)" in table.out and "00:00" not in table.out
    assert "时间不详" in ready("--lang", "zh", "list").out
    show = ready("show", short)
    assert "2025-02-09 (time unknown)" in show.out and "00:00" not in show.out
    assert "时间不详" in ready("--lang", "zh", "show", short).out
    row = next(csv.DictReader(io.StringIO(ready("list", "--csv").out)))
    assert (row["occurred_at"], row["time_known"]) == ("2025-02-09", "False")
    assert json.loads(ready("show", short, "--json").out)["time_known"] is False
    search = ready("search", "逾期")
    assert "2025-02-09 (time unknown)" in search.out and "00:00" not in search.out
    # Shown in another zone the day stays the day it was logged for.
    assert "2025-02-09 (time unknown)" in ready("--tz", "America/New_York", "list").out


def test_a_correction_with_a_full_time_makes_the_time_known(ready) -> None:  # type: ignore[no-untyped-def]
    short = logged(ready, "前天")["id"][:8]
    r = ready("correct", short, "--at", "前天 晚上8点", "--reason", "remembered the hour")
    assert r.code == 0, r.err
    latest = json.loads(ready("show", short, "--json").out)
    assert (latest["occurred_at"], latest["time_known"]) == ("2025-02-27T20:00:00+08:00", True)
    assert "2025-02-27 20:00:00 +08:00" in ready("show", short).out
    # ...and a correction to a day alone makes it unknown again.
    assert ready("correct", short, "--at", "2月26日", "--reason", "wrong day").code == 0
    assert json.loads(ready("show", short, "--json").out)["time_known"] is False


def test_since_and_until_take_the_same_words(ready) -> None:  # type: ignore[no-untyped-def]
    logged(ready, "上周五 9:00")
    logged(ready, "昨天 下午3点")
    r = ready("list", "--since", "前天", "--json")
    assert [d["occurred_at"][:10] for d in json.loads(r.out)] == ["2025-02-28"]
    r = ready("list", "--until", "last Friday", "--json")  # the whole of that day
    assert [d["occurred_at"][:10] for d in json.loads(r.out)] == ["2025-02-21", "2025-02-28"]
