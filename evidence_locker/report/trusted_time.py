"""Trusted time in the dossier: the time-stamp tokens it carries, the lines that state the
times, the files an expert checks with OpenSSL, and their offline verification.

The proof bundle gets two keys (``docs/dossier.md``):

- ``timestamps``: one item per RFC 3161 token that gives an exported entry its
  earliest trusted time from a TSA: ``{"kind": "rfc3161", "tsa", "checkpoint" (the
  signed note the token covers, as sent), "size", "time" (the token's genTime, for
  display; the verifier reads the token), "token" (base64 DER), "consistency" (RFC 6962
  proof from ``size`` to the dossier's tree head, base64)}``;
- ``tsa_roots``: ``{name: [base64 DER root certificate, ...]}``, the roots the
  owner configured for each TSA, which also judge the PDF document time-stamp.

Those roots come from the dossier itself, so a reader must compare their fingerprints
with the ones each TSA publishes (``verify-dossier`` prints them) or pin them with
``verify-dossier --tsa-root FILE``. Every token also travels as a separate embedded
file beside the checkpoint it covers and the root, so that ``openssl ts -verify``
alone can check it (``docs/dossier.md`` has the commands).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from evidence_locker.ledger import merkle
from evidence_locker.ledger.anchors import Anchor, Cover, cover_of, earliest_covers, ranges
from evidence_locker.ledger.checkpoint import Checkpoint, open_note
from evidence_locker.ledger.stamp_timing import Timing, TimingRun, capped, classify, timing_runs
from evidence_locker.locale.messages import t
from evidence_locker.model import micros, utc_from_micros

if TYPE_CHECKING:
    from evidence_locker.model import Record
    from evidence_locker.report.context import RenderContext
    from evidence_locker.report.pdfa import Associated

BUNDLE_KEY = "timestamps"
ROOTS_KEY = "tsa_roots"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def embed_stamps(
    bundle: dict[str, Any],
    anchors: Sequence[Anchor],
    roots: Mapping[str, Sequence[bytes]],
    leaves: Sequence[bytes],
    seqs: Sequence[int],
) -> None:
    """Put into ``bundle`` the tokens exported entries need, and the TSAs' roots.

    ``anchors`` are verified anchors (``Timestamps.sound_anchors``); ``leaves`` the
    tree the bundle's checkpoint signs; ``seqs`` the exported entries. Per TSA, each
    token that is the earliest to cover one of ``seqs`` goes in, with a consistency
    proof to the dossier's head.
    """
    n = len(leaves)
    chosen: list[Anchor] = []
    for name in sorted({a.destination for a in anchors}):
        mine = [a for a in anchors if a.destination == name and 0 < a.size <= n]
        steps = earliest_covers(mine)
        needed = {c.anchor_id for s in seqs if (c := cover_of(steps, s)) is not None}
        chosen += [a for a in mine if a.id in needed]
    proofs = merkle.consistency_proofs(sorted({a.size for a in chosen}), leaves)
    bundle[BUNDLE_KEY] = [
        {
            "kind": a.kind,
            "tsa": a.destination,
            "checkpoint": a.note,
            "size": a.size,
            "time": utc_from_micros(a.attested_at or 0).isoformat(),
            "token": _b64(a.proof),
            "consistency": [_b64(p) for p in proofs[a.size]],
        }
        for a in chosen
    ]
    bundle[ROOTS_KEY] = {name: [_b64(r) for r in rs] for name, rs in sorted(roots.items()) if rs}


def _step(tsa: str, size: int, time_us: int, index: int) -> Anchor:
    """A token reduced to what the earliest-time steps need (size, time, TSA)."""
    return Anchor("rfc3161", tsa, size, "", b"", time_us, 0, id=index)


def covers_from_bundle(bundle: dict[str, Any]) -> list[Cover]:
    """The earliest-time steps the bundle's tokens give (for the pages; the verifier
    recomputes them from the tokens themselves)."""
    sound = []
    for i, item in enumerate(bundle.get(BUNDLE_KEY) or []):
        try:
            time = micros(datetime.fromisoformat(item["time"]))
            sound.append(_step(str(item["tsa"]), int(item["size"]), time, i))
        except (KeyError, TypeError, ValueError):
            continue
    return earliest_covers(sound)


# -- the pages ------------------------------------------------------------------------


def cover_rows(ctx: RenderContext) -> list[tuple[str, str]]:
    """The cover's "trusted time" row: which entries existed no later than when."""
    covers = ctx.trusted
    if not covers:
        return [(ctx.L("trusted.label"), ctx.L("trusted.none"))]
    lines = [
        ctx.L(
            "trusted.range_one" if first == last else "trusted.range",
            first=first,
            last=last,
            when=ctx.when(utc_from_micros(c.attested_at), seconds=True),
            tsa=c.destination,
        )
        for first, last, c in ranges(covers)
    ]
    return [(ctx.L("trusted.label"), "\n".join(lines))]


def record_row(ctx: RenderContext, rec: Record) -> tuple[str, str]:
    """A record's "existed no later than" row (or "no trusted time")."""
    cover = cover_of(ctx.trusted, rec.seq)
    if cover is None:
        return ctx.L("trusted.label"), ctx.L("trusted.record_none")
    when = utc_from_micros(cover.attested_at)
    gap = when - rec.logged_at
    ahead = classify(micros(rec.logged_at), cover.attested_at) is Timing.CLOCK_AHEAD
    key = "trusted.record_clock_ahead" if ahead else "trusted.record"
    return ctx.L("trusted.label"), ctx.L(
        key, when=ctx.when(when, seconds=True), tsa=cover.destination, gap=span(gap, ctx.lang)
    )


def span(delta: timedelta, lang: str) -> str:
    """A span people read: ``3 d 4 h``, ``2 h 5 min``, ``40 s`` (3 天 4 小时 ...)."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return t("gap.days", lang, d=days, h=hours)
    if hours:
        return t("gap.hours", lang, h=hours, m=minutes)
    if minutes:
        return t("gap.minutes", lang, m=minutes)
    return t("gap.seconds", lang, s=secs)


def expert_files(bundle: dict[str, Any]) -> list[Associated]:
    """Each token, the checkpoint it covers and each TSA's root, as separate embedded
    files, named so that ``openssl ts -verify`` needs nothing else (associated files
    of the dossier, PDF/A-3, with the relationship "Supplement")."""
    from evidence_locker.report.pdfa import Associated

    files = []
    for i, item in enumerate(bundle.get(BUNDLE_KEY) or [], 1):
        stem = f"stamp-{i}-{_safe(item['tsa'], i)}"
        files.append(
            Associated(
                f"{stem}.tst",
                base64.b64decode(item["token"]),
                "application/timestamp-reply",
                f"RFC 3161 time-stamp token ({item['tsa']}) over {stem}-checkpoint.txt",
                "Supplement",
            )
        )
        files.append(
            Associated(
                f"{stem}-checkpoint.txt",
                str(item["checkpoint"]).encode("utf-8"),
                "text/plain",
                f"signed tree head of {item['size']} entries that {stem}.tst covers",
                "Supplement",
            )
        )
    for name, roots in (bundle.get(ROOTS_KEY) or {}).items():
        pem = b"".join(_pem(base64.b64decode(r)) for r in roots)
        files.append(
            Associated(
                f"tsa-root-{_safe(name, 0)}.pem",
                pem,
                "application/x-pem-file",
                f"root certificate(s) configured for the time-stamp authority {name}",
                "Supplement",
            )
        )
    return files


def _safe(name: str, fallback: int) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "", name)
    return cleaned or f"tsa{fallback}"


def _pem(der: bytes) -> bytes:
    from asn1crypto import pem

    return pem.armor("CERTIFICATE", der)


# -- offline verification -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StampFinding:
    """One token in a dossier, as verify-dossier judged it."""

    tsa: str
    size: int
    time: datetime | None
    problem: str | None  # an i18n key, None if sound
    root_subject: str | None = None
    root_sha256: str | None = None


@dataclass
class TrustedTimeReport:
    stamps: list[StampFinding] = field(default_factory=list)
    covers: list[Cover] = field(default_factory=list)
    document: list[StampFinding] = field(default_factory=list)
    pinned: bool = False  # roots were given by the reader, not taken from the dossier
    timing: list[TimingRun] = field(default_factory=list)  # exported entries' logged times

    @property
    def ok(self) -> bool:
        return all(f.problem is None for f in (*self.stamps, *self.document))


def check_trusted_time(
    data: dict[str, Any], pdf: bytes, pinned_roots: Sequence[bytes] = ()
) -> TrustedTimeReport:
    """Check every token of the bundle and every document time-stamp of ``pdf``.

    Roots: ``pinned_roots`` when the reader gave some, else the dossier's
    ``tsa_roots`` (reported as such). Never raises on hostile input.
    """
    from evidence_locker.crypto.tsp_token import check_token, check_token_digest

    report = TrustedTimeReport(pinned=bool(pinned_roots))
    listed = _listed_roots(data)
    try:
        origin = str(data["origin"])
        public_key = base64.b64decode(str(data["public_key"]), validate=True)
        head = open_note(str(data["checkpoint"]), origin, public_key)
    except (KeyError, TypeError, ValueError):
        head = None
    sound = []
    items = data.get(BUNDLE_KEY) or []
    if not isinstance(items, list):  # one finding for the whole key, not one per char
        items = [None]
    for i, item in enumerate(items):
        finding = _check_stamp(item, head, origin if head else "", public_key if head else b"")
        if finding.problem is None:
            roots = list(pinned_roots) or listed.get(str(item.get("tsa")), [])
            token = base64.b64decode(str(item["token"]))
            check = check_token(token, str(item["checkpoint"]).encode("utf-8"), roots)
            finding = _with_check(finding, check)
            if finding.problem is None and check.info is not None:
                if item.get("time") != check.info.gen_time.isoformat():
                    finding = _replace_problem(finding, "report.trusted.time_mismatch")
                else:
                    time = micros(check.info.gen_time)
                    sound.append(_step(finding.tsa, finding.size, time, i))
        report.stamps.append(finding)
    report.covers = earliest_covers(sound)
    report.timing = timing_runs(_logged_times(data), report.covers)
    try:
        from evidence_locker.crypto.pdf_timestamp import document_timestamps

        docs = document_timestamps(pdf)
    except ValueError:
        report.document.append(StampFinding("?", 0, None, "tsa.token.malformed"))
        return report
    all_roots = list(pinned_roots) or [r for rs in listed.values() for r in rs]
    for k, doc in enumerate(docs):
        check = check_token_digest(doc.token, doc.digest, all_roots)
        finding = _with_check(StampFinding(_tsa_of(check, listed), 0, None, None), check)
        if k == len(docs) - 1 and not doc.whole_file:
            finding = _replace_problem(finding, "report.trusted.doc_not_whole")
        report.document.append(finding)
    return report


def trusted_lines(
    report: TrustedTimeReport | None, say: Callable[..., str], lang: str = "en"
) -> list[str]:
    """verify-dossier's lines on trusted time (``say(key, **params)`` translates)."""
    if report is None:
        return []
    sound = [f for f in report.stamps if f.problem is None]
    roots = {f.tsa: f.root_sha256 for f in sound}
    lines = []
    for first, last, cover in ranges(report.covers):
        lines.append(
            say(
                "trusted_range_one" if first == last else "trusted_range",
                first=first,
                last=last,
                time=utc_from_micros(cover.attested_at).strftime("%Y-%m-%d %H:%M:%S"),
                tsa=cover.destination,
                root=_grouped(roots.get(cover.destination)),
            )
        )
    for doc in report.document:
        if doc.problem is None and doc.time is not None:
            lines.append(
                say(
                    "trusted_doc",
                    time=doc.time.strftime("%Y-%m-%d %H:%M:%S"),
                    tsa=doc.tsa,
                    root=_grouped(doc.root_sha256),
                )
            )
    if not lines:
        return [say("trusted_none")]
    lines.append(say("trusted_pinned" if report.pinned else "trusted_listed"))
    return lines + _timing_lines(report.timing, say, lang)


TIMING_LINES = 5  # per kind; verify-dossier --json lists every run


def _timing_lines(runs: Sequence[TimingRun], say: Callable[..., str], lang: str) -> list[str]:
    """Exported entries whose logged time stands out against their trusted time
    (ledger/stamp_timing.py), a few per kind, then how many more."""
    shown, left_out = capped(runs, TIMING_LINES)
    lines = []
    for run in shown:
        key = f"timing_{run.timing.value}" + ("_one" if run.first == run.last else "")
        gap = span(timedelta(microseconds=run.worst_us), lang)
        lines.append(say(key, first=run.first, last=run.last, gap=gap))
    lines += [say(f"timing_{kind.value}_more", n=n) for kind, n in left_out.items()]
    return lines


def _logged_times(data: dict[str, Any]) -> list[tuple[int, int]]:
    """``(seq, logged_at)`` of the exported entries, in seq order, from their headers
    (which their inclusion proofs bind); anything malformed is left out."""
    out = set()
    entries = data.get("entries")
    for e in entries if isinstance(entries, list) else []:
        header = e.get("header") if isinstance(e, dict) else None
        if isinstance(header, dict):
            seq, logged = header.get("seq"), header.get("logged_at")
            if type(seq) is int and type(logged) is int and seq >= 0:
                out.add((seq, logged))
    return sorted(out)


def _grouped(hexdigest: str | None) -> str:
    if not hexdigest:
        return "?"
    return " ".join(hexdigest[i : i + 4] for i in range(0, len(hexdigest), 4))


def _listed_roots(data: dict[str, Any]) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    raw = data.get(ROOTS_KEY)
    if not isinstance(raw, dict):
        return out
    for name, roots in raw.items():
        try:
            out[str(name)] = [base64.b64decode(str(r), validate=True) for r in roots]
        except (TypeError, ValueError):
            continue
    return out


def _check_stamp(
    item: Any, head: Checkpoint | None, origin: str, public_key: bytes
) -> StampFinding:
    """The checkpoint a token covers: signed by the locker key, and a prefix of the
    dossier's tree head (consistency proof)."""
    if not isinstance(item, dict):
        return StampFinding("?", 0, None, "tsa.token.malformed")
    tsa, size = str(item.get("tsa")), item.get("size")
    if head is None or not isinstance(size, int):
        return StampFinding(tsa, 0, None, "tsa.token.malformed")
    try:
        stamped = open_note(str(item["checkpoint"]), origin, public_key)
        proof = [base64.b64decode(p, validate=True) for p in item.get("consistency") or []]
        base64.b64decode(str(item["token"]), validate=True)
    except (KeyError, TypeError, ValueError):
        return StampFinding(tsa, size, None, "stamp.note_signature")
    if stamped.size != size or not merkle.verify_consistency(
        size, head.size, stamped.root, head.root, proof
    ):
        return StampFinding(tsa, size, None, "report.trusted.inconsistent")
    return StampFinding(tsa, size, None, None)


def _with_check(finding: StampFinding, check: Any) -> StampFinding:
    return StampFinding(
        finding.tsa,
        finding.size,
        check.info.gen_time if check.info is not None else None,
        finding.problem or check.problem,
        check.root_subject,
        check.root_sha256,
    )


def _replace_problem(finding: StampFinding, problem: str) -> StampFinding:
    return StampFinding(
        finding.tsa, finding.size, finding.time, problem, finding.root_subject, finding.root_sha256
    )


def _tsa_of(check: Any, listed: dict[str, list[bytes]]) -> str:
    """The configured name whose root judged a document time-stamp, if any."""
    import hashlib

    for name, roots in listed.items():
        if any(hashlib.sha256(r).hexdigest() == check.root_sha256 for r in roots):
            return name
    return check.info.signer if check.info is not None else "?"
