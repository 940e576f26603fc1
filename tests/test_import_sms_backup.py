"""SMS Backup & Restore XML: type codes, entities, surrogate pairs, MMS parts, hostile XML."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evidence_locker.errors import FormatError
from evidence_locker.importers import ImportOptions, Rejected, open_importer
from evidence_locker.importers.xml_stream import SurrogateFixer, fix_surrogate_refs
from evidence_locker.model import Channel, ContactDraft, Direction, Outcome

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
REAL = Path(__file__).resolve().parents[2] / "shared" / "real-exports"
REAL = REAL if REAL.is_dir() else Path("/work/shared/real-exports")
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPTIONS = ImportOptions(timezone="Asia/Shanghai", region="CN")


def parse(path: Path, **kwargs: object) -> list[ContactDraft | Rejected]:
    options = ImportOptions(**{"timezone": "Asia/Shanghai", **kwargs})  # type: ignore[arg-type]
    return list(open_importer(path, options=options).iter_drafts())


def only_drafts(items: list[ContactDraft | Rejected]) -> list[ContactDraft]:
    return [i for i in items if isinstance(i, ContactDraft)]


def test_sms_fields_entities_and_emoji() -> None:
    items = parse(FIXTURES / "sms_backup_zh.xml")
    drafts = {d.source.entry: d for d in only_drafts(items)}  # type: ignore[union-attr]
    first = drafts["sms #1"]
    assert first.channel is Channel.SMS and first.direction is Direction.INCOMING
    assert first.outcome is Outcome.CONNECTED
    assert first.address == "95577"  # short code kept as written
    assert first.counterpart is None  # "(Unknown)"
    assert first.subject is None  # literal "null"
    assert first.occurred_at == datetime(2025, 2, 9, 10, 0, tzinfo=SHANGHAI)
    second = drafts["sms #2"]
    assert second.address == "+8613800138000"
    assert second.content == '张先生，我是催收专员小王 & 同事 <李>，"今天不还就去你单位" 😠'
    assert second.occurred_at.microsecond == 123000  # milliseconds kept
    assert drafts["sms #3"].content == "请停止给我的家人打电话。\n我会按计划还款。"
    assert drafts["sms #4"].address == "4008205555"  # 400 number kept as written
    assert drafts["sms #8"].content.endswith("📢")  # type: ignore[union-attr]
    assert "+8613922223333" in (drafts["sms #8"].notes or "")
    assert drafts["sms #11"].content == "孤立代理项 \ufffd 结束"  # lone surrogate -> U+FFFD
    src = first.source
    assert src is not None and src.kind == "import" and src.format == "sms-backup"
    assert src.file_name == "sms_backup_zh.xml"
    raw = (FIXTURES / "sms_backup_zh.xml").read_bytes()
    assert src.file_sha256 == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("entry", "direction", "outcome"),
    [
        ("sms #1", Direction.INCOMING, Outcome.CONNECTED),
        ("sms #3", Direction.OUTGOING, Outcome.CONNECTED),
        ("sms #4", Direction.OUTGOING, Outcome.DRAFT),
        ("sms #5", Direction.OUTGOING, Outcome.FAILED),
        ("sms #6", Direction.OUTGOING, Outcome.FAILED),
        ("sms #7", Direction.OUTGOING, Outcome.FAILED),
        ("mms #1", Direction.INCOMING, Outcome.CONNECTED),
        ("mms #2", Direction.OUTGOING, Outcome.CONNECTED),
    ],
)
def test_sms_type_codes(entry: str, direction: Direction, outcome: Outcome) -> None:
    drafts = {d.source.entry: d for d in only_drafts(parse(FIXTURES / "sms_backup_zh.xml"))}  # type: ignore[union-attr]
    assert (drafts[entry].direction, drafts[entry].outcome) == (direction, outcome)


def test_sms_rejects_unknown_type_and_missing_date() -> None:
    rejected = [i for i in parse(FIXTURES / "sms_backup_zh.xml") if isinstance(i, Rejected)]
    assert [(r.entry, r.reason) for r in rejected] == [
        ("sms #9", "import.unknown_type"),
        ("sms #10", "import.bad_date"),
    ]
    assert "9" in rejected[0].render("en") and "类型" in rejected[0].render("zh")


def test_mms_parts_become_text_and_attachments() -> None:
    drafts = {d.source.entry: d for d in only_drafts(parse(FIXTURES / "sms_backup_zh.xml"))}  # type: ignore[union-attr]
    mms = drafts["mms #1"]
    assert mms.content == "这是你家门口的照片 😀"  # SMIL skipped, surrogate pair joined
    assert mms.subject == "催收通知"
    assert mms.address == "+8613800138000"  # the sender (addr type 137)
    (photo,) = mms.attachments
    assert photo.name == "photo.png" and photo.mime == "image/png"
    assert photo.data is not None and photo.data.startswith(b"\x89PNG\r\n\x1a\n")
    sent = drafts["mms #2"]
    assert sent.address == "+8613800138000"  # first recipient (type 151) of a sent MMS
    assert "+8613911112222" in (sent.notes or "")


def test_calls_every_type_code() -> None:
    drafts = only_drafts(parse(FIXTURES / "calls_zh.xml"))
    got = [(d.direction, d.outcome, d.duration_s, d.address) for d in drafts]
    assert got == [
        (Direction.INCOMING, Outcome.CONNECTED, 125, "+8613800138000"),
        (Direction.OUTGOING, Outcome.MISSED, 0, "+8613800138000"),  # outgoing, 0 s: not answered
        (Direction.OUTGOING, Outcome.CONNECTED, 60, "+8613800138000"),
        (Direction.INCOMING, Outcome.MISSED, 0, "95577"),
        (Direction.INCOMING, Outcome.VOICEMAIL, 18, "4008205555"),
        (Direction.INCOMING, Outcome.REJECTED, 0, "+8613800138000"),
        (Direction.INCOMING, Outcome.BLOCKED, 0, "+8617000000000"),
        (Direction.INCOMING, Outcome.MISSED, 0, None),  # withheld number
        (Direction.INCOMING, Outcome.CONNECTED, 300, "+862162345678"),
    ]
    assert all(d.channel is Channel.CALL for d in drafts)
    assert "restricted" in (drafts[7].notes or "")
    assert drafts[0].counterpart == "催收小王" and drafts[3].counterpart is None


def test_overlapping_backups_share_fingerprints() -> None:
    first = {d.source.fingerprint: d for d in only_drafts(parse(FIXTURES / "sms_backup_zh.xml"))}  # type: ignore[union-attr]
    second = only_drafts(parse(FIXTURES / "sms_backup_overlap.xml"))
    shared = [d for d in second if d.source.fingerprint in first]  # type: ignore[union-attr]
    # The two shared SMS match although their position, contact name and readable date differ.
    assert [d.content for d in shared] == [
        first[shared[0].source.fingerprint].content,  # type: ignore[union-attr]
        "请停止给我的家人打电话。\n我会按计划还款。",
    ]
    assert len(shared) == 2 and len(second) == 3


def test_same_file_twice_gives_same_fingerprints() -> None:
    one = [d.source.fingerprint for d in only_drafts(parse(FIXTURES / "sms_backup_zh.xml"))]  # type: ignore[union-attr]
    two = [d.source.fingerprint for d in only_drafts(parse(FIXTURES / "sms_backup_zh.xml"))]  # type: ignore[union-attr]
    assert one == two and len(set(one)) == len(one)


def test_org_and_case_overrides() -> None:
    drafts = only_drafts(
        parse(FIXTURES / "calls_zh.xml", organisation="XX农商银行", case="card-1234")
    )
    assert {(d.organisation, d.case) for d in drafts} == {("XX农商银行", "card-1234")}


def test_truncated_file_fails_naming_file_and_line(tmp_path: Path) -> None:
    raw = (FIXTURES / "sms_backup_zh.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(raw[: raw.index(b"<mms ") + 40])
    with pytest.raises(FormatError) as info:
        parse(cut)
    message = str(info.value)
    assert "cut.xml" in message and "line 16" in message and "nothing was imported" in message
    assert "cut.xml" in info.value.render("zh") and "第 16 行" in info.value.render("zh")


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lol = tmp_path / "lol.xml"
    entities = "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    lol.write_text(
        f'<?xml version="1.0"?><!DOCTYPE smses [<!ENTITY lol0 "lol">{entities}]>'
        '<smses count="1"><sms address="1" date="1739066400000" type="1" body="&lol9;"/></smses>',
        encoding="utf-8",
    )
    with pytest.raises(FormatError) as info:
        list(open_importer(lol, format="sms-backup", options=OPTIONS).iter_drafts())
    assert info.value.key == "import.xml_forbidden"


def test_external_entity_is_refused(tmp_path: Path) -> None:
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        '<?xml version="1.0"?><!DOCTYPE smses [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<smses><sms address="1" date="1739066400000" type="1" body="&x;"/></smses>',
        encoding="utf-8",
    )
    with pytest.raises(FormatError) as info:
        list(open_importer(xxe, format="sms-backup", options=OPTIONS).iter_drafts())
    assert info.value.key == "import.xml_forbidden"


def test_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "gbk.xml"
    body = "催收短信".encode("gbk")
    bad.write_bytes(
        b"<?xml version='1.0' encoding='UTF-8'?>\n<smses count=\"1\">\n"
        b'<sms address="95577" date="1739066400000" type="1" body="' + body + b'" />\n</smses>\n'
    )
    with pytest.raises(FormatError) as info:
        list(open_importer(bad, options=OPTIONS).iter_drafts())
    assert "gbk.xml" in str(info.value) and "line 3" in str(info.value)


def test_huge_field_is_rejected_not_kept(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_text(
        '<smses><sms address="1" date="1739066400000" type="1" body="' + "催" * 5000 + '"/>'
        '<sms address="2" date="1739066400001" type="1" body="ok"/></smses>',
        encoding="utf-8",
    )
    items = list(
        open_importer(big, options=ImportOptions(timezone="UTC", max_text_chars=1000)).iter_drafts()
    )
    assert isinstance(items[0], Rejected) and items[0].reason == "import.too_large"
    assert isinstance(items[1], ContactDraft) and items[1].content == "ok"


def test_not_a_backup_root(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text("<html><body/></html>", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        list(open_importer(other, format="sms-backup", options=OPTIONS).iter_drafts())
    assert info.value.key == "import.not_sms_backup"


@pytest.mark.parametrize("size", [1, 2, 7, 15, 16, 17, 4096])
def test_surrogate_fixer_never_splits_a_pair(size: int) -> None:
    import io

    text = b"<a b='" + b"x&#55357;&#56832;&#xD83D;&#xDE00;&amp;" * 50 + b"'/>"

    class Dribble(io.BytesIO):
        def read(self, n: int = -1) -> bytes:
            return super().read(size)

    fixer = SurrogateFixer(Dribble(text))
    out = b""
    while chunk := fixer.read(size):
        out += chunk
    assert out == fix_surrogate_refs(text)
    assert out.count(b"&#128512;") == 100 and b"&#55357;" not in out


@pytest.mark.skipif(not REAL.is_dir(), reason="real exports not available")
def test_real_fkleon_edge_cases() -> None:
    items = parse(REAL / "sbr_sms_mms_fkleon_edgecases.xml")
    drafts = only_drafts(items)
    assert len(drafts) == 3  # the root says count="2"
    importer = open_importer(REAL / "sbr_sms_mms_fkleon_edgecases.xml", options=OPTIONS)
    list(importer.iter_drafts())
    assert (importer.declared_count, importer.counted) == (2, 3)  # type: ignore[attr-defined]
    assert drafts[0].content == "Klar "
    assert "empty" in (drafts[1].notes or "") and drafts[1].attachments == ()
    group = drafts[2]
    assert group.content == "Where is Santa Clause?"
    assert group.direction is Direction.OUTGOING and group.address == "+12127654321"


@pytest.mark.skipif(not REAL.is_dir(), reason="real exports not available")
def test_real_truncated_backup_fails_with_line() -> None:
    importer = open_importer(REAL / "sbr_sms_and_mms_devadvance_TRUNCATED.xml", options=OPTIONS)
    seen: list[ContactDraft | Rejected] = []
    with pytest.raises(FormatError) as info:
        for item in importer.iter_drafts():
            seen.append(item)
    assert "sbr_sms_and_mms_devadvance_TRUNCATED.xml, line 136" in str(info.value)
    # The whole entries before the cut were read (the caller rolls them back).
    assert len(seen) == 41 + 8
    mms = next(d for d in only_drafts(seen) if d.source and d.source.entry == "mms #7")
    assert mms.attachments[0].mime == "image/png" and mms.attachments[0].data


def test_an_unknown_declared_encoding_is_a_format_error(tmp_path: Path) -> None:
    """Found by the mutation property test: expat asks Python for the codec, and an
    unknown name raised LookupError out of the importer."""
    path = tmp_path / "x.xml"
    path.write_bytes(
        b"<?xml version='1.0' encoding='TF-8' standalone='yes' ?>\n<calls count=\"1\">"
        b'<call number="1" duration="1" date="1739066400000" type="1"/></calls>'
    )
    with pytest.raises(FormatError) as info:
        list(open_importer(path, options=ImportOptions(timezone="UTC")).iter_drafts())
    assert info.value.key == "import.xml_unknown_encoding" and "x.xml" in str(info.value)
