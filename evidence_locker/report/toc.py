"""The table of contents, and text that ends in a page number known only at the end.

Both draw form XObjects that :mod:`page` defines when the document is saved (the
page a section starts on, the last page), so the contents cost one pass, not two.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Flowable

from evidence_locker.report.fonts import LATIN, draw_string, string_width
from evidence_locker.report.page import forward_page_number


class Contents(Flowable):
    """One line per section: its title, a dotted leader, the page it starts on."""

    LINE = 17.0

    def __init__(self, entries: Sequence[tuple[str, str]], size: float = 10.5) -> None:
        super().__init__()
        self.entries = list(entries)  # (section key, title)
        self.size = size
        self.width = self.height = 0.0

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        self.width, self.height = avail_w, self.LINE * len(self.entries)
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        y = self.height
        for key, title in self.entries:
            y -= self.LINE
            draw_string(canv, 0, y + 4, title, self.size)
            left = string_width(title, self.size) + 6
            canv.saveState()
            canv.setStrokeColor(colors.Color(0.6, 0.6, 0.6))
            canv.setDash(1, 2)
            canv.setLineWidth(0.6)
            if self.width - 40 > left:
                canv.line(left, y + 4, self.width - 40, y + 4)
            canv.restoreState()
            canv.saveState()
            canv.translate(self.width, y + 4)
            canv.doForm(forward_page_number(canv, key))
            canv.restoreState()


class ForwardLine(Flowable):
    """``text`` followed by a number known only at the end (the last Bates number)."""

    def __init__(
        self, text: str, key: str, fmt: Callable[[int], str], sample: str, size: float = 7.5
    ) -> None:
        super().__init__()
        self.text, self.key, self.fmt, self.size = text, key, fmt, size
        self.reserve = string_width(sample, 9)
        self.width = string_width(text, size) + self.reserve
        self.height = size * 1.3

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canv: Any = self.canv
        draw_string(canv, 0, self.size * 0.3, self.text, self.size, LATIN)
        canv.saveState()
        canv.translate(self.width, self.size * 0.3)
        canv.scale(self.size / 9, self.size / 9)
        canv.doForm(forward_page_number(canv, self.key, self.fmt))
        canv.restoreState()
