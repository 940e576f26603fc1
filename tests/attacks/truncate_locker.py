"""An attacker's truncation of a locker, written without any evidence-locker code.

Usage: python tests/attacks/truncate_locker.py LOCKER_DIR KEEP [--head NOTE_FILE]

What someone holding the locker's files but not its passphrase can do (issue 13,
items 2 and 3):

1. drop the append-only triggers and delete every ledger entry from position KEEP on
   (the newest ones: the threatening calls logged last, say);
2. rebuild the stored Merkle frontier (the right edge of the RFC 6962 tree) from the
   leaf hashes, which are kept in clear, so that the next append chains on cleanly;
3. with ``--head``, also put back an older signed tree head of exactly KEEP entries
   (read from a dossier already handed out, or from an older copy of the locker), so
   that the stored head, the frontier and the rows all agree again;
4. restore the triggers, so that the file looks untouched.

The owner then runs an ordinary ``evidence-locker log``. Without a check, that
command signs a fresh head over the shortened ledger and ``verify`` reports OK: the
deleted entries are laundered. evidence-locker must refuse the write (step 2 alone)
or report the locker as older than the newest head it has seen (step 3).

Only the standard library is used (sqlite3, hashlib), as any attacker could.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import sys
from pathlib import Path


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def frontier(leaves: list[bytes]) -> dict[str, object]:
    """The frontier as the locker stores it: size and the perfect-subtree roots."""
    stack: list[bytes] = []
    for size, leaf in enumerate(leaves):
        h, n = leaf, size
        while n & 1:
            h = node(stack.pop(), h)
            n >>= 1
        stack.append(h)
    return {"size": len(leaves), "stack": [base64.b64encode(h).decode() for h in stack]}


def truncate(locker_dir: Path, keep: int, head_note: str | None = None) -> int:
    """Cut the ledger back to its first ``keep`` entries; returns how many were deleted."""
    con = sqlite3.connect(Path(locker_dir) / "locker.db", isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        saved = dict(
            con.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'entry'"
            ).fetchall()
        )
        for name in saved:
            con.execute(f"DROP TRIGGER {name}")
        deleted = con.execute("DELETE FROM entry WHERE seq >= ?", (keep,)).rowcount
        leaves = [bytes(r[0]) for r in con.execute("SELECT leaf FROM entry ORDER BY seq")]
        con.execute(
            "UPDATE meta SET value = ? WHERE key = 'frontier'", (json.dumps(frontier(leaves)),)
        )
        if head_note is not None:
            con.execute("UPDATE meta SET value = ? WHERE key = 'head'", (head_note,))
        for sql in saved.values():
            con.execute(sql)
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return deleted


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--head"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    note = Path(argv[3]).read_text(encoding="utf-8") if len(argv) == 4 else None
    deleted = truncate(Path(argv[0]), int(argv[1]), note)
    print(f"deleted {deleted} entries; frontier rebuilt over the first {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
