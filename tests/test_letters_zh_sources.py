"""A Chinese letter under US or UK law keeps each instrument's own title (what a court
or a collector looks up) and says beside it, in Chinese, what it is, as ``check --lang
zh`` does for the rules' sources: never "Regulation F" or "15 U.S.C." alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evidence_locker.locale.messages import catalog

from .letter_fixtures import flat, make_locker, pdf_text, us_drafts

# An instrument's own title or abbreviation -> the Chinese that must stand beside it.
EXPLAINED = {
    "U.S.C.": "《公平债务催收作业法》",
    "FDCPA": "《公平债务催收作业法》",
    "CFR": "F 条例",
    "Reg F": "F 条例",
    "Regulation F": "F 条例",
    "DISP": "金融行为监管局",
    "CONC": "金融行为监管局",
}


def test_every_instrument_in_a_chinese_letter_is_explained_beside_it() -> None:
    unexplained = [
        (key, title)
        for key, texts in catalog().items()
        if key.startswith("letters.")
        for title, words in EXPLAINED.items()
        if title in texts.get("zh", "") and words not in texts["zh"]
    ]
    assert unexplained == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_a_chinese_us_letter_pdf_names_each_instrument_in_both(cli, tmp_path: Path, state_dir):  # type: ignore[no-untyped-def]
    path = tmp_path / "us-locker"
    make_locker(path, us_drafts(), state_dir)
    pdf = tmp_path / "cease.pdf"
    env = {"EVIDENCE_LOCKER_DIR": str(path), "EVIDENCE_LOCKER_TZ": "America/New_York"}
    r = cli("--lang", "zh", "letter", "cease", "--org", "Acme", "--name", "张三",
            "--address", "1 Main St", "-o", str(pdf), env=env)  # fmt: skip
    assert r.code == 0, r.err
    text = flat(pdf_text(pdf))
    assert "美国《公平债务催收作业法》15U.S.C.1692c(c)：" in text  # the basis, first line
    assert "F条例（RegulationF）12CFR1006.6(c)" in text
    assert text.count("U.S.C.") == text.count("《公平债务催收作业法》15U.S.C.")
