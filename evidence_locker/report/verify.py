"""Offline verification of a dossier PDF: no locker, no passphrase, only the file.

Checks, in order: the whole-file PAdES signature is intact and covers every byte;
the proof bundle is attached; its tree head signature and every entry's inclusion
proof hold (``verify_bundle``); every record the dossier lists has an entry and no
entry is unlisted; the dossier signing key is endorsed by the ledger key (a missing
endorsement fails: anyone can sign a PDF); the pages show what the proofs prove
(:mod:`evidence_locker.report.binding`); the cover shows the fingerprints that were
checked; and, when the caller gives one, the ledger key is the expected one.

Without an expected key a dossier can only be shown to be self-consistent: the
report says so, and which fingerprint to compare with one the claimant gave
separately. Messages name the record (exhibit number and record id) wherever one is
concerned.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evidence_locker.crypto.pdfsign import PdfSignatureCheck, check_pdf_signature
from evidence_locker.ledger.bundle import verify_bundle
from evidence_locker.ledger.checkpoint import fingerprint
from evidence_locker.locale.messages import t
from evidence_locker.report.additions import describe_additions
from evidence_locker.report.binding import check_pages
from evidence_locker.report.endorse import open_endorsement
from evidence_locker.report.fieldtext import comparable
from evidence_locker.report.manifest import MANIFEST_KEY, Manifest, read_manifest
from evidence_locker.report.pagetext import PageText
from evidence_locker.report.pdfio import PROOFS_NAME, read_attachment, read_attachments
from evidence_locker.report.trusted_time import (
    StampFinding,
    TrustedTimeReport,
    check_trusted_time,
    trusted_lines,
)
from evidence_locker.report.updates import later_update_problem

_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass
class DossierReport:
    """What ``verify_dossier`` found. ``ok`` only when every check passed."""

    ok: bool = False
    messages: list[str] = field(default_factory=list)
    tree_size: int | None = None
    fingerprint: str | None = None  # ledger key, as the cover prints it
    dossier_key_fingerprint: str | None = None
    dossier_id: str | None = None
    format_version: int | None = None
    records_verified: int = 0
    failed_records: list[str] = field(default_factory=list)  # record ids
    signed: bool = False
    endorsed: bool = False
    key_matches_expected: bool | None = None  # None: no key was expected
    originals_verified: int = 0  # exhibits' attached originals whose hash matched
    later_additions: list[str] = field(default_factory=list)  # after signing, unsigned
    trusted: TrustedTimeReport | None = None  # the time-stamps (report/trusted_time.py)


def parse_fingerprint(text: str) -> str:
    """A key fingerprint as people copy it (any case, spaces, colons or dashes; the
    32 hex digits the dossier prints or the full 64): lowercase hex, or ValueError."""
    digits = re.sub(r"[\s:\-]", "", text).lower()
    if len(digits) not in (32, 64) or not _HEX.match(digits):
        raise ValueError("a key fingerprint is 32 or 64 hexadecimal digits")
    return digits


def verify_dossier(
    pdf: bytes,
    *,
    lang: str = "en",
    expect_key: str | None = None,
    tsa_roots: Sequence[bytes] = (),
) -> DossierReport:
    """Verify a dossier from its bytes alone. Never raises on hostile input.

    ``expect_key`` is the locker key fingerprint the claimant gave separately
    (:func:`parse_fingerprint` form); ValueError if it is not one. ``tsa_roots``
    (DER) are the time-stamp authorities' roots the reader trusts; without them the
    roots the dossier lists judge its tokens, and the report says so.
    """
    expected = parse_fingerprint(expect_key) if expect_key is not None else None
    verifier = _Verifier(pdf, lang, expected)
    verifier.tsa_roots = list(tsa_roots)
    return verifier.run()


class _Verifier:
    def __init__(self, pdf: bytes, lang: str, expected: str | None) -> None:
        self.pdf = pdf
        self.whole = pdf  # with any later updates (document time-stamps are among them)
        self.lang = lang
        self.expected = expected
        self.rep = DossierReport()
        self.failed = False
        self.tsa_roots: list[bytes] = []

    def fail(self, key: str, **params: object) -> None:
        self.failed = True
        self.rep.messages.append(self.say(key, **params))

    def run(self) -> DossierReport:
        rep = self.rep
        sig = check_pdf_signature(self.pdf, later_update_problem)
        self._signature(sig)
        if sig.ok and sig.signed_end is not None and sig.signed_end < len(self.pdf):
            self._additions(sig.signed_end)
            self.pdf = self.pdf[: sig.signed_end]  # everything below reads the signed file
        data = self._bundle()
        if data is None:
            return self._finish()
        try:
            manifest: Manifest | None = read_manifest(data.get(MANIFEST_KEY))
        except ValueError as exc:
            manifest = None
            self.fail("bundle_failed", detail=str(exc))
        if manifest is not None:
            rep.dossier_id = manifest.id
            rep.format_version = manifest.version
        self._proofs(data, manifest)
        self._endorsement(data, sig)
        self._trusted_time(data)
        if manifest is not None and sig.ok:
            self._pages(data, manifest)
            self._originals(data, manifest)
        if self.expected is not None and rep.fingerprint is not None:
            full = hashlib.sha256(base64.b64decode(str(data.get("public_key")))).hexdigest()
            rep.key_matches_expected = full.startswith(self.expected)
            if not rep.key_matches_expected:
                grouped = " ".join(
                    self.expected[i : i + 4] for i in range(0, len(self.expected), 4)
                )
                self.fail("key_mismatch", fingerprint=rep.fingerprint, expected=grouped)
        return self._finish()

    def _additions(self, signed_end: int) -> None:
        """Name what later updates added (a court's stamp...); none of it is signed."""
        try:
            found = describe_additions(self.pdf, signed_end)
        except Exception as exc:  # a hostile update pypdf cannot read
            self.fail("pages_unreadable", detail=type(exc).__name__)
            return
        self.rep.later_additions = [self.say(key, **params) for key, params in found]

    def _signature(self, sig: PdfSignatureCheck) -> None:
        if sig.public_key is not None:
            self.rep.dossier_key_fingerprint = fingerprint(sig.public_key)
        if sig.ok:
            self.rep.signed = True
        elif sig.problem and sig.problem.startswith("0 signatures"):
            self.fail("unsigned")
        else:
            self.fail("signature_failed", detail=sig.problem)

    def _bundle(self) -> dict[str, Any] | None:
        try:
            raw = read_attachment(self.pdf, PROOFS_NAME)
        except Exception:
            raw = None
        if raw is None:
            self.fail("no_bundle")
            return None
        try:
            loaded = json.loads(raw)
        except ValueError:
            loaded = None
        if not isinstance(loaded, dict):
            self.fail("bad_bundle")
            return None
        return loaded

    def _proofs(self, data: dict[str, Any], manifest: Manifest | None) -> None:
        rep = self.rep
        no_by_version: dict[str, tuple[str, str]] = {}
        for item in [*manifest.records, *manifest.withdrawn] if manifest else ():
            for vid in item.versions:
                no_by_version[vid] = (item.no, item.record_id)
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
                self.fail("bundle_failed", detail=detail)
                continue
            name = _name(rid, data, seq, no_by_version)
            self.fail("record_failed", record=name, seq=seq, detail=detail)
            if rid:
                rep.failed_records.append(str(rid))
        present = {
            str((e.get("header") or {}).get("id"))
            for e in data.get("entries") or []
            if isinstance(e, dict) and isinstance(e.get("header"), dict)
        }
        for vid, (no, rid) in no_by_version.items():
            if vid not in present:
                self.fail(
                    "record_failed",
                    record=f"{no} ({rid})",
                    seq="?",
                    detail="listed in the dossier but has no proof",
                )
                rep.failed_records.append(rid)
        if no_by_version:
            listed_records = {rid for _, rid in no_by_version.values()}
            # an attachment's entry (its file's SHA-256) or a deletion entry belongs to
            # a listed record
            belongs = {
                str(e["header"].get("id"))
                for e in data.get("entries") or []
                if isinstance(e, dict)
                and isinstance(e.get("header"), dict)
                and e["header"].get("kind") in ("attachment", "tombstone")
                and str(e["header"].get("record_id")) in listed_records
            }
            for vid in sorted(present - set(no_by_version) - belongs):
                self.fail("bundle_failed", detail=f"entry {vid} is not listed in the dossier")

    def _trusted_time(self, data: dict[str, Any]) -> None:
        """Every time-stamp token and document time-stamp (report/trusted_time.py)."""
        report = check_trusted_time(data, self.whole, self.tsa_roots)
        self.rep.trusted = report
        for f in (*report.stamps, *report.document):
            if f.problem is not None:
                self.fail("trusted_failed", tsa=f.tsa, size=f.size, problem=self.problem(f))

    def problem(self, finding: StampFinding) -> str:
        return t(finding.problem or "", self.lang, source=finding.tsa, size=finding.size, id="-")

    def _endorsement(self, data: dict[str, Any], sig: PdfSignatureCheck) -> None:
        if not sig.ok:
            return
        note = data.get("dossier_key_note")
        if not note:
            self.fail("not_endorsed")
            return
        try:
            endorsed_key = open_endorsement(
                note, str(data.get("origin")), base64.b64decode(str(data.get("public_key")))
            )
        except ValueError as exc:
            self.fail("endorsement_failed", detail=str(exc))
            return
        if endorsed_key != sig.public_key:
            self.fail("endorsement_failed", detail="the PDF was signed by another key")
            return
        self.rep.endorsed = True

    def _pages(self, data: dict[str, Any], manifest: Manifest) -> None:
        """The signed pages against the proofs, and the cover against the keys."""
        try:
            with PageText(self.pdf) as pages:
                entries = {
                    str(e["header"].get("id")): e
                    for e in data.get("entries") or []
                    if isinstance(e, dict) and isinstance(e.get("header"), dict)
                }
                problems = check_pages(pages, entries, manifest)
                cover = pages.body(1) if len(pages) else ""
        except Exception as exc:  # a hostile page that cannot be read
            self.fail("pages_unreadable", detail=type(exc).__name__)
            return
        for p in problems:
            self.fail(p.key, record=f"{p.no} ({p.record_id})" if p.record_id else p.no, **p.params)
            if p.record_id:
                self.rep.failed_records.append(p.record_id)
        shown = {"cover_key": self.rep.fingerprint, "cover_dossier_key": None}
        if self.rep.endorsed:
            shown["cover_dossier_key"] = self.rep.dossier_key_fingerprint
        for key, fp in shown.items():
            if fp and comparable(fp) not in cover:
                self.fail(key, fingerprint=fp)

    def _originals(self, data: dict[str, Any], manifest: Manifest) -> None:
        """Each exhibit's attached original must hash to the SHA-256 its proven
        attachment entry commits to."""
        proven = {
            str(e["header"].get("id")): (e.get("revealed") or {}).get("sha256", {}).get("value")
            for e in data.get("entries") or []
            if isinstance(e, dict)
            and isinstance(e.get("header"), dict)
            and e["header"].get("kind") == "attachment"
            and isinstance(e.get("revealed"), dict)
        }
        try:
            attached = read_attachments(self.pdf) if manifest.exhibits else {}
        except Exception:
            attached = {}
        for x in manifest.exhibits:
            no, name = str(x.get("no")), str(x.get("name"))
            want = proven.get(str(x.get("attachment")))
            got = attached.get(name)
            if got is None or want is None or hashlib.sha256(got).hexdigest() != want:
                self.fail("original_failed", no=no, name=name)
            else:
                self.rep.originals_verified += 1

    def _finish(self) -> DossierReport:
        rep = self.rep
        rep.ok = not self.failed and rep.tree_size is not None and rep.signed and rep.endorsed
        if rep.ok:
            lines = [
                self.say(
                    "ok",
                    count=rep.records_verified,
                    size=rep.tree_size,
                    fingerprint=rep.fingerprint,
                )
            ]
            if rep.later_additions:
                lines.append(self.say("intact_with_additions"))
                lines += [f"  - {a}" for a in rep.later_additions]
            if rep.format_version == 1:
                lines.append(self.say("format1"))
            if rep.key_matches_expected:
                lines.append(self.say("key_matches", fingerprint=rep.fingerprint))
            else:
                lines.append(self.say("self_consistent", fingerprint=rep.fingerprint))
            lines += trusted_lines(rep.trusted, self.say, self.lang)
            rep.messages[:0] = lines
        return rep

    def say(self, key: str, **params: object) -> str:
        return t(f"report.verify.{key}", self.lang, **params)


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
