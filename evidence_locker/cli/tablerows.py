"""A table of fixed column widths written row by row, byte for byte as rich's Table.

``list`` gave rich one Table of every record: rich lays out and holds every row
(100,000 records: 56 s, 1 GB) before the first is written. Once cli/columns.py has
fixed each column's width, a row's lines depend on that row alone, so the frame (the
top edge, the bold header, its rule, the row edges and the bottom edge) is asked of
rich once, from a table of the same columns and one empty row, and each row is then
written as its cells' lines between those edges, each padded to its column's width.
A row rich might write otherwise (a control code, a line wider than its column) is
rendered by rich alone, as a one-row table of the same columns, and its lines kept.
With ``show_lines`` (``check``'s findings) the rule rich draws between rows is taken
from the frame too (two empty rows), and a cell may carry a style (the severity in its
colour): rich writes each of the cell's lines padded inside that style's codes, and
the blank lines under a shorter cell unstyled.
tests/test_cli_direct.py pins the equality with rich's whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from evidence_locker.cli.direct import Direct

_EDGES = 3  # a rule and a space of padding either side, per column (and one rule)

Cell = str | tuple[str, str]  # a cell's lines, alone or with the rich style they are in


def table(
    headers: Sequence[str],
    widths: Sequence[int],
    *,
    show_header: bool = True,
    show_lines: bool = False,
) -> Table:
    """The rich Table ``list`` prints (``check``'s too, with ``show_lines``): bold
    headers, columns of fixed width, cells not wrapped (cli/columns.py breaks them
    first)."""
    from rich.table import Table

    out = Table(show_lines=show_lines, header_style="bold", show_header=show_header)
    for header, width in zip(headers, widths, strict=True):
        out.add_column(header, width=width, no_wrap=True, overflow="fold")
    return out


def write(
    out: Direct,
    headers: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[Sequence[Cell]],
    *,
    show_lines: bool = False,
) -> bool:
    """Write the table of ``rows`` (each cell already broken into lines that fit its
    column) through ``out``; False, with nothing written, when rich would lay it out
    otherwise (it is wider than the console, or its frame is not what is expected)."""
    if not out.enabled or sum(widths) + _EDGES * len(widths) + 1 > out.width:
        return False
    frame = _frame(out.console, headers, widths, show_lines=show_lines)
    if frame is None:
        return False
    head, (left, mid, right), between, bottom = frame
    out.add(head)
    blanks = [" " * w for w in widths]
    inner = f" {mid} "
    first = True
    for row in rows:
        if not first:
            out.add(between)
        first = False
        texts = [cell if isinstance(cell, str) else cell[0] for cell in row]
        cells = [text.split("\n") for text in texts]
        pairs = zip(cells, widths, strict=True)
        if not all(out.fits(line, w) for lines, w in pairs for line in lines):
            out.add(_rich_row(out.console, headers, widths, row, show_lines=show_lines))
            continue
        codes = [("", "") if isinstance(cell, str) else out.codes(cell[1]) for cell in row]
        for i in range(max(len(lines) for lines in cells)):
            shown = [
                f"{on}{lines[i]}{' ' * (w - cell_len(lines[i]))}{off}" if i < len(lines) else blank
                for lines, w, blank, (on, off) in zip(cells, widths, blanks, codes, strict=True)
            ]
            out.add(f"{left} {inner.join(shown)} {right}\n")
    out.add(bottom)
    out.flush()
    return True


def _render(console: Console, renderable: Table) -> list[str]:
    with console.capture() as capture:
        console.print(renderable)
    return capture.get().split("\n")[:-1]


def _frame(
    console: Console, headers: Sequence[str], widths: Sequence[int], *, show_lines: bool
) -> tuple[str, tuple[str, str, str], str, str] | None:
    """rich's lines above the first row, the row edges, the line between two rows and
    the bottom edge, taken from its rendering of the same columns with one empty row
    (two with ``show_lines``); None if a row is not the empty cells between
    single-character edges that ``write`` puts together."""
    from rich.text import Text

    frame = table(headers, widths, show_lines=show_lines)
    for _ in range(2 if show_lines else 1):
        frame.add_row(*(Text("") for _ in widths))
    lines = _render(console, frame)
    if len(lines) < (5 if show_lines else 3):
        return None
    between = ""
    if show_lines:
        *head, empty, between, again, bottom = lines
        if again != empty:
            return None
    else:
        *head, empty, bottom = lines
    at = 1 + widths[0] + 2
    edges = (empty[:1], empty[at : at + 1], empty[-1:])
    left, mid, right = edges
    if empty != left + f"{mid}".join(" " * (w + 2) for w in widths) + right:
        return None
    head_text = "".join(f"{line}\n" for line in head)
    return head_text, edges, f"{between}\n" if show_lines else "", f"{bottom}\n"


def _rich_row(
    console: Console,
    headers: Sequence[str],
    widths: Sequence[int],
    row: Sequence[Cell],
    *,
    show_lines: bool,
) -> str:
    """One row as rich lays it out in a table of these columns: its lines between the
    top and bottom edges of a one-row table without a header."""
    alone = table(headers, widths, show_header=False, show_lines=show_lines)
    alone.add_row(*texts(row))
    return "".join(f"{line}\n" for line in _render(console, alone)[1:-1])


def texts(row: Sequence[Cell]) -> list[Text]:
    """The row's cells as the rich Texts ``write`` stands for."""
    from rich.text import Text

    return [Text(cell) if isinstance(cell, str) else Text(cell[0], style=cell[1]) for cell in row]
