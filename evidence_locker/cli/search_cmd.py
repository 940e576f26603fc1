"""The search command: terms ANDed, "quoted phrases", filters, highlighted matches."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE
from evidence_locker.cli.linebreak import wrap_styled
from evidence_locker.cli.options import (
    CaseOpt,
    ChannelOpt,
    CounterpartOpt,
    OrgOpt,
    SinceOpt,
    UntilOpt,
    _filter,
    check_report,
)
from evidence_locker.errors import UsageError

SHOWN_FIELDS = ("subject", "content", "notes", "location", "tags", "attachments")
CONTEXT = 60
_HANG = 10  # a hit's heading goes on under itself, past its 8-character id
_INDENT = 4  # a hit's text
QUIT_WORDS = ("", "q", ":q", "quit", "exit", "退出")  # what ends search -i


def search_cmd(
    terms: Annotated[
        list[str] | None, typer.Argument(metavar="QUERY...", help='Words; "a phrase".')
    ] = None,
    channel: ChannelOpt = None,
    direction: Annotated[str | None, typer.Option("--direction")] = None,
    org: OrgOpt = None,
    counterpart: CounterpartOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    case: CaseOpt = None,
    has_attachment: Annotated[
        bool | None,
        typer.Option(
            "--has-attachment/--no-attachment", help="Only records with (or without) files."
        ),
    ] = None,
    deleted: Annotated[bool, typer.Option("--deleted", help="Include deleted records.")] = False,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Search every version, not only the latest.")
    ] = False,
    flagged: Annotated[
        bool,
        typer.Option("--flagged", help="Only records the rules flag (default rule set)."),
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    all_hits: Annotated[bool, typer.Option("--all", help="Every match (no limit).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="JSON array, as list --json.")] = False,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="Unlock once, then search again and again (the filters apply to each).",
        ),
    ] = False,
) -> None:
    """Find records by words or numbers, in Chinese or English. / 检索记录（中英文、号码）。"""
    flt = _filter(
        channel=channel,
        direction=direction,
        org=org,
        counterpart=counterpart,
        since=since,
        until=until,
        case=case,
        deleted=deleted,
        all_versions=all_versions,
        has_attachment=has_attachment,
    )
    query = " ".join(terms or [])  # the shell's quotes group words; quotes inside mark a phrase
    if not interactive:
        from evidence_locker.search.query import parse_query

        parse_query(query)  # a bad query fails before the passphrase is asked
    locker = STATE.open_locker()
    cap = None if all_hits else max(limit, 1)
    if not interactive:
        _run(locker, query, flt, cap, flagged=flagged, json_out=json_out)
        return
    _warm(locker)
    while True:
        if query.strip():
            try:
                _run(locker, query, flt, cap, flagged=flagged, json_out=json_out)
            except UsageError as exc:  # a bad query: say why and ask again
                STATE.err.print(f"{STATE.t('cli.error')}: {exc.render(STATE.lang)}", markup=False)
        query = _next_query()
        if query.strip().lower() in QUIT_WORDS:
            return


def _next_query() -> str:
    """The next line typed; at a terminal with a prompt and line editing, from a pipe
    without a prompt (so ``--json`` output stays parseable). "" at the end of input."""
    if sys.stdin.isatty():
        try:
            return input(STATE.t("search.prompt"))
        except EOFError:
            return ""
    return sys.stdin.readline().strip()


def _warm(locker) -> None:  # type: ignore[no-untyped-def]
    """Decrypt every record into memory for the session, with progress on a terminal."""
    import time

    start = time.perf_counter()
    with render.counted_progress(STATE, STATE.t("search.warming")) as progress:
        n = locker.keep_decrypted(progress=progress)
    seconds = time.perf_counter() - start
    STATE.err.print(STATE.t("search.ready", n=n, seconds=f"{seconds:.1f}"), markup=False)


def _run(locker, query: str, flt, cap: int | None, *, flagged: bool, json_out: bool) -> None:  # type: ignore[no-untyped-def]
    """One search, printed as a list of highlighted matches (or JSON)."""
    if flagged:
        concerned = {r for f in check_report(locker).findings for r in f.records}
        hits = [h for h in locker.search(query, flt, limit=None) if h.record.record_id in concerned]
        hits = hits[:cap] if cap else hits
    else:
        hits = locker.search(query, flt, limit=cap)
    if json_out:
        render.print_json([h.record.to_json() for h in hits])
        return
    if not hits:
        STATE.err.print(STATE.t("search.none"))
        return
    from rich.text import Text

    width = STATE.console.width
    for hit in hits:
        r = hit.record
        spans_by_field = hit.spans  # computed once per shown hit
        who = " · ".join(x for x in (r.organisation, r.counterpart, r.address) if x)
        head = Text(f"{render.occurred(STATE, r)}  {render.channel_label(STATE, r)}  ")
        head.append(_highlighted(who, _spans_for(spans_by_field, r)))
        marks = render.marks(STATE, r)
        if marks:
            head.append(f"  {marks}", style="italic")
        # The id, then the heading broken where a reader allows, going on under itself.
        lines = [Text(r.id[:8], style="bold") + "  "]
        for i, part in enumerate(wrap_styled(head, width - _HANG)):
            if i:
                lines.append(Text("\n" + " " * _HANG))
            lines.append(part)
        for name in SHOWN_FIELDS:
            text = _field_text(r, name)
            if text:
                spans = spans_by_field.get(name, [])
                if spans or name == "content":
                    for part in wrap_styled(_excerpt(text, spans), width - _INDENT):
                        lines += [Text("\n" + " " * _INDENT), part]
        STATE.console.print(Text().join(lines), no_wrap=True, overflow="ignore")
    shown = len(hits)
    key = "search.count_limited" if cap is not None and shown >= cap else "search.count"
    STATE.console.print(STATE.t(key, n=shown))


def _field_text(r, name: str) -> str:  # type: ignore[no-untyped-def]
    if name == "attachments":
        return ", ".join(a.name for a in r.attachments)
    if name == "tags":
        return ", ".join(r.tags)
    return getattr(r, name) or ""


def _spans_for(spans_by_field, r) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Spans of organisation, counterpart and address mapped into the joined 'who' line."""
    out: list[tuple[int, int]] = []
    offset = 0
    for name in ("organisation", "counterpart", "address"):
        value = getattr(r, name)
        if not value:
            continue
        out += [(offset + a, offset + b) for a, b in spans_by_field.get(name, [])]
        offset += len(value) + 3
    return out


def _highlighted(text: str, spans: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
    from rich.text import Text

    out = Text(text)
    for a, b in spans:
        out.stylize("bold reverse", a, b)
    return out


def _excerpt(text: str, spans: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
    """The text around the first match, flattened to one line, with matches marked."""
    from rich.text import Text

    flat = text.replace("\n", " ")
    if len(flat) <= 2 * CONTEXT + 20 or not spans:
        return _highlighted(
            flat[: 2 * CONTEXT + 20], [s for s in spans if s[1] <= 2 * CONTEXT + 20]
        )
    first = spans[0][0]
    start = max(0, first - CONTEXT)
    end = min(len(flat), first + CONTEXT + 20)
    part = flat[start:end]
    shifted = [(a - start, b - start) for a, b in spans if a >= start and b <= end]
    out = Text("…" if start else "")
    out.append(_highlighted(part, shifted))
    if end < len(flat):
        out.append("…")
    return out


def rebuild_index_cmd() -> None:
    """Rebuild the search index from the ledger (after doctor or verify --deep found it
    stale or tampered). / 从账本重建搜索索引。"""
    n = STATE.open_locker().rebuild_index()
    STATE.console.print(STATE.t("index.rebuilt", n=n))


def register(app: typer.Typer) -> None:
    app.command("search")(search_cmd)
    app.command("rebuild-index")(rebuild_index_cmd)
