"""Writing workbooks: the one place for cells, header styles, sheet lookup, atomic saving,
and :func:`write_instance`, the inverse of the reader.

Every workbook the tool writes (the report, the template, a sampled workbook) goes
through here:

* :func:`put` writes a cell; text is always text (a value that starts with ``=``, ``+``,
  ``-`` or ``@`` never becomes a formula);
* :func:`style_header` gives every header row one look;
* :func:`find_sheet` finds a sheet as the reader does (case and surrounding spaces
  ignored);
* :func:`check_output` refuses, before any work, a path that cannot take a workbook (a
  folder, a name not ending in ``.xlsx``, a folder that cannot be written);
* :func:`save_atomically` writes to a temporary file in the target folder and moves it
  into place, so an interrupted run never leaves a half-written file, with the
  permissions a new file gets from the user's umask;
* :func:`write_instance` writes an :class:`~instance.Instance` as an input workbook, driven
  by the schema (:mod:`optimizer.schema`): reading what it writes gives the same
  instance.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from instance import Instance, Settings
from optimizer import schema

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
REQUIRED_FILL = PatternFill("solid", fgColor="C00000")


def put(ws: Worksheet, row: int, col: int, value, number_format: str | None = None):
    """Write one cell; text is forced to be text (never a formula)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    elif isinstance(value, float) and value != value:  # NaN: leave blank
        cell.value = None
    else:
        cell.value = value
    if number_format and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.number_format = number_format
    return cell


def style_header(cell, *, required: bool = False, wrap: bool = False) -> None:
    """White bold text on blue (on red for a required input column)."""
    cell.font = HEADER_FONT
    cell.fill = REQUIRED_FILL if required else HEADER_FILL
    cell.alignment = Alignment(wrap_text=wrap, vertical="center")


def header_row(ws: Worksheet, columns: Iterable[str], row: int = 1) -> None:
    """A styled header row, frozen so it stays in view."""
    for j, name in enumerate(columns, start=1):
        style_header(put(ws, row, j, name), wrap=True)
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def sheet_key(title: str) -> str:
    """What a sheet name is compared by: case and surrounding spaces do not count."""
    return title.strip().lower()


def find_sheet(wb: Workbook, name: str) -> Worksheet | None:
    """The sheet named like ``name`` (see :func:`sheet_key`), ``None`` when there is none."""
    key = sheet_key(name)
    return next((ws for ws in wb.worksheets if sheet_key(ws.title) == key), None)


def replace_sheet(wb: Workbook, name: str) -> Worksheet:
    """An empty sheet ``name`` where the sheet named like it was (at the end if none)."""
    existing = find_sheet(wb, name)
    index = wb.worksheets.index(existing) if existing is not None else len(wb.worksheets)
    if existing is not None:
        wb.remove(existing)
    return wb.create_sheet(name, index)


class OutputPathError(ValueError):
    """A path a workbook cannot be written to (invalid input: nothing is done)."""


def check_output(path: str | os.PathLike, what: str = "report path") -> None:
    """Raise :class:`OutputPathError` (one line, naming ``what`` and the path) unless
    ``path`` ends in ``.xlsx``, is not a folder, and its folder (or the nearest existing
    one above it, where the missing ones will be made) can be written: a probe file is
    made there and removed, which also catches read-only file systems."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{what} {path}: found a folder; expected a file name ending "
                              f"in .xlsx, e.g. {path / 'plan.xlsx'}")
    if path.suffix.lower() != ".xlsx":
        found = f"a name ending in {path.suffix!r}" if path.suffix else "a name with no .xlsx"
        raise OutputPathError(f"{what} {path}: found {found}; expected a name ending in "
                              ".xlsx (the file is an Excel workbook)")
    folder = path.absolute().parent
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputPathError(f"{what} {path}: found {folder}, a file, where a folder "
                              "should be; expected a folder that can be written")
    try:
        fd, probe = tempfile.mkstemp(prefix=".stockpile-", suffix=".probe", dir=folder)
    except OSError as exc:
        raise OutputPathError(f"{what} {path}: found the folder {folder}, which cannot be "
                              f"written ({exc.strerror}); expected a folder that can be "
                              "written") from None
    os.close(fd)
    os.unlink(probe)


def new_file_mode() -> int:
    """``0o666 & ~umask``: the permissions a new file gets (read from /proc where it
    can be, so the process umask is never changed, else set and restored at once)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def save_atomically(wb: Workbook, path: str | os.PathLike) -> Path:
    """Save to a temporary file in the target folder, then rename over ``path``: an
    interrupted run never leaves a half-written file, and the previous one stays whole.
    The file gets the permissions of a new file under the user's umask (a temporary
    file is private until then)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx.part", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


# ------------------------------------------------------------------ the input workbook


def cell_value(column: schema.Column, value, calendar_year):
    """A field's value as the reader expects it in ``column`` (the inverse of
    :func:`optimizer.builders.fields`): yes/no, calendar years, blank for none."""
    if value is None or value == "":
        return None
    if column.kind == "yesno":
        return "yes" if value else "no"
    if column.kind == "year":
        return calendar_year(value)
    return value


def row_values(sheet: schema.Sheet, record, calendar_year) -> list:
    """One data class as a row of ``sheet``, in the schema's column order."""
    values = []
    for col in sheet.columns:
        if col.only_with:
            companion = sheet.column(col.only_with).attribute
            if getattr(record, companion) is None:
                values.append(None)
                continue
        values.append(cell_value(col, getattr(record, col.attribute), calendar_year))
    return values


def write_sheet(ws: Worksheet, sheet: schema.Sheet, records: Iterable = (),
                calendar_year=None) -> None:
    """Header row (red: required) and one row per record; data from row 2."""
    for j, col in enumerate(sheet.columns, start=1):
        style_header(put(ws, 1, j, col.name), required=col.required)
        ws.column_dimensions[get_column_letter(j)].width = max(len(col.name) + 4, 14)
    for i, record in enumerate(records, start=2):
        for j, value in enumerate(row_values(sheet, record, calendar_year), start=1):
            put(ws, i, j, value)
    ws.freeze_panes = "A2"


def write_settings(ws: Worksheet, settings: Settings | None = None) -> None:
    """The Settings sheet: a row for every setting, its value blank when ``settings`` is
    ``None`` or the setting is unset."""
    for j, name in enumerate(schema.SETTINGS_HEADER, start=1):
        style_header(put(ws, 1, j, name))
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 28
    for i, col in enumerate(schema.SETTINGS.columns, start=2):
        put(ws, i, 1, col.name)
        if settings is not None:
            put(ws, i, 2, cell_value(col, getattr(settings, col.attribute), lambda y: y))
    ws.freeze_panes = "A2"


def set_settings(wb: Workbook, values: Mapping[str, object]) -> None:
    """Set some settings of an existing workbook in place (other rows as they were)."""
    ws = find_sheet(wb, schema.SETTINGS.name)
    header = [sheet_key(str(c.value)) if c.value is not None else "" for c in ws[1]]
    kcol, vcol = (header.index(name) + 1 for name in schema.SETTINGS_HEADER)
    rows = {sheet_key(str(ws.cell(row=r, column=kcol).value or "")): r
            for r in range(2, ws.max_row + 1)}
    for key, value in values.items():
        r = rows.get(key) or ws.max_row + 1
        put(ws, r, kcol, key)
        put(ws, r, vcol, value)


def write_instance(
    instance: Instance,
    wb: Workbook | None = None,
    sheets: Iterable[schema.Sheet] = schema.SHEETS,
) -> Workbook:
    """``instance`` as an input workbook (a new one, or ``sheets`` of ``wb`` replaced in
    place); :func:`optimizer.io.read_instance` of it gives the same instance."""
    if wb is None:
        wb = Workbook()
        wb.remove(wb.active)
    calendar_year = instance.settings.calendar_year
    for sheet in sheets:
        ws = replace_sheet(wb, sheet.name)
        if sheet is schema.SETTINGS:
            write_settings(ws, instance.settings)
        else:
            write_sheet(ws, sheet, getattr(instance, sheet.field), calendar_year)
    return wb
