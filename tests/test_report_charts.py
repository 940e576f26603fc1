"""The contacts-per-day chart names the year (review 7, item 15: its axis ran
"01-27 … 10-19" over a period that spanned two years)."""

from __future__ import annotations

import io
from datetime import date, timedelta

from pypdf import PdfReader
from reportlab.graphics import renderPDF

from evidence_locker.report.charts import per_day_chart
from evidence_locker.report.fonts import register_fonts


def _axis_text(counts: dict[date, int]) -> list[str]:
    """The chart drawn into a PDF and read back: its words, in drawing order."""
    register_fonts()
    pdf = renderPDF.drawToString(per_day_chart(counts, 480))
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split()


def test_an_axis_across_two_years_names_each_year() -> None:
    start = date(2025, 1, 27)
    counts = {start + timedelta(days=i): 1 + i % 3 for i in range(0, 631, 5)}  # to 2026-10-20
    words = _axis_text(counts)
    dates = [w for w in words if w.count("-") >= 1 and w[:2].isdigit()]
    assert any(w.startswith("2025-") for w in dates), dates
    assert any(w.startswith("2026-") for w in dates), dates


def test_an_axis_within_one_year_names_the_year_once() -> None:
    start = date(2026, 10, 3)
    words = _axis_text({start + timedelta(days=i): 2 for i in range(20)})
    dates = [w for w in words if "-" in w and w[:2].isdigit()]
    assert dates[0] == "2026-10-03", dates
    assert all(not w.startswith("2026-") for w in dates[1:]), dates


def test_a_long_period_is_drawn_and_headed_per_week() -> None:
    """Over 120 days the bars are weeks: the summary's heading must not say per day."""
    from dataclasses import replace
    from datetime import timedelta as td

    from tests.report_fixtures import finish, make_records, render_signed

    recs = make_records(6, with_correction=False)
    recs = [
        replace(
            r, occurred_at=r.occurred_at - td(days=40 * i), logged_at=r.logged_at - td(days=40 * i)
        )
        for i, r in enumerate(recs)
    ]
    pdf = render_signed(*finish(recs), lang="en")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Contacts per week (weeks from Monday" in text and "Contacts per day" not in text
