"""Building the :class:`~instance.Instance` from validated tables: one builder for the
Settings sheet, one for a table sheet, both driven by the schema.

Column names live only in :mod:`optimizer.schema`: each column says which field of its
sheet's data class it fills. Defaults are applied here and nowhere else: a blank cell
takes the schema's default, else the value of the column its ``blank_means`` names, else
the data class's own default (none, empty text, ``*``). Calendar years become plan years
``t = 1..H``; numbers become floats and whole numbers ints. Every row keeps its
:class:`~instance.Source`, the cells it was read from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from instance import Instance, Settings, Source
from optimizer import schema
from optimizer.tables import Tables

UNTITLED = "stockpile plan"


def _typed(column: schema.Column, value, plan: Callable[[int], int]):
    if column.kind == "number":
        return float(value)
    if column.kind == "integer":
        return int(value)
    if column.kind == "year":
        return plan(value)
    return value


def fields(
    columns: tuple[schema.Column, ...], cells: Mapping, plan: Callable[[int], int]
) -> dict:
    """The data-class fields of one row (``cells``: column name → parsed value)."""
    out = {}
    for col in columns:
        if col.only_with and cells.get(col.only_with) is None:
            continue  # ignored without its companion (the validator warned)
        value = cells.get(col.name)
        if value is None:
            value = col.default
        if value is None and col.blank_means:
            value = cells.get(col.blank_means)
        if value is not None:
            out[col.attribute] = _typed(col, value, plan)
    return out


def build_settings(tables: Tables, source_name: str = "") -> Settings:
    """The Settings sheet; a blank title is the workbook's file name."""
    settings = Settings(**fields(schema.SETTINGS.columns, tables.settings, lambda y: y))
    if not settings.title:
        settings = replace(settings, title=Path(source_name).stem or UNTITLED)
    return settings


def build_sheet(sheet: schema.Sheet, tables: Tables, plan: Callable[[int], int]) -> tuple:
    """Every row of a table sheet as its data class (``sheet.record``), with its source
    cells."""
    rows = tables.rows.get(sheet.name, [])
    if not rows:
        return ()
    letters = {col.attribute: rows[0].letters[col.name] for col in sheet.columns
               if col.name in rows[0].letters}  # one map per sheet, shared by its rows
    return tuple(
        sheet.record(**fields(sheet.columns, row.values, plan),
                     source=Source(row.sheet, row.number, letters))
        for row in rows
    )


def to_instance(tables: Tables, source_name: str = "", source_sha256: str = "") -> Instance:
    """The instance of validated tables."""
    settings = build_settings(tables, source_name)
    sheets = {
        sheet.field: build_sheet(sheet, tables, settings.plan_year)
        for sheet in schema.TABLE_SHEETS
    }
    return Instance(settings=settings, **sheets, source_name=source_name,
                    source_sha256=source_sha256)
