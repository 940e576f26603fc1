"""WeChat (WeChatMsg/留痕, PyWxDump), QQ (TXT, QQ Chat Exporter JSON) and Android call-log
JSON (SMS Import / Export, App Manager) exports (issue 21)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.importers import ImportOptions, Rejected, detect_format, open_importer
from evidence_locker.model import ContactDraft

from .conftest import records

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def drafts(path: Path, **kwargs: object) -> list[ContactDraft | Rejected]:
    options = ImportOptions(**{"timezone": "Asia/Shanghai", **kwargs})  # type: ignore[arg-type]
    return list(open_importer(path, options=options).iter_drafts())


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("wechatmsg_zh.csv", "wechatmsg-csv"),
        ("wechatmsg_group.csv", "wechatmsg-csv"),
        ("qq_message_manager.txt", "qq-txt"),
        ("qq_chat_exporter.json", "qq-json"),
        ("calls_sms_ie.json", "calllog-json"),
    ],
)
def test_formats_are_detected_by_content(name: str, fmt: str, tmp_path: Path) -> None:
    renamed = tmp_path / "export.dat"
    renamed.write_bytes((FIXTURES / name).read_bytes())
    assert detect_format(renamed) == fmt


def test_wechatmsg_types_senders_and_notices() -> None:
    items = drafts(FIXTURES / "wechatmsg_zh.csv")
    assert all(isinstance(d, ContactDraft) for d in items) and len(items) == 9
    made = [d for d in items if isinstance(d, ContactDraft)]
    first = made[0]
    assert first.content == "你今天必须还款[微笑]😡" and first.app == "wechat"
    assert first.counterpart == "催收员小李" and first.address == "wxid_collector01"
    assert first.occurred_at.isoformat() == "2025-02-09T10:00:00+08:00"
    assert made[1].direction.value == "outgoing" and made[1].address is None
    assert made[2].content == "[图片]" and "WeChat type: 图片" in (made[2].notes or "")
    assert "Voice message: 6 s" in (made[3].notes or "")
    assert made[4].content == '"李经理" 撤回了一条消息' and "系统消息" in (made[4].notes or "")
    assert made[5].content == "收到了吗？再不回就上门"  # a quoted reply keeps its words
    assert made[6].content == "[转账]"
    assert made[7].content == '第一行，"引号"\n第二行'
    assert "not in the export" in (made[8].notes or "") and made[8].address is None


def test_wechatmsg_group_chat_keeps_each_sender() -> None:
    made = drafts(FIXTURES / "wechatmsg_group.csv")
    senders = [(d.counterpart, d.address) for d in made if isinstance(d, ContactDraft)]
    assert senders == [("催收员小李", "wxid_collector01"), ("王五", "wxid_member02"), (None, None)]


def test_wechatmsg_without_the_sender_columns(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    lines = (FIXTURES / "wechatmsg_zh.csv").read_text(encoding="utf-8-sig").splitlines()
    old.write_text(
        "\n".join(",".join(x.split(",")[:9]) for x in lines[:3]) + "\n", encoding="utf-8-sig"
    )
    made = drafts(old)
    assert [d.content for d in made if isinstance(d, ContactDraft)] == [
        "你今天必须还款[微笑]😡",
        "我已经在协商还款计划",
    ]


def test_pywxdump_media_beside_the_export_is_attached_and_nothing_outside(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "threat.jpg").write_bytes(b"\xff\xd8\xffJPEG")
    outside = tmp_path.parent / "secret.txt"
    outside.write_text("not for the locker")
    sheet = tmp_path / "chat.csv"
    sheet.write_text(
        "id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime\n"
        "1,11,图片,0,wxid_c,wxid_c,,img/threat.jpg,2025-02-09 10:00:00\n"
        f"2,12,语音,0,wxid_c,wxid_c,,../{outside.name},2025-02-09 10:01:00\n"
        "3,13,文本,0,wxid_m,123@chatroom,群里发的,,2025-02-09 10:02:00\n",
        encoding="utf-8",
    )
    picture, voice, group = drafts(sheet)
    assert isinstance(picture, ContactDraft) and picture.attachments[0].data == b"\xff\xd8\xffJPEG"
    assert isinstance(voice, ContactDraft) and voice.attachments == ()
    assert "not beside the export" in (voice.notes or "")
    assert isinstance(group, ContactDraft) and group.counterpart == "wxid_m"


def test_qq_txt_conversations_groups_and_system_lines() -> None:
    made = drafts(FIXTURES / "qq_message_manager.txt", own_addresses=("10001000",))
    assert len(made) == 7 and all(isinstance(d, ContactDraft) for d in made)
    first = made[0]
    assert isinstance(first, ContactDraft)
    assert first.content == "张三你好，你在XX平台的借款已逾期30天😠\n请今天下午5点前还款"
    assert first.address == "qq:2850123456" and first.app == "qq"
    assert made[1].direction.value == "outgoing"  # type: ignore[union-attr]
    assert "QQ picture" in (made[2].notes or "")  # type: ignore[union-attr]
    assert "recalled" in (made[3].notes or "")  # type: ignore[union-attr]
    assert "XX借款交流群" in (made[4].notes or "") and "管理员" in (made[4].notes or "")  # type: ignore[union-attr]
    assert made[5].address == "someone@example.com"  # type: ignore[union-attr]
    assert made[6].counterpart == "无QQ号的旧版昵称" and made[6].address is None  # type: ignore[union-attr]


def test_qq_json_streams_messages_and_rejects_a_bad_date() -> None:
    items = drafts(FIXTURES / "qq_chat_exporter.json", own_addresses=("10001000",))
    made = [d for d in items if isinstance(d, ContactDraft)]
    (bad,) = [d for d in items if isinstance(d, Rejected)]
    assert bad.reason == "import.bad_date" and bad.entry == "message #6"
    assert made[0].content == "最后通知：今天不还款就联系你的紧急联系人 😡"
    assert made[1].direction.value == "outgoing"
    assert "a1b2.jpg (48213 bytes" in (made[2].notes or "")
    assert made[3].content is None and "recalled by the sender" in (made[3].notes or "")
    assert "QQ system message" in (made[4].notes or "")


def test_android_call_log_json_maps_every_type_code() -> None:
    items = drafts(FIXTURES / "calls_sms_ie.json")
    made = [d for d in items if isinstance(d, ContactDraft)]
    assert [d.outcome.value for d in made] == [  # type: ignore[union-attr]
        "connected", "missed", "missed", "voicemail", "rejected", "blocked", "connected", "missed",
    ]  # fmt: skip
    assert made[0].counterpart == "催收小王" and made[0].duration_s == 125
    assert made[2].direction.value == "outgoing"
    assert made[7].address is None and "restricted" in (made[7].notes or "")
    (unknown,) = [d for d in items if isinstance(d, Rejected)]
    assert unknown.reason == "import.unknown_type"


def test_a_call_in_two_exports_is_one_record(ready, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The same call from SMS Backup & Restore and from SMS Import / Export."""
    xml = tmp_path / "calls.xml"
    xml.write_text(
        '<?xml version="1.0"?><calls count="1"><call number="13800138000" duration="125"'
        ' date="1739066400000" type="1" presentation="1" /></calls>',
        encoding="utf-8",
    )
    assert json.loads(ready("import", str(xml), "--json").out)["imported"] == 1
    out = json.loads(ready("import", str(FIXTURES / "calls_sms_ie.json"), "--json").out)
    assert out["duplicates"] == 1 and out["imported"] == 7


@pytest.mark.parametrize(
    ("name", "imported"),
    [
        ("wechatmsg_zh.csv", 9),
        ("qq_message_manager.txt", 7),
        ("qq_chat_exporter.json", 5),
        ("calls_sms_ie.json", 8),
    ],
)
def test_each_export_imports_once_with_provenance(ready, name: str, imported: int) -> None:  # type: ignore[no-untyped-def]
    path = FIXTURES / name
    first = json.loads(ready("import", str(path), "--own-address", "10001000", "--json").out)
    assert first["imported"] == imported
    again = json.loads(ready("import", str(path), "--own-address", "10001000", "--json").out)
    assert again["imported"] == 0 and again["duplicates"] == imported
    assert {r["source"]["file_name"] for r in records(ready)} == {name}
    assert ready("verify").code == 0


def test_qq_filters_by_number(ready) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(
        ready(
            "import", str(FIXTURES / "qq_message_manager.txt"),
            "--only-from", "qq:2850123456", "--keyword", "還款", "--json",
        ).out
    )  # fmt: skip
    assert out["imported"] == 1 and out["filtered"] == 6


_NOT_IN_TEXT = ("Cs", "Cc", "Zl", "Zp")  # line breaks end a line in any text file
_LINE = st.text(
    alphabet=st.characters(blacklist_categories=_NOT_IN_TEXT, blacklist_characters="\x85"),
    max_size=40,
).filter(
    # blank lines separate messages; "=", 消息对象/消息分组 and a time stamp at the start
    # of a line are the format's own markers, which a QQ message line cannot start with
    lambda x: (
        x.strip() != ""
        and not x.startswith("=")
        and not x.lstrip().startswith(("消息对象", "消息分组"))
        and not re.match(r"\d{4}-\d", x)
    )
)
TITLE = "消息记录（此消息记录为文本格式，不支持重新导入）"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_LINE, min_size=1, max_size=4), min_size=1, max_size=8))
def test_qq_txt_round_trip(
    tmp_path_factory: pytest.TempPathFactory, bodies: list[list[str]]
) -> None:
    """Whatever the text (CJK, emoji, punctuation), each message comes back as written."""
    path = tmp_path_factory.mktemp("qq") / "export.txt"
    blocks = [
        f"2025-02-{9 + i % 20:02d} 10:{i % 60:02d}:00 催收{i}(28501234{i:02d})\n" + "\n".join(lines)
        for i, lines in enumerate(bodies)
    ]
    path.write_text(TITLE + "\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")
    got = [d.content for d in drafts(path) if isinstance(d, ContactDraft)]
    assert got == ["\n".join(lines).strip() for lines in bodies]


def test_one_huge_json_value_is_refused_not_built(tmp_path: Path) -> None:
    """A crafted export with one enormous string: the parser is stopped before it holds
    more than the bound, and the error names the file and the limit."""
    from evidence_locker.errors import FormatError

    path = tmp_path / "calls.json"
    path.write_text('[{"number": "1", "duration": "0", "name": "' + "催" * 400_000 + '"}]')
    with pytest.raises(FormatError) as info:
        drafts(path, max_message_bytes=100_000)
    assert info.value.key == "import.json_item_too_large" and "calls.json" in str(info.value)
    qq = tmp_path / "qq.json"
    qq.write_text('{"chatInfo": {"name": "x"}, "messages": [{"content": {"text": "'
                  + "x" * 300_000 + '"}}]}')  # fmt: skip
    with pytest.raises(FormatError):
        drafts(qq, max_message_bytes=100_000)
