"""Assemble a dossier: choose the records, build their proofs, hand both to the renderer.

The renderer (:mod:`evidence_locker.report.render`) never touches the database. This
module takes what it needs through :class:`DossierSource`, a narrow reading interface
that :class:`evidence_locker.Locker` provides, so the report never imports the locker:
the selected records with their history and their deletions; the entries, the leaves
and the signed tree head, read in one transaction (``proof_material``) so they all
describe the same moment; the case a case-filtered dossier is about; and each
attachment's bytes as layout reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from evidence_locker.errors import UsageError
from evidence_locker.ledger.bundle import EntryReveal, build_bundle
from evidence_locker.model import AttachmentInfo, Case, Record, RecordFilter
from evidence_locker.report.trusted_time import embed_stamps

if TYPE_CHECKING:
    from evidence_locker.crypto import KeyRing
    from evidence_locker.errors import LockerError
    from evidence_locker.ledger.anchors import Anchor
    from evidence_locker.ledger.log import DecodedEntry

# "names" covers names read in screenshots; a typed name is a field of its own.
REDACTIONS = ("numbers", "addresses", "ids", "names")
MAX_READ_BYTES = 64 * 1024 * 1024  # an attachment read for the dossier at most


class DossierTimestamps(Protocol):
    """The trusted-time part of a locker (locker/timestamps.py), as a dossier uses it."""

    def before_export(self, on_problem: Callable[[LockerError], None] | None = None) -> None:
        """Stamp the current head with every configured TSA (network; never fails)."""
        ...

    def for_dossier(self, leaves: Sequence[bytes]) -> tuple[list[Anchor], dict[str, list[bytes]]]:
        """The anchors that verify against the tree over ``leaves``, and TSA roots."""
        ...

    def timestamp_document(
        self, pdf: bytes, on_problem: Callable[[LockerError], None] | None = None
    ) -> bytes:
        """The signed PDF with a document time-stamp, when a TSA gives one (network)."""
        ...


class DossierHeads(Protocol):
    """The heads a locker kept (locker/earlier_heads.py), as a dossier uses them."""

    def earlier(self) -> list[tuple[str, int]]:
        """Heads anchored before (time-stamps, earlier dossiers): (signed note, size)."""
        ...

    def record_export(self, note: str, pdf: bytes) -> bool:
        """Keep this dossier's head as an anchor (False when the locker is read-only)."""
        ...


class DossierSource(Protocol):
    """What a dossier reads from a locker (:class:`evidence_locker.Locker` has it all)."""

    @property
    def origin(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    @property
    def keyring(self) -> KeyRing:
        """For the signing key of the endorsement and the dossier's PDF signature."""
        ...

    def records(self, flt: RecordFilter | None = None) -> list[Record]: ...

    def cases(self) -> list[Case]: ...

    def proof_material(
        self, entry_ids: Sequence[str], *, deletions_of: Sequence[str] = ()
    ) -> tuple[dict[str, DecodedEntry], list[bytes], str]:
        """The entries (and the deletion entries of ``deletions_of`` records) opened
        with their salts, every leaf, the signed head: one moment."""
        ...

    def read_attachment(self, info: AttachmentInfo, *, limit: int = ...) -> bytes: ...

    @property
    def heads(self) -> DossierHeads: ...

    @property
    def timestamps(self) -> DossierTimestamps: ...


def export_dossier(
    locker: DossierSource,
    flt: RecordFilter | None,
    *,
    generated_at: datetime,
    tz: tzinfo,
    lang: str = "en",
    title: str | None = None,
    claimant: str | None = None,
    redact: Sequence[str] = (),
    flags: Sequence[dict[str, Any]] = (),
    rule_sets: Sequence[tuple[str, str]] = (),
    rule_caveats: Sequence[str] = (),
    include_deleted: bool = False,
    bates: str | None = None,
    declaration: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    invariant: bool = False,
    trusted_time: bool = True,
    on_problem: Callable[[LockerError], None] | None = None,
) -> bytes:
    """The PDF bytes of a dossier for the records ``flt`` selects (with their history
    and their deletions; a deleted record's content only with ``include_deleted``).

    With ``trusted_time`` and a TSA configured (network): the tree head is stamped
    first, so the dossier's own head carries tokens; the tokens exported entries need
    are embedded (report/trusted_time.py); the signed PDF gets a document time-stamp.
    A TSA that fails does not stop the export: ``on_problem`` hears of it.
    """
    from evidence_locker.crypto.pdfsign import dossier_public_key
    from evidence_locker.report import fields_to_withhold, render_dossier, sign_endorsement
    from evidence_locker.report.render import Extras
    from evidence_locker.report.screenshot_redaction import reading_redactor

    unknown = set(redact) - set(REDACTIONS)
    if unknown:
        raise UsageError(
            "export.bad_redact", value=",".join(sorted(unknown)), choices=",".join(REDACTIONS)
        )
    flt = flt or RecordFilter()
    records = locker.records(replace(flt, all_versions=True, include_deleted=True))
    if not any(not r.deleted for r in records):
        raise UsageError("export.empty")
    deleted = sorted({r.record_id for r in records if r.deleted})
    record_ids = {r.record_id for r in records}
    version_ids = [r.id for r in records]
    attachment_ids = [a.id for r in records if r.is_latest and not r.deleted for a in r.attachments]
    if trusted_time:
        locker.timestamps.before_export(on_problem)
    decoded, leaves, note = locker.proof_material(
        version_ids + attachment_ids, deletions_of=deleted
    )
    stamps, tsa_roots = locker.timestamps.for_dossier(leaves)
    tombstones = [i for i, d in decoded.items() if d.header["kind"] == "tombstone"]
    reveals = []
    for entry_id in version_ids + attachment_ids + tombstones:
        d = decoded[entry_id]
        hidden: frozenset[str] = frozenset()
        if d.header["record_id"] in deleted and d.header["kind"] != "tombstone":
            # a withdrawn record's content is proven by its commitments only, unless asked
            hidden = frozenset() if include_deleted else frozenset(d.fields)
        # attachments too: a file name or caption can hold a number (issue 13, item 8)
        withheld = hidden | fields_to_withhold(d.values(), redact)
        reveals.append(EntryReveal(seq=d.seq, header=d.header, fields=d.fields, redact=withheld))
    bundle = build_bundle(
        origin=locker.origin,
        public_key=locker.public_key,
        checkpoint_note=note,
        leaves=leaves,
        entries=reveals,
        # a consistency proof back to every earlier anchored head (issue 13, item 3)
        anchors=locker.heads.earlier(),
    )
    embed_stamps(bundle, stamps, tsa_roots, leaves, [r.seq for r in reveals])
    seed = locker.keyring.subkey("dossier")
    bundle["dossier_key_note"] = sign_endorsement(
        locker.keyring.signer, locker.origin, dossier_public_key(seed)
    )

    def files(info: AttachmentInfo) -> bytes | None:
        if info.size > MAX_READ_BYTES or info.record_id not in record_ids:
            return None
        return locker.read_attachment(info, limit=MAX_READ_BYTES)

    extras = Extras(
        case=_case(locker, flt.case),
        rule_sets=tuple(rule_sets),
        rule_caveats=tuple(rule_caveats),
        include_deleted=include_deleted,
        bates=bates,
        declaration=declaration,
        selection=selection_text(flt, lang),
    )
    pdf = render_dossier(
        records,
        bundle,
        lang=lang,
        title=title,
        claimant=claimant,
        generated_at=generated_at,
        tz=tz,
        flags=flags,
        images=files,
        image_redactor=reading_redactor(redact) if redact else None,
        redact=frozenset(redact),
        extras=extras,
        signing_seed=seed,
        progress=progress,
        invariant=invariant,
    )
    if trusted_time:
        pdf = locker.timestamps.timestamp_document(pdf, on_problem)
    locker.heads.record_export(note, pdf)  # the file handed out: later dossiers extend its head
    return pdf


def _case(locker: DossierSource, name_or_id: str | None) -> Case | None:
    """The case a case-filtered dossier is about (by name or id, as the filter takes)."""
    if not name_or_id:
        return None
    for case in locker.cases():
        if name_or_id in (case.name, case.id) or case.id.startswith(name_or_id):
            return case
    return None


def selection_text(flt: RecordFilter, lang: str) -> str | None:
    """The filter in words, for the declaration ("case card-1234; since 2025-01-01");
    None when everything is selected."""
    from evidence_locker.locale.messages import t

    parts = []
    if flt.case:
        parts.append(t("report.select.case", lang, value=flt.case))
    if flt.channels:
        names = ", ".join(t(f"report.channel.{c.value}", lang) for c in flt.channels)
        parts.append(t("report.select.channels", lang, value=names))
    for key in ("organisation", "counterpart", "address"):
        value = getattr(flt, key)
        if value:
            parts.append(t(f"report.select.{key}", lang, value=value))
    if flt.since:
        parts.append(t("report.select.since", lang, value=flt.since.date().isoformat()))
    if flt.until:
        parts.append(t("report.select.until", lang, value=flt.until.date().isoformat()))
    return "; ".join(parts) or None
