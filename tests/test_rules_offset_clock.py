"""The offsets warning and records whose time the computer's clock gave.

The README's first command logs an SMS with no time typed: its time is the moment it
was logged, on this computer's clock. On a computer whose clock is UTC that record
carries +00:00, and once the user sets ``config tz Asia/Shanghai`` its offset differs
from the zone's. Its instant is still exact, so telling the user to "fix" it with
``correct --at`` was wrong: every new user following the README got that warning.
The warning is for records whose *typed* time was read on the wrong clock
(tests/test_rules_defects.py checks the library side).
"""

from __future__ import annotations

import json
from collections.abc import Callable


def test_readme_first_command_on_a_utc_computer(
    ready: Callable, machine_tz: Callable[[str], None]
) -> None:
    machine_tz("UTC")
    env = {"EVIDENCE_LOCKER_TZ": None}  # as a new user has it: no zone set yet
    first = ("log", "sms", "--number", "95577", "--org", "XX农商银行")
    assert ready(*first, "--content", "您的贷款已逾期，请尽快还款", env=env).code == 0
    assert ready("config", "tz", "Asia/Shanghai", env=env).code == 0
    call = ("log", "call", "--org", "某催收公司", "--number", "13800138000")
    assert ready(*call, "--at", "2025-03-09 22:47", "--duration", "6m", env=env).code == 0
    listed = json.loads(ready("list", "--json", env=env).out)
    assert {r["occurred_at"][-6:] for r in listed} == {"+00:00", "+08:00"}  # the case at hand
    report = json.loads(ready("check", "--json", env=env).out)
    assert "offsets" not in {n["kind"] for n in report["notes"]}
    shown = ready("check", env=env)
    assert shown.code == 0 and "UTC offset" not in shown.out
