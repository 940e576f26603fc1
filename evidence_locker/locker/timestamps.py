"""Trusted time: the locker's part that asks time-stamp authorities and checks their word.

``stamp`` sends the current signed tree head (its SHA-256, never the records) to
every configured TSA and stores each token as an anchor (``ledger/anchors.py``).
The network is touched here only: by ``stamp``, by the dossier export when a TSA
is configured, and by :meth:`Timestamps.auto_stamp`, which the locker runs when it
closes after writing, for TSAs added with ``auto`` (short timeout, silent when
offline: the entries logged since the last stamp are the queue, and the next stamp
that succeeds covers them).

``verify`` checks every anchor in full: the checkpoint's signature, the token
(imprint, signature, certificate path to the configured root), and that the
stamped head is a prefix of today's ledger (a consistency proof; a head larger than
the ledger means it was rolled back). Reading commands show each record's "existed
no later than" from anchors whose receipt MAC holds and whose root matches the
stored tree, without re-verifying every token.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import IntegrityError, LockerError, UsageError
from evidence_locker.ledger import anchors as anchor_store
from evidence_locker.ledger.anchors import EXPORTED, Anchor, Cover
from evidence_locker.ledger.checkpoint import Checkpoint, open_note
from evidence_locker.ledger.consistency import HeadCheck, HeadStatus, check_heads
from evidence_locker.ledger.stamp_timing import TimingRun, timing_runs
from evidence_locker.locker import tsa_settings
from evidence_locker.locker.tsa_settings import TsaConfig
from evidence_locker.model import micros, utc_from_micros
from evidence_locker.store import database as db

if TYPE_CHECKING:
    from evidence_locker.crypto.tsp_token import TokenCheck
    from evidence_locker.locker.session import Session
    from evidence_locker.store.database import DbConn

STAMP_TIMEOUT_S = 10.0
AUTO_TIMEOUT_S = 3.0  # auto-stamping runs as a command ends: never keep the user long


@dataclass(frozen=True, slots=True)
class StampResult:
    """What one TSA did with one ``stamp``: a stored anchor, nothing new, or an error."""

    name: str
    anchor: Anchor | None = None
    error: LockerError | None = None
    up_to_date: bool = False


@dataclass(frozen=True, slots=True)
class TsaStatus:
    """A configured TSA as ``tsa list`` shows it."""

    config: TsaConfig
    roots: list[tuple[str, str, datetime, datetime]]  # subject, SHA-256, not before/after
    stamps: int
    last: Anchor | None
    unstamped: int  # entries logged since its last stamp (the auto-stamp queue)


@dataclass(frozen=True, slots=True)
class StampVerdict:
    """``verify``'s finding on one anchor. ``problem`` is an i18n key, None if sound."""

    anchor: Anchor
    problem: str | None
    params: dict[str, Any] = field(default_factory=dict)
    check: TokenCheck | None = None
    head: HeadCheck | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class StampsReport:
    """Every anchor's verdict, the trusted times they establish, and the ledger size."""

    size: int
    timing: list[TimingRun] = field(default_factory=list)  # logged vs trusted time
    verdicts: list[StampVerdict] = field(default_factory=list)
    covers: list[Cover] = field(default_factory=list)
    settings_problem: str | None = None
    # heads exported in dossiers (anchor kind "dossier"): consistency only, no token
    exports: list[StampVerdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        exports_ok = all(v.ok for v in self.exports)
        return self.settings_problem is None and all(v.ok for v in self.verdicts) and exports_ok

    def ranges(self) -> list[tuple[int, int, Cover]]:
        """``(first, last, cover)`` with 1-based entry numbers, as verify prints them."""
        return anchor_store.ranges(self.covers)


class Timestamps:
    """The trusted-time part of one open locker."""

    def __init__(self, session: Session):
        self._session = session
        self._auto: bool | None = None  # whether any active TSA has auto (cached)
        self._stamping = False

    # -- settings ------------------------------------------------------------------------

    def _settings(self, conn: DbConn) -> list[TsaConfig]:
        return tsa_settings.load(conn, self._session.keyring, self._session.origin)

    def add(self, name: str, url: str, root_pem: bytes, *, auto: bool = False) -> TsaConfig:
        """Configure a TSA: its name, URL and the root(s) its tokens must chain to.

        A root that has expired is refused here: every token under it would be
        reported untrusted, so storing it would only postpone the message."""
        from evidence_locker.crypto.tsp_token import certificate_summary, load_roots

        roots = load_roots(root_pem)
        now = utc_from_micros(self._session.now_us())
        summaries = [certificate_summary(r) for r in roots]
        if all(not_after < now for _s, _h, _b, not_after in summaries):
            subject, _sha, _before, not_after = summaries[0]
            raise UsageError("tsa.root_expired", subject=subject, date=f"{not_after:%Y-%m-%d}")
        new = TsaConfig(
            name=name,
            url=url,
            roots=tuple(roots),
            auto=auto,
            added_at=self._session.now_us(),
        )
        with self._session.write() as conn:
            tsas = tsa_settings.with_added(self._settings(conn), new)
            tsa_settings.save(conn, tsas, self._session.keyring, self._session.origin)
        self._auto = None
        return new

    def remove(self, name: str) -> None:
        """Stop asking ``name``; its stamps stay and keep verifying under its roots."""
        with self._session.write() as conn:
            tsas = tsa_settings.with_removed(self._settings(conn), name, self._session.now_us())
            tsa_settings.save(conn, tsas, self._session.keyring, self._session.origin)
        self._auto = None

    def status(self) -> list[TsaStatus]:
        """The active TSAs with their roots, stamps and unstamped entries."""
        from evidence_locker.crypto.tsp_token import certificate_summary

        with self._session.read() as conn:
            tsas = self._settings(conn)
            anchors = anchor_store.read_all(conn)
            size = _ledger_size(conn)
        out = []
        for t in tsas:
            if not t.active:
                continue
            mine = [a for a in anchors if a.destination == t.name and a.kind != EXPORTED]
            last = max(mine, key=lambda a: a.size, default=None)
            out.append(
                TsaStatus(
                    config=t,
                    roots=[certificate_summary(r) for r in t.roots],
                    stamps=len(mine),
                    last=last,
                    unstamped=size - (last.size if last else 0),
                )
            )
        return out

    # -- stamping ------------------------------------------------------------------------

    def stamp(
        self,
        names: Sequence[str] | None = None,
        *,
        timeout: float = STAMP_TIMEOUT_S,
        only_auto: bool = False,
    ) -> list[StampResult]:
        """Time-stamp the current signed tree head with each active TSA (or ``names``).

        Each TSA succeeds or fails on its own; a failure stores nothing. A TSA that
        already stamped a head of this size is left alone (``up_to_date``).
        """
        locker = self._session
        with locker.read() as conn:
            tsas = self._settings(conn)
            note = locker.ledger.head_note(conn)
            anchors = anchor_store.read_all(conn)
        try:
            head = open_note(note, locker.origin, locker.keyring.signer.public_key)
        except ValueError:
            raise IntegrityError("verify.head_signature") from None
        chosen = [
            t
            for t in tsas
            if t.active and (names is None or t.name in names) and (t.auto or not only_auto)
        ]
        unknown = set(names or ()) - {t.name for t in chosen}
        if unknown:
            raise UsageError("tsa.unknown", name=sorted(unknown)[0], hint="hint.tsa_list")
        if not chosen:
            raise UsageError("tsa.none", hint="hint.tsa_add")
        if head.size == 0:
            raise UsageError("stamp.empty")
        results = []
        for t in chosen:
            if any(
                a.destination == t.name and a.kind != EXPORTED and a.size >= head.size
                for a in anchors
            ):
                results.append(StampResult(t.name, up_to_date=True))
                continue
            try:
                results.append(StampResult(t.name, anchor=self._stamp_one(t, head, note, timeout)))
            except LockerError as exc:
                results.append(StampResult(t.name, error=exc))
        return results

    def _stamp_one(self, tsa: TsaConfig, head: Checkpoint, note: str, timeout: float) -> Anchor:
        from evidence_locker.crypto.tsp_client import request_token

        token, check = request_token(tsa.url, note.encode("utf-8"), tsa.roots, timeout=timeout)
        assert check.info is not None  # a trusted check always read the token
        anchor = Anchor(
            kind=anchor_store.RFC3161,
            destination=tsa.name,
            size=head.size,
            note=note,
            proof=token,
            attested_at=micros(check.info.gen_time),
            created_at=self._session.now_us(),
        )
        self._stamping = True
        try:
            with self._session.write() as conn:
                # a write may have come in meanwhile; the stamped head must still be
                # this ledger's prefix, or the token would attest a history it lacks
                root = db.value(conn, "SELECT root FROM entry WHERE seq = ?", (head.size - 1,))
                if root is None or bytes(root) != head.root:
                    raise IntegrityError("stamp.head_moved")
                return anchor_store.store(conn, anchor, self._session.keyring, self._session.origin)
        finally:
            self._stamping = False

    def auto_stamp(self) -> list[StampResult]:
        """Stamp with the ``auto`` TSAs, briefly, never failing: offline, the entries
        wait for the next stamp that succeeds. Returns what happened (for logs)."""
        if self._stamping or not self.has_auto():
            return []
        try:
            return self.stamp(only_auto=True, timeout=AUTO_TIMEOUT_S)
        except LockerError:
            return []

    def has_auto(self) -> bool:
        """Whether any active TSA stamps automatically (read once, then cached)."""
        if self._auto is None:
            try:
                with self._session.read() as conn:
                    self._auto = any(t.active and t.auto for t in self._settings(conn))
            except LockerError:
                self._auto = False
        return self._auto

    # -- reading and verifying -------------------------------------------------------------

    def covers(self, conn: DbConn) -> list[Cover]:
        """The earliest trusted time of every stamped entry, as steps (see
        ``anchors.earliest_covers``), from anchors this locker stored (receipt MAC)
        whose head root is the stored root at that size. [] when never stamped."""
        found = anchor_store.read_all(conn)
        if not found:
            return []
        keyring, origin = self._session.keyring, self._session.origin
        sound = []
        for a in found:
            if not anchor_store.receipt_holds(a, keyring, origin):
                continue
            try:
                head = Checkpoint.parse_body(a.note.partition("\n\n")[0] + "\n")
            except ValueError:
                continue
            root = db.value(conn, "SELECT root FROM entry WHERE seq = ?", (a.size - 1,))
            if root is not None and bytes(root) == head.root:
                sound.append(a)
        return anchor_store.earliest_covers(sound)

    def for_dossier(self, leaves: Sequence[bytes]) -> tuple[list[Anchor], dict[str, list[bytes]]]:
        """What a dossier embeds: the anchors that verify in full against the tree
        over ``leaves``, and the roots of every TSA they or the active settings name.

        A stamp made after ``leaves`` were read covers more entries and fails the
        consistency check against them, so it stays out: all describe one tree."""
        with self._session.read() as conn:
            report = self.verify(conn, leaves)
            sound = [v.anchor for v in report.verdicts if v.ok]
            try:
                tsas = self._settings(conn)
            except IntegrityError:
                return sound, {}
        names = {a.destination for a in sound} | {t.name for t in tsas if t.active}
        return sound, {n: tsa_settings.roots_for(tsas, n) for n in sorted(names)}

    def _active(self, on_problem: Callable[[LockerError], None] | None) -> list[TsaConfig]:
        """The active TSAs; none (reported to ``on_problem``) if the settings fail
        their check: an export goes on without trusted time rather than not at all."""
        try:
            with self._session.read() as conn:
                return [t for t in self._settings(conn) if t.active]
        except IntegrityError as exc:
            if on_problem is not None:
                on_problem(exc)
            return []

    def before_export(self, on_problem: Callable[[LockerError], None] | None = None) -> None:
        """Stamp the current head with every active TSA before a dossier is built,
        so the head it carries has its own tokens. Never fails: a TSA that does not
        answer (or a read-only locker that cannot store) is reported to
        ``on_problem``."""
        if not self._active(on_problem):
            return
        try:
            results = self.stamp()
        except LockerError as exc:
            results = [StampResult("-", error=exc)]
        for r in results:
            if r.error is not None and on_problem is not None:
                on_problem(r.error)

    def timestamp_document(
        self, pdf: bytes, on_problem: Callable[[LockerError], None] | None = None
    ) -> bytes:
        """``pdf`` with a PAdES document time-stamp from the first active TSA that
        gives one (network), or unchanged when none is configured or none answers."""
        from evidence_locker.crypto.pdf_timestamp import add_document_timestamp

        for t in self._active(on_problem):
            try:
                return add_document_timestamp(pdf, t.url, t.roots, timeout=STAMP_TIMEOUT_S)[0]
            except LockerError as exc:
                if on_problem is not None:
                    on_problem(exc)
        return pdf

    def verify(self, conn: DbConn, leaves: Sequence[bytes]) -> StampsReport:
        """Check every anchor in full against the ledger whose leaves are given."""
        from evidence_locker.crypto.tsp_token import check_tokens

        report = StampsReport(size=len(leaves))
        found = anchor_store.read_all(conn)
        if not found:
            return report
        try:
            tsas = self._settings(conn)
        except IntegrityError as exc:
            report.settings_problem = exc.key
            tsas = []
        locker = self._session
        heads: dict[int, Checkpoint] = {}
        for i, a in enumerate(found):
            with contextlib.suppress(ValueError):
                heads[i] = open_note(a.note, locker.origin, locker.keyring.signer.public_key)
        head_checks = dict(zip(heads, check_heads(list(heads.values()), leaves), strict=True))
        by_tsa: dict[str, list[int]] = {}
        for i, a in enumerate(found):
            if a.kind != EXPORTED:  # an exported head has no token to check
                by_tsa.setdefault(a.destination, []).append(i)
        checks: dict[int, TokenCheck] = {}
        for name, indices in by_tsa.items():
            roots = tsa_settings.roots_for(tsas, name)
            items = [(found[i].proof, found[i].stamped_bytes()) for i in indices]
            checks.update(zip(indices, check_tokens(items, roots), strict=True))
        sound = []
        for i, a in enumerate(found):
            verdict = _judge(a, heads.get(i), head_checks.get(i), checks.get(i), locker)
            if a.kind == EXPORTED:
                report.exports.append(verdict)
                continue
            report.verdicts.append(verdict)
            if verdict.ok:
                sound.append(a)
        report.covers = anchor_store.earliest_covers(sound)
        logged = db.tuples(conn, "SELECT seq, logged_at FROM entry ORDER BY seq")
        report.timing = timing_runs(((int(s), int(t)) for s, t in logged), report.covers)
        return report


def _judge(
    a: Anchor,
    head: Checkpoint | None,
    head_check: HeadCheck | None,
    check: TokenCheck | None,
    locker: Session,
) -> StampVerdict:
    """One anchor's verdict, the most telling problem first."""
    params: dict[str, Any] = {"source": a.destination, "size": a.size, "id": a.id}
    if a.kind not in (anchor_store.RFC3161, EXPORTED):
        return StampVerdict(a, "stamp.unknown_kind", {**params, "kind": a.kind})
    # an exported head's problems have their own words (no TSA "stamped" it)
    prefix = "exported" if a.kind == EXPORTED else "stamp"
    if head is None or head_check is None:
        return StampVerdict(a, f"{prefix}.note_signature", params)
    if head_check.status is HeadStatus.ROLLED_BACK:
        params["ledger"] = head_check.ledger_size
        return StampVerdict(a, f"{prefix}.rolled_back", params, check, head_check)
    if head_check.status is HeadStatus.DIVERGED:
        return StampVerdict(a, f"{prefix}.diverged", params, check, head_check)
    if a.kind == EXPORTED:
        if not anchor_store.receipt_holds(a, locker.keyring, locker.origin):
            return StampVerdict(a, "exported.receipt", params, None, head_check)
        return StampVerdict(a, None, params, None, head_check)
    if check is None or not check.trusted:
        problem = check.problem if check is not None else "tsa.token.malformed"
        return StampVerdict(a, problem, params, check, head_check)
    assert check.info is not None
    if a.attested_at != micros(check.info.gen_time):
        return StampVerdict(a, "stamp.time_column", params, check, head_check)
    if not anchor_store.receipt_holds(a, locker.keyring, locker.origin):
        return StampVerdict(a, "stamp.receipt", params, check, head_check)
    return StampVerdict(a, None, params, check, head_check)


def _ledger_size(conn: DbConn) -> int:
    n = db.value(conn, "SELECT max(seq) FROM entry")
    return 0 if n is None else int(n) + 1


def trusted_time(steps: Sequence[Cover], seq: int) -> dict[str, Any]:
    """The Record fields for entry ``seq``: its "existed no later than" and by whom."""
    if not steps:
        return {}
    cover = anchor_store.cover_of(steps, seq)
    if cover is None:
        return {}
    return {"existed_by": utc_from_micros(cover.attested_at), "existed_by_tsa": cover.destination}
