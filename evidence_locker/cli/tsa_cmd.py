"""Trusted-time commands: tsa add / list / remove, stamp; and the lines verify and show
print about time-stamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE, State
from evidence_locker.errors import UsageError
from evidence_locker.model import micros, utc_from_micros

if TYPE_CHECKING:
    from collections.abc import Sequence

    from evidence_locker.ledger.stamp_timing import TimingRun
    from evidence_locker.locker.timestamps import StampsReport
    from evidence_locker.model import Record

tsa_app = typer.Typer(
    help="Time-stamp authorities (RFC 3161) that fix when entries existed. / 可信时间戳机构。",
    no_args_is_help=True,
)


def utc_text(dt: datetime) -> str:
    """``2026-12-01 10:14 UTC``: trusted times are the TSA's, shown in UTC."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def trusted_time_text(state: State, r: Record) -> str | None:
    """The ``show`` line: when a TSA says the record existed, and what that bounds:
    logged_at can be early (backdated) by at most the gap; a logged_at after the
    trusted time means the clock was ahead."""
    from evidence_locker.ledger.stamp_timing import Timing, classify
    from evidence_locker.report.trusted_time import span

    if r.existed_by is None:
        return None
    gap = r.existed_by - r.logged_at
    ahead = classify(micros(r.logged_at), micros(r.existed_by)) is Timing.CLOCK_AHEAD
    key = "show.clock_ahead" if ahead else "show.existed_by"
    time = render.when(r.existed_by, state.tz, seconds=True)
    return state.t(key, time=time, tsa=r.existed_by_tsa, gap=span(gap, state.lang))


def stamps_json(stamps: StampsReport | None) -> dict[str, Any] | None:
    if stamps is None:
        return None
    return {
        "ok": stamps.ok,
        "settings_problem": stamps.settings_problem,
        "ranges": [
            {
                "first": first,
                "last": last,
                "existed_no_later_than": _iso(cover.attested_at),
                "tsa": cover.destination,
            }
            for first, last, cover in stamps.ranges()
        ],
        "timing": timing_json(stamps.timing),
        "problems": [
            {"anchor": v.anchor.id, "tsa": v.anchor.destination, "what": v.problem, **v.params}
            for v in [*stamps.verdicts, *stamps.exports]
            if not v.ok
        ],
        "exported_heads": len(stamps.exports),
    }


def timing_json(runs: Sequence[TimingRun]) -> list[dict[str, Any]]:
    """Entries whose logged time stands out against their trusted time, every run."""
    return [
        {
            "first": run.first,
            "last": run.last,
            "what": run.timing.value,
            "largest_gap_s": run.worst_us // 1_000_000,
        }
        for run in runs
    ]


def trusted_json(report: Any) -> dict[str, Any] | None:
    """verify-dossier --json's "trusted_time": ranges, document stamps, problems."""
    if report is None:
        return None

    def finding(f: Any) -> dict[str, Any]:
        return {
            "tsa": f.tsa,
            "size": f.size,
            "time": f.time.isoformat() if f.time else None,
            "problem": f.problem,
            "root_sha256": f.root_sha256,
        }

    from evidence_locker.ledger.anchors import ranges

    return {
        "ok": report.ok,
        "roots": "given" if report.pinned else "listed in the dossier",
        "ranges": [
            {
                "first": a,
                "last": b,
                "existed_no_later_than": _iso(c.attested_at),
                "tsa": c.destination,
            }
            for a, b, c in ranges(report.covers)
        ],
        "stamps": [finding(f) for f in report.stamps],
        "timing": timing_json(report.timing),
        "document_timestamps": [finding(f) for f in report.document],
    }


def _iso(us: int) -> str:
    return utc_from_micros(us).isoformat()


def print_stamps(state: State, stamps: StampsReport | None) -> None:
    """verify's lines: which entries existed by when, what is not stamped, problems."""
    if stamps is None:
        return
    last = 0
    for first, end, cover in stamps.ranges():
        time = utc_text(utc_from_micros(cover.attested_at))
        key = "verify.existed_one" if first == end else "verify.existed"
        state.console.print(
            state.t(key, first=first, last=end, time=time, tsa=cover.destination),
            markup=False,
        )
        last = end
    if stamps.verdicts and last < stamps.size:
        key = "verify.unstamped_one" if last + 1 == stamps.size else "verify.unstamped"
        state.console.print(state.t(key, first=last + 1, last=stamps.size), markup=False)
    print_timing(state, stamps)
    if stamps.settings_problem:
        state.err.print(state.t(stamps.settings_problem), markup=False)
    for v in [*stamps.verdicts, *stamps.exports]:
        if not v.ok and v.problem:
            state.err.print(state.t(v.problem, **v.params), markup=False)


TIMING_LINES = 5  # per kind; verify --json lists every run


def print_timing(state: State, stamps: StampsReport) -> None:
    """verify's lines on entries whose logged time stands out against their trusted
    time (ledger/stamp_timing.py), a few per kind, then how many more."""
    from evidence_locker.ledger.stamp_timing import capped
    from evidence_locker.report.trusted_time import span

    shown, left_out = capped(stamps.timing, TIMING_LINES)
    for run in shown:
        key = f"verify.{run.timing.value}" + ("_one" if run.first == run.last else "")
        gap = span(timedelta(microseconds=run.worst_us), state.lang)
        state.console.print(state.t(key, first=run.first, last=run.last, gap=gap), markup=False)
    for kind, n in left_out.items():
        state.console.print(state.t(f"verify.{kind.value}_more", n=n), markup=False)


# -- commands -------------------------------------------------------------------------


@tsa_app.command("add")
def tsa_add(
    name: Annotated[str, typer.Argument(help="A short name for it, e.g. freetsa.")],
    url: Annotated[str, typer.Argument(help="Its RFC 3161 address, e.g. https://freetsa.org/tsr")],
    root: Annotated[
        Path, typer.Option("--root", help="Its root certificate (PEM or DER), from the TSA.")
    ],
    auto: Annotated[
        bool, typer.Option("--auto", help="Also stamp after each write (3 s timeout).")
    ] = False,
) -> None:
    """Add a time-stamp authority and the root its tokens must chain to. / 添加时间戳机构。"""
    try:
        root_pem = root.expanduser().read_bytes()
    except OSError as exc:
        raise UsageError("tsa.root_missing", path=str(root), detail=exc.strerror) from None
    config = STATE.open_locker().add_tsa(name, url, root_pem, auto=auto)
    from evidence_locker.crypto.tsp_token import certificate_summary

    for der in config.roots:
        subject, sha, _start, end = certificate_summary(der)
        STATE.console.print(
            STATE.t(
                "tsa.added",
                name=name,
                url=url,
                subject=subject,
                sha=sha,
                until=end.date().isoformat(),
                auto=STATE.t("tsa.auto_on" if auto else "tsa.auto_off"),
            ),
            markup=False,
        )


@tsa_app.command("list")
def tsa_list(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Configured TSAs: address, root, stamps, entries waiting. / 列出时间戳机构。"""
    statuses = STATE.open_locker().tsas()
    if json_out:
        render.print_json(
            [
                {
                    "name": s.config.name,
                    "url": s.config.url,
                    "auto": s.config.auto,
                    "roots": [
                        {"subject": sub, "sha256": sha, "not_after": end.isoformat()}
                        for sub, sha, _start, end in s.roots
                    ],
                    "stamps": s.stamps,
                    "last_stamp_size": s.last.size if s.last else None,
                    "last_stamp_time": _iso(s.last.attested_at)
                    if s.last and s.last.attested_at
                    else None,
                    "unstamped": s.unstamped,
                }
                for s in statuses
            ]
        )
        return
    if not statuses:
        STATE.err.print(STATE.t("tsa.none"), markup=False)
        STATE.err.print(STATE.t("hint.tsa_add"), markup=False)
        return
    for s in statuses:
        last = (
            STATE.t(
                "tsa.last",
                size=s.last.size,
                time=utc_text(utc_from_micros(s.last.attested_at)),
            )
            if s.last and s.last.attested_at
            else STATE.t("tsa.never")
        )
        auto = STATE.t("tsa.auto", auto=STATE.t("tsa.auto_on" if s.config.auto else "tsa.auto_off"))
        STATE.console.print(f"{s.config.name}  {s.config.url}  ({auto})", markup=False)
        for subject, sha, _start, end in s.roots:
            STATE.console.print(
                "  " + STATE.t("tsa.root", subject=subject, sha=sha, until=end.date()),
                markup=False,
            )
        STATE.console.print(
            "  " + STATE.t("tsa.stamps", n=s.stamps, last=last, waiting=s.unstamped),
            markup=False,
        )


@tsa_app.command("remove")
def tsa_remove(name: Annotated[str, typer.Argument()]) -> None:
    """Stop asking a TSA; its stamps stay and still verify. / 删除时间戳机构。"""
    STATE.open_locker().remove_tsa(name)
    STATE.console.print(STATE.t("tsa.removed", name=name), markup=False)


def stamp_cmd(
    names: Annotated[
        list[str] | None, typer.Argument(metavar="[NAME...]", help="Only these TSAs.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Time-stamp the newest tree head with every TSA (network). / 加盖可信时间戳。"""
    results = STATE.open_locker().stamp(names or None)
    if json_out:
        render.print_json(
            [
                {
                    "tsa": r.name,
                    "ok": r.error is None,
                    "up_to_date": r.up_to_date,
                    "size": r.anchor.size if r.anchor else None,
                    "existed_no_later_than": _iso(r.anchor.attested_at)
                    if r.anchor and r.anchor.attested_at
                    else None,
                    "error": r.error.render(STATE.lang) if r.error else None,
                }
                for r in results
            ]
        )
    for r in results:
        if json_out:
            break
        if r.error is not None:
            STATE.err.print(f"{r.name}: {r.error.render(STATE.lang)}", markup=False)
        elif r.up_to_date:
            STATE.console.print(STATE.t("stamp.up_to_date", tsa=r.name), markup=False)
        elif r.anchor is not None and r.anchor.attested_at is not None:
            time = utc_text(utc_from_micros(r.anchor.attested_at))
            key = "stamp.done_one" if r.anchor.size == 1 else "stamp.done"
            STATE.console.print(
                STATE.t(key, tsa=r.name, last=r.anchor.size, time=time), markup=False
            )
    if any(r.error is not None for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(tsa_app, name="tsa")
    app.command("stamp")(stamp_cmd)
