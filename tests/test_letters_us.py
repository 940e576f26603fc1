"""US and UK letters, a sent letter as an event the rules use, and the dossier annex."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from evidence_locker.errors import LockerError
from evidence_locker.letters import Request, draft_letter, get_kind
from evidence_locker.model import Channel, ContactDraft, Outcome, RecordFilter
from evidence_locker.rules import resolve_rule_sets

from .letter_fixtures import (
    NY,
    at,
    collector_contacts,
    e_numbers,
    flat,
    make_locker,
    open_locker,
    pdf_text,
    us_drafts,
)

ACME = "Acme Collections"


@pytest.fixture
def us(cli, tmp_path: Path, state_dir: Path):  # type: ignore[no-untyped-def]
    """The CLI on a fresh US locker of this test's own (these tests write)."""
    path = tmp_path / "us-locker"
    make_locker(path, us_drafts(), state_dir)
    env = {"EVIDENCE_LOCKER_DIR": str(path), "EVIDENCE_LOCKER_TZ": "America/New_York"}
    run = lambda *args, **kw: cli(*args, env=env, **kw)  # noqa: E731
    run.path = path  # type: ignore[attr-defined]
    return run


def test_cfpb_narrative_fits_the_form_and_names_the_issue(us):  # type: ignore[no-untyped-def]
    r = us("letter", "cfpb", "--org", "Acme", "--text")
    assert r.code == 0, r.err
    what = r.out.split("What happened\n", 1)[1].split("\nDesired resolution", 1)[0]
    assert len(what) <= 4000
    assert f"What happened: {len(what.strip())} of 4000 characters" in r.err or "of 4000" in r.err
    assert "Issue to choose on the form: " in r.out
    assert "Threatened to contact someone or share information improperly" in r.out
    assert "Communication tactics" in r.out
    assert "3 calls. Records: E-1, E-2, E-3." in what  # the three 21:30 calls
    assert "“Pay today or we will have you arrested and tell your employer.”" in what
    # the form asks for these elsewhere: never in the narrative
    assert "Jane" not in what


def test_cfpb_quotes_fewer_records_to_fit_and_refuses_what_cannot(us, tmp_path: Path):  # type: ignore[no-untyped-def]
    locker = open_locker(us.path)
    long_threat = "We will have you arrested. " + "Pay now or face the consequences. " * 20
    with locker:
        for day in range(1, 29):
            locker.log(ContactDraft(Channel.SMS, at(f"2025-04-{day:02d} 12:00", NY),
                                    organisation=ACME, address="+12125550199",
                                    content=f"{day}: {long_threat}"))  # fmt: skip
        kind = get_kind("cfpb", "us")
        req = Request(kind, RecordFilter(organisation=ACME), {}, "en", at("2025-05-01 12:00", NY))
        sets = resolve_rule_sets(["us"])
        letter = draft_letter(locker, req, rule_sets=sets, tz="America/New_York")
        _label, text, limit = letter.limited[0]
        assert len(text) <= limit == 4000
        threats = [r for r in locker.records() if r.content and "arrested" in r.content]
        assert f"words: {len(threats)}." in text  # the count stays exact; quotes are fewer
        assert text.count("“") < len(threats)
        tiny = replace(kind, channel=replace(kind.channel, limit=50))  # too small for any
        with pytest.raises(LockerError) as err:
            draft_letter(locker, replace(req, kind=tiny), rule_sets=sets, tz="America/New_York")
        assert err.value.key == "letters.too_long"


def test_sent_cease_letter_makes_later_contacts_flagged(us, tmp_path: Path):  # type: ignore[no-untyped-def]
    pdf = tmp_path / "cease.pdf"
    r = us("letter", "cease", "--org", "Acme", "--name", "Jane Doe", "--address", "1 Main St",
           "-o", str(pdf))  # fmt: skip
    assert r.code == 0, r.err
    text = pdf_text(pdf)
    assert "15 U.S.C. 1692c(c)" in text and "not an admission" in text
    assert "Consumer Financial Protection Bureau" in text  # where to get free help
    receipt = tmp_path / "receipt.jpg"
    receipt.write_bytes(b"\xff\xd8 post office receipt")
    r = us("letter", "sent", str(pdf), "--via", "post", "--at", "2025-03-06 09:00",
           "--notes", "USPS certified 9400", "--attach", str(receipt))  # fmt: skip
    assert r.code == 0, r.err
    assert "cease_request" in r.out
    sent = [x for x in json.loads(us("list", "--json").out) if x["direction"] == "outgoing"]
    assert len(sent) == 1
    rec = sent[0]
    assert rec["event"] == "cease_request" and rec["channel"] == "letter"
    assert rec["organisation"] == ACME and rec["notes"] == "USPS certified 9400"
    shas = {a["name"]: a["sha256"] for a in rec["attachments"]}
    assert shas["cease.pdf"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert "receipt.jpg" in shas
    later = us("log", "call", "--org", ACME, "--number", "+12125550100",
               "--at", "2025-03-20 10:00", "--json")  # fmt: skip
    later_id = json.loads(later.out)["record_id"]
    before = us("log", "call", "--org", ACME, "--number", "+12125550100",
                "--at", "2025-03-05 18:00", "--json")  # fmt: skip
    before_id = json.loads(before.out)["record_id"]
    flags = json.loads(us("check", "--rules", "us", "--json").out)
    flags = flags["findings"] if isinstance(flags, dict) else flags
    after = [f for f in flags if f["kind"] == "after_event"]
    assert any(later_id in f["records"] for f in after)
    assert not any(before_id in f["records"] for f in after)
    # the next letter states it: the request, its number, and the contact after it
    r = us("letter", "cfpb", "--org", "Acme", "--text")
    assert "After my written request to stop contact of 2025-03-06" in r.out


def test_sent_needs_a_letter_or_its_kind(us, tmp_path: Path):  # type: ignore[no-untyped-def]
    pasted = tmp_path / "narrative.txt"
    pasted.write_text("What happened: ...", "utf-8")
    r = us("letter", "sent", str(pasted), "--via", "web")
    assert r.code == 2 and "--kind" in r.err
    r = us("letter", "sent", str(pasted), "--via", "web", "--kind", "cfpb", "--org", ACME)
    assert r.code == 0, r.err
    rec = next(x for x in json.loads(us("list", "--json").out) if x["direction"] == "outgoing")
    assert rec["event"] is None and rec["channel"] == "other"
    assert us("letter", "sent", str(pasted), "--via", "pigeon", "--kind", "cfpb",
              "--org", ACME).code == 2  # fmt: skip
    assert us("letter", "sent", str(tmp_path / "missing.pdf")).code == 1
    r = us("letter", "sent", str(pasted), "--kind", "cfpb", "--org", ACME, "--at", "2099-01-01")
    assert r.code == 2 and "2099" in r.err


def test_dossier_annex_is_verified_and_its_numbers_used(us, tmp_path: Path):  # type: ignore[no-untyped-def]
    dossier = tmp_path / "dossier.pdf"
    r = us("export", "pdf", "--org", "Acme", "-o", str(dossier), "--no-flags")
    assert r.code == 0, r.err
    from evidence_locker.report import verify_dossier

    report = verify_dossier(dossier.read_bytes())
    assert report.ok
    out = tmp_path / "dispute.pdf"
    r = us("letter", "dispute", "--org", "Acme", "--name", "Jane Doe", "--address", "1 Main St",
           "--dossier", str(dossier), "-o", str(out))  # fmt: skip
    assert r.code == 0, r.err
    text = " ".join(pdf_text(out).split())
    assert report.dossier_id in text
    assert flat(report.fingerprint) in flat(text)
    manifest = _manifest(dossier)
    locker = open_locker(us.path)
    with locker:
        contacts = collector_contacts(locker.records(), ACME)
    threat = next(c for c in contacts if c.content and "arrested" in c.content)
    assert f"{manifest[threat.record_id]} · 2025-03-04 10:00" in text  # the quote's number
    assert e_numbers(text) <= set(manifest.values())
    # a changed byte: the annex does not verify, nothing is written
    broken = tmp_path / "broken.pdf"
    data = bytearray(dossier.read_bytes())
    data[len(data) // 2] ^= 0x01
    broken.write_bytes(bytes(data))
    bad_out = tmp_path / "bad.pdf"
    r = us("letter", "dispute", "--org", "Acme", "--name", "J", "--address", "A",
           "--dossier", str(broken), "-o", str(bad_out))  # fmt: skip
    assert r.code == 1 and "broken.pdf" in r.err and not bad_out.exists()
    # a dossier of other records: a cited record has no number in it
    partial = tmp_path / "partial.pdf"
    assert us("export", "pdf", "--org", "Acme", "--until", "2025-03-02", "-o", str(partial),
              "--no-flags").code == 0  # fmt: skip
    r = us("letter", "dispute", "--org", "Acme", "--name", "J", "--address", "A",
           "--dossier", str(partial), "-o", str(bad_out))  # fmt: skip
    assert r.code == 2 and "partial.pdf" in r.err and "same --org" in r.err


def _manifest(pdf: Path) -> dict[str, str]:
    from evidence_locker.report.pdfio import PROOFS_NAME, read_attachment

    data = json.loads(read_attachment(pdf.read_bytes(), PROOFS_NAME) or b"{}")
    return {r["record_id"]: r["no"] for r in data["dossier"]["records"]}


def test_uk_contact_log_counts_contacts_after_a_breathing_space(cli, tmp_path: Path, state_dir):  # type: ignore[no-untyped-def]
    path = tmp_path / "uk"
    london = __import__("zoneinfo").ZoneInfo("Europe/London")
    drafts = [
        ContactDraft(Channel.CALL, at(f"2025-05-{d:02d} 12:00", london), organisation=org,
                     address="+442071234567", outcome=Outcome.CONNECTED)
        for d, org in ((1, "Lender Ltd"), (2, "Lender Ltd"), (9, "Agency plc"), (12, "Lender Ltd"))
    ]  # fmt: skip
    make_locker(path, drafts, state_dir)
    env = {"EVIDENCE_LOCKER_DIR": str(path), "EVIDENCE_LOCKER_TZ": "Europe/London"}
    r = cli("letter", "contact-log", "--breathing-space", "2025-05-05", "--text", env=env)
    assert r.code == 0, r.err
    assert "Lender Ltd: 3 calls, from 2025-05-01 to 2025-05-12" in r.out
    assert "Since the breathing space began on 2025-05-05: 2 contacts (E-3, E-4)." in r.out
    assert "SI 2020/1311" in r.out and "debt adviser" in r.err
    r = cli("letter", "complaint", "--org", "Lender", "--name", "A", "--address", "B",
            "--request", "Stop.", "--text", env=env)  # fmt: skip
    assert r.code == 1 and "no findings" in r.err  # nothing flagged: no complaint
    r = cli("letter", "cca-request", "--org", "Lender", "--name", "A", "--address", "B",
            "--account", "AC-1", "--text", env=env)  # fmt: skip
    assert r.code == 0, r.err
    assert "£1" in r.out and "12 working days" in r.out and "AC-1" in r.out
