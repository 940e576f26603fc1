"""Offline verification of a dossier PDF: no locker, no passphrase, only the file.

Checks, in order: the proof bundle is attached; its tree head signature and every
entry's inclusion proof hold (``verify_bundle``); every record the dossier lists has
an entry and no entry is unlisted; the whole-file PAdES signature is intact and
covers every byte; the dossier signing key is endorsed by the ledger key. Messages
name the record (exhibit number and record id) wherever one is concerned.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from evidence_locker.crypto.pdfsign import check_pdf_signature
from evidence_locker.ledger.bundle import verify_bundle
from evidence_locker.ledger.checkpoint import fingerprint
from evidence_locker.locale.messages import t
from evidence_locker.report.endorse import open_endorsement
from evidence_locker.report.pdfio import PROOFS_NAME, read_attachment
from evidence_locker.report.render import MANIFEST_KEY


@dataclass
class DossierReport:
    """What ``verify_dossier`` found. ``ok`` only when every check passed."""

    ok: bool = False
    messages: list[str] = field(default_factory=list)
    tree_size: int | None = None
    fingerprint: str | None = None  # ledger key
    dossier_key_fingerprint: str | None = None
    dossier_id: str | None = None
    records_verified: int = 0
    failed_records: list[str] = field(default_factory=list)  # record ids
    signed: bool = False
    endorsed: bool = False


def verify_dossier(pdf: bytes, *, lang: str = "en") -> DossierReport:
    """Verify a dossier from its bytes alone. Never raises on hostile input."""
    rep = DossierReport()
    failed = False

    def fail(key: str, **params: object) -> None:
        nonlocal failed
        failed = True
        rep.messages.append(t(f"report.verify.{key}", lang, **params))

    try:
        raw = read_attachment(pdf, PROOFS_NAME)
    except Exception:
        raw = None
    data: dict[str, Any] | None = None
    if raw is None:
        fail("no_bundle")
    else:
        try:
            loaded = json.loads(raw)
            data = loaded if isinstance(loaded, dict) else None
        except ValueError:
            data = None
        if data is None:
            fail("bad_bundle")

    no_by_version: dict[str, tuple[str, str]] = {}
    if data is not None:
        manifest = data.get(MANIFEST_KEY) if isinstance(data.get(MANIFEST_KEY), dict) else {}
        rep.dossier_id = manifest.get("id") if isinstance(manifest.get("id"), str) else None
        for item in manifest.get("records") or []:
            if isinstance(item, dict):
                for vid in item.get("versions") or []:
                    no_by_version[str(vid)] = (str(item.get("no")), str(item.get("record_id")))
        bundle_report = verify_bundle(data)
        cp = bundle_report.checkpoint
        if cp is not None:
            rep.tree_size = cp.size
            try:
                rep.fingerprint = fingerprint(base64.b64decode(data["public_key"]))
            except (KeyError, TypeError, ValueError):
                rep.fingerprint = None
        rep.records_verified = len(bundle_report.verified)
        for seq, rid, detail in bundle_report.failures:
            if seq is None and rid is None:
                fail("bundle_failed", detail=detail)
                continue
            fail(
                "record_failed", record=_name(rid, data, seq, no_by_version), seq=seq, detail=detail
            )
            if rid:
                rep.failed_records.append(str(rid))
        present = {
            str((e.get("header") or {}).get("id"))
            for e in data.get("entries") or []
            if isinstance(e, dict) and isinstance(e.get("header"), dict)
        }
        for vid, (no, rid) in no_by_version.items():
            if vid not in present:
                fail(
                    "record_failed",
                    record=f"{no} ({rid})",
                    seq="?",
                    detail="listed in the dossier but has no proof",
                )
                rep.failed_records.append(rid)
        if no_by_version:
            listed_records = {rid for _, rid in no_by_version.values()}
            # an exhibit's entry (its file's SHA-256) belongs to a listed record
            exhibits = {
                str(e["header"].get("id"))
                for e in data.get("entries") or []
                if isinstance(e, dict)
                and isinstance(e.get("header"), dict)
                and e["header"].get("kind") == "attachment"
                and str(e["header"].get("record_id")) in listed_records
            }
            for vid in sorted(present - set(no_by_version) - exhibits):
                fail("bundle_failed", detail=f"entry {vid} is not listed in the dossier")
        _check_endorsement(pdf, data, rep, fail, lang)
    elif raw is None or data is None:
        _check_endorsement(pdf, None, rep, fail, lang)
    if not failed and rep.tree_size is not None:
        rep.messages.insert(
            0,
            t(
                "report.verify.ok",
                lang,
                count=rep.records_verified,
                size=rep.tree_size,
                fingerprint=rep.fingerprint,
            ),
        )
    rep.ok = not failed and rep.tree_size is not None and rep.signed
    return rep


def _name(
    rid: str | None,
    data: dict[str, Any],
    seq: int | None,
    no_by_version: dict[str, tuple[str, str]],
) -> str:
    """``E-3 (rec-...)`` when the dossier lists the record, else the record id."""
    for e in data.get("entries") or []:
        if isinstance(e, dict) and e.get("seq") == seq:
            vid = str((e.get("header") or {}).get("id"))
            if vid in no_by_version:
                no, record_id = no_by_version[vid]
                return f"{no} ({record_id})"
    return str(rid)


def _check_endorsement(
    pdf: bytes, data: dict[str, Any] | None, rep: DossierReport, fail: Any, lang: str
) -> None:
    sig = check_pdf_signature(pdf)
    if sig.public_key is not None:
        rep.dossier_key_fingerprint = fingerprint(sig.public_key)
    if not sig.ok:
        if sig.problem and sig.problem.startswith("0 signatures"):
            fail("unsigned")
        else:
            fail("signature_failed", detail=sig.problem)
        return
    rep.signed = True
    if data is None:
        return
    note = data.get("dossier_key_note")
    if not note:
        rep.messages.append(t("report.verify.not_endorsed", lang))
        return
    try:
        endorsed_key = open_endorsement(
            note, str(data.get("origin")), base64.b64decode(str(data.get("public_key")))
        )
    except ValueError as exc:
        fail("endorsement_failed", detail=str(exc))
        return
    if endorsed_key != sig.public_key:
        fail("endorsement_failed", detail="the PDF was signed by another key")
        return
    rep.endorsed = True
