#!/usr/bin/env python3
"""iPhone import speed: a generated 100k-message ``sms.db``, against a bare sqlite3 read.

Prints JSON lines, all measured in this run over the same generated database:

- ``import_iphone_bare``: a bare ``sqlite3`` loop that reads the same columns of the
  same rows (message joined with handle and chat) and does nothing with them: the floor
  of any reader.
- ``import_iphone_parse``: the importer alone (``open_importer(...).iter_drafts()``:
  rows to drafts with times, numbers, group members, fingerprints, and the text of the
  1 in 5 messages that newer iOS keeps only in ``attributedBody``, decoded with
  pytypedstream); ratio against the bare read.
- ``import_iphone``: the whole import into a real locker (parse, encrypt, ledger, search
  index), records per second; ratio against the importer's parse.

    python benchmarks/bench_import_iphone.py [--quick] [--messages N]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from evidence_locker.importers import ImportOptions, open_importer  # noqa: E402
from tests.ios_fixtures import SMS_SCHEMA, apple_ns, archived_text  # noqa: E402

BARE_QUERY = (
    "SELECT m.ROWID, m.guid, m.text, m.attributedBody, m.date, m.is_from_me, m.service,"
    " m.error, h.id, c.chat_identifier, c.display_name, c.style FROM message m"
    " LEFT JOIN handle h ON h.ROWID = m.handle_id"
    " LEFT JOIN chat_message_join j ON j.message_id = m.ROWID"
    " LEFT JOIN chat c ON c.ROWID = j.chat_id ORDER BY m.ROWID"
)


def generate(path: Path, messages: int) -> None:
    """500 counterparts in one-to-one chats and one group; 1 in 5 texts only in
    attributedBody; SMS and iMessage mixed, as a phone with years of messages."""
    conn = sqlite3.connect(path)
    conn.executescript(SMS_SCHEMA)
    conn.executemany(
        "INSERT INTO handle (ROWID, id, service) VALUES (?, ?, ?)",
        [(n, f"+86138{n:08d}", "SMS" if n % 3 else "iMessage") for n in range(1, 501)],
    )
    conn.executemany(
        "INSERT INTO chat (ROWID, guid, style, chat_identifier, display_name) VALUES (?,?,?,?,?)",
        [(n, f"c{n}", 45, f"+86138{n:08d}", None) for n in range(1, 501)]
        + [(501, "group", 43, "chat501", "XX催收群")],
    )
    conn.executemany("INSERT INTO chat_handle_join VALUES (501, ?)", [(n,) for n in range(1, 6)])
    start = apple_ns(datetime(2024, 1, 1, tzinfo=UTC))
    body = archived_text("【XX银行】您的账户已逾期，请尽快还款，否则将上门催收 😡")
    rows, joins = [], []
    for n in range(1, messages + 1):
        handle = n % 500 + 1
        chat = 501 if n % 20 == 0 else handle
        only_body = n % 5 == 0
        text = None if only_body else f"第{n}条：您的贷款已逾期，请尽快还款 😡"
        service = "SMS" if handle % 3 else "iMessage"
        rows.append((n, f"G{n}", text, body if only_body else None, service,
                     start + n * 61_000_000_000, n % 7 == 0, handle))  # fmt: skip
        joins.append((chat, n))
    conn.executemany(
        "INSERT INTO message (ROWID, guid, text, attributedBody, service, date, is_from_me,"
        " handle_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO chat_message_join VALUES (?, ?, 0)", joins)
    conn.commit()
    conn.close()


def bare_read(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    count = sum(1 for _ in conn.execute(BARE_QUERY))
    conn.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=None, help="default 100,000")
    parser.add_argument("--quick", action="store_true", help="5,000 messages")
    args = parser.parse_args()
    messages = args.messages or (5_000 if args.quick else 100_000)
    options = ImportOptions(timezone="Asia/Shanghai")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sms.db"
        generate(path, messages)

        start = time.perf_counter()
        rows = bare_read(path)
        bare_s = time.perf_counter() - start

        start = time.perf_counter()
        drafts = sum(1 for _ in open_importer(path, options=options).iter_drafts())
        parse_s = time.perf_counter() - start

        from evidence_locker.locker import Locker
        from evidence_locker.locker.importing import import_file

        locker, _ = Locker.create(Path(folder) / "locker", "benchmark passphrase 基准")
        start = time.perf_counter()
        summary = import_file(locker, path, options=options)
        import_s = time.perf_counter() - start
        locker.close()
    assert rows == drafts == summary.imported == messages, (rows, drafts, summary.imported)
    bare, parse, full = rows / bare_s, drafts / parse_s, summary.imported / import_s
    lines = [
        {
            "name": f"import_iphone_bare_{messages}",
            "value": round(bare),
            "unit": "rows/s",
            "baseline": None,
            "ratio": None,
            "goal": "none: the floor of any sms.db reader",
        },
        {
            "name": f"import_iphone_parse_{messages}",
            "value": round(parse),
            "unit": "records/s",
            "baseline": round(bare),
            "baseline_is": "bare sqlite3 read of the same rows, same run",
            "ratio": round(bare / parse, 2),
            "goal": "none of its own: the import's parse",
        },
        {
            "name": f"import_iphone_{messages}",
            "value": round(full),
            "unit": "records/s",
            "baseline": round(parse),
            "baseline_is": "the importer's parse of the same sms.db, same run",
            "ratio": round(parse / full, 2),
            "goal": ">= 2,000 records/s, as every import (bench_import)",
        },
    ]
    for line in lines:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
