"""``verify``'s output, with the rollback checks: the newest head seen here, earlier heads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evidence_locker.care.against import AgainstResult
    from evidence_locker.cli.context import State
    from evidence_locker.ledger.consistency import DossierLink, HeadCheck
    from evidence_locker.ledger.log import VerifyReport
    from evidence_locker.locker import Locker
    from evidence_locker.model import AttachmentInfo
    from evidence_locker.search.audit import IndexAudit


def newest_line(state: State, check: HeadCheck) -> str:
    """The verify line for the newest head remembered outside the locker."""
    seen, now = check.head.size, check.ledger_size
    if check.status.value == "rolled_back":
        return state.t("verify.rolled_back", seen=seen, now=now, missing=seen - now)
    return state.t("verify.diverged", seen=seen)


def print_newest(state: State, check: HeadCheck | None) -> None:
    """Say it when the locker does not extend the newest head this computer saw."""
    if check is not None and not check.ok:
        state.err.print(newest_line(state, check), markup=False, soft_wrap=True)


def newest_json(check: HeadCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "ok": check.ok,
        "status": check.status.value,
        "seen_size": check.head.size,
        "seen_root": check.head.root.hex(),
        "ledger_size": check.ledger_size,
    }


def print_verify(
    state: State,
    locker: Locker,
    report: VerifyReport,
    blob_problems: Sequence[tuple[AttachmentInfo, str]],
    *,
    json_out: bool,
    against: Sequence[AgainstResult] = (),
    index: IndexAudit | None = None,
) -> bool:
    """``verify``'s output. "OK" only when every check passed: the ledger, the signed
    head, every time-stamp, the newest head seen here, every attachment, and every
    earlier head given with ``--against`` (:func:`print_against` prints those).
    Returns that."""
    from evidence_locker.cli import render
    from evidence_locker.cli.tsa_cmd import print_stamps, stamps_json
    from evidence_locker.ledger.checkpoint import fingerprint

    ledger_ok = not report.problems and report.head is not None
    everything_ok = report.ok and not blob_problems and all(a.ok for a in against)
    everything_ok = everything_ok and (index is None or index.ok)
    if json_out:
        render.print_json(
            {
                "ok": everything_ok,
                "size": report.size,
                "root": report.head.root.hex() if report.head else None,
                "fingerprint": fingerprint(locker.public_key),
                "problems": [p.__dict__ for p in report.problems],
                "attachment_problems": [
                    {"attachment": a.id, "record_id": a.record_id, "what": what}
                    for a, what in blob_problems
                ],
                "stamps": stamps_json(report.stamps),
                "newest_seen": newest_json(report.newest),
                "against": [against_json(a) for a in against],
                "index": None if index is None else index_json(index),
            }
        )
        return everything_ok
    if ledger_ok:
        assert report.head is not None
        key = "verify.ok" if everything_ok else "verify.ledger_sound"
        params = {"n": report.size, "root": report.head.root.hex()[:16]}
        state.console.print(state.t(key, fp=fingerprint(locker.public_key), **params))
        print_stamps(state, report.stamps)
        print_newest(state, report.newest)
    else:
        first = report.problems[0]
        state.err.print(
            state.t(
                "verify.bad",
                what=state.t(first.what),
                seq=first.seq if first.seq is not None else "-",
                id=(first.record_id or first.entry_id or "-")[:8],
                n=len(report.problems),
            ),
            markup=False,
        )
    for info, what in blob_problems:
        detail = state.t(what, id=info.id[:8], attachment=info.id[:8], reason="")
        line = state.t(
            "verify.blob", id=info.id[:8], name=info.name, record=info.record_id[:8], what=detail
        )
        state.err.print(line, markup=False)
    if index is not None:
        print_index(state, index)
    if ledger_ok and not everything_ok:
        state.err.print(state.t("verify.not_ok"), markup=False)
    return everything_ok


def against_line(state: State, result: AgainstResult) -> str:
    check = result.check
    params = {
        "path": str(result.path),
        "kind": state.t(f"against.kind.{result.kind}"),
        "size": check.head.size,
        "now": check.ledger_size,
        "root": check.head.root.hex()[:16],
        "proof": len(check.proof),
    }
    return state.t(f"against.{check.status.value}", **params)


def print_against(state: State, results: Sequence[AgainstResult]) -> None:
    for result in results:
        out = state.console if result.ok else state.err
        out.print(against_line(state, result), markup=False, soft_wrap=True)


def against_json(result: AgainstResult) -> dict[str, Any]:
    check = result.check
    return {
        "file": str(result.path),
        "kind": result.kind,
        "status": check.status.value,
        "size": check.head.size,
        "root": check.head.root.hex(),
        "ledger_size": check.ledger_size,
        "proof": [h.hex() for h in check.proof],
    }


def dossier_link_for(pdf: bytes, older: Path) -> DossierLink:
    """``verify-dossier --against OLD``: the older dossier must exist; then the link."""
    from evidence_locker.errors import NotFound
    from evidence_locker.report.against import dossier_link

    if not older.is_file():
        raise NotFound("file.missing", path=str(older))
    return dossier_link(pdf, older.read_bytes())


def print_link(state: State, link: DossierLink | None, older: Path | None) -> None:
    if link is None:
        return
    params = {
        "path": str(older),
        "old": link.old_size if link.old_size is not None else "?",
        "new": link.new_size if link.new_size is not None else "?",
        "proof": link.proof_hashes,
    }
    out = state.console if link.ok else state.err
    out.print(state.t(f"link.{link.status.value}", **params), markup=False, soft_wrap=True)


def link_json(link: DossierLink | None) -> dict[str, Any] | None:
    if link is None:
        return None
    return {
        "ok": link.ok,
        "status": link.status.value,
        "old_size": link.old_size,
        "new_size": link.new_size,
        "proof_hashes": link.proof_hashes,
    }


def index_lines(state: State, audit: IndexAudit) -> list[tuple[bool, str]]:
    """``(ok, line)`` for the search index audit (verify --deep, doctor)."""
    if audit.ok:
        return [(True, state.t("index.ok", n=audit.entries))]
    out = []
    if audit.wrong:
        first = ", ".join(str(s) for s in audit.wrong[:10])
        out.append((False, state.t("index.wrong", n=len(audit.wrong), seqs=first)))
    if audit.strays:
        out.append((False, state.t("index.strays", n=len(audit.strays))))
    if audit.malformed:
        out.append((False, state.t("index.malformed", n=audit.malformed)))
    return out


def print_index(state: State, audit: IndexAudit) -> None:
    for ok, line in index_lines(state, audit):
        (state.console if ok else state.err).print(line, markup=False, soft_wrap=True)
    if not audit.ok:
        state.err.print(f"{state.t('cli.hint')}: {state.t('hint.rebuild_index')}", markup=False)


def index_json(audit: IndexAudit) -> dict[str, Any]:
    return {
        "ok": audit.ok,
        "entries": audit.entries,
        "wrong": audit.wrong,
        "strays": audit.strays,
        "malformed": audit.malformed,
    }
