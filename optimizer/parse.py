"""Parsing every cell of a workbook by the schema (:mod:`optimizer.schema`): types,
ranges, required cells and header rows, each problem collected with its cell.

:func:`read_tables` turns the raw sheets of :func:`optimizer.safe_open.open_workbook` into
:class:`~optimizer.tables.Tables`; rules across cells are the validator's
(:mod:`optimizer.validate`).
"""

from __future__ import annotations

import datetime as _dt
import math

from openpyxl.utils import get_column_letter

from optimizer import schema
from optimizer.safe_open import MAX_ROWS_PER_SHEET, RawSheet
from optimizer.tables import Row, Tables, describe, found


def parse_value(value, column: schema.Column):
    """Parse one cell for a column: returns ``(value, None)`` or ``(None, expected)``."""
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            value = None
    if value is None:
        return None, None
    kind = column.kind
    if kind in ("id", "text", "ref"):
        if isinstance(value, bool) or isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
            return None, column.expectation()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value), None
    if kind == "enum":
        text = str(value).strip().lower()
        return (text, None) if text in column.choices else (None, column.expectation())
    if kind == "yesno":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value), None
        text = str(value).strip().lower()
        if text in schema.YES:
            return True, None
        if text in schema.NO:
            return False, None
        return None, column.expectation()
    # number, integer, year
    number = _as_number(value)
    if number is None:
        return None, column.expectation()
    if abs(number) > schema.MAX_MAGNITUDE:
        return None, f"{column.expectation()}, at most 1e12 in magnitude"
    if kind in ("integer", "year"):
        if not float(number).is_integer():
            return None, column.expectation()
        number = int(number)
    if not _in_range(number, column):
        return None, column.expectation()
    return number, None


def _as_number(value) -> float | None:
    if isinstance(value, bool) or isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return None
    if isinstance(value, (int, float)):
        number = float(value) if isinstance(value, float) else value
    else:
        text = str(value).strip().replace("\u00a0", "")
        if "_" in text:  # Python accepts 1_000; a spreadsheet user means something else
            return None
        try:
            number = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return None
    if isinstance(number, float) and not math.isfinite(number):
        return None
    return number


def _in_range(x: float, column: schema.Column) -> bool:
    if column.minimum is not None:
        if x < column.minimum or (column.exclusive_minimum and x == column.minimum):
            return False
    if column.maximum is not None:
        if x > column.maximum or (column.exclusive_maximum and x == column.maximum):
            return False
    return True


def _header(raw: RawSheet) -> tuple[int, tuple] | None:
    return raw.rows[0] if raw.rows and raw.rows[0][0] == 1 else None


def read_tables(sheets: dict[str, RawSheet]) -> Tables:
    """Parse every known sheet cell by cell (types, ranges, required cells, headers)."""
    tables = Tables()
    for spec in schema.SHEETS:
        raw = sheets.get(spec.name)
        if raw is None:
            if spec.required:
                tables.error(spec.name, f"found no sheet {spec.name}; expected a sheet "
                                        f"named {spec.name} (WORKBOOK.md)")
            tables.rows[spec.name] = []
            continue
        tables.present.add(spec.name)
        sheet_title = _quote_sheet(raw.title)
        for other in raw.duplicates:
            tables.error(_quote_sheet(other), f"found a second sheet named like {spec.name} "
                                              f"(besides {raw.title!r}); expected one sheet "
                                              f"{spec.name} (names match case-insensitively)")
        if not spec.required and not raw.rows:
            tables.rows[spec.name] = []  # an optional sheet may be empty, header and all
            continue
        if raw.too_many_rows:
            tables.error(sheet_title, f"found more than {MAX_ROWS_PER_SHEET:,} rows; "
                                      f"expected at most {MAX_ROWS_PER_SHEET:,}")
            tables.rows[spec.name] = []
            continue
        if spec is schema.SETTINGS:
            _read_settings(raw, sheet_title, tables)
        else:
            tables.rows[spec.name] = _read_table(raw, spec, sheet_title, tables)
    return tables


def _quote_sheet(title: str) -> str:
    return f"'{title}'" if any(not (c.isalnum() or c == "_") for c in title) else title


def _header_map(raw, spec_names, sheet_title, tables, required_names) -> dict[str, int] | None:
    head = _header(raw)
    if head is None:
        tables.error(f"{sheet_title}!A1", f"found {describe(None)}; expected the header row "
                                          f"({', '.join(spec_names)}) in row 1")
        return None
    index: dict[str, int] = {}
    for j, name in enumerate(head[1]):
        if name is None or (isinstance(name, str) and not name.strip()):
            continue
        key = str(name).strip().lower()
        where = f"{sheet_title}!{get_column_letter(j + 1)}1"
        if key in index:
            tables.error(where, f"found a second column {key!r}; expected each column once")
        elif key not in spec_names:
            tables.warn(where, f"found unknown column {describe(name)}; it is ignored "
                               f"(expected one of: {', '.join(spec_names)})")
        else:
            index[key] = j
    for name in required_names:
        if name not in index:
            tables.error(sheet_title, f"found no column {name!r}; expected a column named "
                                      f"{name} in row 1")
    return index


def _read_table(raw: RawSheet, spec: schema.Sheet, sheet_title: str, tables: Tables) -> list[Row]:
    names = [c.name for c in spec.columns]
    required = [c.name for c in spec.columns if c.required]
    index = _header_map(raw, names, sheet_title, tables, required)
    if index is None:
        return []
    letters = {name: get_column_letter(j + 1) for name, j in index.items()}
    rows: list[Row] = []
    for number, cells in raw.rows[1:]:
        values = {}
        ok = True
        for col in spec.columns:
            j = index.get(col.name)
            if j is None:
                values[col.name] = None
                continue
            value = cells[j] if j < len(cells) else None
            where = f"{sheet_title}!{letters[col.name]}{number}"
            if (number, j) in raw.formula_cells:
                tables.error(where, "found a formula with no saved value; expected a value "
                                    "(open and save the file in Excel, or type the value)")
                ok = False
                continue
            parsed, expected = parse_value(value, col)
            if expected is not None:
                tables.error(where, found(value, expected))
                ok = False
                continue
            if parsed is None and col.required:
                tables.error(where, found(None, col.expectation()))
                ok = False
            values[col.name] = parsed
        if not any(v is not None for v in values.values()):
            continue  # a row with data only in unknown columns
        rows.append(Row(sheet_title, number, values, letters, valid=ok))
    return rows


def _read_settings(raw: RawSheet, sheet_title: str, tables: Tables) -> None:
    index = _header_map(raw, list(schema.SETTINGS_HEADER), sheet_title, tables,
                        list(schema.SETTINGS_HEADER))
    tables.rows[schema.SETTINGS.name] = []
    if index is None or len(index) < 2:
        return
    known = {c.name: c for c in schema.SETTINGS.columns}
    kcol, vcol = index["setting"], index["value"]
    klet, vlet = get_column_letter(kcol + 1), get_column_letter(vcol + 1)
    for number, cells in raw.rows[1:]:
        key = cells[kcol] if kcol < len(cells) else None
        value = cells[vcol] if vcol < len(cells) else None
        if key is None or (isinstance(key, str) and not key.strip()):
            if value is not None and not (isinstance(value, str) and not value.strip()):
                tables.error(f"{sheet_title}!{klet}{number}",
                             found(None, "a setting name for the value in column "
                                         f"{vlet}"))
            continue
        name = str(key).strip().lower()
        where = f"{sheet_title}!{vlet}{number}"
        if name not in known:
            tables.warn(f"{sheet_title}!{klet}{number}",
                        f"found unknown setting {describe(key)}; it is ignored (expected "
                        f"one of: {', '.join(known)})")
            continue
        if name in tables.setting_cells:
            tables.error(f"{sheet_title}!{klet}{number}",
                         f"found setting {name!r} a second time; expected it once "
                         f"(first at {tables.setting_cells[name]})")
            continue
        tables.setting_cells[name] = where
        if (number, vcol) in raw.formula_cells:
            tables.error(where, "found a formula with no saved value; expected a value")
            continue
        parsed, expected = parse_value(value, known[name])
        if expected is not None:
            tables.error(where, found(value, f"{expected} for {name}"))
            continue
        tables.settings[name] = parsed
    for col in schema.SETTINGS.columns:
        if col.required and tables.settings.get(col.name) is None:
            where = tables.setting_cells.get(col.name, sheet_title)
            if col.name not in tables.setting_cells:
                tables.error(sheet_title, f"found no setting {col.name!r}; expected a row "
                                          f"'{col.name}' with {col.expectation()}")
            elif not any(p.where == where for p in tables.problems):
                tables.error(where, found(None, col.expectation() + f" for {col.name}"))
