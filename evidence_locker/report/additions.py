"""What was added to a dossier after it was signed, in words.

A court's e-filing system stamps a filed PDF with an incremental update that adds an
annotation ("FILED 2025-04-03 ..."); a time-stamping service adds a document
time-stamp and validation data. Such updates leave the signed bytes as they were
(:func:`evidence_locker.crypto.pdfsign.check_pdf_signature` lets them through only
when pyHanko's difference analysis finds nothing but annotations, form fields or
validation data). The verifier then names each addition, with the text it shows, so
a reader knows what on the page is not part of the signed dossier.
"""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

MAX_LISTED = 50  # additions named one by one; more are counted
MAX_TEXT = 80


def describe_additions(pdf: bytes, signed_end: int) -> list[tuple[str, dict[str, Any]]]:
    """``(message key, params)`` for each thing the updates after ``signed_end`` add."""
    before = PdfReader(io.BytesIO(pdf[:signed_end]), strict=False)
    after = PdfReader(io.BytesIO(pdf), strict=False)
    out: list[tuple[str, dict[str, Any]]] = []
    for n, (old, new) in enumerate(zip(before.pages, after.pages, strict=False), 1):
        known = {_ref(a) for a in old.get("/Annots") or []}
        for annot in new.get("/Annots") or []:
            if _ref(annot) in known:
                continue
            obj = annot.get_object()
            subtype = str(obj.get("/Subtype", "/?")).lstrip("/")
            if subtype == "Widget" and str(obj.get("/FT", "")) == "/Sig":
                continue  # a later signature field: counted below
            text = str(obj.get("/Contents") or obj.get("/T") or "").strip()[:MAX_TEXT]
            out.append(("added_annotation", {"page": n, "kind": subtype, "text": text or "—"}))
    if len(after.pages) > len(before.pages):
        out.append(("added_pages", {"count": len(after.pages) - len(before.pages)}))
    old_fields = set((before.get_fields() or {}).keys())
    for name, spec in (after.get_fields() or {}).items():
        if name not in old_fields:
            kind = "signature" if str(spec.get("/FT", "")) == "/Sig" else "field"
            value = spec.get("/V")
            stamp = value is not None and value.get_object().get("/Type") == "/DocTimeStamp"
            if kind == "signature" and stamp:
                kind = "timestamp"
            out.append((f"added_{kind}", {"name": name}))
    root = after.trailer["/Root"]
    if "/DSS" in root and "/DSS" not in before.trailer["/Root"]:
        out.append(("added_dss", {}))
    if len(out) > MAX_LISTED:
        out = [*out[:MAX_LISTED], ("added_more", {"count": len(out) - MAX_LISTED})]
    return out


def _ref(annot: Any) -> Any:
    ref = getattr(annot, "idnum", None)
    return ref if ref is not None else id(annot)
