"""Benchmark of the rule engine: 100k synthetic records through the shipped rule sets.

Prints one JSON object per line: name, value, unit, baseline, ratio, goal. The
baseline is a bare loop over the same records in the same run (touching the fields
the rules read), so the ratio says what the rules cost on top of merely iterating.
Each time is the best of three runs, wall clock (``value``) with the process CPU time
beside it (``cpu_s``): on a shared 2-core machine the CPU time says what the code costs
when other work steals the cores.
Run: ``python benchmarks/bench_rules.py [--n 100000] [--quick]`` from anywhere; it imports
the package of the checkout it lives in. Not part of the test pass/fail.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

# Import the package of this checkout, not whichever copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import evidence_locker
from evidence_locker.model import Channel, Direction, Event, Outcome, Record
from evidence_locker.rules import check, shipped_rule_set

# Mostly ordinary reminders, as in a real locker; a few problem messages.
TEMPLATES = [
    *["您的账单{n}元已逾期，请尽快还款。"] * 6,
    *["尊敬的客户，您尾号{n}的贷款已逾期，逾期将影响征信。"] * 6,
    *["Your payment of ${n} is overdue. Call us to discuss options."] * 4,
    "再不還款就爆通訊錄，通知你單位領導，後果自負！{n}",
    "今天不还{n}元，明天上门到你家，72小时内不处理将立案。",
    "请将{n}元转到我的私人账户，点击 http://t.cn/A{n} 处理",
    "Pay ${n} today or we will contact your employer and the police will arrest you.",
    "提醒：{n}号还款日已过，请登录 www.example-bank.com 查看",
    "",
]
ORGS = [f"机构{i}" for i in range(20)] + ["ACME Collections", "XX银行"]
CST = timezone(timedelta(hours=8))


def make_records(n: int, seed: int = 7) -> list[Record]:
    """Deterministic records: ~1 year, 22 organisations, 300 numbers, mixed channels.

    Contacts fall mostly in the daytime (about 4% at night) and the user logged a few
    events, so findings are a minority as in a real locker, not every record.
    """
    rnd = random.Random(seed)
    # Half a year either side of 2026-01-30, when the banking guideline's rules start;
    # times carry the offset they were logged with (+08:00), as records read back do.
    start = datetime(2025, 7, 1, tzinfo=UTC)
    span = 365 * 86400
    channels = (
        [Channel.CALL] * 6 + [Channel.SMS] * 3 + [Channel.MESSAGE, Channel.VISIT, Channel.EMAIL]
    )
    outcomes = [
        Outcome.CONNECTED,
        Outcome.MISSED,
        Outcome.MISSED,
        Outcome.VOICEMAIL,
        Outcome.REJECTED,
        Outcome.FAILED,
        None,
    ]
    out = []
    for i in range(n):
        day = start + timedelta(days=rnd.randrange(span // 86400))
        if rnd.random() < 0.04:
            when = day + timedelta(seconds=rnd.randrange(14 * 3600, 24 * 3600))  # 22:00-08:00 CST
        else:
            when = day + timedelta(seconds=rnd.randrange(0, 13 * 3600))  # 08:00-21:00 CST
        when = when.astimezone(CST)
        ch = rnd.choice(channels)
        org = rnd.choice(ORGS)
        event = None
        direction = Direction.INCOMING
        if rnd.random() < 0.0002:
            event, ch, direction = rnd.choice(list(Event)), Channel.LETTER, Direction.OUTGOING
        elif rnd.random() < 0.05:
            direction = Direction.OUTGOING
        content = (
            rnd.choice(TEMPLATES).format(n=rnd.randrange(100, 100000))
            if ch != Channel.CALL
            else None
        )
        out.append(
            Record(
                id=f"v{i}",
                record_id=f"r{i}",
                seq=i,
                channel=ch,
                direction=direction,
                occurred_at=when,
                logged_at=when,
                organisation=org,
                address=f"+86138{rnd.randrange(300):08d}",
                content=content,
                outcome=rnd.choice(outcomes) if ch == Channel.CALL else None,
                third_party="家人" if rnd.random() < 0.01 else None,
                event=event,
            )
        )
    return out


def bare_loop(records: list[Record]) -> int:
    """The baseline: visit every record and the fields the rules read."""
    acc = 0
    for r in records:
        acc += r.occurred_at.hour + len(r.content or "") + len(r.organisation or "")
        if r.outcome is not None and r.channel is Channel.CALL:
            acc += 1
    return acc


def timed(fn, *args, **kw) -> tuple[float, float, object]:
    """Wall and CPU seconds of one call, and its result."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn(*args, **kw)
    return time.perf_counter() - t0, time.process_time() - c0, result


def peak_bytes(records: list[Record], rule_sets) -> int:
    gc.collect()
    tracemalloc.start()
    check(records, rule_sets, tz="Asia/Shanghai", official_numbers=OFFICIAL)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


OFFICIAL = {"XX银行": ["95588"], "ACME Collections": ["+1 800 555 0100"]}


def emit(name: str, value: float, unit: str, baseline: float, goal: str, **extra) -> None:
    ratio = value / baseline if baseline else None
    line = {"name": name, "value": round(value, 4), "unit": unit, "baseline": round(baseline, 4)}
    line.update({"ratio": round(ratio, 2) if ratio else None, "goal": goal, **extra})
    print(json.dumps(line, ensure_ascii=False), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10k records (benchmarks/run.py)")
    args = ap.parse_args()
    if args.quick:
        args.n = 10_000
    here, root = Path(evidence_locker.__file__).resolve().parent.parent, Path(sys.path[0])
    assert here == root, f"imported {here}, not this checkout {root}"
    records = make_records(args.n)
    cn, us, uk = (shipped_rule_set(s) for s in ("cn", "us", "uk"))
    check(records[:1000], [cn, us, uk], tz="Asia/Shanghai")  # warm caches and imports
    base, _, _ = timed(bare_loop, records)

    for label, sets in (("cn", [cn]), ("us", [us]), ("all", [cn, us, uk])):
        runs = [
            timed(check, records, sets, tz="Asia/Shanghai", official_numbers=OFFICIAL)
            for _ in range(3)
        ]
        secs = min(r[0] for r in runs)
        cpu = min(r[1] for r in runs)
        findings = runs[0][2]
        assert isinstance(findings, list)
        emit(
            f"check_{args.n}_{label}",
            secs,
            "s",
            base,
            "< 2 s at 100k records",
            cpu_s=round(cpu, 4),
            findings=len(findings),
        )

    # Flat memory: peak bytes per record at n/10 and at n should be about the same.
    small = records[: args.n // 10]
    p_small = peak_bytes(small, [cn]) / len(small)
    p_big = peak_bytes(records, [cn]) / len(records)
    emit("check_peak_bytes_per_record", p_big, "B/record", p_small, "ratio <= 1.2 (flat)")


if __name__ == "__main__":
    main()
