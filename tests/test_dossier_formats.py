"""Dossiers of earlier formats keep verifying, and say what they cannot prove."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evidence_locker.report import verify_dossier

VECTORS = Path(__file__).parent / "vectors" / "dossier"
ATTACK = Path(__file__).parent / "attacks" / "forge_dossier.py"


@pytest.mark.parametrize("name", ["v1-en-4records.pdf", "v1-zh-redacted-4records.pdf"])
def test_format_1_dossiers_still_verify(name: str) -> None:
    report = verify_dossier((VECTORS / name).read_bytes())
    assert report.ok, report.messages
    assert report.format_version == 1 and report.endorsed
    assert any("format 1" in m and "printed times" in m for m in report.messages)
    zh = verify_dossier((VECTORS / name).read_bytes(), lang="zh")
    assert zh.ok and any("第 1 版格式" in m for m in zh.messages)


def test_format_1_forgery_fails(tmp_path: Path) -> None:
    out = tmp_path / "forged.pdf"
    subprocess.run(
        [sys.executable, str(ATTACK), str(VECTORS / "v1-en-4records.pdf"), str(out)], check=True
    )
    report = verify_dossier(out.read_bytes())
    assert not report.ok and not report.endorsed


def test_format_1_flipped_byte_fails() -> None:
    data = bytearray((VECTORS / "v1-en-4records.pdf").read_bytes())
    data[len(data) // 2] ^= 0x01
    assert not verify_dossier(bytes(data)).ok
