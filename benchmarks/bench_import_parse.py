"""Parse speed of the SMS Backup & Restore importer on a generated 100k-message backup.

Prints JSON lines: the file size, records per second for the importer alone (drafts with
normalised numbers, fingerprints, MMS attachments; nothing stored), the same for a bare
``iterparse`` loop over the same file, and the process's peak RSS. The importer's figure
is the "parse-only" baseline of the import goal (benchmarks/bench_import.py, which adds
encryption, ledger and index on top and says why); the bare loop is shown for scale.

    python benchmarks/bench_import_parse.py [--quick] [--messages N] [--keep PATH]
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from procmem import peak_rss_mib

from evidence_locker.importers import ImportOptions, open_importer
from evidence_locker.importers.xml_stream import SurrogateFixer

_PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(200)).decode()


def generate(path: Path, messages: int) -> None:
    """A backup shaped like a real one: mostly SMS, some MMS with an image, some calls."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        fh.write(f'<smses count="{messages}" backup_date="1739106845000" type="full">\n')
        for n in range(messages):
            date = 1_700_000_000_000 + n * 61_000
            number = f"13{n % 977:09d}"
            if n % 50 == 0:
                fh.write(
                    f'  <mms date="{date}" msg_box="1" address="{number}" m_type="132" '
                    f'sub="null" date_sent="{date // 1000}" contact_name="(Unknown)">\n<parts>\n'
                    '<part seq="-1" ct="application/smil" name="null" text="&lt;smil/&gt;" />\n'
                    f'<part seq="0" ct="text/plain" chset="106" text="第{n}条 &#55357;&#56832;"/>\n'
                    f'<part seq="0" ct="image/png" name="p{n}.png" text="null" data="{_PNG}" />\n'
                    f'</parts>\n<addrs><addr address="{number}" type="137" charset="106" />'
                    "</addrs>\n  </mms>\n"
                )
            else:
                fh.write(
                    f'  <sms protocol="0" address="{number}" date="{date}" type="{1 + n % 2}" '
                    f'subject="null" body="【XX银行】第{n}条：您的账户已逾期，请尽快还款 '
                    '&amp; 联系我们 &#55357;&#56864;" toa="null" sc_toa="null" read="1" '
                    f'status="-1" locked="0" date_sent="0" contact_name="催收{n % 7}" />\n'
                )
        fh.write("</smses>\n")


def bare_parse(path: Path) -> int:
    """The baseline: stdlib iterparse (behind the same surrogate fixer, which it needs)."""
    count = 0
    with path.open("rb") as raw:
        for _event, elem in ET.iterparse(SurrogateFixer(raw), events=("end",)):
            if elem.tag in ("sms", "mms", "call"):
                count += 1
                elem.clear()
    return count


def floor_import(path: Path, db_path: Path, *, index: bool) -> int:
    """The least any import meeting the issue must do, on top of the importer's parse.

    Per record: JSON of the fields, one AES-GCM-SIV seal with a fresh nonce, one
    SHA-256, one row INSERTed (1,000 per executemany, one transaction); with
    ``index``, the same keyed n-gram tokens and posting chunks as the real index.
    No salted commitments, Merkle tree, signed head, dedupe tags or MMS blobs: a lower
    bound on the import's time, to show what the ratio goal leaves room for.
    """
    import hashlib
    import os
    import sqlite3

    from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

    from evidence_locker.importers import Rejected
    from evidence_locker.search.index import Tokenizer, posting_rows, searchable_fields, tokens_for

    key = os.urandom(32)
    aead = AESGCMSIV(os.urandom(32))
    tok = Tokenizer(lambda gram: hashlib.blake2b(gram, key=key, digest_size=4).digest())
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("CREATE TABLE e (seq INTEGER PRIMARY KEY, sealed BLOB, leaf BLOB)")
    db.execute(
        "CREATE TABLE p (token BLOB, chunk INTEGER, seqs BLOB, PRIMARY KEY (token, chunk))"
        " WITHOUT ROWID"
    )
    importer = open_importer(path, options=ImportOptions(timezone="Asia/Shanghai"))
    rows: list[tuple[int, bytes, bytes]] = []
    tokens: list[tuple[int, set[bytes]]] = []
    n = 0

    def flush() -> None:
        db.executemany("INSERT INTO e VALUES (?, ?, ?)", rows)
        if tokens:
            db.executemany("INSERT INTO p VALUES (?, ?, ?)", posting_rows(tokens[0][0], tokens))
        rows.clear()
        tokens.clear()

    db.execute("BEGIN")
    for draft in importer.iter_drafts():
        if isinstance(draft, Rejected):
            continue
        n += 1
        fields = draft.sensitive_values()
        plain = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        rows.append(
            (n, aead.encrypt(os.urandom(12), plain, b"%d" % n), hashlib.sha256(plain).digest())
        )
        if index:
            tokens.append((n, tokens_for(searchable_fields(fields), tok)))
        if len(rows) >= 1000:
            flush()
    flush()
    db.execute("COMMIT")
    db.close()
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=None, help="default 100,000")
    parser.add_argument("--quick", action="store_true", help="10,000 messages")
    parser.add_argument("--keep", type=Path, default=None, help="write the backup here")
    args = parser.parse_args()
    messages = args.messages or (10_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "backup.xml"
        generate(path, messages)
        size = path.stat().st_size

        start = time.perf_counter()
        baseline = bare_parse(path)
        bare_s = time.perf_counter() - start

        start = time.perf_counter()
        importer = open_importer(path, options=ImportOptions(timezone="Asia/Shanghai"))
        drafts = sum(1 for _ in importer.iter_drafts())
        full_s = time.perf_counter() - start
    peak_mib = peak_rss_mib()
    importer_rate, bare_rate = drafts / full_s, baseline / bare_s
    lines = [
        {
            "name": f"import_parse_importer_{messages}",
            "value": round(importer_rate),
            "unit": "records/s",
            "baseline": round(bare_rate),
            "baseline_is": "bare stdlib iterparse loop over the same file",
            "ratio": round(bare_rate / importer_rate, 2),
            "goal": "none of its own: the import goal's baseline (bench_import)",
            "file_bytes": size,
        },
        {
            "name": f"import_parse_peak_rss_{messages}",
            "value": round(peak_mib, 1),
            "unit": "MiB",
            "baseline": None,
            "ratio": None,
            "goal": "flat: does not grow with file size",
        },
    ]
    for line in lines:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
