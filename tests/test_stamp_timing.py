"""Logged time against trusted time (ledger/stamp_timing.py): a record logged after the
stamp that covers it (the clock was ahead) and one stamped long after it was logged
(backdating bounded only that loosely) are reported by show and verify; a record
stamped soon after it was logged is not. The records are logged through the library
with a chosen clock, then read back through the CLI against the local TSA."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.ledger.anchors import Cover, cover_of
from evidence_locker.ledger.stamp_timing import (
    CLOCK_TOLERANCE,
    LONG_LAG,
    Timing,
    classify,
    timing_runs,
)
from evidence_locker.locker import Locker
from evidence_locker.model import micros
from tests.test_timestamps import _sms

from .conftest import PASSPHRASE, FakeClock


def _logged_with_clock(locker_dir: Path, start: datetime, tsa, tsa_pki, n: int = 2) -> list[str]:  # type: ignore[no-untyped-def]
    """``n`` records logged with the computer's clock at ``start``, then stamped."""
    locker, _ = Locker.create(locker_dir, PASSPHRASE, clock=FakeClock(start))
    with locker:
        ids = [locker.log(_sms(f"催收 {i}")).id for i in range(n)]
        locker.add_tsa("local", tsa.url, tsa_pki.root_pem)
        [result] = locker.stamp()
        assert result.anchor is not None, result.error
    return ids


def test_a_record_logged_after_its_stamp_means_the_clock_was_ahead(
    cli, locker_dir: Path, tsa, tsa_pki
) -> None:  # type: ignore[no-untyped-def]
    ids = _logged_with_clock(locker_dir, datetime.now(UTC) + timedelta(hours=3), tsa, tsa_pki)
    shown = cli("show", ids[0][:8])
    assert shown.code == 0, shown.err
    assert "before the logged time: the computer's clock was ahead" in shown.out
    verified = cli("verify")
    assert verified.code == 0, verified.err  # the ledger is sound; its clock was not
    assert re.search(
        r"entries 1-2 were logged up to (2 h 59|3 h 0) min after their trusted", verified.out
    )
    [run] = json.loads(cli("verify", "--json").out)["stamps"]["timing"]
    assert run["what"] == "clock_ahead" and (run["first"], run["last"]) == (1, 2)
    assert abs(run["largest_gap_s"] - 3 * 3600) < 120
    zh = cli("--lang", "zh", "verify")
    assert "当时电脑时钟偏快" in zh.out


def test_a_record_stamped_long_after_logging_bounds_backdating_only_that_far(
    cli, locker_dir: Path, tsa, tsa_pki
) -> None:  # type: ignore[no-untyped-def]
    ids = _logged_with_clock(locker_dir, datetime.now(UTC) - timedelta(days=3), tsa, tsa_pki)
    shown = cli("show", ids[1][:8])
    about_3_days = r"(2 d 23|3 d 0) h"
    assert re.search(
        about_3_days + " after the logged time: any backdating is at most that", shown.out
    )
    verified = cli("verify")
    assert verified.code == 0, verified.err
    assert re.search(f"entries 1-2 were stamped up to {about_3_days} after they were", verified.out)
    [run] = json.loads(cli("verify", "--json").out)["stamps"]["timing"]
    assert run["what"] == "long_lag"


def test_a_record_stamped_soon_after_logging_is_not_singled_out(
    cli, locker_dir: Path, tsa, tsa_pki
) -> None:  # type: ignore[no-untyped-def]
    _logged_with_clock(locker_dir, datetime.now(UTC) - timedelta(minutes=5), tsa, tsa_pki)
    verified = cli("verify")
    assert verified.code == 0, verified.err
    assert "existed no later than" in verified.out
    assert "logged up to" not in verified.out and "were stamped" not in verified.out
    assert json.loads(cli("verify", "--json").out)["stamps"]["timing"] == []


def test_the_limits_of_each_kind() -> None:
    trusted = micros(datetime(2026, 12, 1, 10, 14, tzinfo=UTC))
    assert classify(trusted - micros_of(LONG_LAG), trusted) is None
    assert classify(trusted - micros_of(LONG_LAG) - 1, trusted) is Timing.LONG_LAG
    assert classify(trusted + micros_of(CLOCK_TOLERANCE), trusted) is None
    assert classify(trusted + micros_of(CLOCK_TOLERANCE) + 1, trusted) is Timing.CLOCK_AHEAD


def micros_of(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1_000_000)


_DAY = 86_400_000_000


@settings(max_examples=60, deadline=None)
@given(
    logged=st.lists(st.integers(0, 6 * _DAY), max_size=40),
    stamps=st.lists(st.tuples(st.integers(1, 45), st.integers(0, 6 * _DAY)), max_size=5),
)
def test_runs_name_every_entry_that_stands_out_once_in_order(
    logged: list[int], stamps: list[tuple[int, int]]
) -> None:
    steps: list[Cover] = []  # sizes increasing, times strictly increasing
    for size, time in sorted(set(stamps)):
        if not steps or (size > steps[-1].size and time > steps[-1].attested_at):
            steps.append(Cover(size, time, "t", len(steps)))
    runs = timing_runs(list(enumerate(logged)), steps)
    named = [(n, run.timing) for run in runs for n in range(run.first, run.last + 1)]
    expected = []
    for seq, at in enumerate(logged):
        cover = cover_of(steps, seq)
        kind = classify(at, cover.attested_at) if cover else None
        if kind is not None:
            expected.append((seq + 1, kind))
    assert named == expected
    for a, b in itertools.pairwise(runs):
        assert a.last < b.first and (a.last + 1 < b.first or a.timing is not b.timing)
    for run in runs:
        gaps = [
            abs(cover_of(steps, n - 1).attested_at - logged[n - 1])  # type: ignore[union-attr]
            for n in range(run.first, run.last + 1)
        ]
        assert run.worst_us == max(gaps)


def test_verify_prints_a_few_runs_of_each_kind_and_counts_the_rest(
    cli, locker_dir: Path, tsa, tsa_pki
) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    locker, _ = Locker.create(locker_dir, PASSPHRASE, clock=clock)
    with locker:
        for i in range(16):  # old, recent, old, recent, ...: 8 separate long-lag runs
            clock.now = datetime.now(UTC) - (timedelta(days=2) if i % 2 == 0 else timedelta(0))
            locker.log(_sms(str(i)))
        locker.add_tsa("local", tsa.url, tsa_pki.root_pem)
        assert locker.stamp()[0].anchor is not None
    verified = cli("verify")
    assert verified.code == 0, verified.err
    assert verified.out.count("was stamped") == 5
    assert "entry 1 was stamped" in verified.out and "entry 9 was stamped" in verified.out
    assert "and 3 more such ranges (verify --json lists them all)" in verified.out
    runs = json.loads(cli("verify", "--json").out)["stamps"]["timing"]
    assert [r["first"] for r in runs] == [1, 3, 5, 7, 9, 11, 13, 15]


def test_verify_dossier_names_the_same_entries_from_the_pdf_alone(
    cli, locker_dir: Path, tsa, tsa_pki, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _logged_with_clock(locker_dir, datetime.now(UTC) + timedelta(hours=3), tsa, tsa_pki)
    out = tmp_path / "d.pdf"
    assert cli("export", "pdf", "-o", str(out)).code == 0
    checked = cli("verify-dossier", str(out))
    assert checked.code == 0, checked.err
    assert re.search(
        r"entries 1-2 were logged up to (2 h 59|3 h 0) min after their trusted time: "
        r"the claimant's clock was ahead",
        checked.out,
    )
    [run] = json.loads(cli("verify-dossier", str(out), "--json").out)["trusted_time"]["timing"]
    assert (run["what"], run["first"], run["last"]) == ("clock_ahead", 1, 2)
    assert "当事人电脑时钟偏快" in cli("--lang", "zh", "verify-dossier", str(out)).out
