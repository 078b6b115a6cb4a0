"""How the report prints: every sheet landscape A4, fitted to the page width, header row
repeated; and charts placed so that no page break cuts one.

A sheet fitted to the width is scaled by (printable width) / (sheet width), so how many
rows a page holds depends on the sheet's width. :class:`PageGrid` estimates it from the
column widths (as Excel measures them; LibreOffice draws columns wider, so it scales more
and its pages hold more rows: the estimate is on the safe side for both), and sets manual
page breaks at that many rows, so the pages are known and a chart can be put where it
fits whole.
"""

from __future__ import annotations

import math

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break

PAGE_WIDTH_PT = (297 - 2 * 12.7) / 25.4 * 72  # A4 landscape, 0.5 in side margins
PAGE_HEIGHT_PT = (210 - 2 * 15.24) / 25.4 * 72 - 20  # 0.6 in top and bottom; the footer
ROW_PT = 15.0  # a default row
DEFAULT_WIDTH = 8.43  # characters, a column whose width is not set
CM_PT = 72 / 2.54
MAX_CHART_WIDTH_CM = 26.0  # a chart below a wide table grows as wide as it up to this
MAX_CHART_CM = 10.0  # a chart grows into the room left on its page up to this height


def print_setup(ws, *, title_rows: str | None = "1:1") -> None:
    """Landscape A4, fitted to the page width (as many pages down as it takes), narrow
    margins, the header row repeated and the sheet's name and page in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6, header=0.3,
                                  footer=0.3)
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "&A, page &P of &N"


def column_pt(width: float | None) -> float:
    """A column's printed width in points as Excel measures it (7 px per character of
    Calibri 11 and 5 px of padding, at 96 px per inch)."""
    return 0.75 * (7 * (width or DEFAULT_WIDTH) + 5)


def columns_pt(ws, count: int) -> float:
    """The printed width of the sheet's first ``count`` columns."""
    dims = ws.column_dimensions
    return sum(column_pt(dims[get_column_letter(j)].width if get_column_letter(j) in dims
                         else None) for j in range(1, count + 1))


class PageGrid:
    """The pages of a sheet printed to its width: ``rows`` rows below the repeated header
    on every page (manual breaks keep it so), the first page starting at row 2."""

    def __init__(self, ws, width_pt: float):
        scale = min(1.0, PAGE_WIDTH_PT / max(width_pt, 1.0))
        header = ws.row_dimensions[1].height or ROW_PT
        self.ws = ws
        self.rows = max(4, math.floor((PAGE_HEIGHT_PT / scale - header) / ROW_PT))
        self.last_row = 1

    def page_start(self, page: int) -> int:
        return 2 + page * self.rows

    def page_of(self, row: int) -> int:
        return max(0, (row - 2) // self.rows)

    def need(self, row: int) -> None:
        """Rows up to ``row`` are used (by a table or a chart)."""
        self.last_row = max(self.last_row, row)

    def slots(self, height_cm: float) -> tuple[int, int]:
        """Charts of ``height_cm`` per page, and the rows each one's slot takes."""
        rows = math.ceil(height_cm * CM_PT / ROW_PT) + 1
        per_page = max(1, self.rows // rows)
        return per_page, self.rows // per_page

    def set_breaks(self) -> None:
        """A manual break after every page's last row, down to the last row used."""
        for page in range(self.page_of(self.last_row) + 1):
            self.ws.row_breaks.append(Break(id=self.page_start(page + 1) - 1))


def stack_right(ws, charts: list, table_columns: int, table_rows: int) -> None:
    """Charts in one column, two columns right of the table, as many per page as fit
    whole, none across a page break."""
    if not charts:
        return
    left = table_columns + 2
    width_pt = columns_pt(ws, left - 1) + max(c.width for c in charts) * CM_PT
    grid = PageGrid(ws, width_pt)
    grid.need(table_rows + 1)
    per_page, slot = grid.slots(max(c.height for c in charts))
    for c in charts:  # as tall as the slot (a chart taller than a page shrinks to it)
        c.height = min(max(c.height, MAX_CHART_CM), (slot - 1) * ROW_PT / CM_PT)
    for n, chart in enumerate(charts):
        row = grid.page_start(n // per_page) + (n % per_page) * slot
        ws.add_chart(chart, f"{get_column_letter(left)}{row}")
        grid.need(row + slot - 1)
    grid.set_breaks()


def _column_at(ws, offset_pt: float) -> int:
    """The first column that starts at least ``offset_pt`` right of column A's left
    edge (Excel's widths: LibreOffice's are wider, so charts never overlap there)."""
    col, left = 1, 0.0
    while left < offset_pt:
        letter = get_column_letter(col)
        left += column_pt(ws.column_dimensions[letter].width
                          if letter in ws.column_dimensions else None)
        col += 1
    return col


def stack_below(ws, charts: list, table_columns: int, table_rows: int, *,
                across: int = 1) -> None:
    """Charts below the table, ``across`` side by side, each row of charts on the page
    where it fits whole; a lone chart as wide as the table, within reason."""
    if not charts:
        return
    table_pt = columns_pt(ws, table_columns)
    if across == 1:
        for c in charts:
            c.width = min(MAX_CHART_WIDTH_CM, max(c.width, table_pt / CM_PT))
    rows_of = [charts[i:i + across] for i in range(0, len(charts), across)]
    width_pt = max(table_pt, max(sum(c.width for c in group) * CM_PT + 20 * len(group)
                                 for group in rows_of))
    grid = PageGrid(ws, width_pt)
    row = table_rows + 3
    for group in rows_of:
        height = max(c.height for c in group)
        rows = min(grid.rows - 1, math.ceil(height * CM_PT / ROW_PT) + 1)
        for c in group:
            c.height = min(height, (grid.rows - 2) * ROW_PT / CM_PT)
        if grid.page_of(row) != grid.page_of(row + rows - 1):
            row = grid.page_start(grid.page_of(row) + 1)
        offset = 0.0
        for c in group:
            ws.add_chart(c, f"{get_column_letter(_column_at(ws, offset))}{row}")
            offset += c.width * CM_PT + 20
        row += rows
        grid.need(row)
    grid.need(table_rows + 1)
    grid.set_breaks()
