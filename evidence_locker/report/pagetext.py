"""The text a reader sees in a dossier's page bodies, as the verifier compares it.

Text is taken with pypdf from the body band of each page (between the footer and the
header: page furniture such as "Page 3 of 40", the running header and the Bates
number is left out, so a record split over two pages reads as one text), and reduced
with :func:`~evidence_locker.report.fieldtext.comparable`.
"""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from evidence_locker.report.fieldtext import comparable
from evidence_locker.report.layout import BODY_BOTTOM, BODY_TOP


class PageText:
    """Pages of one PDF, each page's body text extracted at most once."""

    def __init__(self, pdf: bytes) -> None:
        self._reader = PdfReader(io.BytesIO(pdf), strict=False)
        self._cache: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._reader.pages)

    def body(self, number: int) -> str:
        """Page ``number`` (1-based), body band only, in comparable form."""
        if number not in self._cache:
            self._cache[number] = comparable(self._extract(number))
        return self._cache[number]

    def bodies(self, first: int, last: int) -> str:
        return "".join(self.body(n) for n in range(first, last + 1))

    def _extract(self, number: int) -> str:
        parts: list[str] = []

        def visit(text: str, cm: Any, tm: Any, *_: Any) -> None:
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            if BODY_BOTTOM <= y <= BODY_TOP:
                parts.append(text)

        self._reader.pages[number - 1].extract_text(visitor_text=visit)
        return "".join(parts)
