"""Input workbooks for the validation tests.

Two ways to get one:

* a copy of a valid reference case with exactly one thing changed with openpyxl (a cell
  set, a row, column or sheet deleted, a sheet or header renamed, a row added):
  :func:`set_cell`, :func:`delete_row`, :func:`delete_column`, :func:`delete_sheet`,
  :func:`rename_sheet`, :func:`rename_header`, :func:`add_row`, or :func:`damaged` with
  any edit;
* a small workbook written from Python dicts: :func:`write_workbook`, with
  :func:`small_workbook` as a valid starting point.
"""

from __future__ import annotations

import copy
import functools
import os
import pickle
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import openpyxl
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.xlsx import find_sheet


def _cases_dir() -> Path:
    """The reference cases kept with the tests (``data/cases``; the larger ones in
    ``data/perf``), or ``$STOCKPILE_CASES``."""
    return Path(os.environ.get("STOCKPILE_CASES") or Path(__file__).parent / "data" / "cases")


CASES = _cases_dir()


def case_path(name: str) -> Path:
    """A reference case by file name."""
    return CASES / name


def all_cases() -> list[Path]:
    """Every reference workbook, the larger (perf) ones last."""
    perf = CASES / "perf" if (CASES / "perf").is_dir() else CASES.parent / "perf"
    return sorted(CASES.glob("*.xlsx")) + sorted(perf.glob("*.xlsx"))


# --------------------------------------------------------------------------- one edit


Edit = Callable[[Workbook], None]


def sheet(wb: Workbook, name: str) -> Worksheet:
    """A sheet by name, as the reader finds it (case-insensitively)."""
    ws = find_sheet(wb, name)
    if ws is None:
        raise KeyError(f"no sheet {name!r} in {wb.sheetnames}")
    return ws


def column_index(ws: Worksheet, header: str) -> int:
    """1-based index of the column whose row-1 header is ``header``."""
    for cell in ws[1]:
        if isinstance(cell.value, str) and cell.value.strip().lower() == header.lower():
            return cell.column
    raise KeyError(f"no column {header!r} in sheet {ws.title!r}")


@functools.cache
def _pristine(case: str) -> bytes:
    """``case`` as loaded by openpyxl, pickled: unpickling a fresh copy is several times
    faster than loading the file again."""
    return pickle.dumps(openpyxl.load_workbook(case_path(case)))


def damaged(tmp_path: Path, case: str, edit: Edit, name: str = "input.xlsx") -> Path:
    """Copy ``case`` into ``tmp_path``, apply ``edit`` to it and save; returns the path."""
    wb = pickle.loads(_pristine(case))
    edit(wb)
    out = Path(tmp_path) / name
    wb.save(out)
    return out


def set_cell(tmp_path: Path, case: str, sheet_name: str, cell: str, value) -> Path:
    """``case`` with one cell (``"K3"``) set to ``value`` (``None`` clears it)."""

    def edit(wb: Workbook) -> None:
        sheet(wb, sheet_name)[cell] = value

    return damaged(tmp_path, case, edit)


def delete_row(tmp_path: Path, case: str, sheet_name: str, row: int) -> Path:
    """``case`` with one row of a sheet deleted (the rows below move up)."""
    return damaged(tmp_path, case, lambda wb: sheet(wb, sheet_name).delete_rows(row))


def delete_column(tmp_path: Path, case: str, sheet_name: str, header: str) -> Path:
    """``case`` with the column headed ``header`` deleted (the columns right of it move
    left)."""

    def edit(wb: Workbook) -> None:
        ws = sheet(wb, sheet_name)
        ws.delete_cols(column_index(ws, header))

    return damaged(tmp_path, case, edit)


def delete_sheet(tmp_path: Path, case: str, sheet_name: str) -> Path:
    """``case`` without one sheet."""
    return damaged(tmp_path, case, lambda wb: wb.remove(sheet(wb, sheet_name)))


def rename_sheet(tmp_path: Path, case: str, sheet_name: str, new_name: str) -> Path:
    """``case`` with one sheet renamed."""

    def edit(wb: Workbook) -> None:
        ws = sheet(wb, sheet_name)
        ws.title = "renamed sheet"  # openpyxl renames a title equal to any other in case
        ws.title = new_name

    return damaged(tmp_path, case, edit)


def rename_header(tmp_path: Path, case: str, sheet_name: str, header: str, new: str) -> Path:
    """``case`` with one header cell of row 1 changed from ``header`` to ``new``."""

    def edit(wb: Workbook) -> None:
        ws = sheet(wb, sheet_name)
        ws.cell(row=1, column=column_index(ws, header)).value = new

    return damaged(tmp_path, case, edit)


def add_row(
    tmp_path: Path, case: str, sheet_name: str, values: Mapping[str, object], at: int | None = None
) -> Path:
    """``case`` with one row added to a sheet, by header name; appended after the last row
    unless ``at`` gives the row number to write (an empty row is assumed there)."""

    def edit(wb: Workbook) -> None:
        ws = sheet(wb, sheet_name)
        row = ws.max_row + 1 if at is None else at
        for header, value in values.items():
            ws.cell(row=row, column=column_index(ws, header)).value = value

    return damaged(tmp_path, case, edit)


def stale_dimensions(tmp_path: Path, case: str, ref: str = "A1") -> Path:
    """``case`` with every sheet's stored size (``<dimension ref=...>``) set to ``ref``, as
    some tools write it; Excel ignores it and reads every row."""
    out = Path(tmp_path) / "input.xlsx"
    with zipfile.ZipFile(case_path(case)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                data = re.sub(
                    rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
            dst.writestr(info, data)
    return out


# --------------------------------------------------------------------------- from dicts


Sheets = Mapping[str, object]
"""``{"Settings": {setting: value}, "Countries": [{column: value}, ...], ...}``."""


SMALL: dict[str, object] = {
    "Settings": {"title": "small", "first_year": 2030, "horizon_years": 2},
    "Countries": [
        {"country": "USA", "name": "United States", "member": "yes"},
        {"country": "MEX", "name": "Mexico", "member": "yes"},
        {"country": "CHN", "name": "China", "member": "no"},
    ],
    "Commodities": [
        {"commodity": "gallium", "price_usd_per_t": 1000, "shortage_cost_usd_per_t": 5000},
        {
            "commodity": "ore",
            "price_usd_per_t": 100,
            "shortage_cost_usd_per_t": 0,
            "stockpilable": "no",
        },
    ],
    "Demand": [
        {"country": "USA", "commodity": "gallium", "year": 2030, "demand_t": 10},
        {"country": "USA", "commodity": "gallium", "year": 2031, "demand_t": 12},
    ],
    "Supply": [
        {"country": "USA", "commodity": "gallium", "origin": "CHN", "max_t_per_yr": 20},
        {"country": "USA", "commodity": "ore", "origin": "CHN", "max_t_per_yr": 50},
    ],
    "Projects": [
        {
            "project": "refinery",
            "country": "USA",
            "output_commodity": "gallium",
            "input_commodity": "ore",
            "input_t_per_t": 3,
            "capacity_t_per_yr": 5,
            "capex_musd": 10,
        },
        {
            "project": "offtake",
            "country": "CHN",
            "sponsor": "MEX",
            "output_commodity": "gallium",
            "capacity_t_per_yr": 2,
            "max_units": 2,
            "capex_musd": 4,
            "life_yr": 10,
            "gov_share": 0.5,
            "lead_time_yr": 1,
            "earliest_start_year": 2031,
            "eligible": "no",
            "note": "screened",
        },
    ],
    "Stockpiles": [
        {"country": "USA", "commodity": "gallium", "initial_t": 1, "capacity_t": 30, "min_t": 2},
    ],
    "Transfers": [
        {"from_country": "USA", "to_country": "MEX", "commodity": "*", "max_t_per_yr": 5},
    ],
    "Budgets": [
        {"country": "USA", "year": 2030, "budget_musd": 100},
        {"country": "ALL", "year": 2031, "budget_musd": 150},
    ],
    "Scenarios": [
        {"scenario": "normal", "probability": 0.75},
        {"scenario": "ban", "probability": 0.25, "description": "export ban"},
    ],
    "Shocks": [
        {
            "scenario": "ban",
            "kind": "supply",
            "commodity": "gallium",
            "where": "CHN",
            "start_year": 2031,
            "factor": 0,
        },
        {"scenario": "ban", "kind": "price", "factor": 2},
    ],
    "Risks": [
        {
            "risk": "ban",
            "annual_probability": 0.1,
            "duration_years": 2,
            "kind": "supply",
            "commodity": "gallium",
            "where": "CHN",
            "factor": 0,
        },
        {
            "risk": "ban",
            "annual_probability": 0.1,
            "duration_years": 2,
            "kind": "price",
            "commodity": "gallium",
            "where": "*",
            "factor": 1.5,
        },
    ],
}
"""A small valid workbook that uses every sheet (and Risks)."""


def small_workbook() -> dict[str, object]:
    """A fresh copy of :data:`SMALL` to change before writing."""
    return copy.deepcopy(SMALL)


def _headers(rows: Iterable[Mapping[str, object]]) -> list[str]:
    headers: list[str] = []
    for row in rows:
        for key in row:
            if key not in headers:
                headers.append(key)
    return headers


def write_workbook(path: Path, sheets: Sheets) -> Path:
    """Write ``sheets`` as an input workbook: ``Settings`` as a dict of setting -> value,
    every other sheet as a list of row dicts (the header is the union of their keys, in
    order of first appearance; a key missing from a row leaves its cell blank)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, content in sheets.items():
        ws = wb.create_sheet(name)
        if isinstance(content, Mapping):
            ws.append(["setting", "value"])
            for key, value in content.items():
                ws.append([key, value])
            continue
        rows = list(content)
        headers = _headers(rows)
        ws.append(headers)
        for row in rows:
            ws.append([row.get(h) for h in headers])
    path = Path(path)
    wb.save(path)
    return path
