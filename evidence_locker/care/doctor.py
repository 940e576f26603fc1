"""``doctor``: what in a locker is damaged, what is intact, and a way to save the rest.

Checks, in order, each reported on its own line:

1. the database file: SQLite's ``integrity_check`` (or ``quick_check``);
2. the key slots: can the locker be unlocked at all;
3. the ledger: every entry decrypts, its leaf and root match, the signed head matches;
4. every attachment blob: decrypts under its id to the size and SHA-256 in the ledger;
5. leftovers: blobs that belong to no entry, temporary files of interrupted commands.

When the database is damaged, the ledger cannot be walked in one pass (SQLite stops
at the first bad page), so doctor reads it in small ranges and then entry by entry
around the bad pages, and checks each entry on its own: it decrypts and its leaf hash
matches its sealed fields. Those entries are "intact": their content is exactly what
was logged, even though the chain around them can no longer be proved. ``--salvage``
writes them to a JSON file (plaintext, by the user's choice, like ``extract``).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

from evidence_locker.care import leftovers
from evidence_locker.care.rawfile import (
    READ_ONLY,
    check_database,
    is_read_only,
    scan_entries,
    storage_problem,
    unlock_raw,
)
from evidence_locker.errors import IntegrityError, LockerError, StorageError

Status = Literal["ok", "damaged", "warning"]
MAX_LISTED = 20  # problems listed one by one; the rest are counted


@dataclass
class Finding:
    """One line of the report: a status and an i18n key with its parameters.

    A parameter named ``what`` holds another message key (rendered in place).
    """

    status: Status
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class DoctorReport:
    findings: list[Finding] = field(default_factory=list)
    entries_total: int = 0
    entries_intact: int = 0
    damaged_seqs: list[int] = field(default_factory=list)
    salvaged: int | None = None

    @property
    def damaged(self) -> bool:
        return any(f.status == "damaged" for f in self.findings)

    def add(self, status: Status, key: str, **params: Any) -> None:
        self.findings.append(Finding(status, key, params))

    def to_json(self) -> dict[str, Any]:
        return {
            "damaged": self.damaged,
            "entries_total": self.entries_total,
            "entries_intact": self.entries_intact,
            "damaged_seqs": self.damaged_seqs,
            "findings": [{"status": f.status, "what": f.key, **f.params} for f in self.findings],
        }


def _temp_files(directory: Path) -> list[str]:
    from evidence_locker.care.backup.format import TEMP_PREFIX, TEMP_SUFFIX
    from evidence_locker.store.blobs import TEMP_PREFIX as BLOB_TMP
    from evidence_locker.store.blobs import TEMP_SUFFIX as BLOB_SUFFIX

    found = [
        p.name
        for p in directory.iterdir()
        if p.name.startswith(TEMP_PREFIX) and p.name.endswith(TEMP_SUFFIX)
    ]
    # a killed restore's work folder sits beside the locker it was making
    found += [
        str(p) for p in leftovers.find(directory.parent, f"{TEMP_PREFIX}restore-", TEMP_SUFFIX)
    ]
    blobs = directory / "blobs"
    if blobs.is_dir():
        found += [
            f"blobs/{p.name}"
            for p in blobs.iterdir()
            if p.name.startswith(BLOB_TMP) and p.name.endswith(BLOB_SUFFIX)
        ]
    return sorted(found)


def diagnose(
    directory: str | os.PathLike[str],
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    quick: bool = False,
    salvage_to: str | os.PathLike[str] | None = None,
    read_only: bool = False,
) -> DoctorReport:
    """Check a locker directory and report; optionally export every intact entry.

    Raises only for a wrong passphrase (nothing can be checked then); every kind of
    damage is a finding in the report. ``read_only``: write nothing to the locker
    (also when it is write-blocked: then it says so, and reads it as it is).
    """
    token = READ_ONLY.set(read_only)
    try:
        return _diagnose(Path(directory).expanduser(), passphrase, recovery_key, quick, salvage_to)
    finally:
        READ_ONLY.reset(token)


def _diagnose(
    path: Path,
    passphrase: str | None,
    recovery_key: str | None,
    quick: bool,
    salvage_to: str | os.PathLike[str] | None,
) -> DoctorReport:
    from evidence_locker.locker import BLOB_DIR, DB_NAME, Locker

    report = DoctorReport()
    db = path / DB_NAME
    if not db.is_file():
        report.add("damaged", "doctor.db_missing", path=str(path))
        return report
    read_only = is_read_only(db)
    if read_only:
        report.add("ok", "doctor.read_only")
    problems = check_database(db, quick=quick)
    if problems and storage_problem(problems):
        report.add("warning", "doctor.cannot_open", detail="; ".join(problems[:3]))
        return report
    if problems:
        report.add("damaged", "doctor.db_bad", detail="; ".join(problems[:3]))
    else:
        report.add("ok", "doctor.db_ok")
    try:
        locker = Locker.open(
            path, passphrase=passphrase, recovery_key=recovery_key, read_only=read_only or None
        )
    except StorageError as exc:  # the disk or the mount, not the locker: say so
        report.add("warning", "doctor.cannot_open", detail=exc.render("en"))
        return report
    except IntegrityError:
        # the normal open refuses a damaged file; read the key slots directly instead
        raw = unlock_raw(db, passphrase, recovery_key)
        if raw is None:
            report.add("damaged", "doctor.unlock_failed")
            return report
        if not problems:
            report.add("damaged", "doctor.db_bad", detail="unreadable")
        attachments: dict[str, Any] = {}
        _scan(report, db, raw, attachments, salvage_to, listed=False)
        _check_blobs(report, raw, attachments, path / BLOB_DIR)
    else:
        with locker:
            _diagnose_open(report, locker, db, locker.blobs.directory, bool(problems), salvage_to)
            _rotation_leftovers(report, locker, path)
    temps = _temp_files(path)
    if temps:
        report.add("warning", "doctor.temp", n=len(temps), names=", ".join(temps[:10]))
    return report


def _rotation_leftovers(report: DoctorReport, locker: Any, path: Path) -> None:
    """Folders an interrupted key rotation left (locker/rotation.py): never evidence;
    the next rotation removes them."""
    from evidence_locker.locker.rotation import leftovers

    found = leftovers(path, locker.keyring)
    if found:
        report.add("warning", "doctor.rotation_leftovers", n=len(found), names=", ".join(found))


def _diagnose_open(
    report: DoctorReport,
    locker: Any,
    db: Path,
    blob_dir: Path,
    db_damaged: bool,
    salvage_to: str | os.PathLike[str] | None,
) -> None:
    ledger_ok = False
    if not db_damaged:
        try:
            verdict = locker.verify()
            ledger_ok = verdict.ok
            for p in verdict.problems[:MAX_LISTED]:
                seq = p.seq if p.seq is not None else "-"
                ident = (p.record_id or p.entry_id or "-")[:8]
                report.add("damaged", "doctor.ledger_bad", seq=seq, id=ident, what=p.what)
            if len(verdict.problems) > MAX_LISTED:
                report.add("damaged", "doctor.ledger_more", n=len(verdict.problems) - MAX_LISTED)
        except Exception as exc:  # SQLite gave up half-way: the scan below says where
            report.add("damaged", "doctor.db_bad", detail=str(exc).splitlines()[0])
    attachments: dict[str, Any] = {}
    if ledger_ok:
        report.entries_total = report.entries_intact = verdict.size
        report.add("ok", "doctor.ledger_ok", entries=verdict.size)
    if not ledger_ok or salvage_to is not None:
        _scan(report, db, locker, attachments, salvage_to, listed=ledger_ok)
    if ledger_ok:
        attachments = _attachment_index(locker)
        _check_index(report, locker)
    _check_blobs(report, locker, attachments, blob_dir)


def _check_index(report: DoctorReport, locker: Any) -> None:
    """The search index against the ledger (search/audit.py): stale or tampered rows
    make search miss records while everything else checks out."""
    audit = locker.check_index()
    if audit.ok:
        report.add("ok", "doctor.index_ok", n=audit.entries)
        return
    if audit.wrong:
        seqs = ", ".join(str(s) for s in audit.wrong[:10])
        report.add("damaged", "doctor.index_bad", what="index.wrong", n=len(audit.wrong), seqs=seqs)
    if audit.strays:
        report.add("damaged", "doctor.index_bad", what="index.strays", n=len(audit.strays))
    if audit.malformed:
        report.add("damaged", "doctor.index_bad", what="index.malformed", n=audit.malformed)


def _attachment_index(locker: Any) -> dict[str, Any]:
    return {a.id: a for a in locker.all_attachments()}


def _scan(
    report: DoctorReport,
    db: Path,
    locker: Any,
    attachments: dict[str, Any],
    salvage_to: str | os.PathLike[str] | None,
    *,
    listed: bool,
) -> None:
    """Entry-by-entry pass: count what is intact, index files, write the salvage file."""
    out = None
    tmp = None
    if salvage_to is not None:
        target = Path(salvage_to).expanduser()
        # created exclusively, 0600, under a random name: nobody can have put a file or
        # a symbolic link there for the plaintext to be written through
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        tmp = Path(name)
        out = open(fd, "w", encoding="utf-8")  # noqa: SIM115 - closed below
        head = {"locker_id": locker.locker_id, "salvaged_at": datetime.now(UTC).isoformat()}
        out.write(json.dumps(head)[:-1] + ', "entries": [\n')
    n_records = 0
    first = True
    report.entries_total = report.entries_intact = 0
    try:
        for seq, row, decoded in scan_entries(db, locker.ledger):
            report.entries_total += 1
            if row is None:
                report.damaged_seqs.append(seq)
                continue
            report.entries_intact += 1
            if row.kind == "attachment":
                attachments[row.id] = SimpleNamespace(
                    id=row.id,
                    record_id=row.record_id,
                    name=decoded.value("name", ""),
                    size=int(decoded.value("size", 0)),
                    sha256=decoded.value("sha256", ""),
                )
            if out is not None:
                n_records += row.kind == "record"
                out.write(("" if first else ",\n") + json.dumps(_entry_json(row, decoded)))
                first = False
        if out is not None:
            out.write("\n], " + json.dumps({"damaged_seqs": report.damaged_seqs})[1:] + "\n")
            out.flush()
            os.fsync(out.fileno())
            out.close()
            os.replace(tmp, Path(salvage_to).expanduser())  # type: ignore[arg-type]
            report.salvaged = report.entries_intact
            report.add(
                "ok",
                "doctor.salvaged",
                n=report.entries_intact,
                records=n_records,
                path=str(salvage_to),
            )
    finally:
        if out is not None and not out.closed:
            out.close()
        if tmp is not None and tmp.exists():
            tmp.unlink()
    if not listed or report.damaged_seqs:
        bad = _ranges(report.damaged_seqs) or "-"
        status: Status = "damaged" if report.damaged_seqs else "ok"
        report.add(
            status,
            "doctor.salvage_count",
            intact=report.entries_intact,
            total=report.entries_total,
            bad=bad,
        )


def _ranges(seqs: list[int]) -> str:
    """``[1, 2, 3, 7]`` as ``"1-3, 7"`` (a page holds runs of neighbouring entries)."""
    runs: list[list[int]] = []
    for seq in seqs:
        if runs and runs[-1][1] == seq - 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    text = [f"{a}-{b}" if a != b else str(a) for a, b in runs]
    return ", ".join(text[:MAX_LISTED]) + (" ..." if len(text) > MAX_LISTED else "")


def _entry_json(row: Any, decoded: Any) -> dict[str, Any]:
    from evidence_locker.model import utc_from_micros, with_offset

    occurred = (
        with_offset(row.occurred_at, row.offset).isoformat()
        if row.occurred_at is not None
        else None
    )
    return {
        "seq": row.seq,
        "id": row.id,
        "kind": row.kind,
        "record_id": row.record_id,
        "target": row.target,
        "channel": row.channel,
        "direction": row.direction,
        "occurred_at": occurred,
        "logged_at": utc_from_micros(row.logged_at).isoformat(),
        "case_id": row.case_id,
        "fields": decoded.values(),
        "leaf": row.leaf.hex(),
    }


def _check_blobs(
    report: DoctorReport, locker: Any, attachments: dict[str, Any], blob_dir: Path
) -> None:
    from evidence_locker.store.blobs import BlobStore

    store = BlobStore(blob_dir) if blob_dir.is_dir() else None
    bad = 0
    for info in attachments.values():
        what = None
        if store is None or not store.exists(info.id):
            what = "attachments.blob_missing"
        else:
            try:
                stats = store.verify(info.id, key=locker.keyring.attachment_key)
                if stats.sha256_hex != info.sha256 or stats.size != info.size:
                    what = "attachments.hash_mismatch"
            except LockerError as exc:
                what = exc.key
        if what:
            bad += 1
            if bad <= MAX_LISTED:
                report.add(
                    "damaged",
                    "doctor.blob_bad",
                    attachment=info.id[:8],
                    name=info.name,
                    record=info.record_id[:8],
                    what=what,
                )
    if not bad:
        report.add("ok", "doctor.blobs_ok", n=len(attachments))
    if store is not None:
        orphans = sorted(set(store.ids()) - set(attachments))
        if orphans:
            ids = ", ".join(o[:8] for o in orphans[:10])
            report.add("warning", "doctor.orphan", n=len(orphans), ids=ids)
