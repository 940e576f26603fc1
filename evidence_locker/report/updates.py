"""Which incremental updates after the dossier's signature leave its content alone.

A court's e-filing system files a PDF by adding a stamp: an incremental update with a
new annotation on a page (and the page's ``/Annots`` array grown by one). pyHanko's
difference analysis cannot accept that yet (its policy has no rule for annotations,
and a page that the outline links to counts as used elsewhere), so this module holds
the narrower rule the verifier applies instead, comparing every object of the
signed revision with what the file now says it is:

- unchanged: fine;
- a page: only its ``/Annots`` may change, by appending (what was there stays);
- a page's ``/Annots`` array, the form's ``/Fields`` array: appended to only;
- the catalog: ``/AcroForm``, ``/DSS``, ``/Extensions`` and ``/Metadata`` may be
  added or replaced (a stamp's form field, a time-stamp's validation data);
- the form dictionary: ``/Fields``, ``/SigFlags``, ``/DR`` may change;
- the document information dictionary and the XMP metadata stream: may change
  (they describe the file, they are not its pages);
- anything else changed or removed, or a page added or removed: refused.

New objects are free: only the allowed changes can make them part of the document.
"""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    StreamObject,
)

_CATALOG_FREE = frozenset({"/AcroForm", "/DSS", "/Extensions", "/Metadata"})
_FORM_FREE = frozenset({"/Fields", "/SigFlags", "/DR"})
MAX_DEPTH = 64


def later_update_problem(pdf: bytes, signed_end: int) -> str | None:
    """None when the updates after ``signed_end`` only add (see the module
    docstring); else what changed, in a few words."""
    old = PdfReader(io.BytesIO(pdf[:signed_end]), strict=False)
    new = PdfReader(io.BytesIO(pdf), strict=False)
    if len(new.pages) != len(old.pages):
        return "pages were added or removed after signing"
    root = _id(_raw(old.trailer, "/Root"))
    info = _id(_raw(old.trailer, "/Info"))
    catalog = old.trailer["/Root"]
    metadata = _id(_raw(catalog, "/Metadata"))
    pages = {_id(p.indirect_reference) for p in old.pages}
    form = catalog.get("/AcroForm")
    form_id = _id(_raw(catalog, "/AcroForm"))
    grow_only = {_id(_raw(p, "/Annots")) for p in old.pages}
    if form is not None:
        grow_only.add(_id(_raw(form, "/Fields")))
    grow_only.discard(None)
    for num in _object_numbers(old):
        before = old.get_object(IndirectObject(num, 0, old))
        after = new.get_object(IndirectObject(num, 0, new))
        if _canon(before) == _canon(after):
            continue
        if num in (info, metadata):
            continue
        if after is None:
            return f"object {num} was removed after signing"
        if num == root and _same_except(before, after, _CATALOG_FREE):
            continue
        if num == form_id and _same_except(before, after, _FORM_FREE):
            continue
        annots_grew = _appended(before.get("/Annots"), after.get("/Annots"))
        if num in pages and _same_except(before, after, {"/Annots"}) and annots_grew:
            continue
        if num in grow_only and _appended(before, after):
            continue
        return f"object {num} was changed after signing"
    return None


def _object_numbers(reader: PdfReader) -> list[int]:
    nums = set(reader.xref.get(0, {})) | set(reader.xref_objStm)
    return sorted(n for n in nums if n > 0)


def _raw(d: DictionaryObject, key: str) -> Any:
    """The value as stored (a reference stays a reference), or None."""
    return d.raw_get(key) if key in d else None


def _id(ref: Any) -> int | None:
    return getattr(ref, "idnum", None)


def _same_except(before: Any, after: Any, free: frozenset[str] | set[str]) -> bool:
    if not isinstance(before, DictionaryObject) or not isinstance(after, DictionaryObject):
        return False
    keys = (set(before) | set(after)) - set(free)
    return all(_canon(_raw(before, k)) == _canon(_raw(after, k)) for k in keys)


def _appended(before: Any, after: Any) -> bool:
    """``after`` is ``before`` with items added at the end (both arrays, or absent)."""
    if not isinstance(before, ArrayObject | type(None)) or not isinstance(after, ArrayObject):
        return False
    old = [_canon(x) for x in before or []]
    new = [_canon(x) for x in after]
    return len(new) >= len(old) and new[: len(old)] == old


def _canon(obj: Any, depth: int = 0) -> Any:
    """A comparable form of a PDF object: references stay references (the objects
    they name are compared on their own), streams compare their dictionary and their
    bytes as stored."""
    if depth > MAX_DEPTH:
        raise ValueError("object nested too deeply")
    if isinstance(obj, IndirectObject):
        return ("R", obj.idnum, obj.generation)
    if isinstance(obj, StreamObject):
        items = tuple(sorted((str(k), _canon(_raw(obj, k), depth + 1)) for k in obj))
        return ("S", items, bytes(obj._data or b""))
    if isinstance(obj, DictionaryObject):
        return ("D", tuple(sorted((str(k), _canon(_raw(obj, k), depth + 1)) for k in obj)))
    if isinstance(obj, ArrayObject):
        return ("A", tuple(_canon(x, depth + 1) for x in obj))
    return (type(obj).__name__, repr(obj))
