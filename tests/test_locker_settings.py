"""Locker settings (zone, rule sets): sealed in the ledger, checked by verify, and read
by check before the rule set's default and the records' own offsets."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from evidence_locker.errors import UsageError
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft
from tests.conftest import PASSPHRASE

UTC8 = timezone(timedelta(hours=8))


def test_set_read_unset_and_validate(locker: Locker) -> None:
    assert locker.settings() == {}
    assert locker.set_setting("tz", " Asia/Shanghai ") == "Asia/Shanghai"
    assert locker.set_setting("rules", "CN, uk") == "cn,uk"
    assert locker.settings() == {"tz": "Asia/Shanghai", "rules": "cn,uk"}
    assert locker.set_setting("tz", None) is None
    assert locker.settings() == {"rules": "cn,uk"}
    with pytest.raises(UsageError):
        locker.set_setting("tz", "Mars/Olympus")
    with pytest.raises(UsageError):
        locker.set_setting("rules", "fr")
    with pytest.raises(UsageError):
        locker.set_setting("colour", "red")
    assert locker.settings() == {"rules": "cn,uk"}  # nothing half-written


def test_a_setting_is_sealed_and_a_changed_one_fails_verify(
    locker: Locker, locker_dir: Path
) -> None:
    locker.set_setting("tz", "Asia/Shanghai")
    assert locker.verify().ok
    locker.close()
    raw = (locker_dir / "locker.db").read_bytes()
    assert b"Asia/Shanghai" not in raw and b"Shanghai" not in raw
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    (blob,) = con.execute("SELECT sealed FROM entry WHERE kind = 'setting'").fetchone()
    flipped = bytes(blob[:-1]) + bytes([blob[-1] ^ 1])
    con.execute("DROP TRIGGER entry_no_update")
    con.execute("DROP TRIGGER entry_no_delete")
    con.execute("UPDATE entry SET sealed = ? WHERE kind = 'setting'", (flipped,))
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as again:
        assert not again.verify().ok
    # ... and a deleted one too: the log no longer matches its signed head.
    con.execute("DELETE FROM entry WHERE kind = 'setting'")
    con.close()
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as again:
        assert not again.verify().ok


def test_check_reads_the_lockers_zone_and_rule_sets(locker: Locker) -> None:
    # 22:30 in Shanghai is 07:30 in London: a night call only on the locker's clock.
    locker.log(
        ContactDraft(Channel.CALL, datetime(2026, 2, 9, 22, 30, tzinfo=UTC8), organisation="XX银行")
    )
    chosen = locker.check()
    assert chosen.zone.source == "rule_set" and [f.kind for f in chosen.findings] == ["quiet_hours"]
    locker.set_setting("tz", "Europe/London")
    locker.set_setting("rules", "cn")
    report = locker.check()
    assert (report.zone.name, report.zone.source) == ("Europe/London", "locker")
    assert report.choice.source == "locker" and report.findings == []
    assert {n.kind for n in report.notes} >= {"offsets"}  # the record says +08:00
    # --tz for one run wins over the locker's zone.
    assert locker.check(tz="Asia/Shanghai").zone.source == "option"


def test_config_command(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    shown = cli("config")
    assert shown.code == 0 and "tz = (not set)" in shown.out
    done = cli("config", "tz", "Asia/Shanghai")
    assert done.code == 0 and "tz = Asia/Shanghai" in done.out
    assert json.loads(cli("config", "--json").out) == {"tz": "Asia/Shanghai", "rules": None}
    assert json.loads(cli("config", "tz", "--json").out) == {"tz": "Asia/Shanghai"}
    bad = cli("config", "tz", "Mars/Olympus")
    assert bad.code == 2 and "Mars/Olympus" in bad.err and "Traceback" not in bad.err
    unknown = cli("config", "colour", "red")
    assert unknown.code == 2 and "colour" in unknown.err and "rules, tz" in unknown.err
    both = cli("config", "tz", "UTC", "--unset")
    assert both.code == 2
    assert cli("config", "tz", "--unset").code == 0
    assert json.loads(cli("config", "--json").out) == {"tz": None, "rules": None}
    zh = cli("--lang", "zh", "config", "rules", "us")
    assert zh.code == 0 and "已加密保存" in zh.out


def test_the_lockers_zone_reads_the_times_you_type(cli, machine_tz) -> None:  # type: ignore[no-untyped-def]
    """On a machine set to UTC, ``config tz Asia/Shanghai`` makes ``--at 22:05`` Beijing
    time: logged with +08:00, shown as 22:05 and a night call for the rules."""
    machine_tz("UTC")
    mine = {"EVIDENCE_LOCKER_TZ": None, "TZ": "UTC"}
    assert cli("init", env=mine).code == 0
    assert cli("config", "tz", "Asia/Shanghai", env=mine).code == 0
    logged = cli("log", "call", "--org", "XX银行", "--at", "2026-02-09 22:05", "--json", env=mine)
    assert logged.code == 0, logged.err
    assert json.loads(logged.out)["occurred_at"].startswith("2026-02-09T22:05:00+08:00")
    listed = json.loads(cli("list", "--json", "--since", "2026-02-09", env=mine).out)
    assert len(listed) == 1
    checked = json.loads(cli("check", "--rules", "cn", "--json", env=mine).out)
    assert [f["kind"] for f in checked["findings"]] == ["quiet_hours"]
    assert checked["time_zone"]["source"] == "locker"
    # --tz for one run still wins over the locker's zone.
    other = cli(
        "--tz",
        "UTC",
        "log",
        "call",
        "--org",
        "XX银行",
        "--at",
        "2026-02-10 12:00",
        "--json",
        env=mine,
    )
    assert json.loads(other.out)["occurred_at"].startswith("2026-02-10T12:00:00+00:00")


# A carrier's itemised bill: local times without an offset, answered calls known only by
# their length (no status column). Four answered calls in a day, one of them at night.
BILL = """中国移动 通话详单
起始时间,通信地点,通信方式,对方号码,通信时长,通信类型
2026-02-10 10:00:00,上海,被叫,95588,2分15秒,本地
2026-02-10 11:00:00,上海,被叫,95588,45,本地
2026-02-10 14:00:00,上海,被叫,95588,1分,本地
2026-02-10 22:45:00,上海,被叫,95588,30秒,本地
"""


def test_a_carrier_bill_is_read_on_the_lockers_zone_and_its_calls_were_answered(
    cli, machine_tz, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """On a UTC machine, a bill imported into a locker set to Asia/Shanghai keeps its
    22:45 a night call, and calls with a length count as connected (CN-GB-FREQ: at most
    three a day), though the bill says nothing of an outcome."""
    machine_tz("UTC")
    mine = {"EVIDENCE_LOCKER_TZ": None, "TZ": "UTC"}
    assert cli("init", env=mine).code == 0
    assert cli("config", "tz", "Asia/Shanghai", env=mine).code == 0
    bill = tmp_path / "通话详单.csv"
    bill.write_bytes(BILL.encode("gb18030"))
    imported = cli("import", str(bill), "--org", "XX银行", "--json", env=mine)
    assert imported.code == 0, imported.err
    calls = json.loads(cli("list", "--json", env=mine).out)
    assert {c["outcome"] for c in calls} == {None}  # the bill has no status column
    assert any(c["occurred_at"].startswith("2026-02-10T22:45:00+08:00") for c in calls)
    report = json.loads(cli("check", "--rules", "cn", "--json", env=mine).out)
    named = {r for f in report["findings"] for r in f["rules"]}
    assert {"CN-GB-FREQ", "CN-CBA-TIME", "CN-GB-TIME"} <= named


def test_the_library_import_reads_local_times_on_the_lockers_zone(
    locker: Locker, machine_tz, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from evidence_locker.locker.importing import import_file

    machine_tz("UTC")
    locker.set_setting("tz", "Asia/Shanghai")
    bill = tmp_path / "bill.csv"
    bill.write_bytes(BILL.encode("gb18030"))
    assert import_file(locker, bill).imported == 4
    offsets = {r.occurred_at.utcoffset() for r in locker.records()}
    assert offsets == {timedelta(hours=8)}
