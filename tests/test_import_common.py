"""Detection, phone normalisation, filters, fingerprints and hostile input for every importer."""

from __future__ import annotations

import tempfile
import tracemalloc
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_locker.errors import FormatError, LockerError
from evidence_locker.importers import (
    FORMATS,
    Filters,
    ImportOptions,
    Rejected,
    detect_format,
    matches,
    normalise_address_text,
    open_importer,
)
from evidence_locker.locale.messages import catalog
from evidence_locker.model import Channel, ContactDraft, Source

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
REAL = Path("/work/shared/real-exports")
OPTIONS = ImportOptions(timezone="Asia/Shanghai")
SHANGHAI = ZoneInfo("Asia/Shanghai")

EXPECTED_FORMATS = {
    "sms_backup_zh.xml": "sms-backup",
    "sms_backup_overlap.xml": "sms-backup",
    "calls_zh.xml": "sms-backup",
    "email_gbk_rfc2231.eml": "eml",
    "email_html_only.eml": "eml",
    "mailbox.mbox": "mbox",
    "carrier_bill_gb18030.csv": "csv",
    "sms_export_utf8bom.csv": "csv",
    "wechat_pywxdump.csv": "wechat-csv",
    "gvoice/催收小王 - Text - 2025-02-09T02_00_00Z.html": "gvoice-html",
    "gvoice/XX银行 - Placed - 2025-02-09T03_00_00Z.html": "gvoice-html",
}
REAL_FORMATS = {
    "sbr_sms_mms_fkleon_edgecases.xml": "sms-backup",
    "sbr_sms_and_mms_devadvance_TRUNCATED.xml": "sms-backup",
    "eml_gb2312_header_utf8_body_spam.eml": "eml",
    "eml_gb2312_base64_html_spam.eml": "eml",
    "eml_attachment_filenames_rfc2231_gb2312.eml": "eml",
    "mbox_mailutils_mbox1.mbox": "mbox",
    "wechat_pywxdump_style_weclone_test_person.csv": "wechat-csv",
    "gvoice_takeout_text_sms_mms_emoji.html": "gvoice-html",
    "gvoice_takeout_voicemail.html": "gvoice-html",
}


def fixture_files() -> list[Path]:
    return [FIXTURES / name for name in EXPECTED_FORMATS]


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMATS))
def test_detect_format_by_content(name: str, tmp_path: Path) -> None:
    assert detect_format(FIXTURES / name) == EXPECTED_FORMATS[name]
    # The extension plays no part.
    renamed = tmp_path / "export.dat"
    renamed.write_bytes((FIXTURES / name).read_bytes())
    assert detect_format(renamed) == EXPECTED_FORMATS[name]


@pytest.mark.skipif(not REAL.is_dir(), reason="real exports not available")
@pytest.mark.parametrize("name", sorted(REAL_FORMATS))
def test_detect_real_exports(name: str) -> None:
    assert detect_format(REAL / name) == REAL_FORMATS[name]


def test_detect_rejects_other_files(tmp_path: Path) -> None:
    for content in (b"\x89PNG\r\n\x1a\n\x00\x00", b"just some words", b"", b"<html></html>"):
        f = tmp_path / "x.bin"
        f.write_bytes(content)
        with pytest.raises(FormatError) as info:
            detect_format(f)
        assert info.value.key == "import.unknown_format" and "x.bin" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("13800138000", "CN", "+8613800138000"),
        ("+86 138-0013-8000", "CN", "+8613800138000"),
        ("008613800138000", "CN", "+8613800138000"),
        ("8613800138000", "CN", "+8613800138000"),
        ("tel:+8613800138000", "CN", "+8613800138000"),
        ("＋86 138 0013 8000", "CN", "+8613800138000"),
        ("010-12345678", "CN", "+861012345678"),
        ("95577", "CN", "95577"),
        ("10086", "CN", "10086"),
        ("4008205555", "CN", "4008205555"),
        ("800-820-5555", "CN", "8008205555"),
        ("1069012345678", "CN", "1069012345678"),  # SMS gateway: not a valid number, kept
        ("+15550000001", "CN", "+15550000001"),  # possible, written with +
        ("(212) 555-0123", "US", "+12125550123"),
        ("Notice@Collector.Example", "CN", "notice@collector.example"),
        ("SENDER_B", "CN", "SENDER_B"),
        ("+2222", "CN", "+2222"),
        ("  ", "CN", ""),
    ],
)
def test_normalise_address(raw: str, region: str, expected: str) -> None:
    assert normalise_address_text(raw, region) == expected


def draft(**kwargs: object) -> ContactDraft:
    base: dict[str, object] = {
        "channel": Channel.SMS,
        "occurred_at": datetime(2025, 2, 9, 10, 0, tzinfo=SHANGHAI),
        "address": "+8613800138000",
        "counterpart": "催收小王",
        "content": "今天不还款就上门",
    }
    base.update(kwargs)
    return ContactDraft(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), True),
        (Filters(addresses=("138*",)), True),
        (Filters(addresses=("+86138*",)), True),
        (Filters(addresses=("139*",)), False),
        (Filters(addresses=("13800138000",)), True),  # exact, written nationally
        (Filters(addresses=("139*", "*8000")), True),  # any of them
        (Filters(names=("小王",)), True),
        (Filters(names=("老李",)), False),
        (Filters(keywords=("上门",)), True),
        (Filters(keywords=("律师",)), False),
        (Filters(since=datetime(2025, 2, 9, 10, 0, tzinfo=SHANGHAI)), True),  # inclusive
        (Filters(since=datetime(2025, 2, 9, 10, 1, tzinfo=SHANGHAI)), False),
        (Filters(until=datetime(2025, 2, 9, 2, 0, tzinfo=ZoneInfo("UTC"))), True),
        (Filters(until=datetime(2025, 2, 9, 1, 59, tzinfo=ZoneInfo("UTC"))), False),
        (Filters(addresses=("138*",), names=("老李",)), False),  # kinds combine with AND
    ],
)
def test_matches(filters: Filters, expected: bool) -> None:
    assert matches(draft(), filters) is expected


def test_matches_email_wildcard_case_insensitive() -> None:
    mail = draft(channel=Channel.EMAIL, address="notice@collector.example")
    assert matches(mail, Filters(addresses=("*@Collector.Example",)))
    assert not matches(mail, Filters(addresses=("*@bank.example",)))
    assert not matches(draft(address=None), Filters(addresses=("*",)))


def test_filters_count_on_a_real_import() -> None:
    items = list(open_importer(FIXTURES / "calls_zh.xml", options=OPTIONS).iter_drafts())
    kept = [
        d for d in items if isinstance(d, ContactDraft) and matches(d, Filters(addresses=("138*",)))
    ]
    assert len(kept) == 4


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_every_draft_has_provenance_and_parsing_is_idempotent(path: Path) -> None:
    def run() -> list[ContactDraft | Rejected]:
        return list(open_importer(path, options=OPTIONS).iter_drafts())

    first, second = run(), run()
    drafts = [d for d in first if isinstance(d, ContactDraft)]
    assert drafts
    for d in drafts:
        assert isinstance(d.source, Source) and d.source.kind == "import"
        assert d.source.format == EXPECTED_FORMATS[path.relative_to(FIXTURES).as_posix()]
        assert d.source.file_name == path.name and d.source.entry and d.source.fingerprint
        assert len(d.source.file_sha256 or "") == 64
        assert d.occurred_at.tzinfo is not None
    fps = [d.source.fingerprint for d in drafts if d.source]
    assert len(set(fps)) == len(fps)
    assert fps == [d.source.fingerprint for d in second if isinstance(d, ContactDraft) and d.source]


def test_message_keys_have_both_languages() -> None:
    keys = [k for k in catalog() if k.startswith("import.")]
    assert len(keys) > 20
    for key in keys:
        assert catalog()[key].get("en") and catalog()[key].get("zh"), key


def test_unknown_format_name_is_a_usage_error() -> None:
    with pytest.raises(LockerError) as info:
        open_importer(FIXTURES / "calls_zh.xml", format="docx", options=OPTIONS)
    assert info.value.exit_code == 2


def test_missing_file() -> None:
    with pytest.raises(LockerError) as info:
        open_importer(FIXTURES / "no-such-file.xml", options=OPTIONS)
    assert "no-such-file.xml" in str(info.value)


def _peak_memory_of_import(path: Path, rows: int) -> int:
    row = (
        '<sms protocol="0" address="1380013{n:04d}" date="{d}" type="1" subject="null" '
        'body="第{n}条催收短信：请立即还款，否则后果自负 &#55357;&#56832;" toa="null" '
        'service_center="null" read="1" status="-1" locked="0" date_sent="0" '
        'readable_date="x" contact_name="(Unknown)" />\n'
    )
    with path.open("w", encoding="utf-8") as fh:
        fh.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"1\">\n")
        for n in range(rows):
            fh.write(row.format(n=n % 300, d=1739066400000 + n))
        fh.write("</smses>\n")
    importer = open_importer(path, options=OPTIONS)  # hashes the file in 1 MiB reads
    tracemalloc.start()
    try:
        count = sum(1 for _ in importer.iter_drafts())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == rows
    return peak


def test_sms_backup_memory_does_not_grow_with_file_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The two bounded caches (duplicate window, phone numbers) fill up in the small run too.
    monkeypatch.setattr("evidence_locker.importers._common.OCCURRENCE_WINDOW", 200)
    small = _peak_memory_of_import(tmp_path / "small.xml", 1_000)
    large = _peak_memory_of_import(tmp_path / "large.xml", 5_000)
    assert (tmp_path / "large.xml").stat().st_size > 1_400_000
    # Five times the entries, (nearly) the same peak: elements are cleared once read.
    assert large < small * 1.3, (small, large)


# -- hostile and malformed input: only FormatError (documented) may come out -----------

SEEDS = {name: (FIXTURES / name).read_bytes() for name in EXPECTED_FORMATS}


def run_all(data: bytes, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(data)
        try:
            detected = detect_format(path)
            assert detected in FORMATS
        except FormatError:
            pass
        try:
            for item in open_importer(path, format=fmt, options=OPTIONS).iter_drafts():
                assert isinstance(item, (ContactDraft, Rejected))
                if isinstance(item, Rejected):
                    assert item.render("zh") and item.render("en")
        except FormatError as exc:
            assert exc.render("zh") and exc.render("en")


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "cut":
            del data[pos:]
        elif op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(
                st.sampled_from(
                    [b"&#55357;", b"\x00", b"\xff\xfe", b'"', b"<", b"&lol;", b"\r\n",
                     b"=?gb2312?B?", b"\n\nFrom x\n", b"~", b"null", "，镕".encode("gbk"),
                     b"<!DOCTYPE x>"]
                )
            )  # fmt: skip
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
    fmt = draw(st.sampled_from(FORMATS))
    return bytes(data), fmt


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_exports_raise_only_format_errors(case: tuple[bytes, str]) -> None:
    run_all(*case)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(FORMATS))
def test_random_bytes_raise_only_format_errors(data: bytes, fmt: str) -> None:
    run_all(data, fmt)
