"""Writing the Excel report from plain :class:`~optimizer.results.Results` (no Pyomo here).

Every report (``solve``, ``analyze``, ``sweep``) shares one look: Summary first (metric,
value, unit, meaning), then plain tables with a bold frozen header row, units in the
headers, number formats, fitted widths, and native Excel charts where they help.

Safety (:mod:`optimizer.xlsx`): text is always written as text (a value from the input
that starts with ``=``, ``+``, ``-`` or ``@`` never becomes a formula), and the file is
written to a temporary file in the target folder and moved into place, so an interrupted
run never leaves a half-written report.
"""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from optimizer.results import Results, Table
from optimizer.xlsx import header_row, put, save_atomically

TITLE_FONT = Font(bold=True, size=14)
ALERT_FILL = PatternFill("solid", fgColor="F8CBAD")
WARN_FILL = PatternFill("solid", fgColor="FFE699")
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE")
MAX_STOCK_CHARTS = 24
SHARES_CHARTED = ("stand-alone cost (MUSD)", "fair cost in the bloc (MUSD)")
SUMMARY_FORMATS = {"MUSD": "#,##0.000000", "t": "#,##0.000", "fraction": "0.000000",
                   "s": "0.00", "count": "0"}


def _fit_widths(ws, min_width: int = 8, max_width: int = 60) -> None:
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            if isinstance(cell.value, float):
                text = f"{cell.value:,.3f}"
            else:
                text = str(cell.value)
            widths[cell.column] = max(widths.get(cell.column, 0), len(text) + 2)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(min_width, min(max_width, width))


def write_summary(ws, results: Results) -> None:
    header_row(ws, ("metric", "value", "unit", "meaning"))
    for i, metric in enumerate(results.summary, start=2):
        put(ws, i, 1, metric.key)
        put(ws, i, 2, metric.value, SUMMARY_FORMATS.get(metric.unit))
        put(ws, i, 3, metric.unit)
        put(ws, i, 4, metric.note)
        if metric.key == "status":
            good = metric.value in ("optimal", "feasible")
            ws.cell(row=i, column=2).fill = GOOD_FILL if good else ALERT_FILL
            ws.cell(row=i, column=2).font = Font(bold=True)
    top = len(results.summary) + 3
    put(ws, top, 1, results.title).font = TITLE_FONT
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 60


def write_table(ws, table: Table) -> None:
    header_row(ws, table.columns)
    formats = [table.formats.get(c) for c in table.columns]
    for i, row in enumerate(table.rows, start=2):
        for j, value in enumerate(row, start=1):
            put(ws, i, j, value, formats[j - 1])
    if not table.rows:
        put(ws, 2, 1, "(none)")
    _fit_widths(ws)
    if table.note:  # under the table, after fitting: it runs on over the empty cells
        put(ws, len(table.rows) + 3, 1, table.note).font = Font(bold=True)
    _highlight(ws, table)


def _highlight(ws, table: Table) -> None:
    """Conditional formats: shortfalls stand out, binding budgets are marked."""
    n = len(table.rows)
    if n == 0:
        return
    cols = {name: get_column_letter(j) for j, name in enumerate(table.columns, start=1)}
    if table.name == "Shortfalls" and "shortage (t)" in cols:
        ref = f"{cols['shortage (t)']}2:{cols['shortage (t)']}{n + 1}"
        ws.conditional_formatting.add(ref, CellIsRule(operator="greaterThan", formula=["0"],
                                                      fill=ALERT_FILL))
    if table.name == "Scenarios" and "shortage (t)" in cols:
        ref = f"{cols['shortage (t)']}2:{cols['shortage (t)']}{n + 1}"
        ws.conditional_formatting.add(ref, CellIsRule(operator="greaterThan", formula=["0.001"],
                                                      fill=ALERT_FILL))
    if table.name == "Budgets" and "utilisation" in cols:
        ref = f"{cols['utilisation']}2:{cols['utilisation']}{n + 1}"
        ws.conditional_formatting.add(ref, CellIsRule(operator="greaterThanOrEqual",
                                                      formula=["0.9999"], fill=ALERT_FILL))
        ws.conditional_formatting.add(ref, CellIsRule(operator="between",
                                                      formula=["0.9", "0.9999"],
                                                      fill=WARN_FILL))


def _chart_data(wb):
    """The sheet that holds series the charts draw from (kept last)."""
    return wb["Chart data"] if "Chart data" in wb.sheetnames else wb.create_sheet("Chart data")


def _bar_chart(ws, table: Table, value: str, title: str, anchor: str, *,
               height: float = 9) -> None:
    """Horizontal bars of column ``value`` against the labels in the first column."""
    rows = len(table.rows)
    j = table.columns.index(value) + 1
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.height, chart.width = height, 18
    chart.add_data(Reference(ws, min_col=j, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows + 1))
    chart.legend = None
    ws.add_chart(chart, anchor)


def _stock_charts(wb, stock: Table) -> None:
    """One line chart per commodity of the planned stock levels (members as lines):
    tonnes of gallium and of graphite on one axis would hide the small stockpiles."""
    records = stock.records()
    years = sorted({r["year"] for r in records})
    pairs = sorted({(r["member"], r["commodity"]) for r in records})
    ws = _chart_data(wb)
    put(ws, 1, 1, "year")
    for j, (c, k) in enumerate(pairs, start=2):
        put(ws, 1, j, f"{c} {k}")
    level = {(r["member"], r["commodity"], r["year"]): r["planned level (t)"] for r in records}
    for i, y in enumerate(years, start=2):
        put(ws, i, 1, y)
        for j, (c, k) in enumerate(pairs, start=2):
            put(ws, i, j, level.get((c, k, y), 0.0), "#,##0.0")
    commodities = sorted({k for _, k in pairs})
    for n, k in enumerate(commodities[:MAX_STOCK_CHARTS]):
        chart = LineChart()
        chart.title = f"Planned {k} stockpile (t)"
        chart.y_axis.title = "t"
        chart.height, chart.width = 7, 12
        for j, (_, kk) in enumerate(pairs, start=2):
            if kk == k:
                chart.add_data(Reference(ws, min_col=j, min_row=1, max_row=len(years) + 1),
                               titles_from_data=True)
        for series in chart.series:
            series.smooth = False  # a stock level moves in steps, not curves
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(years) + 1))
        anchor = f"{get_column_letter(11 + 8 * (n % 2))}{2 + 15 * (n // 2)}"
        wb["Stockpiles"].add_chart(chart, anchor)


def _budget_chart(wb, budgets: Table) -> None:
    """Each budget row beside its worst-case spend."""
    data = _chart_data(wb)
    col = data.max_column + 2
    put(data, 1, col, "budget row")
    put(data, 1, col + 1, "budget (MUSD)")
    put(data, 1, col + 2, "worst-case spend (MUSD)")
    for i, row in enumerate(budgets.records(), start=2):
        put(data, i, col, f"{row['member']} {row['year']}")
        put(data, i, col + 1, row["budget (MUSD)"])
        put(data, i, col + 2, row["worst-case spend (MUSD)"])
    chart = BarChart()
    chart.title = "Budget and worst-case spend (MUSD)"
    chart.height, chart.width = 9, 20
    last = len(budgets.rows) + 1
    chart.add_data(Reference(data, min_col=col + 1, max_col=col + 2, min_row=1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(data, min_col=col, min_row=2, max_row=last))
    wb["Budgets"].add_chart(chart, "G2")


def _member_chart(ws, members: Table) -> None:
    """First-stage and expected scenario cost of each member, stacked."""
    first = members.columns.index("first-stage cost (MUSD)") + 1
    scenario = members.columns.index("expected scenario cost (MUSD)") + 1
    rows = len(members.rows) + 1
    chart = BarChart()
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Cost by member (MUSD): first stage and expected scenario cost"
    chart.height, chart.width = 8, 16
    for j in (first, scenario):
        chart.add_data(Reference(ws, min_col=j, min_row=1, max_row=rows), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows))
    ws.add_chart(chart, "G2")


def _shares_chart(ws, shares: Table) -> None:
    """Stand-alone cost against fair cost in the bloc, per member (clustered bars)."""
    rows = len(shares.rows) + 1
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "Stand-alone cost and fair cost in the bloc, by member (MUSD)"
    chart.y_axis.title = "MUSD"
    chart.x_axis.delete = chart.y_axis.delete = False  # show both axes' labels
    chart.legend.position = "b"
    chart.y_axis.number_format = "General"
    chart.x_axis.tickLblPos = "low"  # member names below the bars, also when a cost is < 0
    chart.height, chart.width = 9, 16
    for name in SHARES_CHARTED:
        j = shares.columns.index(name) + 1
        chart.add_data(Reference(ws, min_col=j, min_row=1, max_row=rows), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows))
    ws.add_chart(chart, "G2")


def _charts(wb, results: Results) -> None:
    """Native, editable charts: stock levels, cost by scenario, budget use, where the
    money goes, the frontier of a sweep, cost by member, a coalition game's shares."""
    stock = results.table("Stockpiles")
    if stock and stock.rows:
        _stock_charts(wb, stock)
    scen = results.table("Scenarios")
    if scen and scen.rows:
        _bar_chart(wb["Scenarios"], scen, "cost (MUSD)", "Cost by scenario (MUSD)", "I2",
                   height=max(7, 0.6 * len(scen.rows)))
    budgets = results.table("Budgets")
    if budgets and budgets.rows:
        _budget_chart(wb, budgets)
    costs = results.table("Costs")
    if costs and costs.rows:
        _bar_chart(wb["Costs"], costs, "MUSD (discounted, expected)",
                   "Where the money goes (MUSD, discounted, expected)", "E2")
    frontier = results.table("Frontier")
    if frontier and frontier.rows:
        _frontier_charts(wb["Frontier"], frontier)
    members = results.table("Members")
    if members and members.rows:
        _member_chart(wb["Members"], members)
    shares = results.table("Shares")
    if shares and shares.rows and all(
        isinstance(v, int | float) for name in SHARES_CHARTED for v in shares.column(name)
    ):  # a game with a coalition that has no plan has no fair costs to draw
        _shares_chart(wb["Shares"], shares)


def _frontier_charts(ws, frontier: Table) -> None:
    """Objective against the swept value; for a risk sweep, also the expected-cost
    versus CVaR trade-off curve."""
    from openpyxl.chart import ScatterChart, Series

    n = len(frontier.rows) + 1
    col = {name: j for j, name in enumerate(frontier.columns, start=1)}
    chart = LineChart()
    chart.title = f"Objective and CVaR by {frontier.columns[0]} (MUSD)"
    chart.x_axis.title = frontier.columns[0]
    chart.y_axis.title = "MUSD"
    chart.height, chart.width = 9, 18
    for name in ("objective (MUSD)", "CVaR (MUSD)"):
        chart.add_data(Reference(ws, min_col=col[name], min_row=1, max_row=n),
                       titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n))
    for series in chart.series:
        series.smooth = False
    ws.add_chart(chart, f"{get_column_letter(len(frontier.columns) + 2)}2")
    if frontier.columns[0].startswith("risk weight"):
        curve = ScatterChart()
        curve.title = "Trade-off: expected total cost vs CVaR (MUSD)"
        curve.style = 13
        curve.x_axis.title = "expected total cost (MUSD)"
        curve.y_axis.title = "CVaR (MUSD)"
        curve.height, curve.width = 9, 18
        xs = Reference(ws, min_col=col["expected total cost (MUSD)"], min_row=2, max_row=n)
        ys = Reference(ws, min_col=col["CVaR (MUSD)"], min_row=2, max_row=n)
        series = Series(ys, xs, title="plans for λ from the sweep")
        series.marker.symbol = "circle"
        curve.series.append(series)
        ws.add_chart(curve, f"{get_column_letter(len(frontier.columns) + 2)}22")


def build_workbook(results: Results, inputs: list[tuple[str, object]]) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    write_summary(ws, results)
    for table in results.tables:
        write_table(wb.create_sheet(table.name[:31]), table)
    write_table(wb.create_sheet("Inputs"), Table("Inputs", ("item", "value"), inputs))
    _charts(wb, results)
    if "Chart data" in wb.sheetnames:
        wb.move_sheet("Chart data", offset=len(wb.sheetnames))
    return wb


def write_report(
    path: str | os.PathLike, results: Results, inputs: list[tuple[str, object]]
) -> Path:
    """Write the report (atomically, see :func:`save_atomically`)."""
    return save_atomically(build_workbook(results, inputs), Path(path))
