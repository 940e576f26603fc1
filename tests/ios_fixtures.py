"""iPhone backups built for the tests from the formats' published structure.

- ``archived_text``: an ``attributedBody`` as NSArchiver writes it (typedstream v4,
  little-endian "streamtyped", system version 1000; an NSAttributedString whose first
  member is an NSString, then one attribute run and an empty NSDictionary). The layout
  follows the typedstream format as pytypedstream reads it; the importer's reader is
  that library, and ``test_import_iphone`` checks that these bytes decode with it.
- ``build_sms_db`` / ``build_call_history``: the tables and columns iOS 16 writes
  (a subset: every column the importer reads, and a few it ignores).
- ``build_backup``: a backup folder (Manifest.plist, Manifest.db, files under
  ``<fileID[:2]>/<fileID>`` with fileID = SHA-1 of ``domain-relativePath``), plain or
  encrypted as iTunes encrypts: PBKDF2-SHA256 then PBKDF2-SHA1 of the password, class
  keys wrapped with RFC 3394, files in AES-256-CBC with a zero IV and PKCS#7 padding,
  each file's key in its NSKeyedArchiver property list. Iteration counts are 1 here
  (iTunes uses millions) so that the tests stay fast.
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import sqlite3
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def apple_ns(when: datetime) -> int:
    return int((when - APPLE_EPOCH).total_seconds()) * 1_000_000_000


def apple_s(when: datetime) -> float:
    return (when - APPLE_EPOCH).total_seconds()


# -- typedstream ----------------------------------------------------------------------


def _int(n: int) -> bytes:
    if -110 <= n <= 127:
        return struct.pack("<b", n)
    if -(2**15) <= n < 2**15:
        return b"\x81" + struct.pack("<h", n)
    return b"\x82" + struct.pack("<i", n)


def _new_string(data: bytes) -> bytes:
    return b"\x84" + _int(len(data)) + data


def archived_text(text: str) -> bytes:
    """``text`` as the attributedBody of a message."""
    data = text.encode("utf-8")
    units = len(text.encode("utf-16-le")) // 2
    out = b"\x04" + bytes([11]) + b"streamtyped" + _int(1000)
    out += _new_string(b"@")  # string 0x92
    out += b"\x84\x84" + _new_string(b"NSAttributedString") + _int(0)  # object 0x92, class 0x93
    out += b"\x84" + _new_string(b"NSObject") + _int(0) + b"\x85"  # class 0x94, end of chain
    out += b"\x92"  # "@": the string member
    out += b"\x84\x84" + _new_string(b"NSString") + _int(1) + b"\x94"  # superclass NSObject
    out += _new_string(b"+") + _int(len(data)) + data + b"\x86"
    out += _new_string(b"iI") + _int(1) + _int(units)  # one attribute run over the text
    out += b"\x92\x84\x84" + _new_string(b"NSDictionary") + _int(0) + b"\x94"
    out += _new_string(b"i") + _int(0) + b"\x86"  # an empty dictionary
    return out + b"\x86"


# -- sms.db ---------------------------------------------------------------------------

SMS_SCHEMA = """
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL,
  country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT);
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
  style INTEGER, state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT,
  service_name TEXT, room_name TEXT, display_name TEXT, group_id TEXT);
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
  text TEXT, replace INTEGER DEFAULT 0, subject TEXT, country TEXT, attributedBody BLOB,
  version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT,
  error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER,
  is_from_me INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0,
  cache_has_attachments INTEGER DEFAULT 0, handle_id INTEGER DEFAULT 0,
  item_type INTEGER DEFAULT 0, group_title TEXT, group_action_type INTEGER DEFAULT 0,
  associated_message_guid TEXT, associated_message_type INTEGER DEFAULT 0,
  date_retracted INTEGER DEFAULT 0, date_edited INTEGER DEFAULT 0,
  message_summary_info BLOB);
CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, message_date INTEGER,
  PRIMARY KEY (chat_id, message_id));
CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER, UNIQUE(chat_id, handle_id));
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
  created_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, mime_type TEXT,
  transfer_state INTEGER DEFAULT 0, is_outgoing INTEGER DEFAULT 0, transfer_name TEXT,
  total_bytes INTEGER DEFAULT 0);
CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER,
  UNIQUE(message_id, attachment_id));
"""

BANK_TEXT = "【XX银行】最后通知：今日不还款将上报征信 😡"  # only in attributedBody, with emoji
T0 = datetime(2025, 2, 9, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # only the bytes matter: a "photo" attachment
ATTACHMENT_PATH = "Library/SMS/Attachments/4f/15/5E1F-GUID/IMG_0001.png"


def build_sms_db(path: Path) -> int:
    """Chinese collection messages with every edge case the importer handles."""
    conn = sqlite3.connect(path)
    conn.executescript(SMS_SCHEMA)
    handles = [
        (1, "+8613800138000", "SMS"),
        (2, "95577", "SMS"),
        (3, "collector@icloud.com", "iMessage"),
        (4, "+8613911112222", "iMessage"),
    ]
    conn.executemany("INSERT INTO handle (ROWID, id, service) VALUES (?, ?, ?)", handles)
    conn.executemany(
        "INSERT INTO chat (ROWID, guid, style, chat_identifier, display_name) VALUES (?,?,?,?,?)",
        [
            (1, "SMS;-;+8613800138000", 45, "+8613800138000", None),
            (2, "SMS;-;95577", 45, "95577", None),
            (3, "iMessage;-;collector@icloud.com", 45, "collector@icloud.com", None),
            (4, "iMessage;+;chat900", 43, "chat900", "XX催收群"),
        ],
    )
    conn.executemany(
        "INSERT INTO chat_handle_join VALUES (?, ?)", [(1, 1), (2, 2), (3, 3), (4, 3), (4, 4)]
    )
    minute = 60 * 1_000_000_000
    rows = [
        # guid, text, attributedBody, service, date, is_from_me, handle, chat, extra
        ("G1", "您的贷款已逾期，请尽快还款", None, "SMS", 0, 0, 1, 1, {}),
        ("G2", None, archived_text(BANK_TEXT), "SMS", 1, 0, 2, 2, {}),
        ("G3", "好的，我会联系律师", None, "SMS", 2, 1, 1, 1, {}),
        ("G4", None, archived_text("我们知道你单位在哪里"), "iMessage", 3, 0, 3, 3, {}),
        ("G5", "\ufffc", None, "iMessage", 4, 0, 3, 3, {"cache_has_attachments": 1}),
        ("G6", "群里所有人都知道你欠钱", None, "iMessage", 5, 0, 4, 4, {}),
        ("G7", "请不要在群里发我的信息", None, "iMessage", 6, 1, 0, 4, {}),
        ("G8", None, None, "iMessage", 7, 0, 3, 4, {"item_type": 2, "group_title": "XX催收群"}),
        ("G9", "", None, "iMessage", 8, 0, 3, 3, {"date_retracted": 9}),
        ("G10", "Liked “好的，我会联系律师”", None, "iMessage", 9, 0, 3, 3,
         {"associated_message_type": 2001}),
        ("G11", "还款计划改为每月1000", None, "iMessage", 10, 0, 3, 3, {"date_edited": 11}),
        ("G12", "发送失败的短信", None, "RCS", 11, 1, 1, 1, {"error": 22}),
        ("G13", "没有附件备份的图片\ufffc", None, "iMessage", 12, 0, 3, 3,
         {"cache_has_attachments": 1}),
    ]  # fmt: skip
    for rowid, (guid, text, body, service, minutes, mine, handle, chat, extra) in enumerate(
        rows, start=1
    ):
        columns = {
            "ROWID": rowid,
            "guid": guid,
            "text": text,
            "attributedBody": body,
            "service": service,
            "date": apple_ns(T0) + minutes * minute,
            "is_from_me": mine,
            "handle_id": handle,
            **extra,
        }
        for key in ("date_retracted", "date_edited"):
            if key in columns:
                columns[key] = apple_ns(T0) + columns[key] * minute
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        conn.execute(f"INSERT INTO message ({names}) VALUES ({marks})", list(columns.values()))
        conn.execute("INSERT INTO chat_message_join VALUES (?, ?, 0)", (chat, rowid))
    # An old iOS row: the date in seconds, not nanoseconds.
    conn.execute(
        "INSERT INTO message (ROWID, guid, text, service, date, handle_id) VALUES (?,?,?,?,?,?)",
        (14, "G14", "旧手机上的短信", "SMS", int(apple_s(T0)) - 86400, 2),
    )
    conn.execute("INSERT INTO chat_message_join VALUES (2, 14, 0)")
    conn.executemany(
        "INSERT INTO attachment (ROWID, guid, filename, mime_type, transfer_name)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (1, "A1", "~/" + ATTACHMENT_PATH, "image/png", "IMG_0001.png"),
            (2, "A2", "~/Library/SMS/Attachments/aa/00/GONE/IMG_0002.heic", "image/heic",
             "IMG_0002.heic"),
        ],
    )  # fmt: skip
    conn.executemany("INSERT INTO message_attachment_join VALUES (?, ?)", [(5, 1), (13, 2)])
    conn.commit()
    conn.close()
    return 14


CALL_SCHEMA = """
CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZANSWERED INTEGER, ZCALLTYPE INTEGER, ZDISCONNECTED_CAUSE INTEGER, ZFACE_TIME_DATA BLOB,
  ZNUMBER_AVAILABILITY INTEGER, ZORIGINATED INTEGER, ZREAD INTEGER, ZDATE TIMESTAMP,
  ZDURATION FLOAT, ZADDRESS BLOB, ZDEVICE_ID VARCHAR, ZISO_COUNTRY_CODE VARCHAR,
  ZLOCATION VARCHAR, ZNAME VARCHAR, ZSERVICE_PROVIDER VARCHAR, ZUNIQUE_ID VARCHAR);
"""


def build_call_history(path: Path) -> int:
    conn = sqlite3.connect(path)
    conn.executescript(CALL_SCHEMA)
    calls = [
        # answered, type, originated, minutes after T0, duration, address, name, provider, uid
        (1, 1, 0, 0, 125.4, b"+8613800138000", "催收小王", "com.apple.Telephony", "U1", "上海"),
        (0, 1, 0, 30, 0.0, b"95577", None, "com.apple.Telephony", "U2", None),
        (0, 1, 1, 40, 0.0, b"13800138000", "催收小王", "com.apple.Telephony", "U3", None),
        (1, 16, 0, 50, 60.0, b"collector@icloud.com", None, "com.apple.FaceTime", "U4", None),
        (1, 0, 0, 60, 300.0, "wxid_collector", "XX催收", "com.tencent.xin", "U5", None),
        (0, 1, 0, 70, 0.0, None, None, "com.apple.Telephony", None, None),
    ]
    for pk, (ans, kind, orig, minutes, dur, addr, name, prov, uid, loc) in enumerate(calls, 1):
        conn.execute(
            "INSERT INTO ZCALLRECORD (Z_PK, Z_ENT, Z_OPT, ZANSWERED, ZCALLTYPE, ZORIGINATED,"
            " ZDATE, ZDURATION, ZADDRESS, ZNAME, ZSERVICE_PROVIDER, ZUNIQUE_ID, ZLOCATION)"
            " VALUES (?, 2, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (pk, ans, kind, orig, apple_s(T0) + minutes * 60, dur, addr, name, prov, uid, loc),
        )
    conn.commit()
    conn.close()
    return len(calls)


# -- backup folder --------------------------------------------------------------------


def file_id(domain: str, relative: str) -> str:
    return hashlib.sha1(f"{domain}-{relative}".encode()).hexdigest()


@dataclass
class _Keys:
    password: str
    passphrase_key: bytes
    class_keys: dict[int, bytes]
    keybag: bytes


def _tlv(tag: bytes, value: bytes | int) -> bytes:
    data = struct.pack(">L", value) if isinstance(value, int) else value
    return tag + struct.pack(">L", len(data)) + data


def _make_keys(password: str) -> _Keys:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap

    salt, dpsl = os.urandom(20), os.urandom(20)
    round1 = PBKDF2HMAC(hashes.SHA256(), 32, dpsl, 1).derive(password.encode())
    key = PBKDF2HMAC(hashes.SHA1(), 32, salt, 1).derive(round1)
    bag = _tlv(b"VERS", 4) + _tlv(b"TYPE", 1) + _tlv(b"UUID", os.urandom(16))
    bag += _tlv(b"HMCK", os.urandom(40)) + _tlv(b"WRAP", 0) + _tlv(b"SALT", salt)
    bag += _tlv(b"ITER", 1) + _tlv(b"DPWT", 1) + _tlv(b"DPIC", 1) + _tlv(b"DPSL", dpsl)
    class_keys = {}
    for clas in (1, 2, 3, 4):
        class_keys[clas] = os.urandom(32)
        bag += _tlv(b"UUID", os.urandom(16)) + _tlv(b"CLAS", clas) + _tlv(b"WRAP", 2)
        bag += _tlv(b"KTYP", 0) + _tlv(b"WPKY", aes_key_wrap(key, class_keys[clas]))
    return _Keys(password, key, class_keys, bag)


def _encrypt(data: bytes, key: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def _file_plist(size: int, wrapped: bytes | None, protection: int) -> bytes:
    uid = plistlib.UID
    record: dict[str, object] = {
        "$class": uid(3),
        "Size": size,
        "ProtectionClass": protection,
        "LastModified": 1739066400,
        "Birth": 1739066400,
        "Mode": 0o100644,
        "RelativePath": uid(4),
    }
    objects: list[object] = [
        "$null",
        record,
        None,
        {"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]},
        "x",
    ]
    if wrapped is not None:
        record["EncryptionKey"] = uid(2)
        objects[2] = {"NS.data": struct.pack("<l", protection) + wrapped, "$class": uid(3)}
    else:
        objects[2] = "$null"
    archive = {
        "$version": 100000,
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": uid(1)},
        "$objects": objects,
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def build_backup(
    folder: Path, files: dict[tuple[str, str], bytes], password: str | None = None
) -> Path:
    """A backup folder holding ``files`` ((domain, relativePath) -> bytes)."""
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap

    folder.mkdir(parents=True)
    keys = _make_keys(password) if password else None
    index = sqlite3.connect(":memory:")
    index.execute(
        "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT,"
        " flags INTEGER, file BLOB)"
    )
    for (domain, relative), data in files.items():
        fid = file_id(domain, relative)
        stored = folder / fid[:2] / fid
        stored.parent.mkdir(exist_ok=True)
        if keys is None:
            stored.write_bytes(data)
            plist = _file_plist(len(data), None, 3)
        else:
            file_key = os.urandom(32)
            stored.write_bytes(_encrypt(data, file_key))
            plist = _file_plist(len(data), aes_key_wrap(keys.class_keys[3], file_key), 3)
        index.execute("INSERT INTO Files VALUES (?, ?, ?, 1, ?)", (fid, domain, relative, plist))
    index.commit()
    manifest_db = index.serialize()
    index.close()
    manifest: dict[str, object] = {"IsEncrypted": keys is not None, "Version": "10.0"}
    if keys is None:
        (folder / "Manifest.db").write_bytes(manifest_db)
    else:
        manifest_key = os.urandom(32)
        (folder / "Manifest.db").write_bytes(_encrypt(manifest_db, manifest_key))
        manifest["BackupKeyBag"] = keys.keybag
        manifest["ManifestKey"] = struct.pack("<l", 4) + aes_key_wrap(
            keys.class_keys[4], manifest_key
        )
    (folder / "Manifest.plist").write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    (folder / "Info.plist").write_bytes(plistlib.dumps({"Device Name": "张三的 iPhone"}))
    return folder


def standard_backup(tmp: Path, password: str | None = None) -> Path:
    """A backup with the sms.db and call history above and one backed-up photo."""
    name = "backup-encrypted" if password else "backup"
    sms = tmp / f"{name}-sms.db"
    calls = tmp / f"{name}-CallHistory.storedata"
    build_sms_db(sms)
    build_call_history(calls)
    return build_backup(
        tmp / name,
        {
            ("HomeDomain", "Library/SMS/sms.db"): sms.read_bytes(),
            ("HomeDomain", "Library/CallHistoryDB/CallHistory.storedata"): calls.read_bytes(),
            ("MediaDomain", ATTACHMENT_PATH): PHOTO,
        },
        password,
    )
