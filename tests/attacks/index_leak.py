"""A collector's known-plaintext attack on the blind search index (issue 13, item 6).

The collector has a copy of the locker file (no passphrase) and knows the messages it
sent, when it sent them, and from which number. It:

1. matches each known message to its ledger entry by the entry's clear time;
2. for every gram of its known texts, notes which of those entries contain it, and for
   every index token, which of those entries hold it: a token and a gram with the same
   set of entries (and no other token or gram with it) are the same gram;
3. reads, in any other entry, the grams of the tokens it has mapped.

It never has a key: only the public algorithms (text normalisation, grams, the
posting-list format) are taken from the project, as anyone can read them.

``attack(db, known)`` returns the token -> gram map; ``recovered(...)`` measures what
it reveals of one entry's text. Run as a script it prints both figures for a locker:

    python tests/attacks/index_leak.py LOCKER.db KNOWN.json SEQ TEXT
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evidence_locker.search.index import grams, unpack_seqs
from evidence_locker.search.normalize import normalize


def postings(db: Path) -> dict[bytes, set[int]]:
    """Every token and the entries holding it, from the posting table."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out: dict[bytes, set[int]] = defaultdict(set)
        for token, chunk, blob in con.execute("SELECT token, chunk, seqs FROM search_posting"):
            out[bytes(token)].update(unpack_seqs(chunk, bytes(blob)))
        return out
    finally:
        con.close()


def entries_by_time(db: Path) -> dict[int, list[int]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out: dict[int, list[int]] = defaultdict(list)
        sql = "SELECT occurred_at, seq FROM entry WHERE kind = 'record'"
        for occurred_at, seq in con.execute(sql):
            out[occurred_at].append(seq)
        return out
    finally:
        con.close()


def text_grams(texts: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for text in texts:
        out |= grams(normalize(text))
    return out


def attack(db: Path, known: list[tuple[int, list[str]]]) -> dict[bytes, str]:
    """Map tokens to grams from ``known``: (occurred_at in µs, texts the collector knows
    were in that entry: the message, its sender's number...)."""
    by_time = entries_by_time(db)
    known_grams: dict[int, set[str]] = {}
    for occurred_at, texts in known:
        for seq in by_time.get(occurred_at, ()):
            known_grams[seq] = known_grams.get(seq, set()) | text_grams(texts)
    matched = set(known_grams)
    entries_of: dict[str, set[int]] = defaultdict(set)
    for seq, gs in known_grams.items():
        for g in gs:
            entries_of[g].add(seq)
    gram_sig = {g: frozenset(s) for g, s in entries_of.items()}
    token_sig = {t: frozenset(s & matched) for t, s in postings(db).items() if s & matched}
    grams_with: dict[frozenset[int], list[str]] = defaultdict(list)
    tokens_with: dict[frozenset[int], list[bytes]] = defaultdict(list)
    for g, sig in gram_sig.items():
        grams_with[sig].append(g)
    for t, sig in token_sig.items():
        tokens_with[sig].append(t)
    mapping = {}
    for sig, toks in tokens_with.items():
        found = grams_with.get(sig, [])
        if len(toks) == 1 and len(found) == 1:
            mapping[toks[0]] = found[0]
    return mapping


@dataclass(frozen=True)
class Recovery:
    mapped_tokens: int  # tokens the attack mapped to a gram, in the whole index
    entry_tokens: int  # tokens the target entry holds
    right: int  # grams of the target text the attack revealed
    wrong: int  # grams it believes the entry holds, wrongly
    chars: int  # characters of the target text covered by a revealed gram
    total_chars: int


def recovered(db: Path, mapping: dict[bytes, str], seq: int, text: str) -> Recovery:
    """What ``mapping`` reveals of ``text``, held by entry ``seq``."""
    held = [t for t, seqs in postings(db).items() if seq in seqs]
    revealed = {mapping[t] for t in held if t in mapping}
    norm = normalize(text)
    actual = grams(norm)
    right = revealed & actual
    covered = set()
    for g in right:
        start = norm.find(g)
        while start >= 0:
            covered.update(range(start, start + len(g)))
            start = norm.find(g, start + 1)
    return Recovery(
        mapped_tokens=len(mapping),
        entry_tokens=len(held),
        right=len(right),
        wrong=len(revealed - actual),
        chars=len(covered),
        total_chars=len(norm),
    )


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__.rsplit("\n\n", 1)[-1], file=sys.stderr)
        return 2
    db, known_file, seq, text = Path(argv[0]), Path(argv[1]), int(argv[2]), argv[3]
    known = [(int(t), list(texts)) for t, texts in json.loads(known_file.read_text())]
    result = recovered(db, attack(db, known), seq, text)
    print(json.dumps(result.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
