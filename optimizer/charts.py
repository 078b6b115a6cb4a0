"""The report's native, editable Excel charts: stock levels, cost by scenario, budget use,
where the money goes, cost by member, a sweep's frontier, a coalition game's shares.

Every chart shows both axes with formatted numbers (thousands separators, decimals only
where the figures are small) and every category label. Charts sit in one column right
of a narrow table or below a wide one, placed page by page (:mod:`optimizer.pages`) so
that a printed page never cuts one. Series that a chart draws from a table of its own
live on the ``Chart data`` sheet (kept last).
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.utils import get_column_letter

from optimizer.pages import stack_below, stack_right
from optimizer.plan_tables import ALL_MEMBERS
from optimizer.sheets import Results, Table
from optimizer.xlsx import put, style_header

MAX_STOCK_CHARTS = 24
SHARES_CHARTED = ("stand-alone cost (MUSD)", "fair cost in the bloc (MUSD)")
AXIS_FORMAT = "#,##0"
CHART_DATA = "Chart data"
WIDTH_CM, HEIGHT_CM = 16, 7.5


def axis_format(peak: float) -> str:
    """Whole numbers with thousands separators; decimals only for small figures."""
    if peak >= 20:
        return AXIS_FORMAT
    return "#,##0.0" if peak >= 2 else "#,##0.00"


def _title(text: str, size: int = 1100) -> Title:
    """A chart title in bold ``size``/100 pt (the default, 18 pt, crowds a small chart)."""
    props = CharacterProperties(sz=size, b=True)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=props),
                          r=[RegularTextRun(rPr=props, t=text)])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _chart(kind, title: str, *, y_title: str | None = None, peak: float = 100.0,
           height: float = HEIGHT_CM, width: float = WIDTH_CM):
    """A chart with both axes shown (openpyxl hides them unless told), values formatted
    by their size, every category labelled, a small title, the legend below."""
    chart = kind()
    chart.title = _title(title)
    chart.height, chart.width = height, width
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.number_format = axis_format(peak)
    if kind is not ScatterChart:
        chart.x_axis.tickLblSkip = 1
    if y_title:
        chart.y_axis.title = y_title
    chart.legend.position = "b"
    return chart


def _peak(*columns) -> float:
    return max((abs(v) for col in columns for v in col if isinstance(v, int | float)),
               default=0.0)


def _data_block(wb, header: list[str], rows: list[list]) -> tuple:
    """Columns of series on the ``Chart data`` sheet (kept last), right of those already
    there: the sheet and the block's first column."""
    if CHART_DATA in wb.sheetnames:
        ws = wb[CHART_DATA]
        col = ws.max_column + 2
    else:
        ws, col = wb.create_sheet(CHART_DATA), 1
    for j, name in enumerate(header, start=col):
        style_header(put(ws, 1, j, name), wrap=True)
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(30, len(name) + 2))
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=col):
            put(ws, i, j, value, "#,##0.0##" if isinstance(value, float) else None)
    return ws, col


def _bars(ws, table: Table, value: str, title: str):
    """Horizontal bars of column ``value`` against the labels in the first column, the
    first row on top as in the table, every label shown."""
    rows = len(table.rows)
    j = table.columns.index(value) + 1
    chart = _chart(BarChart, title, peak=_peak(table.column(value)),
                   height=max(HEIGHT_CM, 0.5 * rows + 2))
    chart.type = "bar"
    chart.add_data(Reference(ws, min_col=j, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows + 1))
    chart.legend = None
    chart.x_axis.scaling.orientation = "maxMin"
    return chart


def _stock_charts(wb, stock: Table) -> None:
    """One line chart per commodity that is held, a line per member holding it: tonnes
    of gallium and of graphite on one axis would hide the small stockpiles."""
    records = stock.records()
    years = sorted({r["year"] for r in records})
    level = {(r["member"], r["commodity"], r["year"]): r["planned level (t)"] for r in records}
    pairs = sorted({(c, k) for (c, k, _), v in level.items() if v > 1e-6},
                   key=lambda p: (p[1], p[0]))
    if not pairs:
        return
    ws, col = _data_block(wb, ["year", *[f"{c} {k}" for c, k in pairs]],
                          [[y, *[level.get((c, k, y), 0.0) for c, k in pairs]] for y in years])
    charts = []
    for k in sorted({k for _, k in pairs})[:MAX_STOCK_CHARTS]:
        mine = [j for j, (_, kk) in enumerate(pairs, start=col + 1) if kk == k]
        chart = _chart(LineChart, f"Planned {k} stockpile (t, end of year)", y_title="t",
                       peak=_peak([v for (_, kk, _), v in level.items() if kk == k]))
        for j in mine:
            chart.add_data(Reference(ws, min_col=j, min_row=1, max_row=len(years) + 1),
                           titles_from_data=True)
        for series in chart.series:
            series.smooth = False  # a stock level moves in steps, not curves
            series.marker.symbol = "circle"  # each year's level shows, also a lone year
        chart.set_categories(Reference(ws, min_col=col, min_row=2, max_row=len(years) + 1))
        charts.append(chart)
    stack_right(wb["Stockpiles"], charts, len(stock.columns), len(stock.rows))


def _budget_chart(wb, budgets: Table) -> None:
    """Each budget row beside its worst-case spend."""
    records = budgets.records()
    data, col = _data_block(wb, ["budget row", "budget (MUSD)", "worst-case spend (MUSD)"],
                            [[f"{r['member']} {r['year']}", r["budget (MUSD)"],
                              r["worst-case spend (MUSD)"]] for r in records])
    chart = _chart(BarChart, "Budget and worst-case spend (MUSD)",
                   peak=_peak(budgets.column("budget (MUSD)"),
                              budgets.column("worst-case spend (MUSD)")),
                   height=max(HEIGHT_CM, 0.5 * len(records) + 2))
    chart.type = "bar"
    last = len(records) + 1
    chart.add_data(Reference(data, min_col=col + 1, max_col=col + 2, min_row=1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(data, min_col=col, min_row=2, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"
    stack_right(wb["Budgets"], [chart], len(budgets.columns), len(records))


def _member_bars(ws, members: Table, names: tuple[str, str], title: str, *,
                 stacked: bool):
    """Two columns of the Members sheet per member (the total row left out), stacked
    or side by side."""
    rows = sum(1 for r in members.records() if r["member"] != ALL_MEMBERS) + 1
    chart = _chart(BarChart, title, peak=_peak(*(members.column(n) for n in names)),
                   width=13)
    chart.grouping = "stacked" if stacked else "clustered"
    if stacked:
        chart.overlap = 100
    for name in names:
        j = members.columns.index(name) + 1
        chart.add_data(Reference(ws, min_col=j, min_row=1, max_row=rows), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows))
    return chart


def _member_charts(ws, members: Table) -> list:
    """What each member's plan costs, and what each government spends."""
    return [
        _member_bars(ws, members, ("first-stage cost (MUSD)", "expected scenario cost (MUSD)"),
                     "Cost by member (MUSD): first stage and expected scenario cost",
                     stacked=True),
        _member_bars(ws, members, ("expected programme spend (MUSD)",
                                   "worst-scenario programme spend (MUSD)"),
                     "What each government spends (MUSD): expected and in the worst scenario",
                     stacked=False),
    ]


def _shares_chart(ws, shares: Table):
    """Stand-alone cost against fair cost in the bloc, per member (clustered bars)."""
    rows = len(shares.rows) + 1
    chart = _chart(BarChart, "Stand-alone cost and fair cost in the bloc, by member (MUSD)",
                   y_title="MUSD", peak=_peak(*(shares.column(n) for n in SHARES_CHARTED)),
                   height=9)
    chart.type = "col"
    chart.grouping = "clustered"
    for name in SHARES_CHARTED:
        j = shares.columns.index(name) + 1
        chart.add_data(Reference(ws, min_col=j, min_row=1, max_row=rows), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows))
    chart.x_axis.tickLblPos = "low"  # member names below the bars, also when a cost is < 0
    return chart


def _frontier_charts(ws, frontier: Table) -> list:
    """Objective against the swept value; for a risk sweep, also the expected-cost
    versus CVaR trade-off curve."""
    n = len(frontier.rows) + 1
    col = {name: j for j, name in enumerate(frontier.columns, start=1)}
    plotted = ("objective (MUSD)", "CVaR (MUSD)")
    chart = _chart(LineChart, f"Objective and CVaR by {frontier.columns[0]} (MUSD)",
                   y_title="MUSD", peak=_peak(*(frontier.column(c) for c in plotted)),
                   height=9, width=18)
    chart.x_axis.title = frontier.columns[0]
    for name in plotted:
        chart.add_data(Reference(ws, min_col=col[name], min_row=1, max_row=n),
                       titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n))
    for series in chart.series:
        series.smooth = False
    if not frontier.columns[0].startswith("risk weight"):
        return [chart]
    curve = _chart(ScatterChart, "Trade-off: expected total cost vs CVaR (MUSD)",
                   y_title="CVaR (MUSD)", peak=_peak(frontier.column("CVaR (MUSD)")),
                   height=9, width=18)
    curve.style = 13
    curve.x_axis.title = "expected total cost (MUSD)"
    curve.x_axis.number_format = axis_format(_peak(frontier.column("expected total cost "
                                                                   "(MUSD)")))
    xs = Reference(ws, min_col=col["expected total cost (MUSD)"], min_row=2, max_row=n)
    ys = Reference(ws, min_col=col["CVaR (MUSD)"], min_row=2, max_row=n)
    series = Series(ys, xs, title="plans for each risk weight of the sweep")
    series.marker.symbol = "circle"
    curve.series.append(series)
    return [chart, curve]


def _below(wb, table: Table, charts: list, across: int = 1) -> None:
    """Charts below the table (and below the sentence under it, if any)."""
    rows = len(table.rows) + (2 if table.note else 0)
    stack_below(wb[table.name], charts, len(table.columns), rows, across=across)


def add_charts(wb, results: Results) -> None:
    """Every chart the report's tables call for."""
    def present(name: str) -> Table | None:
        table = results.table(name)
        return table if table is not None and table.rows and name in wb.sheetnames else None

    if stock := present("Stockpiles"):
        _stock_charts(wb, stock)
    if scen := present("Scenarios"):
        _below(wb, scen, [_bars(wb["Scenarios"], scen, "cost (MUSD)",
                                "Cost by scenario (MUSD)")])
    if budgets := present("Budgets"):
        _budget_chart(wb, budgets)
    if costs := present("Costs"):
        _below(wb, costs, [_bars(wb["Costs"], costs, "MUSD (discounted, expected)",
                                 "Where the money goes (MUSD, discounted, expected)")])
    if frontier := present("Frontier"):
        _below(wb, frontier, _frontier_charts(wb["Frontier"], frontier))
    if members := present("Members"):
        _below(wb, members, _member_charts(wb["Members"], members), across=2)
    shares = present("Shares")
    if shares and all(isinstance(v, int | float) for name in SHARES_CHARTED
                      for v in shares.column(name)):
        # a game with a coalition that has no plan has no fair costs to draw
        _below(wb, shares, [_shares_chart(wb["Shares"], shares)])
