"""What binds the visible pages to the embedded proofs.

The whole-file signature says no byte changed since signing; this module says the
signed pages show what the proofs prove. For each record the manifest lists, the
pages it names must show the record's heading (exhibit number and, from format 2,
the time it happened, formatted from the proven header) and, beneath it, every field
the proofs reveal, each after its printed label. A page showing a record the proofs
do not list fails too. docs/dossier.md ("What binds the pages to the proofs") states
what this does and does not catch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evidence_locker.model import with_offset
from evidence_locker.report.context import BLOCK_FIELDS, DETAIL_FIELDS
from evidence_locker.report.fieldtext import (
    FREE_TEXT_FIELDS,
    comparable,
    format_field,
    format_occurred,
    heading_start,
    printed,
    zone_from_label,
)
from evidence_locker.report.manifest import ListedRecord, Manifest
from evidence_locker.report.pagetext import PageText

BOUND_FIELDS = (*DETAIL_FIELDS, "source", *BLOCK_FIELDS)
_HEADING = re.compile(r"([ED])-(\d+)·\d{4}-\d\d-\d\d")
MAX_PAGES_PER_RECORD = 500  # a bound for hostile manifests; a 100-page e-mail is far below


@dataclass(frozen=True, slots=True)
class PageProblem:
    """A record whose pages and proofs disagree; ``key`` names the message."""

    no: str
    record_id: str
    key: str
    params: dict[str, Any]


def check_pages(
    pages: PageText, entries: dict[str, dict[str, Any]], manifest: Manifest
) -> list[PageProblem]:
    """Every listed record against its pages. ``entries``: version id -> bundle entry."""
    if manifest.version >= 2:
        return list(_check_v2(pages, entries, manifest))
    return list(_check_v1(pages, entries, manifest))


def _check_v2(
    pages: PageText, entries: dict[str, dict[str, Any]], manifest: Manifest
) -> Iterator[PageProblem]:
    try:
        tz = zone_from_label(manifest.tz or "")
    except ValueError as exc:
        yield PageProblem("", "", "page_zone", {"detail": str(exc)})
        return
    total = len(pages)
    listed = {r.no for r in manifest.records}
    spans: list[tuple[int, int]] = []
    for rec in manifest.records:
        first, last = rec.pages or (0, 0)
        if last > total or last - first > MAX_PAGES_PER_RECORD:
            yield PageProblem(rec.no, rec.record_id, "page_range", {"pages": f"{first}-{last}"})
            continue
        spans.append((first, last))
        entry = entries.get(rec.shown or "")
        if entry is None:
            continue  # "listed but has no proof" is reported by the bundle checks
        text = pages.bodies(first, last)
        header = entry.get("header") or {}
        try:
            occurred = with_offset(int(header["occurred_at"]), int(header["offset"]))
        except (KeyError, TypeError, ValueError, OverflowError):
            continue  # a malformed header already fails its inclusion proof
        revealed = _revealed(entry)
        when = format_occurred(occurred, tz, revealed.get("time_known", True), manifest.lang)
        start = comparable(printed(heading_start(rec.no, when)))
        at = text.find(start)
        if at < 0:
            yield _problem(rec, "page_heading", first, heading=heading_start(rec.no, when))
            continue
        segment = _segment(text, at + len(start))
        for name in BOUND_FIELDS:
            if name not in revealed or name == "time_known":
                continue
            if not any(
                want in segment for want in _printed_forms(name, revealed[name], header, manifest)
            ):
                yield _problem(rec, "page_field", first, field=name)
    yield from _unlisted(pages, spans, listed, manifest)


def _printed_forms(name: str, value: Any, header: dict[str, Any], manifest: Manifest) -> list[str]:
    """The label and value as the page may print them, comparable. A message's outcome
    "connected" reads "received" or "sent"; dossiers made before that printed the call
    word, which shows the same proven value and still verifies."""
    label = manifest.labels.get(name, "")
    forms = [
        format_field(name, value, manifest.lang, header.get("channel"), header.get("direction"))
    ]
    if name == "outcome":
        forms.append(format_field(name, value, manifest.lang))
    wants = [comparable(printed(label + shown)) for shown in forms]
    return [w for w in wants if w] or [""]


def _check_v1(
    pages: PageText, entries: dict[str, dict[str, Any]], manifest: Manifest
) -> Iterator[PageProblem]:
    """Format 1 names no pages and no time zone: look for each record's heading in
    order through the whole file, and check its free-text fields beneath it."""
    text = pages.bodies(1, len(pages))
    listed = {r.no for r in manifest.records}
    # the records section starts after the timeline, where headings are "E-n·date"
    pos = 0
    for rec in manifest.records:
        m = re.compile(re.escape(comparable(rec.no)) + r"·\d{4}-\d\d-\d\d").search(text, pos)
        if m is None:
            yield _problem(rec, "page_heading", 1, heading=rec.no)
            continue
        segment = _segment(text, m.end())
        entry = entries.get(rec.versions[-1] if rec.versions else "")
        for name, value in _revealed(entry or {}).items():
            if name in FREE_TEXT_FIELDS:
                want = comparable(printed(str(value)))
                if want and want not in segment:
                    yield _problem(rec, "page_field", 1, field=name)
        pos = m.start()
    for m in _HEADING.finditer(text):
        if f"{m.group(1)}-{m.group(2)}" not in listed:
            yield PageProblem(f"{m.group(1)}-{m.group(2)}", "", "pages_unlisted", {})


def _revealed(entry: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, item in (entry.get("revealed") or {}).items():
        if isinstance(item, dict) and "value" in item:
            out[name] = item["value"]
    return out


def _segment(text: str, start: int) -> str:
    """From a record's heading to the next record's heading (or the end)."""
    nxt = _HEADING.search(text, start)
    return text[start : nxt.start() if nxt else len(text)]


def _unlisted(
    pages: PageText, spans: list[tuple[int, int]], listed: set[str], manifest: Manifest
) -> Iterator[PageProblem]:
    """Headings on the records' pages that the manifest does not list."""
    if not spans:
        return
    first = min(a for a, _ in spans)
    last = max(b for _, b in spans)
    for n in range(first, last + 1):
        for m in _HEADING.finditer(pages.body(n)):
            if f"{m.group(1)}-{m.group(2)}" not in listed:
                yield PageProblem(f"{m.group(1)}-{m.group(2)}", "", "page_unlisted", {"page": n})


def _problem(rec: ListedRecord, key: str, page: int, **params: Any) -> PageProblem:
    return PageProblem(rec.no, rec.record_id, key, {"page": page, **params})
