"""A UK complaint to the firm read back: the facts match the locker, the Financial
Ombudsman route (final response or eight weeks) is stated, and free help is named."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from evidence_locker.letters.numbering import exhibit_numbers
from evidence_locker.model import Channel, ContactDraft, Outcome, RecordFilter

from .letter_fixtures import at, e_numbers, fonts_embedded, make_locker, open_locker, pdf_text

LONDON = ZoneInfo("Europe/London")
LENDER = "Lender Ltd"


def test_uk_complaint_states_the_flagged_contacts_and_the_ombudsman_route(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, state_dir: Path
):
    c = Channel.CALL
    drafts = [
        ContactDraft(c, at("2025-05-01 22:15", LONDON), organisation=LENDER,
                     address="+442071234567", outcome=Outcome.MISSED),
        ContactDraft(c, at("2025-05-02 12:00", LONDON), organisation=LENDER,
                     address="+442071234567", outcome=Outcome.CONNECTED),
        ContactDraft(c, at("2025-05-03 23:05", LONDON), organisation=LENDER,
                     address="+442071234567", outcome=Outcome.MISSED),
        ContactDraft(c, at("2025-05-04 11:00", LONDON), organisation=LENDER,
                     address="+442071234568", third_party="my employer"),
        ContactDraft(c, at("2025-05-04 23:30", LONDON), organisation="Other Bank",
                     address="+442079999999", outcome=Outcome.MISSED),
    ]  # fmt: skip
    path = tmp_path / "uk"
    make_locker(path, drafts, state_dir)
    env = {"EVIDENCE_LOCKER_DIR": str(path), "EVIDENCE_LOCKER_TZ": "Europe/London"}
    out = tmp_path / "complaint.pdf"
    r = cli("letter", "complaint", "--org", LENDER, "--name", "Ann Smith", "--address",
            "1 High St, Leeds", "--request", "Stop calling me at night.", "-o", str(out),
            env=env)  # fmt: skip
    assert r.code == 0, r.err
    fonts_embedded(out)
    text = " ".join(pdf_text(out).split())
    with open_locker(path) as locker:
        versions = locker.records(RecordFilter(organisation=LENDER, all_versions=True))
    numbers = exhibit_numbers(versions)
    by_time = {v.occurred_at.astimezone(LONDON).strftime("%d %H:%M"): v for v in versions}
    night = [numbers[by_time[k].record_id] for k in ("01 22:15", "03 23:05")]
    third = numbers[by_time["04 11:00"].record_id]
    assert "from 2025-05-01 to 2025-05-04: 4 calls" in text  # the overview
    night_item = text.split("Contacts between ", 1)[1].split("•", 1)[0]
    assert "from 2025-05-01 to 2025-05-03: 2 calls" in night_item
    assert e_numbers(night_item) == set(night)
    assert third in text.split("other people", 1)[1].split("•", 1)[0]
    assert e_numbers(text) <= set(numbers.values())  # nothing from Other Bank
    assert "Other Bank" not in text
    assert "Stop calling me at night." in text
    assert "Financial Ombudsman Service" in text and "eight weeks" in text
    assert "six months" in text and "DISP 1.6.2R" in text
    assert "not legal advice" in text and "StepChange" in text  # free help, every page


def test_closing_and_name_and_a_heading_and_its_text_share_a_page() -> None:
    """However long the letter, the closing is never left at a page's foot without
    the name under it, nor a heading without the text it heads."""
    from datetime import UTC, datetime
    from io import BytesIO

    from pypdf import PdfReader

    from evidence_locker.letters.document import Block, Letter
    from evidence_locker.letters.pdf import render_pdf

    for n in range(26, 40):
        blocks = [Block("title", "Complaint"), *(Block("para", f"Line {i}.") for i in range(n))]
        blocks += [Block("heading", "Headed"), Block("para", "Under the heading.")]
        blocks += [Block("sign", "Yours faithfully,\nAnn Smith")]
        letter = Letter("complaint", "uk", "en", "Complaint", blocks, "Not legal advice.")
        pdf = render_pdf(letter, generated_at=datetime(2026, 1, 1, tzinfo=UTC), invariant=True)
        pages = [p.extract_text() for p in PdfReader(BytesIO(pdf)).pages]
        on = {w: [i for i, p in enumerate(pages) if w in p] for w in
              ("Yours faithfully", "Ann Smith", "Headed", "Under the heading")}  # fmt: skip
        assert on["Yours faithfully"] == on["Ann Smith"], n
        assert on["Headed"] == on["Under the heading"], n
