"""Two dossiers of one locker (issue 13, item 3c): ``verify-dossier NEW --against OLD``.

Each dossier's head is kept as an anchor (kind ``dossier``) and every later dossier
carries a consistency proof back to every earlier anchor, so the two files alone say
whether the newer extends the older, or the locker was rolled back or rewritten in
between. ``verify`` checks the stored exported heads like the time-stamps.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evidence_locker.ledger.consistency import LinkStatus, bundle_extends
from evidence_locker.locker import Locker
from evidence_locker.model import Channel, ContactDraft
from evidence_locker.report.against import _bundle, dossier_link
from tests.attacks.truncate_locker import truncate

from .conftest import PASSPHRASE, SHANGHAI


def log_n(locker_dir: Path, start: int, n: int, text: str = "threat") -> None:
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as opened:
        for i in range(start, start + n):
            opened.log(
                ContactDraft(
                    channel=Channel.SMS,
                    occurred_at=datetime(2025, 2, 1, 21, 0, tzinfo=SHANGHAI) + timedelta(days=i),
                    address="95577",
                    content=f"{text} {i} 第{i}条",
                )
            )


@pytest.fixture
def four(locker: Locker, locker_dir: Path) -> Path:
    locker.close()
    log_n(locker_dir, 0, 4)
    return locker_dir


def export(cli, path: Path, locker_dir: Path | None = None) -> Path:  # type: ignore[no-untyped-def]
    env = {"EVIDENCE_LOCKER_DIR": str(locker_dir)} if locker_dir else None
    r = cli("export", "pdf", "-o", str(path), "--no-flags", env=env)
    assert r.code == 0, r.err
    return path


def test_a_later_dossier_proves_it_extends_an_earlier_one(four: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    first = export(cli, tmp_path / "first.pdf")
    log_n(four, 4, 3)
    second = export(cli, tmp_path / "second.pdf")
    bundle = _bundle(second.read_bytes())
    assert bundle is not None and [a["size"] for a in bundle["anchors"]] == [4]
    r = cli("verify-dossier", str(second), "--against", str(first))
    assert r.code == 0, r.err
    assert "extends the earlier one" in r.out and "7 entries begin with the 4" in r.out
    data = json.loads(cli("verify-dossier", str(second), "--against", str(first), "--json").out)
    assert data["ok"] and data["against"]["status"] == "consistent"
    assert data["against"]["proof_hashes"] > 0
    # the exported heads are anchors of the locker, checked by verify
    con = sqlite3.connect(four / "locker.db")
    kinds = [r[0] for r in con.execute("SELECT kind FROM anchor ORDER BY id")]
    con.close()
    assert kinds == ["dossier", "dossier"]
    with Locker.open(four, passphrase=PASSPHRASE) as opened:
        report = opened.verify()
        assert report.ok and len(report.stamps.exports) == 2
    # the older one does not extend the newer
    r = cli("verify-dossier", str(first), "--against", str(second))
    assert r.code == 1 and "covers 7 entries, this one only 4" in r.err


def test_a_rewritten_history_between_two_dossiers_fails(  # type: ignore[no-untyped-def]
    four: Path, tmp_path: Path, cli, state_dir: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(four, copy)
    log_n(four, 4, 2)
    genuine = export(cli, tmp_path / "genuine.pdf")  # 6 entries
    # another history from entry 4, on another machine, exported twice
    shutil.rmtree(state_dir / "heads")
    log_n(copy, 4, 2, text="invented")
    export(cli, tmp_path / "other-6.pdf", copy)
    log_n(copy, 6, 1, text="invented")
    later = export(cli, tmp_path / "other-7.pdf", copy)
    assert cli("verify-dossier", str(later)).code == 0  # sound on its own
    r = cli("verify-dossier", str(later), "--against", str(genuine))
    assert r.code == 1 and "history was rewritten" in r.err
    link = dossier_link(later.read_bytes(), genuine.read_bytes())
    assert link.status is LinkStatus.DIVERGED


def test_a_dossier_without_a_proof_back_fails(  # type: ignore[no-untyped-def]
    four: Path, tmp_path: Path, cli, state_dir: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(four, copy)
    log_n(four, 4, 2)
    genuine = export(cli, tmp_path / "genuine.pdf")
    shutil.rmtree(state_dir / "heads")
    log_n(copy, 4, 3, text="invented")
    later = export(cli, tmp_path / "later.pdf", copy)
    r = cli("verify-dossier", str(later), "--against", str(genuine))
    assert r.code == 1 and "carries no proof" in r.err


def test_bundles_judged_alone(four: Path, tmp_path: Path, cli, clock) -> None:  # type: ignore[no-untyped-def]
    first = _bundle(export(cli, tmp_path / "a.pdf").read_bytes())
    log_n(four, 4, 2)
    second = _bundle(export(cli, tmp_path / "b.pdf").read_bytes())
    assert first is not None and second is not None
    assert bundle_extends(second, first).ok
    assert bundle_extends(second, second).ok  # the same head
    broken = json.loads(json.dumps(second))
    proof = broken["anchors"][0]["proof"]
    proof[0] = base64.b64encode(bytes(32)).decode()
    assert bundle_extends(broken, first).status is LinkStatus.UNPROVEN
    broken["anchors"] = "junk"
    assert bundle_extends(broken, first).status is LinkStatus.UNPROVEN
    assert bundle_extends({"x": 1}, first).status is LinkStatus.UNREADABLE
    other_dir = tmp_path / "other"
    other, _ = Locker.create(other_dir, PASSPHRASE, clock=clock)
    other.close()
    log_n(other_dir, 0, 1)
    stranger = _bundle(export(cli, tmp_path / "s.pdf", other_dir).read_bytes())
    assert stranger is not None
    assert bundle_extends(second, stranger).status is LinkStatus.OTHER_LOCKER
    (tmp_path / "not.pdf").write_bytes(b"%PDF-1.4 nothing")
    r = cli("verify-dossier", str(tmp_path / "b.pdf"), "--against", str(tmp_path / "not.pdf"))
    assert r.code == 1 and "cannot be read" in r.err
    r = cli("verify-dossier", str(tmp_path / "b.pdf"), "--against", str(tmp_path / "none.pdf"))
    assert r.code == 1 and "no such file" in r.err


def test_verify_catches_a_cut_back_below_an_exported_head(  # type: ignore[no-untyped-def]
    four: Path, tmp_path: Path, cli, state_dir: Path
) -> None:
    """Even without the outside copy, the anchors inside the locker remember what was
    handed out: cutting back below a dossier's head fails verify."""
    with Locker.open(four, passphrase=PASSPHRASE) as opened:
        old_head = opened.head()
    log_n(four, 4, 2)
    export(cli, tmp_path / "handed-out.pdf")
    truncate(four, 4, old_head)
    shutil.rmtree(state_dir / "heads")
    r = cli("verify")
    assert r.code == 1
    assert "a dossier was exported from a ledger of 6 entries" in r.err and "OK:" not in r.out
