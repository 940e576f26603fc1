"""``passwd --rotate``: a new master key, and everything the old one protected rewritten.

Plain ``passwd`` rewraps the same master key: the old passphrase with any old copy of
the locker (a backup, a synced folder) still opens everything written later. A
rotation makes a new random master key and rewrites, under its subkeys, every sealed
entry, every attachment blob, the search index, the dedupe tags, the anchors' and TSA
settings' MACs and the key slots (a new passphrase and a new recovery key). The
signing key is kept (wrapped under the new master in a ``signing`` key slot): it is
the locker's identity, printed on every dossier and given to lawyers separately.

How it is crash-safe (a ``kill -9`` at any moment leaves a locker that opens with
exactly one of the two passphrases and loses nothing):

1. One write transaction holds the database's write lock throughout.
2. Every blob is decrypted and re-encrypted into a staging folder
   ``blobs.next-<tag>`` (the tag names the new attachment key), each checked against
   the size and SHA-256 in the ledger, each fsynced.
3. In the same transaction: the append-only triggers are lifted, every entry is
   re-sealed with the **same salts** (so every commitment, leaf hash, root and signed
   head stays exactly as it was; only the ciphertext and the clear columns' binding
   change; ledger/sealing.py version 2), the dedupe tags, anchors' MACs, TSA settings
   and search index are rewritten, the key slots replaced, the triggers restored.
   COMMIT is the one moment the locker changes from old keys to new.
4. After the commit, ``blobs`` is retired and ``blobs.next-<tag>`` takes its place.
   A crash between the commit and the end of that swap leaves the staging folder
   under the new key's tag: :func:`finish_swap`, run whenever the locker is opened,
   completes it. A staging folder under another tag is an uncommitted rotation's:
   :func:`leftovers` names it for ``doctor``, and the next rotation removes it.

Entries stay append-only in every sense that matters for evidence: nothing a leaf
covers changes, no entry is added or removed, and ``verify`` holds before and after.
Backups made before the rotation are still under the old keys (rotate, then back up).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_locker import crypto
from evidence_locker.errors import IntegrityError, UsageError
from evidence_locker.ledger import anchors, sealing
from evidence_locker.ledger.log import ENTRY_SELECT, FORMAT, Ledger
from evidence_locker.locker import tsa_settings
from evidence_locker.locker.keys import slot_context, write_keyslots
from evidence_locker.locker.session import BLOB_DIR, Session
from evidence_locker.store import database as db
from evidence_locker.store.durable import fsync_dir

if TYPE_CHECKING:
    from evidence_locker.store.database import DbConn

STAGING_PREFIX = f"{BLOB_DIR}.next-"
RETIRED_PREFIX = f"{BLOB_DIR}.old-"


def blob_tag(keyring: crypto.KeyRing) -> str:
    """Names the staging folder of a rotation to this key ring (a hash of its
    attachment key: says nothing of the key)."""
    return hashlib.sha256(b"blob-folder\x00" + keyring.attachment_key).hexdigest()[:16]


def rotate(session: Session, new_passphrase: str) -> tuple[Session, str]:
    """Rotate ``session``'s locker to a new master key. Returns the new session and
    the new recovery key (shown once). The old session must not be used afterwards."""
    if not new_passphrase:
        raise UsageError("init.empty_passphrase")
    old = session.keyring
    new = crypto.KeyRing(crypto.new_master_key(), signing_seed=old.signing_seed)
    recovery_key = crypto.new_recovery_key()
    directory = session.path
    tag = blob_tag(new)
    staging = directory / f"{STAGING_PREFIX}{tag}" if directory is not None else None
    new_ledger = Ledger(new, session.origin)
    try:
        with session.tx.write() as conn:
            if directory is not None:
                _remove_uncommitted(directory)
                assert staging is not None
                _restage_blobs(conn, session, new, staging)
            from evidence_locker.store.engine import append_only_lifted

            _rewrite_index(conn, session, new)  # reads the entries under the old key
            with append_only_lifted(conn):
                _reseal_entries(conn, session.ledger, new_ledger)
                _remac_anchors(conn, session, new)
            _resave_settings(conn, session, new)
            _rewrap_keys(conn, session, new, new_passphrase, recovery_key)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    if directory is not None:
        finish_swap(directory, new)
    rotated = Session(
        session.database,
        new,
        path=session.path,
        locker_id=session.locker_id,
        clock=session.clock,
        region=session.region,
    )
    rotated.memory.check_at_unlock()
    return rotated, recovery_key


# -- the blobs ------------------------------------------------------------------------


def _restage_blobs(conn: DbConn, session: Session, new: crypto.KeyRing, staging: Path) -> None:
    """Every attachment's blob, decrypted and encrypted again under the new key into
    ``staging``, checked against its ledger entry, durable before the commit."""
    from evidence_locker.store.blobs import BlobStore

    source = BlobStore(session.path / BLOB_DIR)  # type: ignore[operator]
    target = BlobStore(staging)
    sql = f"SELECT {ENTRY_SELECT} FROM entry WHERE kind = 'attachment' ORDER BY seq"
    for row in db.rows(conn, sql):
        info = session.decode(row)
        expected = (int(info.value("size", 0)), info.value("sha256", ""))
        if not source.exists(row.id):
            raise IntegrityError("rotate.blob_missing", id=row.id[:8], hint="hint.doctor")
        with contextlib.closing(source.reader(row.id, key=session.keyring.attachment_key)) as src:
            stats = target.put(src, key=new.attachment_key, blob_id=row.id)
        if (stats.size, stats.sha256_hex) != expected:
            raise IntegrityError("rotate.blob_mismatch", id=row.id[:8], hint="hint.doctor")
    fsync_dir(staging)
    fsync_dir(staging.parent)


def finish_swap(directory: Path, keyring: crypto.KeyRing) -> None:
    """Complete a committed rotation's folder swap, if one was interrupted, and remove
    the retired folder. Run at every unlock; does nothing in the usual case. On a
    read-only locker it leaves things as they are (:func:`blob_dir` still finds the
    right folder)."""
    staging = directory / f"{STAGING_PREFIX}{blob_tag(keyring)}"
    with contextlib.suppress(OSError):
        if staging.is_dir():
            current = directory / BLOB_DIR
            if current.exists():
                os.replace(current, directory / f"{RETIRED_PREFIX}{secrets.token_hex(4)}")
            os.replace(staging, current)
            fsync_dir(directory)
        for retired in directory.glob(f"{RETIRED_PREFIX}*"):
            shutil.rmtree(retired)


def blob_dir(directory: Path, keyring: crypto.KeyRing) -> Path:
    """Where this key ring's blobs are: ``blobs``, or the staging folder of a committed
    rotation whose swap could not be completed (a read-only locker)."""
    staging = directory / f"{STAGING_PREFIX}{blob_tag(keyring)}"
    return staging if staging.is_dir() else directory / BLOB_DIR


def leftovers(directory: Path, keyring: crypto.KeyRing) -> list[str]:
    """Folders an interrupted rotation left (for doctor): staging under another key's
    tag (never committed) and retired blob folders."""
    mine = f"{STAGING_PREFIX}{blob_tag(keyring)}"
    found = [
        p.name
        for p in directory.iterdir()
        if (p.name.startswith(STAGING_PREFIX) and p.name != mine)
        or p.name.startswith(RETIRED_PREFIX)
    ]
    return sorted(found)


def _remove_uncommitted(directory: Path) -> None:
    """Staging folders of rotations that never committed (we hold the write lock, so
    none is in progress)."""
    for leftover in directory.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


# -- the database ---------------------------------------------------------------------


def _reseal_entries(conn: DbConn, old: Ledger, new: Ledger) -> None:
    """Every entry sealed again under the new key, with its salts and values as they
    were (so its leaf is unchanged), bound to its clear columns (version 2), with its
    dedupe tag recomputed under the new index key."""
    updates = []
    for row in old.rows(conn):
        decoded = old.decode(row)  # checks the entry first: nothing altered is re-sealed
        dedupe = None
        if row.dedupe is not None:
            source = decoded.value("source")
            fingerprint = source.get("fingerprint") if isinstance(source, dict) else None
            if not isinstance(fingerprint, str):
                raise IntegrityError("error.record_tampered", id=row.id[:8], seq=row.seq)
            dedupe = new.dedupe_tag(fingerprint)
        plaintext = _salted_json(decoded.fields)
        header = [getattr(row, c) for c in sealing.BOUND_COLUMNS[:-1]]
        ad = sealing.binding([*header, dedupe], bytes(row.leaf))
        sealed = new.keyring.fields.seal(plaintext, ad, version=sealing.VERSION)
        updates.append((sealed, dedupe, row.seq))
        if len(updates) >= 1000:
            db.execute_many(conn, "UPDATE entry SET sealed = ?, dedupe = ? WHERE seq = ?", updates)
            updates = []
    db.execute_many(conn, "UPDATE entry SET sealed = ?, dedupe = ? WHERE seq = ?", updates)
    db.execute(conn, "UPDATE meta SET value = ? WHERE key = 'format'", (FORMAT,))


def _salted_json(fields: dict[str, tuple[bytes, Any]]) -> bytes:
    """The sealed JSON for these (salt, value) pairs: what was sealed, salts kept."""
    import base64

    salted = {k: [base64.b64encode(s).decode(), v] for k, (s, v) in fields.items()}
    return json.dumps({"f": salted}, ensure_ascii=False, separators=(",", ":")).encode()


def _remac_anchors(conn: DbConn, session: Session, new: crypto.KeyRing) -> None:
    """Each anchor's receipt MAC under the new anchor key; a row whose MAC does not hold
    now (not stored by this locker) keeps failing after: it is not re-MACed."""
    for a in anchors.read_all(conn):
        if not anchors.receipt_holds(a, session.keyring, session.origin):
            continue
        mac = new.mac("anchor", a.receipt(session.origin))
        db.execute(conn, "UPDATE anchor SET mac = ? WHERE id = ?", (mac, a.id))


def _resave_settings(conn: DbConn, session: Session, new: crypto.KeyRing) -> None:
    tsas = tsa_settings.load(conn, session.keyring, session.origin)
    if tsas:
        tsa_settings.save(conn, tsas, new, session.origin)
    from evidence_locker.ledger import meta_seal

    meta_seal.seal(conn, new)  # format 2 from now on, like any first write


def _rewrite_index(conn: DbConn, session: Session, new: crypto.KeyRing) -> None:
    """The search index, rebuilt in this transaction under the new space keys (entries
    opened with the old key: nothing is committed yet)."""
    from evidence_locker.search.upkeep import (
        IndexUpkeep,
        has_postings,
        set_index_format,
        write_postings,
    )

    if not has_postings(conn):
        return  # a locker from before chunked postings: rebuilt at its next search
    upkeep = IndexUpkeep(
        session,  # type: ignore[arg-type]  # expected() only opens entries
        write_sa=session.write_sa,
        ledger_rows=session.ledger_rows,
        token_fn=new.space_token,
    )
    db.execute(conn, "DELETE FROM search_posting")
    write_postings(conn, upkeep.expected(conn))
    set_index_format(conn)


def _rewrap_keys(
    conn: DbConn, session: Session, new: crypto.KeyRing, passphrase: str, recovery_key: str
) -> None:
    """The new master under the new passphrase and recovery key, the signing key kept
    in a ``signing`` slot, and the key id every write checks."""
    now = session.now_us()
    write_keyslots(conn, new.master, session.locker_id, now, passphrase, recovery_key)
    wrapped = crypto.wrap_key(
        new.subkey("signing-carry"),
        new.signing_seed,
        context=slot_context("signing", session.locker_id),
    )
    db.execute(conn, "DELETE FROM keyslot WHERE kind = 'signing'")
    db.execute(
        conn,
        "INSERT INTO keyslot (kind, kdf, wrapped, updated_at) VALUES (?, ?, ?, ?)",
        ("signing", json.dumps({"alg": "carried"}), wrapped, now),
    )
    if db.execute(conn, "UPDATE meta SET value = ? WHERE key = 'key_id'", (new.key_id,)) == 0:
        db.execute(conn, "INSERT INTO meta (key, value) VALUES ('key_id', ?)", (new.key_id,))
