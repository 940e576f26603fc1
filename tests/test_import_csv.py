"""CSV and WeChat CSV import: column maps, encodings, carrier bills, fingerprints."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evidence_locker.errors import FormatError, UsageError
from evidence_locker.importers import ImportOptions, Rejected, open_importer, parse_column_map
from evidence_locker.importers.csv_import import detect_encoding, parse_duration
from evidence_locker.model import Channel, ContactDraft, Direction, Outcome

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
REAL = Path("/work/shared/real-exports")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def parse(path: Path, format: str | None = None, **kwargs: object) -> list[ContactDraft | Rejected]:
    options = ImportOptions(**{"timezone": "Asia/Shanghai", **kwargs})  # type: ignore[arg-type]
    return list(open_importer(path, format=format, options=options).iter_drafts())


def test_carrier_bill_gb18030_with_title_line() -> None:
    items = parse(FIXTURES / "carrier_bill_gb18030.csv")
    drafts = [i for i in items if isinstance(i, ContactDraft)]
    assert [(d.direction, d.address, d.duration_s) for d in drafts] == [
        (Direction.INCOMING, "+8613800138000", 125),
        (Direction.OUTGOING, "+8613800138000", 60),
        (Direction.INCOMING, "95577", 15),
        (Direction.INCOMING, "4008205555", 3723),
        (Direction.INCOMING, "+8613911112222", 45),
        (Direction.INCOMING, "+8613911112222", 45),
    ]
    assert {d.channel for d in drafts} == {Channel.CALL}
    assert drafts[0].occurred_at == datetime(2025, 2, 9, 10, 0, tzinfo=SHANGHAI)
    assert drafts[0].location == "上海"
    assert drafts[0].source is not None and drafts[0].source.entry == "line 3"
    # Two identical rows are two calls: distinct fingerprints, stable across runs.
    fps = [d.source.fingerprint for d in drafts]  # type: ignore[union-attr]
    assert len(set(fps)) == len(fps)
    again = [
        d.source.fingerprint
        for d in parse(FIXTURES / "carrier_bill_gb18030.csv")
        if isinstance(d, ContactDraft)
    ]  # type: ignore[union-attr]
    assert again == fps
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert [(r.line, r.reason) for r in rejected] == [
        (10, "import.bad_direction"),
        (11, "import.bad_date"),
    ]


def test_column_map_and_bom_and_multiline() -> None:
    mapping = parse_column_map(
        "时间=occurred_at，对方号码=address,联系人=counterpart,内容=content,类型=direction"
    )
    drafts = parse(FIXTURES / "sms_export_utf8bom.csv", column_map=mapping, channel="短信")
    assert all(isinstance(d, ContactDraft) for d in drafts)
    d = [x for x in drafts if isinstance(x, ContactDraft)]
    assert [x.direction for x in d] == [Direction.INCOMING, Direction.INCOMING, Direction.OUTGOING]
    assert d[1].content == "再不还钱\n我们就去你老家" and d[1].counterpart == "催收小王"
    assert d[1].occurred_at == datetime(2025, 2, 9, 23, 15, tzinfo=SHANGHAI)
    assert d[2].source is not None and d[2].source.entry == "line 5"  # after a 2-line record
    assert {x.channel for x in d} == {Channel.SMS}


def test_missing_mapped_column_names_file_and_column() -> None:
    with pytest.raises(FormatError) as info:
        parse(
            FIXTURES / "sms_export_utf8bom.csv",
            column_map={"时间": "occurred_at", "号码": "address"},
        )
    assert info.value.key == "import.missing_column"
    assert "sms_export_utf8bom.csv" in str(info.value) and "'号码'" in str(info.value)
    with pytest.raises(FormatError) as info:
        parse(FIXTURES / "sms_export_utf8bom.csv", column_map={"日期": "occurred_at"})
    assert "'日期'" in str(info.value) and "表头" in info.value.render("zh")


def test_unknown_target_field_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        parse(FIXTURES / "sms_export_utf8bom.csv", column_map={"时间": "when"})
    with pytest.raises(UsageError):
        parse_column_map("时间")


def test_date_format_option(tmp_path: Path) -> None:
    f = tmp_path / "us.csv"
    f.write_text("when,number\n02/09/25 7:05 PM,13800138000\n", encoding="utf-8")
    (d,) = parse(
        f, column_map={"when": "occurred_at", "number": "address"}, date_format="%m/%d/%y %I:%M %p"
    )
    assert isinstance(d, ContactDraft)
    assert d.occurred_at == datetime(2025, 2, 9, 19, 5, tzinfo=SHANGHAI)


def test_iso_offset_kept_and_epoch(tmp_path: Path) -> None:
    f = tmp_path / "iso.csv"
    f.write_text("time,number\n2025-02-09T10:00:00-05:00,1\n1739066400,2\n", encoding="utf-8")
    a, b = parse(f)
    assert isinstance(a, ContactDraft) and isinstance(b, ContactDraft)
    assert a.occurred_at.isoformat() == "2025-02-09T10:00:00-05:00"
    assert b.occurred_at == datetime(2025, 2, 9, 10, 0, tzinfo=SHANGHAI)


def test_wrong_encoding_after_the_sniff_window(tmp_path: Path) -> None:
    f = tmp_path / "mixed.csv"
    good = "时间,号码\n" + "2025-02-09 10:00:00,13800138000\n" * 3000
    f.write_bytes(good.encode("utf-8") + "2025-02-09 10:00:00,催收\n".encode("gbk"))
    with pytest.raises(FormatError) as info:
        parse(f)
    assert info.value.key == "import.bad_encoding"
    assert "mixed.csv" in str(info.value) and "line 3002" in str(info.value)


def test_no_time_column(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        parse(f, format="csv")
    assert info.value.key == "import.no_time_column"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("135", 135), ("135秒", 135), ("2分15秒", 135), ("1小时2分3秒", 3723), ("00:02:15", 135),
     ("02:15", 135), ("2分钟", 120), ("12.0", 12), ("", None)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


def test_parse_duration_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_duration("很久")


def test_detect_encoding() -> None:
    assert detect_encoding("\ufeff时间".encode()) == "utf-8-sig"
    assert detect_encoding("时间".encode()) == "utf-8"
    assert detect_encoding("时间".encode()[:-1]) == "utf-8"  # cut by the sniff window
    assert detect_encoding("时间,对方号码".encode("gb18030")) == "gb18030"
    assert detect_encoding("时间".encode("utf-16")) == "utf-16"


def test_wechat_pywxdump_layout() -> None:
    items = parse(FIXTURES / "wechat_pywxdump.csv")
    drafts = [i for i in items if isinstance(i, ContactDraft)]
    assert {(d.channel, d.app) for d in drafts} == {(Channel.MESSAGE, "wechat")}
    assert drafts[0].direction is Direction.INCOMING and drafts[1].direction is Direction.OUTGOING
    assert drafts[0].address == "wxid_collector01" and drafts[0].outcome is Outcome.CONNECTED
    assert drafts[0].occurred_at == datetime(2025, 2, 9, 10, 0, 1, tzinfo=SHANGHAI)
    assert drafts[2].content == "[图片]" and "abc.dat" in (drafts[2].notes or "")
    assert drafts[3].content == "不还钱的话\n后果自负"
    assert drafts[4].content == '"小王" 撤回了一条消息'  # system notice markup dropped
    group = drafts[5]
    assert (group.address, group.counterpart) == ("12345678@chatroom", "wxid_collector02")
    assert group.occurred_at == datetime(2025, 2, 9, 10, 5, tzinfo=SHANGHAI)
    # Two identical "好" without a server id in the same second are still two messages.
    assert drafts[6].source and drafts[7].source
    assert drafts[6].source.fingerprint != drafts[7].source.fingerprint
    (bad,) = [i for i in items if isinstance(i, Rejected)]
    assert (bad.line, bad.reason) == (11, "import.bad_direction")


def test_wechat_missing_column(tmp_path: Path) -> None:
    f = tmp_path / "wx.csv"
    f.write_text("id,MsgSvrID,type_name,is_sender,talker,msg,CreateTime\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        parse(f, format="wechat-csv")
    assert info.value.key == "import.missing_column" and "room_name" in str(info.value)


def test_wechat_fingerprint_is_the_server_id(tmp_path: Path) -> None:
    rows = (FIXTURES / "wechat_pywxdump.csv").read_text(encoding="utf-8").splitlines()
    # A later export: rows renumbered, one more message, same server ids.
    later = tmp_path / "later.csv"
    body = [
        rows[0],
        "100,6912345678901234599,文本,0,wxid_collector01,wxid_collector01,新消息,,"
        "2025-02-10 09:00:00",
    ]
    body += ["9" + r for r in rows[1:3]]
    later.write_text("\n".join(body) + "\n", encoding="utf-8")
    old = {
        d.source.fingerprint
        for d in parse(FIXTURES / "wechat_pywxdump.csv")
        if isinstance(d, ContactDraft)
    }  # type: ignore[union-attr]
    new = [d.source.fingerprint for d in parse(later) if isinstance(d, ContactDraft)]  # type: ignore[union-attr]
    assert [fp in old for fp in new] == [False, True, True]


@pytest.mark.skipif(not REAL.is_dir(), reason="real exports not available")
def test_real_wechat_export() -> None:
    items = parse(REAL / "wechat_pywxdump_style_weclone_test_person.csv")
    drafts = [i for i in items if isinstance(i, ContactDraft)]
    assert len(drafts) == 96 and not [i for i in items if isinstance(i, Rejected)]
    quote = [d for d in drafts if d.content and d.content.startswith("（我们两个人骑）")]
    assert quote and "\n\n[引用]" in (quote[0].content or "")
    assert sum(1 for d in drafts if d.content == "你撤回了一条消息") == 2
    assert drafts[0].occurred_at == datetime(2024, 10, 4, 11, 42, tzinfo=SHANGHAI)
    assert len({d.source.fingerprint for d in drafts}) == 96  # type: ignore[union-attr]
