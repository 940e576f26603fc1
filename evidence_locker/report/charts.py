"""Charts of the summary page (reportlab.graphics), readable in greyscale.

Meaning never rests on colour alone: night hours get a shaded band, hatching and a
caption, not just a darker fill, so a photocopy still shows them.
"""

from __future__ import annotations

from datetime import date, timedelta

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from evidence_locker.report.fonts import LATIN, font_for

NIGHT_HOURS = frozenset([22, 23, 0, 1, 2, 3, 4, 5, 6, 7])


def _value_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if top / step <= 6:
            return step
    return 10000


MAX_DAY_BARS = 120  # a longer period gets a bar per week, so bars stay visible


def by_week(counts: dict[date, int]) -> bool:
    """Whether :func:`per_day_chart` draws weeks (its heading must say so)."""
    return bool(counts) and (max(counts) - min(counts)).days + 1 > MAX_DAY_BARS


def per_day_chart(counts: dict[date, int], width: float, height: float = 150) -> Drawing:
    """A bar per calendar day from the first to the last contact (gaps shown as 0), or
    per week from Monday over a long period (:func:`by_week`)."""
    d = Drawing(width, height, initialFontName=LATIN, initialFontSize=6)
    if not counts:
        return d
    start, end = min(counts), max(counts)
    days = [(start + timedelta(days=i)) for i in range((end - start).days + 1)]
    if by_week(counts):
        buckets: dict[date, int] = {}
        for day, n in counts.items():
            monday = day - timedelta(days=day.weekday())
            buckets[monday] = buckets.get(monday, 0) + n
        first = start - timedelta(days=start.weekday())
        days = [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
        counts = buckets
    values = [counts.get(day, 0) for day in days]
    chart = VerticalBarChart()
    chart.x, chart.y = 30, 25
    chart.width, chart.height = width - 40, height - 40
    chart.data = [values]
    chart.bars[0].fillColor = colors.Color(0.35, 0.35, 0.35)
    chart.bars[0].strokeColor = colors.black
    chart.bars[0].strokeWidth = 0.2
    top = max(values) or 1
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = _value_step(top)
    chart.valueAxis.valueMax = top + (-top % chart.valueAxis.valueStep or 0)
    chart.valueAxis.labels.fontName = LATIN
    chart.valueAxis.labels.fontSize = 6
    chart.categoryAxis.categoryNames = axis_labels(days)
    chart.categoryAxis.labels.fontName = LATIN
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 0
    chart.categoryAxis.labels.dy = -4
    chart.barSpacing = 0
    chart.groupSpacing = 1 if len(days) < 60 else 0
    d.add(chart)
    return d


def axis_labels(days: list[date]) -> list[str]:
    """About ten day labels, "10-19", the first and the first of each new year with
    its year, "2026-01-05": a period across New Year reads without guessing."""
    every = max(1, len(days) // 10)
    out, year = [], None
    for i, day in enumerate(days):
        if i % every:
            out.append("")
            continue
        out.append(day.strftime("%m-%d") if day.year == year else day.isoformat())
        year = day.year
    return out


def by_hour_chart(
    counts: list[int], width: float, height: float = 150, night_label: str = "night"
) -> Drawing:
    """24 bars, 00 to 23; night hours on a shaded, labelled band with hatched bars."""
    d = Drawing(width, height, initialFontName=LATIN, initialFontSize=6)
    x0, y0 = 30, 25
    w, h = width - 40, height - 45
    slot = w / 24
    # night band: 00-08 and 22-24
    band = colors.Color(0.88, 0.88, 0.88)
    for a, b in ((0, 8), (22, 24)):
        d.add(Rect(x0 + a * slot, y0, (b - a) * slot, h, fillColor=band, strokeColor=None))
        d.add(
            String(
                x0 + (a + b) / 2 * slot,
                y0 + h + 4,
                f"{night_label} {a:02d}–{b % 24:02d}",
                fontName=font_for(night_label),
                fontSize=6,
                textAnchor="middle",
            )
        )
    top = max(counts) or 1
    step = _value_step(top)
    vmax = top + (-top % step)
    for v in range(0, vmax + 1, step):
        y = y0 + h * v / vmax
        d.add(Line(x0, y, x0 + w, y, strokeColor=colors.Color(0.7, 0.7, 0.7), strokeWidth=0.3))
        d.add(String(x0 - 3, y - 2, str(v), fontName=LATIN, fontSize=6, textAnchor="end"))
    for hour, n in enumerate(counts):
        night = hour in NIGHT_HOURS
        bx = x0 + hour * slot + slot * 0.15
        bw = slot * 0.7
        bh = h * n / vmax
        fill = colors.Color(0.15, 0.15, 0.15) if night else colors.white
        d.add(Rect(bx, y0, bw, bh, fillColor=fill, strokeColor=colors.black, strokeWidth=0.5))
        if night and bh > 2:
            # diagonal hatching in white over the dark bar: survives a photocopy
            k = 0.0
            while k < bh + bw:
                ya, yb = max(0.0, k - bw), min(bh, k)
                d.add(
                    Line(
                        bx + (k - ya),
                        y0 + ya,
                        bx + (k - yb),
                        y0 + yb,
                        strokeColor=colors.white,
                        strokeWidth=0.4,
                    )
                )
                k += 3
        if n:
            d.add(
                String(
                    bx + bw / 2,
                    y0 + bh + 1.5,
                    str(n),
                    fontName=LATIN,
                    fontSize=5,
                    textAnchor="middle",
                )
            )
        d.add(
            String(
                bx + bw / 2, y0 - 9, f"{hour:02d}", fontName=LATIN, fontSize=6, textAnchor="middle"
            )
        )
    d.add(Line(x0, y0, x0 + w, y0, strokeColor=colors.black, strokeWidth=0.6))
    return d
