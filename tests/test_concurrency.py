"""Several processes writing into one locker at once: nothing lost, nothing twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evidence_locker.locker import Locker

from .conftest import PASSPHRASE
from .test_crash import env_for, sms_xml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_three_loggers_and_an_importer_at_once(tmp_path: Path) -> None:
    path = tmp_path / "locker"
    Locker.create(path, PASSPHRASE)[0].close()
    n_import, n_log = 3000, 5
    xml = tmp_path / "export.xml"
    xml.write_text(sms_xml(n_import, "imported"), encoding="utf-8")
    script = (
        "for i in $(seq 1 {n}); do "
        '{py} -m evidence_locker log sms --number 95577 --content "writer{w} $i 第$i条" '
        "|| exit 1; done"
    )
    procs = [
        subprocess.Popen(
            ["bash", "-c", script.format(n=n_log, py=sys.executable, w=w)],
            env=env_for(path),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(3)
    ]
    procs.append(
        subprocess.Popen(
            [sys.executable, "-m", "evidence_locker", "import", str(xml)],
            env=env_for(path),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err  # writers waited for each other, none gave up
        assert "Traceback" not in err
    logged = sum(out.count("Logged SMS") for out, _ in outputs[:3])
    assert logged == 3 * n_log
    with Locker.open(path, passphrase=PASSPHRASE) as locker:
        report = locker.verify()
        assert report.ok, report.problems
        contents = [r.content for r in locker.records()]
        assert report.size == len(contents) == 3 * n_log + n_import  # every entry, once
    assert len(set(contents)) == len(contents)
    for w in range(3):
        assert {c for c in contents if c.startswith(f"writer{w} ")} == {
            f"writer{w} {i} 第{i}条" for i in range(1, n_log + 1)
        }
