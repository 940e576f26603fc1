"""Read text in the locker: sealed, its own ledger entry, searchable, shown, judged."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import pytest

from evidence_locker.locker import Locker
from evidence_locker.locker.reading import TextReader
from evidence_locker.model import Channel, ContactDraft
from tests.conftest import PASSPHRASE, SHANGHAI
from tests.ocr_corpus import screenshot

THREAT = "再不还款我们就爆通讯录，后果自负"
ID_NUMBER = "110101199003074578"


def shot(path: Path, messages: list[str], seed: int = 1) -> Path:
    image = screenshot(seed, (720, 800), kind="chat", dark=False, messages=messages).image
    image.save(path, "PNG")
    return path


def message(**kw) -> ContactDraft:
    from datetime import datetime

    return ContactDraft(
        channel=Channel.MESSAGE, occurred_at=datetime(2025, 3, 9, 21, 5, tzinfo=SHANGHAI), **kw
    )


class _ReadOnce:
    """The session's engine, reading each distinct image once for this module: the
    tests below attach the same screenshot, and each got the same lines (1.5-2 s a
    read under load). What comes back is the engine's own output."""

    def __init__(self, engine) -> None:
        self._engine = engine
        self.name, self.params = engine.name, engine.params
        self._seen: dict[tuple, list] = {}

    def read(self, image):
        key = (image.mode, image.size, image.tobytes())
        if key not in self._seen:
            self._seen[key] = self._engine.read(image)
        return list(self._seen[key])


@pytest.fixture(scope="module")
def engine_once(ocr_engine) -> _ReadOnce:
    return _ReadOnce(ocr_engine)


@pytest.fixture
def with_shot(locker: Locker, engine_once: _ReadOnce, tmp_path: Path):
    locker.text_reader = TextReader(engine_once)
    record = locker.log(message(app="wechat", counterpart="催收员A"))
    image = shot(tmp_path / "wechat.png", [THREAT, f"身份证号{ID_NUMBER}"])
    info = locker.attach(record.id, image)
    return record, info


def test_attach_reads_the_text_into_its_own_sealed_entry(with_shot, locker_dir: Path):
    record, info = with_shot
    assert info.ocr is not None and info.ocr.error is None
    squeezed = "".join(info.ocr.text.split())
    assert "爆通讯录" in squeezed and ID_NUMBER in squeezed
    assert all(line.box[2] > line.box[0] for line in info.ocr.lines)
    con = sqlite3.connect(locker_dir / "locker.db")
    rows = con.execute("SELECT kind, target, record_id FROM entry WHERE kind = 'ocr'").fetchall()
    assert rows == [("ocr", info.id, record.record_id)]
    con.close()
    # Never in clear on disk: neither the threat nor the ID number it shows.
    for path in locker_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert "爆通讯录".encode() not in data and ID_NUMBER.encode() not in data, path


def test_search_finds_the_screenshot_by_its_text(with_shot, locker: Locker):
    record, _ = with_shot
    for query in ("爆通讯录", ID_NUMBER, "後果自負"):
        hits = locker.search(query)
        assert [h.record.record_id for h in hits] == [record.record_id], query
    locker.rebuild_index()
    assert [h.record.record_id for h in locker.search("爆通讯录")] == [record.record_id]
    locker.keep_decrypted()
    assert [h.record.record_id for h in locker.search("爆通讯录")] == [record.record_id]


def test_reading_again_is_a_new_version_not_an_edit(with_shot, locker: Locker, locker_dir: Path):
    _, info = with_shot
    con = sqlite3.connect(locker_dir / "locker.db")
    first = con.execute("SELECT seq, leaf FROM entry WHERE kind = 'ocr'").fetchall()
    report = locker.read_texts([info.id[:8]])
    assert (report.read, report.skipped) == (1, 0)
    again = con.execute("SELECT seq, leaf FROM entry WHERE kind = 'ocr' ORDER BY seq").fetchall()
    con.close()
    assert again[0] == first[0] and len(again) == 2
    assert locker.verify().ok
    # --all skips images already read.
    assert locker.read_texts().read == 0


def test_verify_names_a_tampered_reading(with_shot, locker: Locker, locker_dir: Path):
    con = sqlite3.connect(locker_dir / "locker.db", isolation_level=None)
    con.execute("DROP TRIGGER entry_no_update")
    seq, sealed = con.execute("SELECT seq, sealed FROM entry WHERE kind = 'ocr'").fetchone()
    blob = bytearray(sealed)
    blob[len(blob) // 2] ^= 1
    con.execute("UPDATE entry SET sealed = ? WHERE seq = ?", (bytes(blob), seq))
    con.close()
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as fresh:
        report = fresh.verify()
    assert not report.ok
    assert report.problems[0].seq == seq


def test_rules_see_the_read_text_and_say_where(with_shot, locker: Locker):
    from evidence_locker.rules import shipped_rule_set

    report = locker.check(rule_sets=[shipped_rule_set("cn")], tz="Asia/Shanghai")
    threats = [f for f in report.findings if "后果自负" in f.reason("zh")]
    assert threats, [f.reason("en") for f in report.findings]
    assert "in the screenshot wechat.png" in threats[0].reason("en")
    assert "截图 wechat.png" in threats[0].reason("zh")


def test_ocr_all_is_interruptible_and_resumes(locker: Locker, ocr_engine, tmp_path: Path):
    locker.text_reader = None  # store without reading, as an import would
    record = locker.log(message(app="wechat", counterpart="A"))
    for i in range(3):
        locker.attach(record.id, shot(tmp_path / f"s{i}.png", [f"第{i}张 还款 {i}{i}{i}"], seed=i))
    locker.text_reader = TextReader(ocr_engine)
    seen = []

    def stop_after_two(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        locker.read_texts(progress=stop_after_two)
    assert seen == [(0, 3), (1, 3), (2, 3)]
    report = locker.read_texts()
    assert (report.read, report.skipped, report.total) == (1, 2, 1)
    assert all(a.ocr is not None for a in locker.get(record.id).attachments)


def test_an_unreadable_image_is_stored_and_says_why(locker: Locker, ocr_engine, tmp_path: Path):
    locker.text_reader = TextReader(ocr_engine)
    record = locker.log(message(app="wechat", counterpart="A"))
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    info = locker.attach(record.id, bad)
    assert info.sha256 and info.ocr is not None
    assert info.ocr.error == "ocr.not_an_image" and info.ocr.lines == ()
    assert locker.read_texts().failed == []  # already read (and failed): not retried


def test_cli_log_message_with_only_screenshots_and_show(cli, ocr_engine, tmp_path: Path):
    assert cli("init").code == 0
    a = shot(tmp_path / "a.png", [THREAT])
    b = shot(tmp_path / "b.png", ["Call me back at 13800138000"], seed=2)
    out = cli("log", "message", "--app", "wechat", "--attach", str(a), "--attach", str(b))
    assert out.code == 0, out.err
    assert "text read from a.png" in out.out and "text read from b.png" in out.out
    record_id = _logged_id(out.out)
    shown = cli("show", record_id)
    assert shown.code == 0
    assert "machine-read text (OCR" in shown.out
    assert "13800138000" in shown.out.replace(" ", "")
    found = cli("search", "爆通讯录")
    assert record_id in found.out
    again = cli("ocr", "--all")
    assert again.code == 0 and "read 0 image(s); 2 already read" in again.out
    assert cli("ocr").code == 2


def test_without_the_engine_everything_works_and_says_once(cli, tmp_path: Path, monkeypatch):
    import evidence_locker.ocr as ocr
    from evidence_locker.ocr import OcrUnavailable

    def missing():
        raise OcrUnavailable(hint="ocr.hint.install")

    monkeypatch.setattr(ocr, "get_engine", missing)
    # Narrower than the hint: the command is never wrapped inside, so it copies whole
    # (review 7, item 8: "pip install \n'evidence-locker[ocr]'" at 80 columns).
    monkeypatch.setenv("COLUMNS", "40")
    command = "pip install 'evidence-locker[ocr]'"
    assert cli("init").code == 0
    a, b = shot(tmp_path / "a.png", ["一"]), shot(tmp_path / "b.png", ["二"], seed=2)
    for lang in ("en", "zh"):
        out = cli("--lang", lang, "log", "message", "--app", "wechat", "--attach", str(a))
        assert out.code == 0
        assert out.err.count("evidence-locker[ocr]") == 1, out.err
        assert command in [line.strip() for line in out.err.splitlines()], out.err
    out = cli("log", "message", "--app", "wechat", "--attach", str(a), "--attach", str(b))
    assert out.err.count("evidence-locker[ocr]") == 1 and command in out.err
    assert "text read" not in out.out
    record_id = _logged_id(out.out)
    assert cli("show", record_id).code == 0
    attached = cli("attach", record_id, str(a))
    assert attached.err.count("evidence-locker[ocr]") == 1 and command in attached.err
    failed = cli("ocr", "--all")
    assert failed.code == 1
    assert "not installed" in failed.err and failed.err.count("evidence-locker[ocr]") == 1
    hint = failed.err.strip().splitlines()[-1]
    assert hint.startswith("hint: ") and command in hint and len(hint) <= 80


def test_redaction_boxes_cover_the_numbers_on_the_stored_image(with_shot, locker: Locker):
    from PIL import Image, ImageDraw

    from evidence_locker.ocr import read_image
    from evidence_locker.ocr.sensitive import sensitive_boxes

    _, info = with_shot
    boxes = sensitive_boxes(info.ocr, ["ids"])
    assert boxes and {kind for kind, _ in boxes} == {"ids"}
    image = Image.open(io.BytesIO(locker.read_attachment(info))).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _, box in boxes:
        draw.rectangle(box, fill="black")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    reread = "".join(read_image(buf.getvalue()).text.split())
    assert "爆通讯录" in reread  # the rest stays readable
    assert not any(ID_NUMBER[i : i + 4] in reread for i in range(0, 15))


def _logged_id(out: str) -> str:
    """The short id in "Logged WeChat message 1a2b3c4d at ..." (the channel's words vary)."""
    m = re.search(r"\b[0-9a-f]{8}\b", out)
    assert m, out
    return m.group(0)
