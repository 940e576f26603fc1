"""The command line as a script (and a person) would use it: output, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import PASSPHRASE


@pytest.fixture
def ready(cli):  # type: ignore[no-untyped-def]
    result = cli("init")
    assert result.code == 0, result.err
    assert "Recovery key" in result.out
    return cli


def ids(cli) -> list[str]:  # type: ignore[no-untyped-def]
    return [r["id"] for r in json.loads(cli("list", "--json").out)]


def test_issue_walkthrough(ready) -> None:  # type: ignore[no-untyped-def]
    cli = ready
    r = cli(
        "log",
        "sms",
        "--org",
        "XX农商银行",
        "--number",
        "95577",
        "--at",
        "2025-02-09 18:43",
        "--content",
        "您的贷款已逾期...",
    )
    assert r.code == 0 and "2025-02-09 18:43 +08:00" in r.out
    r = cli(
        "log",
        "call",
        "--org",
        "某催收公司",
        "--counterpart",
        "王经理 工号1024",
        "--number",
        "13800138000",
        "--direction",
        "incoming",
        "--duration",
        "6m",
        "--content",
        "说要通知我单位",
        "--at",
        "2025-02-10 09:15",
    )
    assert r.code == 0
    assert (
        cli(
            "log",
            "visit",
            "--counterpart",
            "李某",
            "--location",
            "家门口",
            "--content",
            "两人上门",
            "--at",
            "2025-02-11 20:00",
        ).code
        == 0
    )
    assert (
        cli(
            "log",
            "email",
            "--number",
            "Agent@Collector.example",
            "--subject",
            "Final notice",
            "--at",
            "2025-02-12 10:00",
        ).code
        == 0
    )
    assert (
        cli(
            "log",
            "message",
            "--app",
            "wechat",
            "--counterpart",
            "催收员A",
            "--content",
            "再不还就曝光",
            "--at",
            "2025-02-13 23:05",
        ).code
        == 0
    )
    assert (
        cli(
            "log", "letter", "--org", "某律师事务所", "--subject", "律师函", "--at", "2025-02-14"
        ).code
        == 0
    )
    data = json.loads(cli("list", "--json").out)
    assert [d["channel"] for d in data] == ["sms", "call", "visit", "email", "message", "letter"]
    call = data[1]
    assert call["address"] == "+8613800138000" and call["duration_s"] == 360
    assert call["occurred_at"] == "2025-02-10T09:15:00+08:00"
    assert data[3]["address"] == "agent@collector.example"
    assert data[4]["app"] == "wechat"
    r = cli(
        "list", "--channel", "call,sms", "--since", "2025-02-01", "--until", "2025-02-10", "--json"
    )
    assert [d["channel"] for d in json.loads(r.out)] == ["sms", "call"]
    assert len(json.loads(cli("list", "--org", "农商", "--json").out)) == 1
    csv_out = cli("list", "--csv").out.splitlines()
    assert csv_out[0].startswith("id,record_id,channel") and len(csv_out) == 7

    show = cli("show", call["id"][:8])
    assert show.code == 0 and "说要通知我单位" in show.out and call["leaf_hash"] in show.out
    fixed = cli("correct", call["id"][:8], "--content", "说要通知我单位和家人", "--reason", "typo")
    assert fixed.code == 0
    shown = json.loads(cli("show", call["id"][:8], "--json").out)
    assert shown["content"] == "说要通知我单位和家人" and len(shown["versions"]) == 2
    assert shown["versions"][0]["superseded_by"] == shown["id"]
    assert cli("delete", data[0]["id"][:8], "--reason", "wrong number").code == 0
    assert len(json.loads(cli("list", "--json").out)) == 5
    everything = json.loads(cli("list", "--json", "--deleted", "--all-versions").out)
    assert len(everything) == 7 and sum(d["deleted"] for d in everything) == 1

    assert (
        cli("case", "add", "card-1234", "--creditor", "XX农商银行", "--amount", "12000").code == 0
    )
    assert cli("log", "sms", "--number", "95577", "--content", "x", "--case", "card-1234").code == 0
    assert [c["name"] for c in json.loads(cli("case", "list", "--json").out)] == ["card-1234"]
    assert len(json.loads(cli("list", "--case", "card-1234", "--json").out)) == 1

    v = cli("verify")
    assert v.code == 0 and v.out.startswith("OK")


def test_content_from_standard_input(ready) -> None:  # type: ignore[no-untyped-def]
    long_sms = "【XX银行】尊敬的客户，您的贷款已逾期。\nPlease repay today. 第二行"
    assert (
        ready("log", "sms", "--number", "95577", "--content", "-", input=long_sms + "\n").code == 0
    )
    assert json.loads(ready("list", "--json").out)[0]["content"] == long_sms


def test_relative_times(ready) -> None:  # type: ignore[no-untyped-def]
    assert (
        ready("log", "sms", "--number", "1", "--content", "x", "--at", "yesterday 21:10").code == 0
    )
    assert ready("log", "sms", "--number", "1", "--content", "y", "--at", "昨天 21:10").code == 0
    times = {d["occurred_at"][11:] for d in json.loads(ready("list", "--json").out)}
    assert times == {"21:10:00+08:00"}


@pytest.mark.parametrize(
    "args,code,needle",
    [
        (("log", "fax"), 2, "No such command"),
        (("log", "sms", "--number", "95577"), 2, "log sms needs --content"),
        (
            ("log", "sms", "--number", "1", "--content", "x", "--at", "2025-02-30 10:00"),
            2,
            "cannot read the time '2025-02-30 10:00'",
        ),
        (("log", "sms", "--number", "1", "--content", "x", "--at", "2099-01-01"), 2, "future"),
        (("log", "call", "--number", "1", "--duration", "six minutes"), 2, "duration"),
        (("log", "sms", "--number", "1", "--content", "x", "--direction", "up"), 2, "direction"),
        (("show", "deadbeef"), 1, "no record with id 'deadbeef'"),
        (("correct", "deadbeef", "--content", "x", "--reason", "y"), 1, "no record"),
        (("list", "--since", "2025-03-01", "--until", "2025-01-01"), 2, "--since is after"),
        (("list", "--channel", "fax"), 2, "unknown channel"),
        (("log", "sms", "--number", "1", "--content", "x", "--case", "nope"), 1, "no case"),
    ],
)
def test_bad_input_is_one_clear_line(ready, args, code, needle) -> None:  # type: ignore[no-untyped-def]
    before = ready("list", "--json").out
    r = ready(*args)
    assert r.code == code, r
    assert needle in r.err
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) <= 4
    assert ready("list", "--json").out == before  # nothing stored, nothing lost


def test_wrong_passphrase_and_missing_locker(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = ready("list", env={"EVIDENCE_LOCKER_PASSPHRASE": "nope"})
    assert r.code == 1
    error, hint = r.err.strip().splitlines()  # one line, and the hint README promises
    assert error == "evidence-locker: error: wrong passphrase"
    assert hint.startswith("hint: ") and "evidence-locker passwd --recovery" in hint
    r = ready("--locker", str(tmp_path / "elsewhere"), "list")
    assert r.code == 1 and "no locker at" in r.err and "evidence-locker init" in r.err
    assert ready("init").code == 1  # never overwrites an existing locker


def test_no_passphrase_in_a_script_is_a_clear_error(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready("list", env={"EVIDENCE_LOCKER_PASSPHRASE": None})
    assert r.code == 2 and "EVIDENCE_LOCKER_PASSPHRASE" in r.err


def test_chinese_messages(ready) -> None:  # type: ignore[no-untyped-def]
    r = ready("--lang", "zh", "list", env={"EVIDENCE_LOCKER_PASSPHRASE": "nope"})
    assert r.code == 1
    error, hint = r.err.strip().splitlines()
    assert error == "evidence-locker: 错误: 口令错误"
    assert hint.startswith("提示: ") and "evidence-locker passwd --recovery" in hint
    assert "恢复密钥" in hint
    ready("log", "sms", "--number", "95577", "--content", "x")
    assert "共 1 条记录" in ready("--lang", "zh", "list").out
    assert (
        "已记录短信"
        in ready("log", "sms", "--number", "1", "--content", "y", env={"LANG": "zh_CN.UTF-8"}).out
    )


def test_passwd_and_recovery(ready, cli) -> None:  # type: ignore[no-untyped-def]
    ready("log", "sms", "--number", "95577", "--content", "keep")
    r = ready("passwd", env={"EVIDENCE_LOCKER_NEW_PASSPHRASE": "新口令"})
    assert r.code == 0
    assert ready("list").code == 1  # old passphrase is gone
    assert ready("list", "--json", env={"EVIDENCE_LOCKER_PASSPHRASE": "新口令"}).code == 0


def test_recovery_key_from_init_unlocks(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("init").out
    import re

    key = re.search(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})", out).group(1)  # type: ignore[union-attr]
    r = cli(
        "passwd",
        "--recovery",
        env={
            "EVIDENCE_LOCKER_RECOVERY_KEY": key,
            "EVIDENCE_LOCKER_PASSPHRASE": None,
            "EVIDENCE_LOCKER_NEW_PASSPHRASE": "after recovery",
        },
    )
    assert r.code == 0, r.err
    assert cli("list", env={"EVIDENCE_LOCKER_PASSPHRASE": "after recovery"}).code == 0
    bad = cli("passwd", "--recovery", env={"EVIDENCE_LOCKER_RECOVERY_KEY": "AAAA-BBBB"})
    assert bad.code == 1 and "wrong recovery key" in bad.err
    assert PASSPHRASE  # the original passphrase no longer matters


def test_attach_commands(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "通知.txt"
    f.write_text("门上贴的催收通知")
    r = ready("log", "visit", "--location", "家门口", "--attach", str(f))
    assert r.code == 0 and "通知.txt" in r.out
    rid = ids(ready)[0]
    assert ready("attach", rid[:8], str(f), "--caption", "second copy").code == 0
    listed = json.loads(ready("attachments", rid[:8], "--json").out)
    assert [a["caption"] for a in listed] == [None, "second copy"]
    out = tmp_path / "out"
    assert ready("extract", rid[:8], "--to", str(out)).code == 0
    assert (out / "通知.txt").read_text() == "门上贴的催收通知"
    again = ready("extract", rid[:8], "--to", str(out))
    assert again.code == 2 and "--force" in again.err
    assert (
        ready(
            "log",
            "sms",
            "--number",
            "1",
            "--content",
            "x",
            "--attach",
            str(tmp_path / "missing.png"),
        ).code
        == 1
    )


def test_every_command_has_help(cli) -> None:  # type: ignore[no-untyped-def]
    top = cli("--help")
    assert top.code == 0
    for command in (
        "init",
        "log",
        "list",
        "show",
        "correct",
        "delete",
        "case",
        "verify",
        "passwd",
        "attach",
        "attachments",
        "extract",
    ):
        assert command in top.out
        assert cli(command, "--help").code == 0
