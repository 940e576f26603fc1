"""Terminal lines written straight to the console's file, byte for byte as rich would.

rich costs about 0.1 ms a print and a Segment per styled run, and its Table holds
every row before it writes the first (``list`` at 100,000 records: 56 s and 1 GB;
``check``'s report: three quarters of its time). What ``list`` and ``check`` print is
lines of plain text with a few styles (a bold heading, a coloured severity, a dim
label), so each line is put together here as a string: the text, and around each
styled part the codes rich itself writes for that style on this console (asked once
per style, so ``NO_COLOR``, a pipe or a 16-colour terminal come out as rich has them).

A line goes this way only where it is provably what rich would write: printable text
(rich strips some control codes and expands tabs), no trailing space past the width
(rich trims it), no wider than the console (rich crops), and, for text rich would
read as a string, no ``:`` (rich turns ``:smile:`` into an emoji). Any other line is
handed to rich as before, after what is waiting here is written, so the order holds.
tests/test_cli_direct.py pins the equality with colours on and off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len

if TYPE_CHECKING:
    from rich.console import Console

# What rich does not write as it is: C0 and C1 controls, DEL (tabs and newlines too:
# a line here is one line).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f]")
_MARK = "X"  # no SGR code contains it
_CHUNK = 1 << 16  # characters gathered before a write: one system call, not one a line

Part = tuple[str, str | None]  # text and its rich style (None: plain)


class Direct:
    """Lines for ``console``, gathered and written to its file in chunks."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.width = console.width
        # rich writes through the Windows console API on a legacy Windows terminal,
        # keeps a copy when recording, and holds output inside capture(): not here.
        self.enabled = not (
            console.legacy_windows
            or console.record
            or console.is_jupyter
            or getattr(console, "_buffer_index", 0)
        )
        self._codes: dict[str, tuple[str, str]] = {}
        self._pending: list[str] = []
        self._size = 0

    def codes(self, style: str) -> tuple[str, str]:
        """The codes rich writes before and after text in ``style`` on this console."""
        found = self._codes.get(style)
        if found is None:
            from rich.text import Text

            with self.console.capture() as capture:
                self.console.print(Text(_MARK, style=style))
            before, _, after = capture.get().rstrip("\n").partition(_MARK)
            found = self._codes[style] = (before, after)
        return found

    def fits(self, text: str, width: int | None = None) -> bool:
        """Whether rich would write the one-line ``text`` as it is in ``width`` cells
        (the console's; a table cell's), see the docstring."""
        width = self.width if width is None else width
        return (
            _UNSAFE.search(text) is None
            and cell_len(text) <= width
            and (len(text) <= width or not text[-1:].isspace())
        )

    def line(self, parts: Sequence[Part], *, as_string: bool = False) -> bool:
        """Add one line made of styled parts, as rich prints a Text built from them
        (``as_string``: as it prints a str, where ``:`` may start an emoji code);
        False, and nothing added, when rich might write it otherwise."""
        return self.block([parts], as_string=as_string)

    def block(self, lines: Sequence[Sequence[Part]], *, as_string: bool = False) -> bool:
        """Add lines printed as one Text (``Text("\\n").join``), all or none: False,
        and nothing added, when rich might write any of them otherwise."""
        if not self.enabled:
            return False
        for parts in lines:
            plain = "".join(text for text, _ in parts)
            if not self.fits(plain) or (as_string and ":" in plain):
                return False
        out = []
        for parts in lines:
            for text, style in parts:
                if style and text:
                    before, after = self.codes(style)
                    out.append(f"{before}{text}{after}")
                else:
                    out.append(text)
            out.append("\n")
        self.add("".join(out))
        return True

    def add(self, text: str) -> None:
        """Add text already checked and put together (ending in a newline)."""
        self._pending.append(text)
        self._size += len(text)
        if self._size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self.console.file.write("".join(self._pending))
            self._pending.clear()
            self._size = 0

    def text(self, lines: Sequence[Sequence[Part]]) -> None:
        """Lines printed as rich prints one Text of them joined by newlines (no_wrap,
        overflow "ignore"): written here where that is sure, else through rich."""
        if self.block(lines):
            return
        from rich.text import Text

        self.flush()
        texts = []
        for parts in lines:
            line = Text()
            for text, style in parts:
                line.append(text, style=style)
            texts.append(line)
        self.console.print(Text("\n").join(texts), no_wrap=True, overflow="ignore")

    def say(self, lines: Iterable[str], style: str | None = None) -> None:
        """Lines of a paragraph already broken to the width, each printed as
        ``console.print(line, markup=False, style=style, no_wrap=True,
        overflow="ignore")`` prints it."""
        for text in lines:
            if not self.line([(text, style)], as_string=True):
                self.flush()
                self.console.print(text, markup=False, style=style, no_wrap=True, overflow="ignore")
