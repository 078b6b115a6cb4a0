"""``stockpile template``: an empty input workbook generated from the schema.

Every sheet of :mod:`optimizer.schema` with its header row as the workbook writer
(:mod:`optimizer.xlsx`) writes it (frozen, fitted), each header with a comment giving unit
and meaning, drop-down lists for yes/no and enumerated columns and for
columns that must name a country, commodity or scenario, and an ``Instructions`` sheet
written from the same schema. Data rows start on row 2 and are left empty.
"""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from optimizer import schema
from optimizer.xlsx import put, save_atomically, write_settings, write_sheet

ROWS = 1000  # data rows covered by drop-downs
ID_LISTS = {
    "country": f"Countries!$A$2:$A${ROWS + 1}",
    "member": f"Countries!$A$2:$A${ROWS + 1}",
    "commodity": f"Commodities!$A$2:$A${ROWS + 1}",
    "scenario": f"Scenarios!$A$2:$A${ROWS + 1}",
}


def column_note(col: schema.Column) -> str:
    """The header comment (and Instructions text) for a column."""
    parts = [col.help or col.name]
    if col.unit:
        parts.append(f"Unit: {col.unit}.")
    parts.append(f"Expected: {col.expectation()}.")
    parts.append("Required." if col.required else
                 f"Optional (blank = {_default_words(col)}).")
    if col.symbol:
        parts.append(f"Model symbol: {col.symbol}.")
    return " ".join(parts)


def _default_words(col: schema.Column) -> str:
    if col.default is None:
        return "none"
    if isinstance(col.default, bool):
        return "yes" if col.default else "no"
    return str(col.default)


def _validation_for(col: schema.Column) -> DataValidation | None:
    if col.kind == "yesno":
        return DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    if col.kind == "enum":
        return DataValidation(type="list", formula1='"{}"'.format(",".join(col.choices)),
                              allow_blank=True)
    if col.kind == "ref":
        dv = DataValidation(type="list", formula1="=" + ID_LISTS[col.ref], allow_blank=True)
        if col.wildcard or col.allow_all:
            # * or ALL may be typed: a warning, not a refusal
            dv.errorStyle = "warning"
            dv.error = "Not in the list: allowed only if it is * (every one)" + (
                " or ALL" if col.allow_all else "")
        return dv
    if col.kind in ("number", "integer"):
        dv = DataValidation(type="decimal" if col.kind == "number" else "whole",
                            operator="greaterThanOrEqual",
                            formula1=str(col.minimum if col.minimum is not None else -1e12),
                            allow_blank=True)
        dv.errorStyle = "warning"
        return dv
    return None


def _table_sheet(wb: Workbook, sheet: schema.Sheet) -> None:
    """The sheet's header row (:func:`optimizer.xlsx.write_sheet`), each header with its
    note, each column with its drop-down."""
    ws = wb.create_sheet(sheet.name)
    write_sheet(ws, sheet)
    for j, col in enumerate(sheet.columns, start=1):
        ws.cell(row=1, column=j).comment = Comment(column_note(col), "stockpile", width=320,
                                                   height=160)
        dv = _validation_for(col)
        if dv is not None:
            dv.error = dv.error or f"Expected {col.expectation()}"
            dv.errorTitle = col.name
            dv.prompt = column_note(col)[:255]
            dv.promptTitle = col.name[:32]
            letter = get_column_letter(j)
            dv.add(f"{letter}2:{letter}{ROWS + 1}")
            ws.add_data_validation(dv)


def _settings_sheet(wb: Workbook) -> None:
    """Every setting (:func:`optimizer.xlsx.write_settings`), values blank, with notes."""
    ws = wb.create_sheet(schema.SETTINGS.name)
    write_settings(ws)
    for i, col in enumerate(schema.SETTINGS.columns, start=2):
        cell = ws.cell(row=i, column=1)
        if col.required:
            cell.font = Font(bold=True)
        cell.comment = Comment(column_note(col), "stockpile", width=320, height=140)
        dv = _validation_for(col)
        if dv is not None and col.kind in ("enum", "yesno"):
            dv.add(f"B{i}")
            ws.add_data_validation(dv)


def _instructions(wb: Workbook) -> None:
    ws = wb.create_sheet("Instructions", 0)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 16
    ws.column_dimensions["E"].width = 90
    lines = [
        ("How to fill this workbook",),
        ("Fill each sheet from row 2 down; row 1 holds the column names (keep them). "
         "Red headers are required columns. Hover over a header for its unit and meaning.",),
        ("Units: quantities in tonnes (t); prices and per-tonne costs in USD per tonne "
         "(USD/t); capital, O&M, facility costs and budgets in USD million (MUSD).",),
        ("Then run: stockpile validate <this file>   and   stockpile solve <this file>",),
        ("Sheets Transfers, Budgets, Stockpiles, Shocks and Risks may stay empty.",),
        (),
        ("sheet", "column", "required", "unit", "meaning"),
    ]
    for sheet in schema.SHEETS:
        lines.append((sheet.name, "", "yes" if sheet.required else "no", "", sheet.help))
        for col in sheet.columns:
            lines.append(("", col.name, "yes" if col.required else "no", col.unit,
                          column_note(col)))
    for i, line in enumerate(lines, start=1):
        for j, value in enumerate(line, start=1):
            cell = put(ws, i, j, value)
            cell.alignment = Alignment(wrap_text=j == 5, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)
    for j in range(1, 6):
        ws.cell(row=7, column=j).font = Font(bold=True)
    ws.freeze_panes = "A8"


def build_template() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    _settings_sheet(wb)
    for sheet in schema.TABLE_SHEETS:
        _table_sheet(wb, sheet)
    _instructions(wb)
    wb.active = 0
    return wb


def write_template(path: str | os.PathLike) -> Path:
    return save_atomically(build_template(), path)
