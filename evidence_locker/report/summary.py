"""The summary: the findings grouped, counts, charts of contacts per day and per
hour, streaks."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, PageBreak, Spacer

from evidence_locker.report import charts
from evidence_locker.report.context import Dossier, RenderContext
from evidence_locker.report.fieldtext import zone_label
from evidence_locker.report.findings import rule_caveats, summary_table
from evidence_locker.report.geometry import FRAME_W
from evidence_locker.report.layout import Cell, cell, header_cells, table
from evidence_locker.report.page import section_mark


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


def summary(d: Dossier) -> list[Any]:
    ctx, contacts = d.ctx, d.contacts
    out: list[Any] = [section_mark("summary", ctx.L("toc.summary")), ctx.p(ctx.L("summary"), "h1")]
    if d.findings or d.rule_caveats:
        out += [
            ctx.p(ctx.L("summary.flags"), "h2"),
            ctx.p(ctx.L("summary.flags_note"), "note"),
            *rule_caveats(d),
            Spacer(1, 1.5 * mm),
            *summary_table(d),
            Spacer(1, 3 * mm),
        ]
    none = ctx.L("none")
    by_channel = Counter(ctx.channel(c.latest) for c in contacts)
    by_org = Counter(ctx.value(c.latest, "organisation") or none for c in contacts)
    by_person = Counter(ctx.who(c.latest) for c in contacts)
    out += _count_table(ctx, "summary.by_channel", by_channel)
    out += _count_table(ctx, "summary.by_org", by_org)
    out += _count_table(ctx, "summary.by_counterpart", by_person, limit=15)
    known = [c.latest for c in contacts]
    local = [r.occurred_at.astimezone(ctx.tz) for r in known]
    per_day = Counter(t.date() for t in local)
    hours = [0] * 24
    for rec, t in zip(known, local, strict=True):
        if rec.time_known:
            hours[t.hour] += 1
    night = sum(hours[h] for h in charts.NIGHT_HOURS)
    tzname = zone_label(ctx.tz)
    out += [
        CondPageBreak(70 * mm),
        ctx.p(ctx.L("summary.per_week" if charts.by_week(per_day) else "summary.per_day"), "h2"),
        charts.per_day_chart(dict(per_day), FRAME_W),
        CondPageBreak(70 * mm),
        ctx.p(ctx.L("summary.by_hour", tz=tzname), "h2"),
        charts.by_hour_chart(hours, FRAME_W, night_label=ctx.L("summary.night_band")),
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
            [cell(start.isoformat()), cell(end.isoformat()), cell(str(n)), cell(str(count))]
        )
    out += [
        CondPageBreak(40 * mm),
        ctx.p(ctx.L("summary.streaks"), "h2"),
        *table(ctx, rows, [FRAME_W / 4] * 4),
        PageBreak(),
    ]
    return out
