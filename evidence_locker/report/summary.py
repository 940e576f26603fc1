"""The summary: counts, charts of contacts per day and per hour, streaks, flags."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, PageBreak, Spacer

from evidence_locker.report import charts
from evidence_locker.report.context import Contact, RenderContext
from evidence_locker.report.layout import FRAME_W, Cell, cell, header_cells, table
from evidence_locker.report.redact import mask_text

SEVERITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def _streaks(days: list[date]) -> list[tuple[date, date, int]]:
    """Runs of consecutive calendar days, longest first (ties: earliest first)."""
    runs: list[tuple[date, date, int]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == timedelta(days=1):
            start, _, n = runs[-1]
            runs[-1] = (start, day, n + 1)
        else:
            runs.append((day, day, 1))
    return sorted(runs, key=lambda r: (-r[2], r[0]))


def _count_table(
    ctx: RenderContext, title_key: str, counts: Counter[str], limit: int = 20
) -> list[Any]:
    rows: list[list[Any]] = [
        [
            Cell(ctx.L(title_key), "cellb"),
            Cell(ctx.L("summary.count"), "cellb"),
        ]
    ]
    for name, n in counts.most_common(limit):
        rows.append([cell(name), cell(str(n))])
    if len(counts) > limit:
        rest = sum(n for _, n in counts.most_common()[limit:])
        rows.append([cell(f"… (+{len(counts) - limit})"), cell(str(rest))])
    return [*table(ctx, rows, [FRAME_W - 30 * mm, 30 * mm]), Spacer(1, 4 * mm)]


def summary(
    ctx: RenderContext,
    contacts: list[Contact],
    flags: Sequence[dict[str, Any]],
    no_by_id: dict[str, str],
) -> list[Any]:
    out: list[Any] = [ctx.p(ctx.L("summary"), "h1")]
    none = ctx.L("none")
    by_channel = Counter(ctx.channel(c.latest) for c in contacts)
    by_org = Counter(ctx.value(c.latest, "organisation") or none for c in contacts)
    by_person = Counter(ctx.value(c.latest, "counterpart") or none for c in contacts)
    out += _count_table(ctx, "summary.by_channel", by_channel)
    out += _count_table(ctx, "summary.by_org", by_org)
    out += _count_table(ctx, "summary.by_counterpart", by_person, limit=15)
    local = [c.latest.occurred_at.astimezone(ctx.tz) for c in contacts]
    per_day = Counter(d.date() for d in local)
    hours = [0] * 24
    for d in local:
        hours[d.hour] += 1
    night = sum(hours[h] for h in charts.NIGHT_HOURS)
    tzname = getattr(ctx.tz, "key", None) or ctx.when(local[0]).rsplit(" ", 1)[-1]
    out += [
        CondPageBreak(70 * mm),
        ctx.p(ctx.L("summary.per_day"), "h2"),
        charts.per_day_chart(dict(per_day), FRAME_W),
        CondPageBreak(70 * mm),
        ctx.p(ctx.L("summary.by_hour", tz=tzname), "h2"),
        charts.by_hour_chart(hours, FRAME_W),
        ctx.p(ctx.L("summary.night_note", count=night), "note"),
    ]
    streaks = _streaks(list(per_day))[:5]
    rows: list[list[Any]] = [
        header_cells(
            ctx, "summary.streak_from", "summary.streak_to", "summary.streak_days", "summary.count"
        )
    ]
    for start, end, n in streaks:
        count = sum(per_day[start + timedelta(days=i)] for i in range(n))
        rows.append(
            [
                cell(start.isoformat()),
                cell(end.isoformat()),
                cell(str(n)),
                cell(str(count)),
            ]
        )
    out += [
        CondPageBreak(40 * mm),
        ctx.p(ctx.L("summary.streaks"), "h2"),
        *table(ctx, rows, [FRAME_W / 4] * 4),
    ]
    if flags:
        out += [
            CondPageBreak(40 * mm),
            ctx.p(ctx.L("summary.flags"), "h2"),
            ctx.p(ctx.L("summary.flags_note"), "note"),
            Spacer(1, 2 * mm),
        ]
        ordered = sorted(
            flags,
            key=lambda f: (
                -_severity(f.get("severity")),
                -float(f.get("score") or 0),
                _first_no(f, no_by_id),
            ),
        )
        rows = [
            header_cells(
                ctx, "flag.severity", "flag.rule", "flag.records", "flag.reason", "flag.source"
            )
        ]
        for f in ordered:
            nos = [no_by_id.get(str(r), str(r)) for r in f.get("records") or ()]
            rows.append(
                [
                    cell(str(f.get("severity", ""))),
                    cell(str(f.get("rule", ""))),
                    cell(", ".join(nos)),
                    cell(mask_text(str(f.get("reason", "")), ctx.redact)),
                    cell("\n".join(str(x) for x in (f.get("source"), f.get("source_url")) if x)),
                ]
            )
        out += table(ctx, rows, [16 * mm, 30 * mm, 22 * mm, FRAME_W - 118 * mm, 50 * mm])
    out.append(PageBreak())
    return out


def _severity(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    return SEVERITY_ORDER.get(str(value).lower(), 0)


def _first_no(flag: dict[str, Any], no_by_id: dict[str, str]) -> int:
    nums = [int(no_by_id[str(r)][2:]) for r in flag.get("records") or () if str(r) in no_by_id]
    return min(nums) if nums else 10**9
