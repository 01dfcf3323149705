"""Filling a DataTable with column widths computed from its content.

Textual's DataTable measures automatic column widths only when it is idle, so under load a freshly
filled table is painted at header width until a later refresh. Every table of the screens is
therefore filled through ``TableFill``: it measures each cell (in terminal cells), gives every column
an explicit width that fits the table's width (80 columns on the smallest terminal), lets the widest
text column take what is left, and cuts a longer cell with "…". The whole text of the cut cells of
the highlighted row is shown in a detail line under the table (``show_detail``), so nothing is cut
without a way to read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.css.scalar import Unit
from textual.widgets import DataTable, Static

SMALLEST = 80  # the narrowest terminal the screens are made for (columns)
SCROLLBAR = 2  # the vertical scrollbar's width
MIN_WIDE = 8  # the widest column keeps at least this many cells (or its content, if shorter)
ELLIPSIS = "…"


def as_text(cell: Any) -> Text:
    """A cell as literal text (a ``str`` is never read as markup)."""
    if isinstance(cell, Text):
        return cell
    return Text("" if cell is None else str(cell))


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]], available: int,
                  padding: int = 1) -> list[int]:
    """Content width of each column (header and every cell, in terminal cells). When they do not all
    fit in ``available`` cells (each column also takes ``2 * padding``), the columns other than the
    widest are capped to a common width, the largest with which the widest column still gets at
    least as much (and at least ``MIN_WIDE`` cells); the widest column then takes the rest. No
    column is narrower than its header."""
    natural = [cell_len(h) for h in headers]
    for row in rows:
        for i, c in enumerate(row[: len(headers)]):
            natural[i] = max(natural[i], as_text(c).cell_len)
    if not natural:
        return []
    budget = available - 2 * padding * len(headers)
    if sum(natural) <= budget:
        return natural
    wide = max(range(len(natural)), key=lambda i: natural[i])
    heads = [cell_len(h) for h in headers]
    others = [i for i in range(len(natural)) if i != wide]
    cap = max((natural[i] for i in others), default=0)
    floor = max((heads[i] for i in others), default=0)

    def used(c: int) -> int:
        return sum(max(heads[i], min(natural[i], c)) for i in others)

    def need_wide(c: int) -> int:
        return min(natural[wide], max(MIN_WIDE, heads[wide], c))

    while cap > max(floor, 1) and used(cap) + need_wide(cap) > budget:
        cap -= 1
    widths = [max(heads[i], min(natural[i], cap)) for i in range(len(natural))]
    widths[wide] = max(heads[wide], min(natural[wide], budget - used(cap)))
    return widths


def cut(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells, ending with … when it was longer."""
    if text.cell_len <= width:
        return text
    used = n = 0
    for ch in text.plain:
        if used + cell_len(ch) > width - 1:
            break
        used += cell_len(ch)
        n += 1
    out = text[:n]
    out.append(ELLIPSIS)
    return out


class TableFill:
    """Rows collected for one DataTable, then put in with explicit widths by ``done()``.

    ``add_row`` takes the same arguments as ``DataTable.add_row``, so a screen builds its rows as
    before and ends with ``done()``. The table's columns are replaced: their widths follow the new
    content. ``detail=False`` for a screen whose own detail pane already shows every column of the
    highlighted row whole."""

    def __init__(self, table: DataTable, *headers: str, detail: bool = True) -> None:
        self.table = table
        self.headers = list(headers)
        self.detail = detail
        self.rows: list[tuple[list[Any], Any]] = []

    def add_row(self, *cells: Any, key: Any = None) -> None:
        row = list(cells) + [""] * (len(self.headers) - len(cells))
        self.rows.append((row, key))

    def __len__(self) -> int:
        return len(self.rows)

    def available(self) -> int:
        table = self.table
        width = table.size.width
        fixed = table.styles.width
        if not width and fixed is not None and fixed.unit == Unit.CELLS:  # not laid out yet
            width = int(fixed.value) - table.styles.gutter.width
        if not width and table.parent is not None:
            width = table.parent.size.width
        if not width and table.is_attached:
            width = table.app.size.width
        return max(1, (width or SMALLEST) - SCROLLBAR)

    def done(self) -> DataTable:
        table = self.table
        widths = column_widths(self.headers, [r for r, _ in self.rows], self.available(),
                               table.cell_padding)
        table.clear(columns=True)
        for header, width in zip(self.headers, widths, strict=True):
            table.add_column(Text(header), width=width)
        full: dict[Any, list[tuple[str, str]]] = {}
        for row, key in self.rows:
            texts = [as_text(c) for c in row[: len(self.headers)]]
            shown = [cut(t, w) for t, w in zip(texts, widths, strict=True)]
            row_key = table.add_row(*shown, key=key)
            cut_cells = [(h, t.plain) for h, t, s in zip(self.headers, texts, shown, strict=True) if s is not t]
            if cut_cells:
                full[row_key] = cut_cells
        table.full_cells = full  # type: ignore[attr-defined]
        if full and self.detail and getattr(table, "detail_line", None) is None and table.parent is not None:
            # Added once some cell is cut, so the layout does not jump as the cursor moves.
            table.detail_line = Static(classes="table-detail")  # type: ignore[attr-defined]
            table.parent.mount(table.detail_line, after=table)
        if table.row_count:
            show_detail(table, table.coordinate_to_cell_key(table.cursor_coordinate).row_key)
        else:
            show_detail(table, None)
        return table


def detail_text(table: DataTable, row_key: Any) -> str:
    """The whole text of the cut cells of a row ("header：text", one per cell), or ""."""
    cells = getattr(table, "full_cells", {}).get(row_key, [])
    return "\n".join(f"{h}：{t}" for h, t in cells)


def show_detail(table: DataTable, row_key: Any) -> None:
    """Show the whole text of the row's cut cells in the detail line under the table (added by
    ``TableFill.done`` once a cell is cut; hidden while the row has none)."""
    detail = getattr(table, "detail_line", None)
    if detail is None:
        return
    text = detail_text(table, row_key) if row_key is not None else ""
    detail.update(Text(text))
    detail.display = bool(text)

def cell(text: object, style: str = "") -> Text:
    """A table cell showing user text literally (Rich Text: never read as markup, measured for
    the column width), with an optional style such as the red of 虚报 or 逾期."""
    return Text("" if text is None else str(text), style=style, no_wrap=True)
