"""Assemble a dossier: choose the records, build their proofs, hand both to the renderer.

The renderer (:mod:`evidence_locker.report`) never touches the database; this module
reads the locker once, under one read transaction, so the records, the leaves and the
signed tree head all describe the same moment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import UsageError
from evidence_locker.ledger.bundle import EntryReveal, build_bundle
from evidence_locker.model import AttachmentInfo, RecordFilter
from evidence_locker.report.trusted_time import embed_stamps

if TYPE_CHECKING:
    from evidence_locker.locker import Locker

REDACTIONS = ("numbers", "addresses", "ids")
MAX_IMAGE_BYTES = 20 * 1024 * 1024


def export_dossier(
    locker: Locker,
    flt: RecordFilter,
    *,
    generated_at: datetime,
    tz: tzinfo,
    lang: str = "en",
    title: str | None = None,
    claimant: str | None = None,
    redact: Sequence[str] = (),
    flags: Sequence[dict[str, Any]] = (),
    progress: Callable[[int, int], None] | None = None,
    invariant: bool = False,
) -> bytes:
    """The PDF bytes of a dossier for the records ``flt`` selects (with their history)."""
    from evidence_locker.crypto.pdfsign import dossier_public_key
    from evidence_locker.report import fields_to_withhold, render_dossier, sign_endorsement

    unknown = set(redact) - set(REDACTIONS)
    if unknown:
        raise UsageError(
            "export.bad_redact", value=",".join(sorted(unknown)), choices=",".join(REDACTIONS)
        )
    records = locker.records(replace(flt, all_versions=True))
    if not records:
        raise UsageError("export.empty")
    with locker.engine.connect() as conn:
        record_ids = {r.record_id for r in records}
        version_ids = [r.id for r in records]
        attachment_ids = [a.id for r in records if r.is_latest for a in r.attachments]
        decoded = locker._decode_ids(conn, version_ids + attachment_ids)
        leaves = locker.ledger.leaves(conn)  # same read transaction: same tree as the note
        note = locker.ledger.head_note(conn)
        stamps, tsa_roots = locker.timestamps.for_dossier(conn, leaves)
    reveals = []
    for entry_id in version_ids + attachment_ids:
        d = decoded[entry_id]
        # attachments too: a file name or caption can hold a number (issue 13, item 8)
        withheld = fields_to_withhold(d.values(), redact)
        reveals.append(EntryReveal(seq=d.seq, header=d.header, fields=d.fields, redact=withheld))
    bundle = build_bundle(
        origin=locker.origin,
        public_key=locker.public_key,
        checkpoint_note=note,
        leaves=leaves,
        entries=reveals,
    )
    embed_stamps(bundle, stamps, tsa_roots, leaves, [r.seq for r in reveals])
    seed = locker.keyring.subkey("dossier")
    bundle["dossier_key_note"] = sign_endorsement(
        locker.keyring.signer, locker.origin, dossier_public_key(seed)
    )

    def images(info: AttachmentInfo) -> bytes | None:
        if not (info.mime or "").startswith("image/") or info.size > MAX_IMAGE_BYTES:
            return None
        if info.record_id not in record_ids:
            return None
        return locker.read_attachment(info)

    return render_dossier(
        records,
        bundle,
        lang=lang,
        title=title,
        claimant=claimant,
        generated_at=generated_at,
        tz=tz,
        flags=flags,
        images=images,
        redact=frozenset(redact),
        signing_seed=seed,
        progress=progress,
        invariant=invariant,
    )
