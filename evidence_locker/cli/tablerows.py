"""A table of fixed column widths written row by row, byte for byte as rich's Table.

``list`` gave rich one Table of every record: rich lays out and holds every row
(100,000 records: 56 s, 1 GB) before the first is written. Once cli/columns.py has
fixed each column's width, a row's lines depend on that row alone, so the frame (the
top edge, the bold header, its rule, the row edges and the bottom edge) is asked of
rich once, from a table of the same columns and one empty row, and each row is then
written as its cells' lines between those edges, each padded to its column's width.
A row rich might write otherwise (a control code, a line wider than its column) is
rendered by rich alone, as a one-row table of the same columns, and its lines kept.
tests/test_cli_direct.py pins the equality with rich's whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from evidence_locker.cli.direct import Direct

_EDGES = 3  # a rule and a space of padding either side, per column (and one rule)


def table(headers: Sequence[str], widths: Sequence[int], *, show_header: bool = True) -> Table:
    """The rich Table ``list`` prints: bold headers, columns of fixed width, cells not
    wrapped (cli/columns.py breaks them first)."""
    from rich.table import Table

    out = Table(show_lines=False, header_style="bold", show_header=show_header)
    for header, width in zip(headers, widths, strict=True):
        out.add_column(header, width=width, no_wrap=True, overflow="fold")
    return out


def write(
    out: Direct,
    headers: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[Sequence[str]],
) -> bool:
    """Write the table of ``rows`` (each cell already broken into lines that fit its
    column) through ``out``; False, with nothing written, when rich would lay it out
    otherwise (it is wider than the console, or its frame is not what is expected)."""
    if not out.enabled or sum(widths) + _EDGES * len(widths) + 1 > out.width:
        return False
    frame = _frame(out.console, headers, widths)
    if frame is None:
        return False
    head, (left, mid, right), bottom = frame
    out.add(head)
    blanks = [" " * w for w in widths]
    inner = f" {mid} "
    for row in rows:
        cells = [cell.split("\n") for cell in row]
        pairs = zip(cells, widths, strict=True)
        if not all(out.fits(line, w) for lines, w in pairs for line in lines):
            out.add(_rich_row(out.console, headers, widths, row))
            continue
        for i in range(max(len(lines) for lines in cells)):
            shown = [
                lines[i] + " " * (w - cell_len(lines[i])) if i < len(lines) else blank
                for lines, w, blank in zip(cells, widths, blanks, strict=True)
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
    console: Console, headers: Sequence[str], widths: Sequence[int]
) -> tuple[str, tuple[str, str, str], str] | None:
    """rich's lines above the first row, the row edges and the bottom edge, taken from
    its rendering of the same columns with one empty row; None if that row is not
    the empty cells between single-character edges that ``write`` puts together."""
    from rich.text import Text

    frame = table(headers, widths)
    frame.add_row(*(Text("") for _ in widths))
    lines = _render(console, frame)
    if len(lines) < 3:
        return None
    *head, empty, bottom = lines
    at = 1 + widths[0] + 2
    edges = (empty[:1], empty[at : at + 1], empty[-1:])
    left, mid, right = edges
    if empty != left + f"{mid}".join(" " * (w + 2) for w in widths) + right:
        return None
    return "".join(f"{line}\n" for line in head), edges, f"{bottom}\n"


def _rich_row(
    console: Console, headers: Sequence[str], widths: Sequence[int], row: Sequence[str]
) -> str:
    """One row as rich lays it out in a table of these columns: its lines between the
    top and bottom edges of a one-row table without a header."""
    from rich.text import Text

    alone = table(headers, widths, show_header=False)
    alone.add_row(*(Text(cell) for cell in row))
    return "".join(f"{line}\n" for line in _render(console, alone)[1:-1])
