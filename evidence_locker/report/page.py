"""Page furniture and the document template, all in one pass over the pages.

Every page gets a running header (the dossier's title, or the case it is about), a
footer (dossier id, generation time, "Page X of Y") and a Bates number. Numbers known
only at the end (the total, the page each section starts on for the table of
contents) are drawn as form XObjects that are defined when the document is saved:
PDF allows the forward reference, so pages are never held in memory or laid out
twice. :class:`PageMark` notes where records and sections start (for the manifest,
the contents and the PDF outline). A heading (style ``keepWithNext``) never ends a
page: :class:`HeadingWithNext` takes it over with what it heads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate
from reportlab.platypus.doctemplate import FrameBreak

from evidence_locker.report.fonts import LATIN, LATIN_BOLD, draw_string, string_width
from evidence_locker.report.geometry import FOOTER_Y, HEADER_Y, MARGIN, PAGE_W

_TOTAL_FORM = "elPageTotal"
BATES_DIGITS = 6
_GREY = colors.Color(0.3, 0.3, 0.3)


def draw_continuation(canvas: rl_canvas.Canvas, mark: str) -> None:
    """The mark of a block that continues from the previous page ("E-3 · Content
    (continued)"), at the right of the header band: page furniture, so a record's text
    reads on unbroken for the verifier and for copy and paste."""
    canvas.saveState()
    canvas.setFillColor(_GREY)
    draw_string(canvas, PAGE_W - MARGIN - string_width(mark, 7.5), HEADER_Y, mark, 7.5)
    canvas.restoreState()


def bates_number(prefix: str, page: int) -> str:
    return f"{prefix}{page:0{BATES_DIGITS}d}"


@dataclass(frozen=True, slots=True)
class Furniture:
    """What the header and footer say."""

    header: str  # the title, or the case the dossier is about
    footer: str  # dossier id and generation time
    page_label: Callable[[int], tuple[str, str]]  # "Page 3 of " + template for the total
    bates: str  # Bates prefix
    when: datetime  # creation time written into the PDF
    invariant: bool


def canvas_class(furniture: Furniture) -> type[rl_canvas.Canvas]:
    """A canvas that draws the furniture of each page as it is finished."""

    class DossierCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1 if furniture.invariant else 0
            kwargs["initialFontName"] = LATIN  # else Helvetica, which is never embedded
            kwargs["pdfVersion"] = (1, 7)
            super().__init__(*args, **kwargs)
            set_timestamp(self, furniture.when)
            self._total_tail = "{total}"
            self.section_pages: dict[str, int] = {}
            # form name -> (section key, how to print its page number)
            self.forward_forms: dict[str, tuple[str, Callable[[int], str]]] = {}

        def showPage(self) -> None:
            self._furniture(self.getPageNumber())
            super().showPage()

        def save(self) -> None:
            total = self.getPageNumber() - 1
            self.beginForm(_TOTAL_FORM)
            draw_string(self, 0, 0, self._total_tail.format(total=total), 7.5)
            self.endForm()
            self.section_pages[LAST_PAGE] = total
            for form, (key, fmt) in self.forward_forms.items():
                page = self.section_pages.get(key)
                text = fmt(page) if page is not None else "—"
                self.beginForm(form, lowerx=-300, lowery=-5, upperx=10, uppery=20)
                draw_string(self, -string_width(text, 9), 0, text, 9)  # right-aligned
                self.endForm()
            super().save()

        def _furniture(self, number: int) -> None:
            before, self._total_tail = furniture.page_label(number)
            self.saveState()
            self.setFillColor(_GREY)
            if number > 1:
                draw_string(self, MARGIN, HEADER_Y, furniture.header, 7.5)
            self.setStrokeColor(colors.Color(0.5, 0.5, 0.5))
            self.setLineWidth(0.4)
            self.line(MARGIN, 14 * mm, PAGE_W - MARGIN, 14 * mm)
            self.setFillColor(colors.black)
            draw_string(self, MARGIN, FOOTER_Y, furniture.footer, 7.5)
            bates = bates_number(furniture.bates, number)
            right = PAGE_W - MARGIN - string_width(bates, 8, LATIN_BOLD)
            draw_string(self, right, FOOTER_Y, bates, 8, LATIN_BOLD)
            # "Page X of Y" left of the Bates number, with room for a four-digit total
            widest = before + self._total_tail.format(total="0000")
            x = right - 8 * mm - string_width(widest, 7.5)
            draw_string(self, x, FOOTER_Y, before, 7.5)
            self.translate(x + string_width(before, 7.5), FOOTER_Y)
            self.doForm(_TOTAL_FORM)
            self.restoreState()

    return DossierCanvas


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


def page_label(say: Callable[..., str]) -> Callable[[int], tuple[str, str]]:
    """Split "Page {page} of {total}" around the total; ``say`` is the dossier's
    ``RenderContext.L``."""
    marker = "\x00"

    def label(page: int) -> tuple[str, str]:
        text = say("page_of", page=page, total=marker)
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
    """A marker of no size: the document notes the page it lands on (the manifest's
    pages of each record, the contents), and with ``outline`` it becomes a bookmark
    in the PDF outline at that spot (``(title, level)``)."""

    def __init__(self, key: str, kind: str, outline: tuple[str, int] | None = None) -> None:
        super().__init__()
        self.key, self.kind, self.outline = key, kind, outline
        self.width = self.height = 0

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if self.outline is not None:
            title, level = self.outline
            name = f"el-{self.kind}-{self.key}"
            self.canv.bookmarkHorizontal(name, 0, 0)
            self.canv.addOutlineEntry(title, name, level=level, closed=level == 0)


def section_mark(key: str, title: str) -> PageMark:
    """Where a section starts: its contents entry and its top-level bookmark."""
    return PageMark(key, "section", (title, 0))


LAST_PAGE = "__last__"


def forward_page_number(canvas: rl_canvas.Canvas, key: str, fmt: Callable[[int], str] = str) -> str:
    """The name of a form that will show, right-aligned at its origin, the page that
    section ``key`` starts on (or the last page, for :data:`LAST_PAGE`), as ``fmt``
    prints it."""
    form = f"elSection-{key}-{len(canvas.forward_forms)}"
    canvas.forward_forms[form] = (key, fmt)
    return form


class HeadingWithNext(KeepTogether):
    """A heading (one or more flowables whose style keeps them with the next) and the
    flowable after it, as reportlab groups them: the heading goes with the first part
    of what follows. reportlab's KeepTogether breaks the page whenever the group as a
    whole is taller than the room left, which would leave most of a page blank before
    every heading of a long table; this only moves the heading on when not even the
    start of what it heads fits below it."""

    def split(self, aW: float, aH: float) -> list[Flowable]:
        *heads, after = self._content
        used = sum(f.wrap(aW, aH)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in heads)
        room = aH - used - after.getSpaceBefore()
        if room > 0:
            if after.wrap(aW, room)[1] <= room:
                return list(self._content)
            parts = after.split(aW, room)
            if parts:
                return [*heads, *parts]
        frame = getattr(self, "_frame", None)
        if frame is not None and getattr(frame, "_atTop", False):
            return list(self._content)  # taller than a page: as reportlab would lay it out
        return [FrameBreak(), *self._content]


class DossierDoc(SimpleDocTemplate):
    """Notes the page of each :class:`PageMark` and reports progress as each record
    is laid out (layout is where the time goes)."""

    def __init__(
        self, progress: Callable[[int, int], None] | None, total: int, *args: Any, **kw: Any
    ) -> None:
        super().__init__(*args, keepTogetherClass=HeadingWithNext, **kw)
        self._progress = progress
        self._total = total
        self.marks: dict[tuple[str, str], int] = {}

    def afterFlowable(self, flowable: Any) -> None:
        for key, kind in getattr(flowable, "_el_marks", ()):
            self.marks[(key, kind)] = self.page
        if isinstance(flowable, PageMark):
            self.marks[(flowable.key, flowable.kind)] = self.page
            if flowable.kind == "section":
                self.canv.section_pages.setdefault(flowable.key, self.page)
            return
        done = getattr(flowable, "_el_done", None)
        if done is not None and self._progress is not None and (done % 25 == 0):
            self._progress(done, self._total)
