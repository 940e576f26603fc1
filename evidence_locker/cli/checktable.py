"""``check``'s findings on a wide terminal: a table per group, written row by row.

rich's Table lays out and holds every row before it writes the first, and shares the
width by fixed ratios, then breaks cells at spaces or anywhere (``2025-04-0`` / ``9``,
a line starting with "）"): a 20,000-record report took 8.6 s at 160 columns against
2.7 s as blocks at 80. Here the columns get fixed widths once per group
(cli/columns.py: the number, severity and time at their natural width, the four
columns of free text sharing the rest by the root of how much text each holds, see
``weight``, none below ten cells or its longest unbreakable run up to eighteen), each
cell is broken where a reader allows
(cli/linebreak.py: never inside a number, a date, a word or a phone number), and the
rows are written as rich would write that table (cli/tablerows.py), a rule between
rows. When even the narrowest columns do not fit, ``write`` says so and the caller
prints blocks, as below 120 columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len

if TYPE_CHECKING:
    from evidence_locker.cli.columns import Column
    from evidence_locker.cli.direct import Direct
    from evidence_locker.cli.tablerows import Cell

# Marks no line may start with: the line breaker never breaks before them, but a word
# wider than its column is cut by cells, and the cut may leave one alone.
_CLOSING = frozenset("，。、；：！？）」』】》”’…,.;:!?)")
STYLED = 1  # the column whose cells carry a style (the severity, in its colour)
_TIME = 17  # the time column: "2026-02-09 21:30", and two record ids to a line


def when_cell(when: str, ids: str) -> str:
    """The time over the record ids, each kept to about the time's width: a day whose
    time is unknown over its "(time unknown)", the ids two to a line."""
    from evidence_locker.cli.linebreak import wrap

    if cell_len(when) > _TIME:
        for mark in (" (", "（"):
            day, found, rest = when.partition(mark)
            if found:
                when = f"{day}\n{mark.strip()}{rest}"
                break
    return "\n".join([when, *wrap(ids, _TIME)])


def weight(cells: Sequence[str]) -> float:
    """A free-text column's claim on the shared room: the square root of the width of
    text a row holds in it. Widths in proportion to the text make every column about
    as tall but squeeze a short one (what happened: one message) to a sliver beside a
    long one (two citations of a hundred characters); equal widths leave a short
    column's lines half empty. The root is between the two."""
    return (sum(map(cell_len, cells)) / max(1, len(cells))) ** 0.5


def write(out: Direct, columns: Sequence[Column], styles: Sequence[str]) -> bool:
    """One group's table (``styles``: each row's style for the STYLED column); False,
    with nothing written, when the columns cannot fit the terminal."""
    from evidence_locker.cli import tablerows
    from evidence_locker.cli.columns import widths, wrapped

    fitted = widths(columns, out.width)
    if fitted is None:
        return False
    # A header is broken as its cells are ("What" over "happened"), never cut.
    headers = [wrapped(c.header, width) for c, width in zip(columns, fitted, strict=True)]
    out.flush()
    if tablerows.write(out, headers, fitted, _rows(columns, styles, fitted), show_lines=True):
        return True
    # rich alone (a capture, a recording, a legacy Windows console): the same table.
    table = tablerows.table(headers, fitted, show_lines=True)
    for row in _rows(columns, styles, fitted):
        table.add_row(*tablerows.texts(row))
    out.console.print(table)
    return True


def _rows(
    columns: Sequence[Column], styles: Sequence[str], fitted: Sequence[int]
) -> Iterator[list[Cell]]:
    """Each row's cells broken to their columns' widths, one row at a time; no-break
    spaces (which kept a phone number or "(score 3)" whole) written as spaces."""
    from evidence_locker.cli.columns import wrapped

    for row, style in zip(zip(*(c.cells for c in columns), strict=True), styles, strict=True):
        texts = [
            _closed(wrapped(text, width), width).replace("\u00a0", " ")
            for text, width in zip(row, fitted, strict=True)
        ]
        yield [(text, style) if i == STYLED else text for i, text in enumerate(texts)]


def _closed(text: str, width: int) -> str:
    """``text``'s lines with no line starting with a closing mark: a word cut by cells
    (``CN-CBA-TIME-2026-…`` / ``”``) gives the end of its cut line to the next, as
    long as that still fits in ``width``."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    for i in range(1, len(lines)):
        while lines[i][:1] in _CLOSING and len(lines[i - 1]) > 1:
            moved = lines[i - 1][-1] + lines[i]
            if cell_len(moved) > width:
                break
            lines[i - 1], lines[i] = lines[i - 1][:-1], moved
    return "\n".join(lines)
