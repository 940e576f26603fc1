"""A redacted dossier says once what masking means, not in every cell (review 7, item
10: each Counterpart cell of the timeline repeated "(masked; the full value is
withheld from the proof bundle)", cells grew to five lines). Redaction stays as strong:
no full number anywhere in the text."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

from evidence_locker.report import verify_dossier
from tests.report_fixtures import finish, make_records, render_signed

REDACT = frozenset({"numbers"})
NOTE = {"en": "masked; the full value is withheld", "zh": "已脱敏；完整内容未放入证明数据"}
LEGEND = {
    "en": "Masked values (such as +** *** **** 5678) keep their last four",
    "zh": "遮盖的内容（如 +** *** **** 5678）仅保留最后四位",
}


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@cache
def _pdf(lang: str) -> bytes:
    """Eight contacts, the SMS and calls from a number with no name (as imported)."""
    recs = [
        replace(r, counterpart=None) if r.address else r
        for r in make_records(8, with_correction=False)
    ]
    records, bundle = finish(recs, redact=REDACT)
    return render_signed(records, bundle, lang=lang, redact=REDACT)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_masking_note_is_said_once_not_per_cell(lang: str) -> None:
    pdf = _pdf(lang)
    text = _flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert _flat(NOTE[lang]) not in text
    assert text.count(_flat(LEGEND[lang])) == 1
    assert text.count("*********5678") > 8  # the masked numbers are still shown
    report = verify_dossier(pdf)
    assert report.ok, report.messages


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_no_full_number_in_the_text(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(_pdf("en"))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = _flat(text)
    for secret in ("13812345678", "8613812345678", "4155550137"):
        assert secret not in flat
    assert "*********5678" in flat
