"""Writing the Excel report from plain :class:`~optimizer.sheets.Results` (no Pyomo here).

Every report (``solve``, ``analyze``, ``coalitions``, ``sweep``) shares one look. A plan's
report opens on the Overview (:mod:`optimizer.overview`), then Summary (metric, value,
unit, meaning), then WORKBOOK.md's sheets in its order (:data:`ORDER`), then any further
sheets (Costs, Diagnosis, Analysis, a coalition game's), and the data the charts draw
from last. Each table has a bold frozen header row that names its unit, number formats by
unit (:func:`number_format`), fitted widths, and native Excel charts where they help
(:mod:`optimizer.charts`). Every sheet prints landscape, fitted to the page width, with
its header row repeated on every page.

Safety (:mod:`optimizer.xlsx`): text is always written as text (a value from the input
that starts with ``=``, ``+``, ``-`` or ``@`` never becomes a formula), and the file is
written to a temporary file in the target folder and moved into place, so an interrupted
run never leaves a half-written report.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from optimizer.charts import CHART_DATA, add_charts
from optimizer.overview import Block, is_plan_report, overview
from optimizer.pages import print_setup
from optimizer.plan_tables import ALL_MEMBERS, shortage_commodity
from optimizer.sheets import FIGURE, MUSD, SHARE, TONNES, Results, Table
from optimizer.xlsx import header_row, put, save_atomically, style_header

ORDER = ("Summary", "Investments", "Not funded", "Screened", "Stockpiles", "Flows", "Imports",
         "Limits", "Scenarios", "Shortfalls", "Budgets", "Members", "Inputs")
"""WORKBOOK.md's sheets after the Overview, in its order (with Imports, Flows' imports by
origin, beside Flows); any other sheet follows."""

EMPTY = {
    "Investments": "None: the plan funds no project.",
    "Not funded": "None: the plan funds every eligible project.",
    "Screened": "None: every project is eligible.",
    "Limits": "None: no limit binds; raising any would save nothing.",
    "Shortfalls": "None: every scenario meets all demand.",
    "Budgets": "None: the workbook sets no budget.",
    "Stockpiles": "None: the workbook has no stockpile.",
    "Imports": "None: nothing is imported.",
}
"""What an empty sheet says in its first row."""
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True, size=12, color="1F4E78")
BOLD = Font(bold=True)
ALERT_FILL = PatternFill("solid", fgColor="F8CBAD")
WARN_FILL = PatternFill("solid", fgColor="FFE699")
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE")
SUMMARY_FORMATS = {"MUSD": "#,##0.000", "t": "#,##0.000", "fraction": "0.000%",
                   "s": "#,##0.00", "count": "#,##0"}


def number_format(unit: str | None, value, column_max: float = 0.0) -> str | None:
    """The Excel format of a cell by its column's unit: MUSD with one decimal, or three
    where the column's figures are small (below 100); tonnes (and figures of mixed
    units) with thousands separators, whole from 100 up, with up to three decimals below;
    shares as percentages. Any other format is used as it is."""
    if unit == MUSD:
        return "#,##0.000" if column_max < 100 else "#,##0.0"
    if unit in (TONNES, FIGURE):
        if not isinstance(value, int | float) or abs(value) < 5e-4 or abs(value) >= 100:
            return "#,##0"
        return "#,##0.0##"
    if unit == SHARE:
        return "0.0%"
    return unit


def _column_max(table: Table, name: str) -> float:
    return max((abs(v) for v in table.column(name) if isinstance(v, int | float)), default=0.0)


def _shown(value) -> str:
    """About what a cell shows, for its width."""
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return str(value)


def _fit_widths(ws, *, first_row: int = 1, header_rows: set[int] | None = None,
                skip: set[int] | None = None, min_width: int = 8, max_width: int = 60,
                header_cap: int = 12) -> None:
    """Column widths from the shown values (rows in ``skip`` not counted); a header (row
    1, or the rows in ``header_rows``) wider than ``header_cap`` wraps instead."""
    headers = header_rows or {1}
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None or cell.row in (skip or ()):
                continue
            width = len(_shown(cell.value)) + 2
            if cell.row in headers:
                width = min(width, header_cap)
            widths[cell.column] = max(widths.get(cell.column, 0), width)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(min_width, min(max_width, width))


def _lines(text: str, width: float | None, *, bold: bool = False) -> int:
    """Lines ``text`` takes wrapped word by word in a column ``width`` characters wide
    (a character of text is a little narrower than the digit a width counts, unless
    bold)."""
    room = max(1.0, (width or 8.43) * (0.9 if bold else 1.15))
    lines, used = 1, 0.0
    for word in text.split():
        if used and used + 1 + len(word) > room:  # the word starts a new line
            lines, used = lines + 1, 0.0
        if len(word) > room:  # a word longer than a line takes lines of its own
            lines += math.ceil(len(word) / room) - 1
            used = room
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _wrap(ws, cells) -> None:
    """The text of ``cells`` (row, column) wraps where wider than its column, and each
    row is made as tall as its lines need (neither Excel nor LibreOffice sizes the rows
    of a written file by itself)."""
    tallest: dict[int, int] = {}
    for i, j in cells:
        cell = ws.cell(row=i, column=j)
        lines = _lines(str(cell.value), ws.column_dimensions[get_column_letter(j)].width,
                       bold=bool(cell.font and cell.font.b))
        if lines > 1:
            cell.alignment = Alignment(wrap_text=True, horizontal=cell.alignment.horizontal,
                                       vertical=cell.alignment.vertical or "top")
            tallest[i] = max(tallest.get(i, 1), lines)
    for i, lines in tallest.items():
        ws.row_dimensions[i].height = 15 * lines
        for cell in ws[i]:  # the row's other cells at the top too (a header stays put)
            cell.alignment = Alignment(wrap_text=cell.alignment.wrap_text,
                                       horizontal=cell.alignment.horizontal,
                                       vertical=cell.alignment.vertical or "top")


def _align_headers(ws, top: int, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """The header of a column of numbers sits right, over its figures."""
    for j in range(len(columns)):
        values = [row[j] for row in rows if row[j] is not None and row[j] != ""]
        if values and all(isinstance(v, int | float) for v in values):
            cell = ws.cell(row=top, column=j + 1)
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="right")


def _text_cells(table: Table, top: int = 1) -> list[tuple[int, int]]:
    """The header cells and the text cells of ``table`` written from row ``top``."""
    cells = [(top, j) for j in range(1, len(table.columns) + 1)]
    cells += [(top + i, j) for i, row in enumerate(table.rows, start=1)
              for j, value in enumerate(row, start=1) if isinstance(value, str)]
    return cells


def write_summary(ws, results: Results) -> None:
    header_row(ws, ("metric", "value", "unit", "meaning"))
    for i, metric in enumerate(results.summary, start=2):
        put(ws, i, 1, metric.key)
        put(ws, i, 2, metric.value, SUMMARY_FORMATS.get(metric.unit))
        put(ws, i, 3, metric.unit)
        put(ws, i, 4, metric.note)
        for j in (1, 2, 3):
            ws.cell(row=i, column=j).alignment = Alignment(vertical="top")
        if metric.key == "status":
            good = metric.value in ("optimal", "feasible")
            ws.cell(row=i, column=2).fill = GOOD_FILL if good else ALERT_FILL
            ws.cell(row=i, column=2).font = BOLD
    top = len(results.summary) + 3
    put(ws, top, 1, results.title).font = TITLE_FONT
    for letter, width in zip("ABCD", (34, 20, 10, 90), strict=True):
        ws.column_dimensions[letter].width = width
    _wrap(ws, [(i, 4) for i in range(2, len(results.summary) + 2)])
    print_setup(ws)


def write_table(ws, table: Table) -> None:
    header_row(ws, table.columns)
    units = [table.formats.get(c) for c in table.columns]
    peaks = [_column_max(table, c) if u == MUSD else 0.0
             for c, u in zip(table.columns, units, strict=True)]
    for i, row in enumerate(table.rows, start=2):
        for j, value in enumerate(row, start=1):
            put(ws, i, j, value, number_format(units[j - 1], value, peaks[j - 1]))
        if row and row[0] == ALL_MEMBERS:
            for j in range(1, len(row) + 1):
                ws.cell(row=i, column=j).font = BOLD
    if not table.rows:
        put(ws, 2, 1, EMPTY.get(table.name, "(none)"))
    _fit_widths(ws)
    if table.columns == ("note",):
        ws.column_dimensions["A"].width = 120
    _align_headers(ws, 1, table.columns, table.rows)
    _wrap(ws, _text_cells(table))
    if table.note:  # under the table, after fitting: it runs on over the empty cells
        put(ws, len(table.rows) + 3, 1, table.note).font = Font(bold=True)
    _highlight(ws, table)
    print_setup(ws)


def _highlight(ws, table: Table) -> None:
    """Conditional formats: shortfalls stand out, binding budgets are marked."""
    n = len(table.rows)
    if n == 0:
        return
    cols = {name: get_column_letter(j) for j, name in enumerate(table.columns, start=1)}
    short = [cols[name] for name in table.columns
             if name == "shortage (t)" or (table.name == "Scenarios"
                                           and shortage_commodity(name) is not None)]
    for letter in short:
        ws.conditional_formatting.add(f"{letter}2:{letter}{n + 1}", CellIsRule(
            operator="greaterThan", formula=["0.001"], fill=ALERT_FILL))
    if table.name == "Budgets" and "utilisation" in cols:
        ref = f"{cols['utilisation']}2:{cols['utilisation']}{n + 1}"
        ws.conditional_formatting.add(ref, CellIsRule(operator="greaterThanOrEqual",
                                                      formula=["0.9999"], fill=ALERT_FILL))
        ws.conditional_formatting.add(ref, CellIsRule(operator="between",
                                                      formula=["0.9", "0.9999"],
                                                      fill=WARN_FILL))


def _overview_table(ws, top: int, block: Block) -> list[tuple[int, int]]:
    """A small table of the Overview from row ``top``; returns its text cells."""
    for j, name in enumerate(block.columns, start=1):
        style_header(put(ws, top, j, name), wrap=True)
    for i, row in enumerate(block.rows, start=top + 1):
        for j, (name, value) in enumerate(zip(block.columns, row, strict=True), start=1):
            unit = block.formats.get(name)
            fmt = "#,##0.0" if unit == MUSD else number_format(unit, value)
            if unit == TONNES and isinstance(value, float) and 0 < abs(value) < 100:
                fmt = "General"  # already rounded to three significant figures
            cell = put(ws, i, j, value, fmt)
            if row[0] in (ALL_MEMBERS, "expected total cost"):
                cell.font = BOLD
    _align_headers(ws, top, block.columns, block.rows)
    return _text_cells(Table("", block.columns, block.rows), top)


def _overview_line(ws, row: int, text: str, width: int, font: Font | None) -> None:
    """A sentence across the Overview's ``width`` columns, wrapped, its row as tall as
    it needs."""
    cell = put(ws, row, 1, text)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if font is not None:
        cell.font = font
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    chars = sum(ws.column_dimensions[get_column_letter(j)].width or 8.43
                for j in range(1, width + 1))
    size = font.size if font is not None and font.size else 11
    ws.row_dimensions[row].height = _lines(text, chars) * size * 1.4


def write_overview(ws, results: Results) -> None:
    """The Overview's blocks, top to bottom (:func:`optimizer.overview.overview`):
    tables first, so that the columns fit them, then the sentences across them."""
    row, lines, table_cells, headers = 1, [], [], set()
    blocks = overview(results)
    for block in blocks:
        if block.kind == "table":
            table_cells += _overview_table(ws, row, block)
            headers.add(row)
            row += len(block.rows) + 2
            continue
        if block.kind == "heading":
            row += 1
        lines.append((row, block))
        row += 1
    _fit_widths(ws, header_rows=headers, skip={r for r, _ in lines}, max_width=60,
                header_cap=16)
    width = max([6, *(len(b.columns) for b in blocks if b.kind == "table")])
    for j in range(1, width + 1):
        dim = ws.column_dimensions[get_column_letter(j)]
        dim.width = max(dim.width or 0, 12)
    for r, block in lines:
        font = {"title": TITLE_FONT, "heading": HEADING_FONT}.get(block.kind)
        _overview_line(ws, r, block.text, width, font)
    _wrap(ws, table_cells)
    print_setup(ws, title_rows=None)


def _sheet_order(results: Results, inputs: Table) -> list[Table]:
    """A plan's report: WORKBOOK.md's sheets in its order, then the others as the
    results hold them. Any other report (a sweep): its tables, then Inputs."""
    if not is_plan_report(results):
        return [*results.tables, inputs]
    tables = {t.name: t for t in results.tables}
    tables["Inputs"] = inputs
    ordered = [tables[name] for name in ORDER if name in tables]
    return ordered + [t for t in results.tables if t.name not in ORDER]


def build_workbook(results: Results, inputs: list[tuple[str, object]]) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    if is_plan_report(results):
        write_overview(wb.create_sheet("Overview"), results)
    write_summary(wb.create_sheet("Summary"), results)
    for table in _sheet_order(results, Table("Inputs", ("item", "value"), inputs)):
        write_table(wb.create_sheet(table.name[:31]), table)
    add_charts(wb, results)
    if CHART_DATA in wb.sheetnames:
        wb.move_sheet(CHART_DATA, offset=len(wb.sheetnames))
        print_setup(wb[CHART_DATA])
    wb.active = 0
    return wb


def write_report(
    path: str | os.PathLike, results: Results, inputs: list[tuple[str, object]]
) -> Path:
    """Write the report (atomically, see :func:`save_atomically`)."""
    return save_atomically(build_workbook(results, inputs), Path(path))
