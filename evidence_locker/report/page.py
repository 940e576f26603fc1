"""Page furniture and the document template: footers with "Page X of Y" written
without holding pages in memory, a story consumed lazily, progress reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from evidence_locker.report.context import RenderContext
from evidence_locker.report.fonts import LATIN, draw_string, string_width
from evidence_locker.report.layout import MARGIN, PAGE_W

_TOTAL_FORM = "elPageTotal"


def canvas_class(
    footer_left: str,
    page_label: Callable[[int], tuple[str, str]],
    when: datetime,
    invariant: bool,
) -> type[rl_canvas.Canvas]:
    """A canvas whose footers say "Page X of Y" without holding pages in memory.

    Each footer draws "Page X of " and then a form XObject that is defined only when
    the document is saved and the total is known (PDF allows the forward reference).
    ``page_label(n)`` returns the text before the total and the template after it.
    """

    class FooterCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1 if invariant else 0
            kwargs["initialFontName"] = LATIN  # else Helvetica, which is never embedded
            super().__init__(*args, **kwargs)
            set_timestamp(self, when)
            self._total_tail = "{total}"

        def showPage(self) -> None:
            self._footer(self.getPageNumber())
            super().showPage()

        def save(self) -> None:
            total = self.getPageNumber() - 1
            self.beginForm(_TOTAL_FORM)
            draw_string(self, 0, 0, self._total_tail.format(total=total), 7.5)
            self.endForm()
            super().save()

        def _footer(self, number: int) -> None:
            before, self._total_tail = page_label(number)
            self.saveState()
            self.setStrokeColor(colors.Color(0.5, 0.5, 0.5))
            self.setLineWidth(0.4)
            self.line(MARGIN, 14 * mm, PAGE_W - MARGIN, 14 * mm)
            self.setFillColor(colors.black)
            draw_string(self, MARGIN, 10 * mm, footer_left, 7.5)
            # room for a four-digit total, so the label's left edge is known now
            widest = before + self._total_tail.format(total="0000")
            x = PAGE_W - MARGIN - string_width(widest, 7.5)
            draw_string(self, x, 10 * mm, before, 7.5)
            self.translate(x + string_width(before, 7.5), 10 * mm)
            self.doForm(_TOTAL_FORM)
            self.restoreState()

    return FooterCanvas


def set_timestamp(canvas: rl_canvas.Canvas, when: datetime) -> None:
    """PDF CreationDate/ModDate = generation time (reportlab otherwise reads the clock)."""
    ts = canvas._doc._timeStamp
    off = when.utcoffset() or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    ts.t = when.timestamp()
    ts.lt = when.timetuple()
    ts.YMDhms = tuple(when.timetuple())[:6]
    ts.dhh, ts.dmm = divmod(minutes, 60) if minutes >= 0 else (-(-minutes // 60), -minutes % 60)
    ts.tzname = when.tzname() or "UTC"


def page_label(ctx: RenderContext) -> Callable[[int], tuple[str, str]]:
    """Split "Page {page} of {total}" around the total, in the dossier's language."""
    marker = "\x00"

    def label(page: int) -> tuple[str, str]:
        text = ctx.L("page_of", page=page, total=marker)
        before, _, after = text.partition(marker)
        return before, "{total}" + after

    return label


class LazyStory(list):  # type: ignore[type-arg]
    """The flowable list reportlab consumes from the front, filled from a generator a
    little ahead of use: a 10,000-record dossier never holds all its flowables at once.

    reportlab only reads the first few items (``[0]``, ``[i]`` while looking for
    keep-with-next runs, ``[:i]``), deletes from the front and pushes split parts back.
    """

    AHEAD = 32

    def __init__(self, source: Iterator[Any]) -> None:
        super().__init__()
        self._source: Iterator[Any] | None = source

    def _fill(self, n: int) -> None:
        while self._source is not None and list.__len__(self) < n:
            try:
                self.append(next(self._source))
            except StopIteration:
                self._source = None

    def __len__(self) -> int:
        self._fill(self.AHEAD)
        return list.__len__(self)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            stop = index.stop
            self._fill(stop if stop is not None and stop >= 0 else 1 << 62)
        else:
            self._fill(index + 1 if index >= 0 else 1 << 62)
        return list.__getitem__(self, index)

    def __bool__(self) -> bool:
        return len(self) > 0


class PageMark(Flowable):
    """A marker of no size: the document notes the page it lands on, so the manifest
    can say which pages show each record."""

    def __init__(self, key: str, kind: str) -> None:
        super().__init__()
        self.key, self.kind = key, kind
        self.width = self.height = 0

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


class DossierDoc(SimpleDocTemplate):
    """Notes the page of each :class:`PageMark` and reports progress as each record
    is laid out (layout is where the time goes)."""

    def __init__(
        self, progress: Callable[[int, int], None] | None, total: int, *args: Any, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self._progress = progress
        self._total = total
        self.marks: dict[tuple[str, str], int] = {}

    def afterFlowable(self, flowable: Any) -> None:
        if isinstance(flowable, PageMark):
            self.marks[(flowable.key, flowable.kind)] = self.page
            return
        done = getattr(flowable, "_el_done", None)
        if done is not None and self._progress is not None and (done % 25 == 0):
            self._progress(done, self._total)
