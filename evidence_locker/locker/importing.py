"""Run one import: parse a file, filter, de-duplicate, store, and count what happened.

The whole import is one transaction: a file found broken half-way (a truncated
backup is only known broken at its end) imports nothing, and the error names the
file and the line, and how many whole entries ``salvage`` would keep. Running it
again after fixing the file is safe: entries already in the locker are recognised
by their source fingerprint and skipped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from evidence_locker.errors import FormatError
from evidence_locker.locker import import_state
from evidence_locker.model import ContactDraft

if TYPE_CHECKING:
    from evidence_locker.importers import ImportOptions, Rejected
    from evidence_locker.locker import Locker


# Errors found part-way through a file whose earlier entries are whole: a cut backup, a
# bad byte or an unreadable row further down. A refused (hostile) file is not among them.
SALVAGEABLE = frozenset(
    ("import.bad_xml", "import.bad_encoding", "import.bad_csv", "import.token_too_large")
)
PREVIEW_CHARS = 60


@dataclass(frozen=True, slots=True)
class Preview:
    """What ``import --dry-run`` shows of one record it would import."""

    occurred_at: datetime
    time_known: bool
    channel: str
    app: str | None
    direction: str
    counterpart: str | None
    address: str | None
    preview: str | None
    entry: str | None
    attachments: int
    duration_s: int | None = None

    @classmethod
    def of(cls, draft: ContactDraft) -> Preview:
        # What the record says; for one that says nothing itself (an unsent message, a
        # call), its first note. The duration is its own field, written by the viewer.
        said = draft.content or draft.subject or (draft.notes or "").split("\n", 1)[0]
        text = " ".join(said.split())
        if len(text) > PREVIEW_CHARS:
            text = text[: PREVIEW_CHARS - 1] + "…"
        return cls(
            occurred_at=draft.occurred_at,
            time_known=draft.time_known,
            channel=draft.channel.value,
            app=draft.app,
            direction=draft.direction.value,
            counterpart=draft.counterpart,
            address=draft.address,
            preview=text or None,
            entry=draft.source.entry if draft.source else None,
            attachments=len(draft.attachments),
            duration_s=draft.duration_s,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "time_known": self.time_known,
            "channel": self.channel,
            "app": self.app,
            "direction": self.direction,
            "counterpart": self.counterpart,
            "address": self.address,
            "preview": self.preview,
            "entry": self.entry,
            "attachments": self.attachments,
            "duration_s": self.duration_s,
        }


@dataclass
class ImportSummary:
    file: str
    format: str
    sha256: str
    dry_run: bool = False
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    filtered: int = 0
    attachments: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    previews: list[Preview] = field(default_factory=list)  # dry runs: what would be added
    salvaged: FormatError | None = None  # --salvage: where the file broke off

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "format": self.format,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "read": self.read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "filtered": self.filtered,
            "rejected": [
                {"entry": r.entry, "line": r.line, "reason": r.render(lang)} for r in self.rejected
            ],
            "attachments": self.attachments,
        }
        if self.dry_run:
            out["records"] = [p.to_json() for p in self.previews]
        if self.salvaged is not None:
            out["salvaged"] = {
                "line": self.salvaged.params.get("line"),
                "message": self.salvage_message(lang),
            }
        return out

    def salvage_message(self, lang: str = "en") -> str | None:
        """Where a salvaged file broke off, and what was kept (None if it did not)."""
        if self.salvaged is None:
            return None
        from evidence_locker.locale.messages import t

        line = self.salvaged.params.get("line", "?")
        return t("import.salvaged", lang, file=self.file, line=line, entries=self.read)


def import_file(
    locker: Locker,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    options: ImportOptions | None = None,
    dry_run: bool = False,
    salvage: bool = False,
    progress: Callable[[int, tuple[int, int] | None], None] | None = None,
    keep_ids: bool = False,
) -> ImportSummary:
    """Import ``path`` into ``locker``; see the module docstring for the guarantees.

    ``salvage``: a file that breaks off part-way (a truncated backup) keeps the whole
    entries before the break instead of importing nothing; ``summary.salvaged`` says
    where it broke. Without it the error says how many entries ``--salvage`` would keep.
    ``progress(entries read, (done, total) or None)`` is called every 100 entries; the
    pair is how far the reading has come in the importer's unit (bytes, rows).
    ``keep_ids``: list the new records' ids in ``record_ids`` (memory grows with the
    file, ~10 MB per 100k records, so only on request). A dry run lists a
    :class:`Preview` of each record it would add (~200 bytes each).
    """
    from evidence_locker.importers import ImportOptions, Rejected, matches, open_importer
    from evidence_locker.search.normalize import normalize

    # Local times (a carrier bill's) are read on the locker's zone when it has one, not
    # on this computer's: a borrower's laptop set to UTC must not shift them.
    options = options or ImportOptions(region=locker.region, timezone=locker.settings().get("tz"))
    importer = open_importer(path, format=format, options=options)
    # Incremental sources (a mailbox) start where the last committed import ended.
    resume_key = import_state.state_key(locker.public_key, importer.file_name)
    if not options.resume:
        importer.options = dataclasses.replace(options, resume=import_state.load(resume_key))
    summary = ImportSummary(
        file=importer.file_name, format=importer.name, sha256=importer.file_sha256, dry_run=dry_run
    )

    def wanted() -> Iterator[ContactDraft]:
        items = importer.iter_drafts()
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except FormatError as exc:
                if not (salvage and exc.key in SALVAGEABLE):
                    raise
                summary.salvaged = exc
                return
            summary.read += 1
            if progress is not None and summary.read % 100 == 0:
                progress(summary.read, importer.progress())
            if isinstance(item, Rejected):
                summary.rejected.append(item)
                continue
            if not matches(item, options.filters, fold=normalize):
                summary.filtered += 1
                continue
            yield item

    on_added = (lambda draft: summary.previews.append(Preview.of(draft))) if dry_run else None
    try:
        with _fewer_collections():
            result = locker.log_batch(
                wanted(), dry_run=dry_run, keep_ids=keep_ids, on_added=on_added
            )
    except FormatError as exc:
        if exc.key in SALVAGEABLE and summary.read and exc.hint_key is None:
            raise FormatError(
                exc.key, hint="import.salvage_hint", entries=summary.read, **exc.params
            ) from exc
        raise
    resume = importer.resume_state()
    if resume is not None and not dry_run:  # only once the import is committed
        import_state.save(resume_key, resume)
    if progress is not None:
        progress(summary.read, importer.progress())
    summary.imported = len(result.added)
    summary.duplicates = result.duplicates
    summary.attachments = result.attachments
    summary.record_ids = [i for i in result.added if i]
    return summary


# An import allocates a dozen short-lived objects per record, freed by reference counting;
# at the default threshold (700) the cycle collector ran ~3,500 times per 20k records
# and took ~6% of the import. Cycles are rare here, so it may run ~30x less often.
_IMPORT_GC_THRESHOLD = 20_000


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cycle collector less often for the import's duration, then restore it."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], _IMPORT_GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
