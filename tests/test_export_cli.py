"""The dossier end to end: export from a real locker, read it back, verify it, break it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def filled(cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    from PIL import Image

    assert cli("init").code == 0
    shot = tmp_path / "wechat-threat.png"
    Image.new("RGB", (320, 200), (240, 240, 240)).save(shot)
    cli(
        "log",
        "sms",
        "--org",
        "XX农商银行",
        "--number",
        "95577",
        "--at",
        "2025-02-09 18:43",
        "--content",
        "第一条：您的贷款已逾期 overdue notice",
    )
    cli(
        "log",
        "call",
        "--org",
        "某催收公司",
        "--counterpart",
        "王经理 工号1024",
        "--number",
        "13800138000",
        "--at",
        "2025-02-09 22:47",
        "--duration",
        "6m",
        "--content",
        "第二条：说要通知我单位 call my employer",
    )
    cli(
        "log",
        "message",
        "--app",
        "wechat",
        "--counterpart",
        "催收员A",
        "--at",
        "2025-02-10 09:00",
        "--content",
        "第三条：再不還款就曝光 shame",
        "--attach",
        str(shot),
    )
    first = json.loads(cli("list", "--json").out)[0]["id"]
    cli("correct", first[:8], "--content", "第一条（更正）：您的贷款已逾期三天", "--reason", "typo")
    return cli


def pdftotext(path: Path) -> str:
    if shutil.which("pdftotext") is None:  # .ci/run installs it
        pytest.skip("poppler-utils not installed")
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_export_then_verify(filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "dossier.pdf"
    r = filled("export", "pdf", "-o", str(out), "--claimant", "张三", "--rules", "cn")
    assert r.code == 0, r.err
    assert out.stat().st_mode & 0o777 == 0o600
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(str(out)).pages)
    for needle in ("第二条", "call my employer", "第三条", "第一条（更正）", "张三"):
        assert needle in text.replace("\n", "")
    if shutil.which("pdftotext"):
        layout = pdftotext(out)
        positions = [layout.find(s) for s in ("第一条（更正）", "第二条", "第三条")]
        assert -1 not in positions and positions == sorted(positions)
    v = filled("verify-dossier", str(out))
    assert v.code == 0, v.err
    report = json.loads(filled("verify-dossier", str(out), "--json").out)
    assert report["ok"] and report["signed"] and report["endorsed"]
    if shutil.which("pdfimages"):
        images = subprocess.run(
            ["pdfimages", "-list", str(out)], capture_output=True, text=True
        ).stdout
        assert len(images.strip().splitlines()) >= 3  # header lines + the screenshot


def test_any_changed_byte_fails_verification(filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "d.pdf"
    assert filled("export", "pdf", "-o", str(out), "--no-flags").code == 0
    data = bytearray(out.read_bytes())
    for position in (len(data) // 3, len(data) // 2, len(data) - 200):
        bad = bytearray(data)
        bad[position] ^= 0x20
        broken = tmp_path / f"broken-{position}.pdf"
        broken.write_bytes(bytes(bad))
        r = filled("verify-dossier", str(broken))
        assert r.code == 1 and "Traceback" not in r.err


def test_redaction_masks_numbers_and_still_verifies(filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "redacted.pdf"
    assert filled("export", "pdf", "-o", str(out), "--redact", "numbers,addresses").code == 0
    from pypdf import PdfReader

    reader = PdfReader(str(out))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "13800138000" not in text.replace(" ", "")
    embedded = b"".join(b"".join(v) for v in reader.attachments.values())
    assert b"13800138000" not in embedded
    assert filled("verify-dossier", str(out)).code == 0


def test_selection_default_name_and_bad_output(filled, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    r = filled("export", "pdf", "--channel", "call", "--no-flags")
    assert r.code == 0
    made = list(tmp_path.glob("dossier-*.pdf"))
    assert len(made) == 1 and len(made[0].stem) == len("dossier-2026-11-22")
    again = filled("export", "pdf", "--channel", "call", "--no-flags")
    assert again.code == 2 and "--force" in again.err
    assert filled("export", "pdf", "--channel", "call", "--no-flags", "--force").code == 0
    empty = filled("export", "pdf", "-o", str(tmp_path / "none.pdf"), "--org", "nobody")
    assert empty.code == 2 and "nothing to export" in empty.err
    assert not (tmp_path / "none.pdf").exists()
    bad = filled("export", "pdf", "-o", str(tmp_path / "missing-dir" / "x.pdf"))
    assert bad.code == 1 and "cannot write" in bad.err
    assert filled("export", "pdf", "-o", str(tmp_path / "y.pdf"), "--redact", "faces").code == 2
    assert filled("verify-dossier", str(tmp_path / "nope.pdf")).code == 1
    not_pdf = tmp_path / "not.pdf"
    not_pdf.write_text("hello")
    assert filled("verify-dossier", str(not_pdf)).code == 1


def test_forgery_script_fails_against_a_real_dossier(filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 13: a real dossier rebuilt by an attacker with a fresh key must fail."""
    import sys

    genuine = tmp_path / "genuine.pdf"
    assert filled("export", "pdf", "-o", str(genuine), "--no-flags").code == 0
    good = filled("verify-dossier", str(genuine))
    assert good.code == 0 and "only self-consistent" in good.out
    attack = Path(__file__).parent / "attacks" / "forge_dossier.py"
    for extra in ([], ["--keep-note"]):
        forged = tmp_path / f"forged{len(extra)}.pdf"
        subprocess.run([sys.executable, str(attack), str(genuine), str(forged), *extra], check=True)
        r = filled("verify-dossier", str(forged))
        assert r.code == 1, r.out
        assert "dossier verified" not in r.out + r.err
        assert "endorse" in r.err


def test_an_export_says_only_what_the_user_did_not_choose(filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Review 7, item 15: every export repeated the rule-set and clock notes and four
    font lines (half English in Chinese). The rule set and zone the user chose
    (--rules, --tz / config) go unsaid; the fonts only when one is the user's own."""
    assert filled("config", "rules", "cn").code == 0
    for lang in ("en", "zh"):
        out = tmp_path / f"dossier-{lang}.pdf"
        r = filled("--lang", lang, "export", "pdf", "-o", str(out), env={"COLUMNS": "80"})
        assert r.code == 0, r.err
        said = r.out + r.err
        assert str(out) in " ".join(said.split())
        for noise in ("font", "字体", "rule set", "规则集", "times read", "时区判断"):
            assert noise not in said, said
    # A font of the user's own is named (a new process: fonts register once per process).
    import os
    import sys

    font = tmp_path / "my-cjk.ttf"
    from evidence_locker.report.fonts import _bundled

    shutil.copy(_bundled("DroidSansFallbackFull.ttf"), font)
    own = subprocess.run(
        [sys.executable, "-m", "evidence_locker", "export", "pdf", "-o", str(tmp_path / "f.pdf")],
        capture_output=True,
        text=True,
        env={**os.environ, "EVIDENCE_LOCKER_CJK_FONT": str(font)},
    )
    assert own.returncode == 0, own.stderr
    [line] = [line for line in own.stdout.splitlines() if "font" in line]
    assert str(font) in line
    command = f"evidence-locker verify-dossier {tmp_path / 'f.pdf'}"
    assert command in [line.strip() for line in own.stdout.splitlines()], own.stdout


def test_a_dossier_made_on_a_utc_machine_shows_the_clock_its_findings_used(
    cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """No zone set, the machine on UTC: the rules judge a 22:47 Beijing call on the
    rule set's clock (Asia/Shanghai) and flag it as a night call. The dossier printed
    it at "14:47 +00:00", beside a night flag: its times must be on the clock its
    findings used."""
    assert cli("init").code == 0
    r = cli(
        "log", "call", "--org", "某催收公司", "--number", "13800138000",
        "--at", "2026-02-09 22:47", "--duration", "6m", "--content", "说要通知我单位",
    )  # fmt: skip
    assert r.code == 0, r.err
    out = tmp_path / "utc.pdf"
    utc = {"EVIDENCE_LOCKER_TZ": None, "TZ": "UTC"}
    r = cli("export", "pdf", "-o", str(out), "--rules", "cn", env=utc)
    assert r.code == 0, r.err
    assert "Asia/Shanghai" in r.err  # the clock is said, with how to set one's own
    layout = pdftotext(out)
    assert "22:47" in layout and "14:47" not in layout, layout
    assert "1 contact, on 2026-02-09 22:47 +08:00" in layout  # in the singular
    assert "+00:00" not in layout
    assert "CN-CBA-TIME" in layout  # and it is the flagged night call
