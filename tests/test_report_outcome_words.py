"""A text message's outcome in the dossier reads as a message's, not a call's (review 7,
item 13: imported SMS showed "Outcome: connected" / "结果：已接通"). The importers
store ``connected`` for a message received or sent (model.Outcome); the pages say so
in a message's words, and the verifier checks those words against the proofs."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from functools import cache

import pytest
from pypdf import PdfReader

from evidence_locker.model import Channel, Direction, Outcome
from evidence_locker.report import verify_dossier
from tests.report_fixtures import finish, make_records, render_signed


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _records():  # type: ignore[no-untyped-def]
    """E-1 an SMS received, E-2 a call answered, E-3 an e-mail sent, E-4 an SMS that
    failed: each with the outcome the importers store."""
    recs = make_records(4, with_correction=False)
    recs[0] = replace(recs[0], channel=Channel.SMS, outcome=Outcome.CONNECTED)
    recs[1] = replace(recs[1], channel=Channel.CALL, outcome=Outcome.CONNECTED)
    recs[2] = replace(
        recs[2], channel=Channel.EMAIL, direction=Direction.OUTGOING, outcome=Outcome.CONNECTED
    )
    recs[3] = replace(
        recs[3], channel=Channel.SMS, direction=Direction.OUTGOING, outcome=Outcome.FAILED
    )
    return finish(recs)


@cache
def _pdf(lang: str) -> bytes:
    return render_signed(*_records(), lang=lang)


def _record_pages(pdf: bytes) -> dict[str, str]:
    """Each record's part of "Records in full", by its number."""
    text = _flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    start = max(text.find("Recordsinfull", text.find("Recordsinfull") + 1), text.rfind("记录详情"))
    body = text[start:]
    heads = list(re.finditer(r"E-(\d)·\d{4}-\d\d-\d\d", body))
    return {
        f"E-{m.group(1)}": body[m.start() : heads[i + 1].start() if i + 1 < len(heads) else None]
        for i, m in enumerate(heads)
    }


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", {"E-1": "Outcomereceived", "E-2": "Outcomeconnected", "E-3": "Outcomesent"}),
        ("zh", {"E-1": "结果已收到", "E-2": "结果已接通", "E-3": "结果已发送"}),
    ],
)
def test_messages_read_received_or_sent_and_calls_connected(lang: str, words: dict) -> None:  # type: ignore[type-arg]
    pdf = _pdf(lang)
    records = _record_pages(pdf)
    for no, want in words.items():
        assert want in records[no], (no, records[no][:300])
    for no in ("E-1", "E-3"):
        assert "connected" not in records[no] and "已接通" not in records[no]
    assert ("Outcomenotdelivered" if lang == "en" else "结果未送达") in records["E-4"]
    text = _flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    timeline = text[: text.rfind("Recordsinfull" if lang == "en" else "记录详情")]
    assert ("connected" if lang == "en" else "已接通") in timeline  # the call's
    assert timeline.count("connected" if lang == "en" else "已接通") == 1
    report = verify_dossier(pdf)
    assert report.ok, report.messages


def test_a_dossier_printed_with_the_old_call_word_still_verifies(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Dossiers made before this change print "connected" for an SMS: the proven value
    is the same, so they must keep verifying."""
    from evidence_locker.report import fieldtext

    monkeypatch.setattr(fieldtext, "MESSAGE_CHANNELS", frozenset())
    old = render_signed(*_records(), lang="en")
    assert "Outcomeconnected" in _record_pages(old)["E-1"]
    monkeypatch.undo()
    report = verify_dossier(old)
    assert report.ok, report.messages
