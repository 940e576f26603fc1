"""E-numbers: a letter cites records by the numbers the dossier gives them.

Without a dossier the numbers come from the dossier's own numbering function over the
same selection, so ``export pdf`` with the same options prints the same E-numbers.
With one (``--dossier FILE``) they are read from that dossier's manifest, after the
dossier has been verified offline and shown to come from this locker: a letter never
names an annex it has not checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from evidence_locker.errors import IntegrityError
from evidence_locker.model import Record


@dataclass(frozen=True, slots=True)
class DossierRef:
    """A verified dossier: its id, the locker key fingerprint its cover prints, and the
    E-number of each record it holds (record id -> number)."""

    id: str
    fingerprint: str
    file_name: str
    numbers: dict[str, str]


def exhibit_numbers(versions: Sequence[Record]) -> dict[str, str]:
    """record id -> E-number, as the dossier numbers these record versions."""
    from evidence_locker.report.context import group_contacts

    grouped = group_contacts(versions)
    # the dossier rework returns (shown, withdrawn); only shown records get an E-number
    shown = grouped[0] if isinstance(grouped, tuple) else grouped
    return {c.latest.record_id: c.no for c in shown}


def open_dossier(pdf: bytes, *, file_name: str, public_key: bytes, lang: str) -> DossierRef:
    """Verify ``pdf`` offline (``verify-dossier``) and check it was made from the locker
    whose signing key is ``public_key``. IntegrityError names the file otherwise."""
    from evidence_locker.report import verify_dossier
    from evidence_locker.report.manifest import MANIFEST_KEY, read_manifest
    from evidence_locker.report.pdfio import PROOFS_NAME, read_attachment

    ours = hashlib.sha256(public_key).hexdigest()
    report = verify_dossier(pdf, lang=lang, expect_key=ours)
    if report.key_matches_expected is False:
        raise IntegrityError("letters.dossier_other_locker", path=file_name)
    if not report.ok or not report.dossier_id or not report.fingerprint:
        detail = next(iter(report.messages), "")
        raise IntegrityError("letters.dossier_bad", path=file_name, detail=detail)
    try:
        raw = read_attachment(pdf, PROOFS_NAME)
        manifest = read_manifest(json.loads(raw or b"null").get(MANIFEST_KEY))
    except (ValueError, AttributeError) as exc:  # verified above: only a format change
        raise IntegrityError("letters.dossier_bad", path=file_name, detail=str(exc)) from None
    numbers = {r.record_id: r.no for r in manifest.records}
    return DossierRef(report.dossier_id, report.fingerprint, file_name, numbers)
