"""The rendered dossier read back as a lawyer's tools would: pypdf, poppler, qpdf."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from evidence_locker.report import EmptyDossier, fonts_in_use, render_dossier, verify_dossier
from evidence_locker.report.fonts import has_glyph
from tests.report_fixtures import (
    DOSSIER_SEED,
    GENERATED,
    finish,
    make_records,
    png_bytes,
)

TZ = ZoneInfo("Asia/Shanghai")
PNG = png_bytes()
FLAGS = [
    {
        "rule": "night-contact",
        "records": ["rec-00001"],
        "reason": "夜间 05:29 来电 call at night",
        "source": "《互联网金融逾期债务催收自律公约》第十条",
        "severity": "medium",
    },
    {
        "rule": "third-party-threat",
        "records": ["rec-00000"],
        "reason": "威胁联系家人和单位",
        "source": "FDCPA 15 U.S.C. 1692d",
        "severity": "high",
    },
]


def _norm(text: str) -> str:
    """Drop whitespace: line wrapping and CJK spacing differ between extractors."""
    return re.sub(r"\s+", "", text)


def _expected(text: str) -> str:
    """How a record's content must read back: emoji the fonts lack become placeholders."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp in (0xFE0F, 0x200D):
            continue
        if cp <= 0xFFFF and (ch.isspace() or has_glyph("ELSans", ch) or has_glyph("ELCJK", ch)):
            out.append(ch)
        else:
            out.append(f"[emoji U+{cp:04X}]")
    return _norm("".join(out))


@pytest.fixture(scope="module")
def dossier() -> tuple[list, bytes]:
    records, bundle = finish(make_records(12, image_sha=hashlib.sha256(PNG).hexdigest()))
    progress: list[tuple[int, int]] = []
    pdf = render_dossier(
        records,
        bundle,
        lang="zh",
        title="催收联系记录 Collection contacts",
        claimant="张三 Zhang San",
        generated_at=GENERATED,
        tz=TZ,
        flags=FLAGS,
        images=lambda att: PNG,
        signing_seed=DOSSIER_SEED,
        progress=lambda done, total: progress.append((done, total)),
        invariant=True,
    )
    assert progress and progress[-1] == (12, 12)
    return records, pdf


@pytest.fixture(scope="module")
def pdf_path(dossier, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dossier") / "dossier.pdf"
    path.write_bytes(dossier[1])
    return path


def _latest_in_order(records):
    latest = [r for r in records if r.superseded_by is None]
    return sorted(latest, key=lambda r: (r.occurred_at, r.seq))


def _assert_contents_in_order(text: str, records) -> None:
    flat = _norm(text)
    pos = 0
    # The records-in-full section comes after the timeline; search from its heading.
    pos = flat.index("记录详情")
    for rec in _latest_in_order(records):
        want = _expected(rec.content)
        found = flat.find(want, pos)
        assert found >= 0, f"content of {rec.record_id} missing or out of order: {want[:40]}"
        pos = found + len(want)


def test_pypdf_reads_every_content_in_order(dossier) -> None:
    records, pdf = dossier
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    _assert_contents_in_order(text, records)
    assert "ver-00000-a" in text and "ver-00000-b" in text  # both versions of the corrected one
    assert "补充核对信息" in text  # the correction reason
    assert "3分3秒" in _norm(text)  # a call's 183 s, with its units (parsing.times)


def test_metadata_and_page_furniture(dossier) -> None:
    _, pdf = dossier
    reader = PdfReader(io.BytesIO(pdf))
    meta = reader.metadata
    assert meta.title == "催收联系记录 Collection contacts"
    assert meta.author == "张三 Zhang San"
    assert "催收" in meta.subject
    assert meta.creation_date.year == 2026 and meta.creation_date.month == 11
    total = len(reader.pages)
    assert total >= 5
    for n, page in enumerate(reader.pages, 1):
        text = _norm(page.extract_text())
        assert f"第{n}页，共{total}页" in text
        assert "生成于2026-11-2215:30+08:00" in text
        assert re.search(r"材料编号EL-[0-9A-F]{4}-[0-9A-F]{4}", text)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_every_content_in_order(dossier, pdf_path) -> None:
    records, _ = dossier
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    _assert_contents_in_order(text, records)
    assert "[emoji U+1F52A]" in text  # a placeholder, not an empty box
    flat = _norm(text)
    # flags worst first: the high one before the medium one
    assert flat.index("third-party-threat") < flat.index("night-contact")


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_every_font_embedded_and_subset(pdf_path) -> None:
    out = subprocess.run(
        ["pdffonts", str(pdf_path)], capture_output=True, check=True, text=True
    ).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    names = set()
    for row in rows:
        cols = row.split()
        emb, sub = cols[-5], cols[-4]
        assert emb == "yes" and sub == "yes", row
        assert re.match(r"[A-Z]{6}\+", cols[0]), row
        names.add(cols[0].split("+", 1)[1])
    assert {"DejaVuSans", "DroidSansFallback"} <= names


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_check_clean(pdf_path) -> None:
    res = subprocess.run(["qpdf", "--check", str(pdf_path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "No syntax or stream encoding errors" in res.stdout


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pages_render_and_are_not_blank(pdf_path, tmp_path) -> None:
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-r", "40", "-gray", "-png", str(pdf_path), str(tmp_path / "p")], check=True
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 5
    for page in pages:
        img = Image.open(page).convert("L")
        dark = sum(img.histogram()[:200])
        assert dark > 300, f"{page.name} looks blank ({dark} dark pixels)"


def test_english_dossier_and_fonts_in_use() -> None:
    records, bundle = finish(make_records(3, with_correction=False))
    pdf = render_dossier(
        records, bundle, lang="en", title=None, claimant=None, generated_at=GENERATED, tz=TZ
    )
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Record of debt-collection contacts" in text
    assert "Page 1 of" in text and "Integrity appendix" in text
    assert "3 min 3 s" in text  # the call's duration, written as everywhere else
    # unsigned: the dossier says so and verification refuses it
    assert _norm("produced without a whole-file signature") in _norm(text)
    report = verify_dossier(pdf)
    assert not report.ok and not report.signed
    used = fonts_in_use()
    assert {f.role for f in used} >= {"latin", "cjk"}
    for f in used:
        assert Path(f.path).is_file()
        assert Path(f.path).stat().st_size < 10 * 1024 * 1024


def test_empty_selection_gives_no_pdf() -> None:
    with pytest.raises(EmptyDossier):
        render_dossier([], {}, lang="en", title=None, claimant=None, generated_at=GENERATED, tz=TZ)


def test_redacted_dossier_hides_numbers_and_still_verifies() -> None:
    redact = frozenset({"numbers", "addresses", "ids"})
    records, bundle = finish(make_records(6, with_correction=False), redact=redact)
    pdf = render_dossier(
        records,
        bundle,
        lang="en",
        title=None,
        claimant=None,
        generated_at=GENERATED,
        tz=TZ,
        redact=redact,
        signing_seed=DOSSIER_SEED,
    )
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    embedded = reader.attachments["evidence-locker-proofs.json"][0].decode()
    for secret in ("13812345678", "415 555 0137", "世纪大道100号"):
        assert secret not in text
        assert secret not in embedded
    assert "+** *** **** 5678" in text  # grouped as people write it, masked, last four kept
    report = verify_dossier(pdf)
    assert report.ok, report.messages


def test_invariant_output_is_reproducible() -> None:
    records, bundle = finish(make_records(3, with_correction=False))
    kw = dict(lang="en", title=None, claimant=None, generated_at=GENERATED, tz=TZ)
    a = render_dossier(records, bundle, signing_seed=DOSSIER_SEED, invariant=True, **kw)
    time.sleep(1.1)  # a clock read anywhere (pyHanko's ModDate was one) would show
    b = render_dossier(records, bundle, signing_seed=DOSSIER_SEED, invariant=True, **kw)
    assert a == b
    c = render_dossier(
        records, bundle, signing_seed=DOSSIER_SEED, invariant=True, **{**kw, "lang": "zh"}
    )
    assert c != a


def test_deleted_contact_is_marked() -> None:
    from dataclasses import replace

    recs = make_records(3, with_correction=False)
    gone = replace(
        recs[2],
        id="ver-00002-x",
        seq=3,
        deleted=True,
        corrects=recs[2].id,
        delete_reason="重复记录 duplicate",
    )
    recs[2] = replace(recs[2], superseded_by=gone.id)
    records, bundle = finish([*recs, gone])
    pdf = render_dossier(
        records, bundle, lang="en", title=None, claimant=None, generated_at=GENERATED, tz=TZ
    )
    pages = [_norm(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    text = "".join(pages)
    # withdrawn: counted on the cover, listed with its reason, its content not shown
    assert _norm("1 withdrawn (deleted) records") in pages[0]
    withdrawn = text[text.index("Withdrawnrecords", text.index("Recordsinfull")) :]
    assert "D-1" in withdrawn and _norm("重复记录 duplicate") in withdrawn
    assert _norm(recs[2].content) not in text


def test_long_and_hostile_text_lays_out() -> None:
    """A very long e-mail, markup characters, control characters, empty fields."""
    from dataclasses import replace

    long_mail = "\n\n".join(
        f"第{i}段 paragraph {i}: 您的账户已逾期，<b>立即</b> & pay now \x07 ＡＢＣ。" * 12
        for i in range(60)
    )
    recs = make_records(3, with_correction=False)
    recs[0] = replace(recs[0], content=long_mail, counterpart="某" * 300)
    recs[1] = replace(recs[1], content=None, subject=None, notes="<script>&amp;</script>")
    records, bundle = finish(recs)
    pdf = render_dossier(
        records,
        bundle,
        lang="zh",
        title="<title> & 标题",
        claimant=None,
        generated_at=GENERATED,
        tz=TZ,
    )
    reader = PdfReader(io.BytesIO(pdf))
    text = _norm("\n".join(p.extract_text() for p in reader.pages))
    assert _norm("第59段 paragraph 59: 您的账户已逾期，<b>立即</b> & pay now") in text
    assert "<script>&amp;</script>" in text
    assert len(reader.pages) > 8


def test_labels_exist_in_both_languages_with_the_same_placeholders() -> None:
    import string
    import tomllib

    path = Path(__file__).parents[1] / "evidence_locker/locale/report.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert len(data) > 50
    for key, texts in data.items():
        assert key.startswith("report."), key
        assert set(texts) == {"en", "zh"}, key
        fields = [
            {f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in texts
        ]
        assert fields[0] == fields[1], key
