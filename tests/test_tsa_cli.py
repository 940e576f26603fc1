"""The trusted-time commands as a user types them: tsa add/list/remove, stamp, verify,
show and list --json, each against the local TSA (tests/tsa_server.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.tsa_server import Behaviour, unused_port


def _init_and_log(cli, n: int = 1) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    for i in range(n):
        r = cli(
            "log", "sms", "--at", "2025-02-09 18:43", "--from", "95577", "--content", f"催收 {i}"
        )
        assert r.code == 0, r.err


def test_add_list_stamp_verify_show(cli, tsa, tsa_pki) -> None:  # type: ignore[no-untyped-def]
    _init_and_log(cli, 3)
    added = cli("tsa", "add", "local", tsa.url, "--root", str(tsa_pki.root_path))
    assert added.code == 0, added.err
    assert "Test TSA Root" in added.out and "SHA-256" in added.out
    listed = json.loads(cli("tsa", "list", "--json").out)
    assert listed[0]["name"] == "local" and listed[0]["unstamped"] == 3
    plain = cli("tsa", "list").out
    assert (
        f"local  {tsa.url}  (auto-stamp off)" in plain and "entries waiting for a stamp: 3" in plain
    )
    stamped = cli("stamp")
    assert stamped.code == 0, stamped.err
    assert re.search(
        r"local: entries 1-3 existed no later than \d{4}-\d\d-\d\d \d\d:\d\d UTC", stamped.out
    )
    assert "already stamped" in cli("stamp").out
    cli("log", "sms", "--at", "2025-02-10 09:00", "--from", "95577", "--content", "later")
    verified = cli("verify")
    assert verified.code == 0, verified.err
    assert re.search(r"entries 1-3 existed no later than .* UTC \(local\)", verified.out)
    assert "entry 4 has no trusted time yet" in verified.out
    data = json.loads(cli("verify", "--json").out)
    assert data["stamps"]["ok"] and data["stamps"]["ranges"][0]["last"] == 3
    records = json.loads(cli("list", "--json").out)
    times = [r["existed_no_later_than"] for r in records]
    assert sum(t is not None for t in times) == 3 and times.count(None) == 1
    first = next(r for r in records if r["existed_no_later_than"])
    shown = cli("show", first["id"][:8])
    assert "Existed by" in shown.out and "backdating" in shown.out
    zh = cli("--lang", "zh", "show", first["id"][:8])
    assert "可信存在时间" in zh.out


def test_stamp_failures_are_one_line_and_exit_1(cli, tsa, tsa_pki, locker_dir: Path) -> None:  # type: ignore[no-untyped-def]
    _init_and_log(cli)
    cli("tsa", "add", "local", tsa.url, "--root", str(tsa_pki.root_path))
    tsa.behaviour = Behaviour.OTHER_SIGNER
    r = cli("stamp")
    assert r.code == 1
    [line] = r.err.strip().splitlines()
    assert line.startswith("local: ") and "not trusted" in line
    assert "Traceback" not in r.err
    assert json.loads(cli("tsa", "list", "--json").out)[0]["stamps"] == 0


def test_unreachable_tsa(cli, tsa_pki) -> None:  # type: ignore[no-untyped-def]
    _init_and_log(cli)
    url = f"http://127.0.0.1:{unused_port()}/tsr"
    assert cli("tsa", "add", "gone", url, "--root", str(tsa_pki.root_path)).code == 0
    r = cli("stamp")
    assert r.code == 1 and "cannot reach" in r.err and len(r.err.strip().splitlines()) == 1


def test_usage_errors(cli, tsa, tsa_pki, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _init_and_log(cli)
    r = cli("stamp")
    assert r.code == 2 and "no time-stamp authority" in r.err
    r = cli("tsa", "add", "x", tsa.url, "--root", str(tmp_path / "missing.pem"))
    assert r.code == 2 and "missing.pem" in r.err
    (tmp_path / "junk.pem").write_text("not a certificate")
    r = cli("tsa", "add", "x", tsa.url, "--root", str(tmp_path / "junk.pem"))
    assert r.code == 2 and "root certificate" in r.err
    r = cli("tsa", "add", "x", "ftp://example.org", "--root", str(tsa_pki.root_path))
    assert r.code == 2
    r = cli("tsa", "remove", "nobody")
    assert r.code == 1 and "nobody" in r.err


def test_verify_fails_on_a_stamp_it_cannot_trust(cli, tsa, tsa_pki, locker_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A stored token whose TSA name was edited to one with no configured root: verify
    says "not trusted" in one line and exits 1, and no record claims its time."""
    import sqlite3

    _init_and_log(cli, 2)
    cli("tsa", "add", "local", tsa.url, "--root", str(tsa_pki.root_path))
    assert cli("stamp").code == 0
    with sqlite3.connect(locker_dir / "locker.db") as conn:
        conn.execute("DROP TRIGGER anchor_no_update")
        conn.execute("UPDATE anchor SET destination = 'elsewhere'")
    r = cli("verify")
    assert r.code == 1
    [line] = [x for x in r.err.splitlines() if "elsewhere" in x]
    assert "not trusted" in line and "Traceback" not in r.err
    assert "existed no later than" not in r.out
    records = json.loads(cli("list", "--json").out)
    assert all(rec["existed_no_later_than"] is None for rec in records)
