"""The import fast paths keep their contracts: same bytes, same drafts, same durability.

Each speed-up replaced a general tool by a narrower one (a prebuilt JSON encoder, one
random call per entry, expat callbacks instead of a tree builder, fsyncs on a worker
thread); these tests pin the output to the general tool's, or the on-disk state to
what docs/reliability.md promises.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from pathlib import Path
from types import SimpleNamespace

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.crypto import KeyRing
from evidence_locker.errors import FormatError, StorageError
from evidence_locker.importers import ImportOptions, open_importer
from evidence_locker.ledger import canonical
from evidence_locker.ledger.canonical import (
    HEADER_COLUMNS,
    SALT_SIZE,
    commitment,
    entry_leaf_hash,
    jcs,
    salted_commitments,
)
from evidence_locker.ledger.log import Ledger
from evidence_locker.ledger.sealing import binding
from evidence_locker.locker import Locker
from evidence_locker.locker.importing import import_file
from evidence_locker.model import Channel, ContactDraft, Source
from evidence_locker.store import blobs as blobs_module
from evidence_locker.store.blobs import BlobStore, DeferredSync

OPTIONS = ImportOptions(timezone="Asia/Shanghai", region="CN")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


class Colour(StrEnum):
    RED = "红"


class Level(IntEnum):
    HIGH = 3


def reference_jcs(value: object) -> bytes:
    """What :func:`jcs` was before its fast path: json.dumps if simple, else rfc8785."""
    if canonical._simple_any(value, 0):
        return json.dumps(
            value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    return rfc8785.dumps(value)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.text()
    | st.sampled_from([Colour.RED, Level.HIGH, 2**53 - 1, -(2**53) + 1, 2**53])
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


def outcome(fn, value):  # type: ignore[no-untyped-def]
    try:
        return fn(value)
    except Exception as exc:  # both must refuse the same values (lone surrogates, big ints)
        return type(exc).__name__


@settings(max_examples=200, deadline=None)
@given(values)
def test_jcs_fast_path_writes_the_general_paths_bytes(value: object) -> None:
    fast, slow = outcome(jcs, value), outcome(reference_jcs, value)
    assert fast == slow or (isinstance(fast, str) and isinstance(slow, str))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["content", "address", "tags", "duration_s"]), values))
def test_salted_commitments_match_one_salt_per_field(fields: dict[str, object]) -> None:
    salts = os.urandom(SALT_SIZE * len(fields))
    try:
        salted, commits = salted_commitments(fields, salts)
    except (UnicodeEncodeError, ValueError, TypeError, OverflowError):
        return  # values JCS refuses (lone surrogates, unsafe integers) are refused here too
    assert list(salted) == list(commits) == list(fields)
    for i, (name, value) in enumerate(fields.items()):
        salt = salts[i * SALT_SIZE : (i + 1) * SALT_SIZE]
        assert salted[name] == [base64.b64encode(salt).decode(), value]
        assert commits[name] == commitment(salt, value)
        assert commits[name] == hashlib.sha256(salt + reference_jcs(value)).hexdigest()


plain_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text() | st.floats(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=8), plain_values, max_size=6))
def test_sealed_plaintext_is_the_json_dumps_bytes(fields: dict[str, object]) -> None:
    """The hand-built plaintext is byte for byte what ``json.dumps`` wrote before."""
    salts = os.urandom(SALT_SIZE * len(fields))
    try:
        salted, expected_commits = salted_commitments(fields, salts)
        expected = json.dumps({"f": salted}, ensure_ascii=False, separators=(",", ":")).encode()
    except (UnicodeEncodeError, ValueError, TypeError, OverflowError) as exc:
        with pytest.raises(type(exc)):
            canonical.sealed_plaintext(fields, salts)
        return
    assert canonical.sealed_plaintext(fields, salts) == (expected, expected_commits)


def test_salted_commitments_refuse_a_short_salt() -> None:
    with pytest.raises(ValueError):
        salted_commitments({"a": "x", "b": "y"}, os.urandom(SALT_SIZE))


def test_seal_opens_to_the_committed_values_with_distinct_salts() -> None:
    ledger = Ledger(KeyRing(b"\x07" * 32), "test")
    fields = {"content": "催收 😀 \n\u001f", "duration_s": 61, "tags": ["a", "乙"]}
    header = dict.fromkeys(HEADER_COLUMNS)
    header.update(seq=0, id="entry-1", kind="record", record_id="entry-1", logged_at=1)
    sealed, leaf = ledger.seal(header, fields, "ab" * 8)
    row = SimpleNamespace(**header, dedupe="ab" * 8, sealed=sealed, leaf=leaf)
    opened = json.loads(
        ledger.keyring.fields.open(sealed, binding([*header.values(), row.dedupe], leaf))
    )["f"]
    salts = {name: base64.b64decode(pair[0]) for name, pair in opened.items()}
    assert {name: pair[1] for name, pair in opened.items()} == fields
    assert len(set(salts.values())) == 3 and all(len(s) == SALT_SIZE for s in salts.values())
    commits = {name: commitment(salts[name], fields[name]) for name in fields}
    assert entry_leaf_hash(header, commits) == leaf
    assert ledger.decode(row).values() == fields == ledger.open_values(row)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.none() | st.text(max_size=8), min_size=6, max_size=6))
def test_source_to_json_is_asdict_without_nones(parts: list[str | None]) -> None:
    source = Source(*parts)  # type: ignore[arg-type]
    expected = {k: v for k, v in dataclasses.asdict(source).items() if v is not None}
    assert source.to_json() == expected
    assert list(source.to_json()) == list(expected)


def test_prepare_keeps_a_normalised_draft_and_normalises_others(locker: Locker) -> None:
    when = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    normal = ContactDraft(channel=Channel.SMS, occurred_at=when, address="+8613800138000")
    with locker._session.read() as conn:
        assert locker._writer.prepare(normal, conn) is normal
        raw = dataclasses.replace(normal, address="138 0013 8000")
        assert locker._writer.prepare(raw, conn) == normal


# -- the SMS Backup parser ------------------------------------------------------------


def backup(tmp_path: Path, body: str, name: str = "b.xml") -> Path:
    path = tmp_path / name
    path.write_text(f"<?xml version='1.0' encoding='UTF-8'?>\n{body}", encoding="utf-8")
    return path


def mms(n: int, box: str = "1") -> str:
    data = base64.b64encode(PNG + bytes([n % 256])).decode()
    return (
        f'<mms date="{1_700_000_000_000 + n}" msg_box="{box}" address="1380013{n:04d}">'
        '<parts><part seq="-1" ct="application/smil" text="&lt;smil/&gt;"/>'
        f'<part seq="0" ct="text/plain" text="图{n}"/>'
        f'<part seq="0" ct="image/png" name="p{n}.png" data="{data}"/></parts>'
        f'<addrs><addr address="1390000{n:04d}" type="151"/>'
        f'<addr address="1380013{n:04d}" type="137"/></addrs></mms>'
    )


def test_records_across_many_read_chunks_match_a_tree_parse(tmp_path: Path) -> None:
    """A file far larger than one read chunk: every record, in order, as ElementTree sees it."""
    rows = []
    for n in range(3000):
        if n % 40 == 0:
            rows.append(mms(n))
        else:
            body = f"第{n}条 &amp; &#55357;&#56832; " + "逾期" * (n % 30)
            rows.append(
                f'<sms address="95{n % 977:03d}" date="{1_700_000_000_000 + n * 1000}" '
                f'type="{1 + n % 2}" body="{body}" contact_name="催收{n % 5}"/>'
            )
    path = backup(tmp_path, '<smses count="3000">\n' + "\n".join(rows) + "\n</smses>\n")
    assert path.stat().st_size > 4 * (1 << 16)
    drafts = list(open_importer(path, options=OPTIONS).iter_drafts())
    text = path.read_text(encoding="utf-8").replace("&#55357;&#56832;", "&#128512;")
    tree = ET.fromstring(text.encode("utf-8"))
    assert len(drafts) == len(tree) == 3000
    for draft, elem in zip(drafts, tree, strict=True):
        assert isinstance(draft, ContactDraft)
        if elem.tag == "sms":
            assert draft.content == elem.get("body")
            assert draft.counterpart == elem.get("contact_name")
        else:
            assert draft.content == elem.find("parts/part[2]").get("text")  # type: ignore[union-attr]
            assert draft.address == "+86" + elem.find("addrs/addr[2]").get("address")  # type: ignore[union-attr, operator]
            assert [a.data for a in draft.attachments] == [
                base64.b64decode(elem.find("parts/part[3]").get("data"))  # type: ignore[union-attr, arg-type]
            ]


def test_only_children_of_the_root_are_records(tmp_path: Path) -> None:
    path = backup(
        tmp_path,
        '<smses><x><sms date="1700000000000" type="1" body="nested"/></x>'
        '<sms date="1700000000000" type="2" body="top"><sms date="1" type="1" body="in"/></sms>'
        "</smses>",
    )
    importer = open_importer(path, options=OPTIONS)
    drafts = list(importer.iter_drafts())
    assert [d.content for d in drafts] == ["top"]  # type: ignore[union-attr]
    assert importer.counted == 1  # type: ignore[attr-defined]


def test_namespaced_root_is_named_like_elementtree_names_it(tmp_path: Path) -> None:
    path = backup(tmp_path, '<smses xmlns="urn:x"><sms date="1" type="1"/></smses>')
    with pytest.raises(FormatError) as info:
        list(open_importer(path, format="sms-backup", options=OPTIONS).iter_drafts())
    assert info.value.key == "import.not_sms_backup" and "{urn:x}smses" in str(info.value)


@pytest.mark.parametrize(
    ("prolog", "detail"),
    [
        ("<!DOCTYPE smses>", "DTDForbidden"),
        ('<!DOCTYPE smses SYSTEM "http://example.invalid/x.dtd">', "DTDForbidden"),
        ('<!DOCTYPE smses [<!ENTITY e "催收">]>', "DTDForbidden"),
    ],
)
def test_any_dtd_is_refused_before_any_record(tmp_path: Path, prolog: str, detail: str) -> None:
    path = backup(tmp_path, prolog + '<smses><sms date="1700000000000" type="1"/></smses>')
    importer = open_importer(path, format="sms-backup", options=OPTIONS)
    with pytest.raises(FormatError) as info:
        list(importer.iter_drafts())
    assert info.value.key == "import.xml_forbidden" and info.value.params["detail"] == detail
    assert importer.counted == 0  # type: ignore[attr-defined]


def test_records_before_a_break_come_first_then_the_error(tmp_path: Path) -> None:
    path = backup(tmp_path, '<smses>\n<sms date="1700000000000" type="1" body="ok"/>\n<sms da')
    got: list[object] = []
    with pytest.raises(FormatError) as info:
        for item in open_importer(path, options=OPTIONS).iter_drafts():
            got.append(item)
    assert [d.content for d in got] == ["ok"]  # type: ignore[attr-defined]
    assert info.value.key == "import.bad_xml" and info.value.params["line"] == 4


# -- blobs: fsync on a worker thread, all before the commit -----------------------------


def test_deferred_put_is_published_by_finish(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    key = b"\x05" * 32
    with DeferredSync() as sync:
        ids = [f"blob{n}" for n in range(40)]  # more than MAX_PENDING
        for n, blob_id in enumerate(ids):
            store.put(_bytes_io(bytes([n]) * 1000), key=key, blob_id=blob_id, sync=sync)
        sync.finish()
    assert sorted(store.ids()) == sorted(ids)
    assert [p.name for p in store.directory.iterdir() if p.name.endswith(".part")] == []
    for n, blob_id in enumerate(ids):
        assert (
            store.verify(blob_id, key=key).sha256_hex
            == hashlib.sha256(bytes([n]) * 1000).hexdigest()
        )


def test_deferred_fsync_failure_is_a_storage_error_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path / "blobs")

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(blobs_module.os, "fsync", failing_fsync)
    with DeferredSync() as sync:
        store.put(_bytes_io(b"x" * 100), key=b"\x05" * 32, blob_id="a1", sync=sync)
        with pytest.raises(StorageError):
            sync.finish()
    assert list(store.directory.iterdir()) == []


def _bytes_io(data: bytes):  # type: ignore[no-untyped-def]
    import io

    return io.BytesIO(data)


def test_failed_import_with_images_leaves_no_blob_and_no_entry(
    locker: Locker, tmp_path: Path
) -> None:
    rows = "".join(mms(n) for n in range(30))
    path = backup(tmp_path, f"<smses>{rows}<sms da")  # broken after 30 images
    head = locker.head()
    with pytest.raises(FormatError):
        import_file(locker, path, options=OPTIONS)
    assert locker.head() == head and locker.count() == 0
    blob_dir = locker.path / "blobs"  # type: ignore[operator]
    assert not blob_dir.exists() or list(blob_dir.iterdir()) == []


def test_import_with_images_commits_every_blob_whole(locker: Locker, tmp_path: Path) -> None:
    rows = "".join(mms(n, box="2" if n % 3 else "1") for n in range(45))
    path = backup(tmp_path, f"<smses>{rows}</smses>")
    summary = import_file(locker, path, options=OPTIONS)
    assert summary.imported == 45 and summary.attachments == 45
    assert locker.verify().ok and locker.verify_blobs() == []
    names = sorted(p.name for p in (locker.path / "blobs").iterdir())  # type: ignore[operator]
    assert len(names) == 45 and all(n.endswith(".blob") for n in names)


def test_duplicates_are_found_across_chunks_of_one_batch(locker: Locker) -> None:
    """Only the current chunk's tags are held; earlier chunks are found in the database."""
    when = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)

    def draft(n: int) -> ContactDraft:
        source = Source(kind="import", format="test", entry=f"#{n}", fingerprint=f"fp{n % 7}")
        return ContactDraft(channel=Channel.SMS, occurred_at=when, content=str(n), source=source)

    result = locker.log_batch((draft(n) for n in range(30)), flush_every=4)
    assert len(result.added) == 7 and result.duplicates == 23
    again = locker.log_batch((draft(n) for n in range(30)), flush_every=4)
    assert again.added == [] and again.duplicates == 30
    assert locker.count() == 7


def test_import_restores_the_collector_threshold(locker: Locker, tmp_path: Path) -> None:
    import gc

    before = gc.get_threshold()
    good = backup(tmp_path, "<smses>" + mms(1) + "</smses>", name="good.xml")
    assert import_file(locker, good, options=OPTIONS).imported == 1
    assert gc.get_threshold() == before
    broken = backup(tmp_path, "<smses>" + mms(2) + "<sms da", name="broken.xml")
    with pytest.raises(FormatError):
        import_file(locker, broken, options=OPTIONS)
    assert gc.get_threshold() == before


def test_import_lists_record_ids_only_on_request(locker: Locker, tmp_path: Path) -> None:
    rows = "".join(mms(n) for n in range(3))
    first = import_file(locker, backup(tmp_path, f"<smses>{rows}</smses>"), options=OPTIONS)
    assert first.imported == 3 and first.record_ids == []
    more = "".join(mms(n) for n in range(3, 5))
    path = backup(tmp_path, f"<smses>{more}</smses>", name="more.xml")
    second = import_file(locker, path, options=OPTIONS, keep_ids=True)
    assert second.imported == 2 and len(second.record_ids) == 2
    assert {r.record_id for r in locker.records()} >= set(second.record_ids)
