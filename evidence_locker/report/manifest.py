"""The dossier manifest: what the PDF shows, kept in the embedded proof file beside
the proof bundle (member ``"dossier"``), so a verifier can hold the pages to the proofs.

Format 2 (``"format": "evidence-locker-dossier/2"``) adds what binds pages and proofs:
the time zone the pages print times in, the field labels they use, and for each record
the version its full record shows and the first and last page of that record; and,
optionally, the withdrawn (deleted) records listed without content and the exhibits
whose originals are attached. Format 1 files (no ``format`` member) are still read;
docs/dossier.md says what they can prove.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MANIFEST_KEY = "dossier"
FORMAT_PREFIX = "evidence-locker-dossier/"
CURRENT_VERSION = 2
MAX_RECORDS = 1_000_000  # a bound for hostile input, as for the bundle's entries


@dataclass(frozen=True, slots=True)
class ListedRecord:
    no: str
    record_id: str
    versions: tuple[str, ...]
    shown: str | None = None  # format 2: the version the pages show
    pages: tuple[int, int] | None = None  # format 2: first and last page of its record


@dataclass(frozen=True, slots=True)
class Manifest:
    version: int
    id: str | None
    lang: str
    tz: str | None  # format 2
    redact: tuple[str, ...]
    labels: dict[str, str]  # format 2: field name -> label as printed
    records: tuple[ListedRecord, ...]
    withdrawn: tuple[ListedRecord, ...] = ()  # deleted records listed without content
    exhibits: tuple[dict[str, Any], ...] = ()  # originals attached: no, attachment, name, sha256


def build_manifest(
    *,
    dossier_id: str,
    generated_at: datetime,
    lang: str,
    tz: str,
    redact: Iterable[str],
    labels: Mapping[str, str],
    records: Sequence[ListedRecord],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": f"{FORMAT_PREFIX}{CURRENT_VERSION}",
        "id": dossier_id,
        "generated_at": generated_at.isoformat(),
        "lang": lang,
        "tz": tz,
        "redact": sorted(redact),
        "labels": dict(labels),
        "records": [
            {
                "no": r.no,
                "record_id": r.record_id,
                "versions": list(r.versions),
                "shown": r.shown,
                "pages": list(r.pages) if r.pages else None,
            }
            for r in records
        ],
    }
    out.update(extra or {})
    return out


def read_manifest(data: Any) -> Manifest:
    """Parse the manifest of a dossier's proof file; ValueError when malformed."""
    if not isinstance(data, dict):
        raise ValueError("the proof file lists no records")
    fmt = data.get("format")
    if fmt is None:
        version = 1
    elif isinstance(fmt, str) and fmt.startswith(FORMAT_PREFIX) and fmt[-1:].isdigit():
        version = int(fmt[len(FORMAT_PREFIX) :])
    else:
        raise ValueError("unknown dossier format")
    if version > CURRENT_VERSION:
        raise ValueError(f"dossier format {version} is newer than this tool (update it)")
    items = data.get("records")
    if not isinstance(items, list) or len(items) > MAX_RECORDS:
        raise ValueError("malformed record list")
    records = [_record(item, version) for item in items]
    labels = data.get("labels") if version >= 2 else {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ValueError("malformed labels")
    tz = data.get("tz")
    if version >= 2 and not isinstance(tz, str):
        raise ValueError("no time zone")
    redact = data.get("redact") or []
    withdrawn = data.get("withdrawn") or []
    exhibits = data.get("exhibits") or []
    if not isinstance(withdrawn, list) or not isinstance(exhibits, list):
        raise ValueError("malformed withdrawn records or exhibits")
    if len(withdrawn) > MAX_RECORDS or len(exhibits) > MAX_RECORDS:
        raise ValueError("malformed withdrawn records or exhibits")
    return Manifest(
        version=version,
        id=data["id"] if isinstance(data.get("id"), str) else None,
        lang="zh" if data.get("lang") == "zh" else "en",
        tz=tz if isinstance(tz, str) else None,
        redact=tuple(str(x) for x in redact) if isinstance(redact, list) else (),
        labels={str(k): v for k, v in labels.items()},
        records=tuple(records),
        withdrawn=tuple(_record(item, 1) for item in withdrawn),
        exhibits=tuple(x for x in exhibits if isinstance(x, dict)),
    )


def _record(item: Any, version: int) -> ListedRecord:
    if not isinstance(item, dict):
        raise ValueError("malformed record")
    versions = item.get("versions") or []
    if not isinstance(versions, list):
        raise ValueError("malformed record")
    pages = item.get("pages")
    shown = item.get("shown")
    if version >= 2:
        ok = (
            isinstance(pages, list)
            and len(pages) == 2
            and all(isinstance(p, int) and not isinstance(p, bool) for p in pages)
            and 1 <= pages[0] <= pages[1]
            and isinstance(shown, str)
        )
        if not ok:
            raise ValueError(f"record {str(item.get('no'))[:20]}: malformed pages")
    return ListedRecord(
        no=str(item.get("no")),
        record_id=str(item.get("record_id")),
        versions=tuple(str(v) for v in versions),
        shown=shown if isinstance(shown, str) else None,
        pages=(pages[0], pages[1]) if version >= 2 else None,
    )
