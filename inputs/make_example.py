"""Write the example input workbook ``inputs/north_america.xlsx`` from the tables beside it.

    python inputs/make_example.py

Every figure of the example lives in ``inputs/example_data/`` (see its README.md): one
CSV per input sheet, named after the sheet (``supply.csv`` is the Supply sheet, row for
row), ``sources.csv`` (the publications cited), ``about.csv`` (where each figure comes
from, or that it is illustrative) and ``about.txt`` (the About sheet's opening
paragraphs). This script only reads them, checks that they hang together, and writes the
workbook: the input sheets with their headers in the order of :mod:`optimizer.schema`,
then the About sheet, which the solver does not read.

The script uses only openpyxl and the standard library and is deterministic: running it
again rewrites a byte-identical file.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from optimizer import schema

HERE = Path(__file__).resolve().parent
DATA = HERE / "example_data"
OUTPUT = HERE / "north_america.xlsx"

ILLUSTRATIVE = "illustrative"
ABOUT_HEADER = ["sheet", "item", "value used", "unit", "source", "url", "note"]

# Fixed timestamp for the file's metadata and zip entries, so that reruns are identical.
FIXED_TIME = datetime.datetime(2026, 1, 1, 0, 0, 0)

BOLD = Font(bold=True)
_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?")


# --------------------------------------------------------------------------------------
# Reading the tables
# --------------------------------------------------------------------------------------


def cell_value(text: str) -> str | int | float | None:
    """A CSV field as the cell it becomes: blank, whole number, number, or text."""
    if text == "":
        return None
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return text


def read_table(name: str) -> list[dict[str, object]]:
    """The rows of ``example_data/<name>.csv`` as dicts keyed by column name."""
    with open(DATA / f"{name}.csv", newline="", encoding="utf-8") as f:
        return [
            {column: cell_value(text) for column, text in row.items()} for row in csv.DictReader(f)
        ]


def input_tables() -> dict[str, list[dict[str, object]]]:
    """Every input sheet that has a table, keyed by sheet name, in the schema's order."""
    return {
        sheet.name: read_table(sheet.name.lower())
        for sheet in schema.SHEETS
        if (DATA / f"{sheet.name.lower()}.csv").exists()
    }


def check_tables(tables: dict[str, list[dict]], sources: dict, about: list[dict]) -> None:
    """Refuse tables that do not hang together (the workbook would mislead)."""
    problems = []
    for name, rows in tables.items():
        sheet = schema.SHEET[name]
        known = (
            {c.name for c in sheet.columns}
            if sheet is not schema.SETTINGS
            else set(schema.SETTINGS_HEADER)
        )
        unknown = sorted(set(rows[0]) - known) if rows else []
        if unknown:
            print(f"note: {name} has columns this schema does not know yet: {unknown}")
    total = round(sum(row["probability"] for row in tables["Scenarios"]), 9)
    if total != 1:
        problems.append(f"scenarios.csv: probabilities sum to {total}, not 1")
    for row in about:
        if row["source"] != ILLUSTRATIVE and row["source"] not in sources:
            problems.append(f"about.csv: unknown source {row['source']!r} ({row['item']})")
    if problems:
        raise SystemExit("\n".join(problems))


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def header_of(sheet: schema.Sheet, rows: list[dict]) -> list[str]:
    """The sheet's header: its columns present in the table, in the schema's order (a
    column the schema does not know yet goes last)."""
    if sheet is schema.SETTINGS:
        return list(schema.SETTINGS_HEADER)
    present = list(rows[0]) if rows else [c.name for c in sheet.columns]
    known = [c.name for c in sheet.columns if c.name in present]
    return known + [name for name in present if name not in known]


def add_table(wb: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = BOLD
    for row in rows:
        ws.append(list(row))
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        longest = max([len(str(name))] + [len(str(r[i - 1])) for r in rows if r[i - 1] is not None])
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 60)


def write_input_sheets(wb: Workbook, tables: dict[str, list[dict]]) -> None:
    """One sheet per table, header from the schema, one row per table row."""
    for name, rows in tables.items():
        header = header_of(schema.SHEET[name], rows)
        add_table(wb, name, header, [[row.get(column) for column in header] for row in rows])


def add_about(wb: Workbook, title: str, sources: dict, about: list[dict]) -> None:
    """The About sheet: title, opening paragraphs, then one line per figure."""
    ws = wb.create_sheet("About")
    intro = [p.strip() for p in (DATA / "about.txt").read_text("utf-8").split("\n\n")]
    ws.append([title])
    for text in intro:
        ws.append([text])
    ws["A1"].font = Font(bold=True, size=14)
    for row in range(2, len(intro) + 2):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=7)
        ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 48
    ws.append([])

    ws.append(ABOUT_HEADER)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = BOLD
    for line in about:
        source, url = sources.get(line["source"], (ILLUSTRATIVE, None))
        ws.append(
            [line["sheet"], line["item"], line["value"], line["unit"], source, url, line["note"]]
        )
    for col, width in zip("ABCDEFG", (12, 44, 18, 10, 60, 60, 90), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def build_workbook() -> Workbook:
    tables = input_tables()
    sources = {row["source"]: (row["title"], row["url"]) for row in read_table("sources")}
    about = read_table("about")
    check_tables(tables, sources, about)
    wb = Workbook()
    wb.remove(wb.active)
    write_input_sheets(wb, tables)
    title = next(row["value"] for row in tables["Settings"] if row["setting"] == "title")
    add_about(wb, title, sources, about)
    return wb


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save with fixed metadata and zip timestamps so that reruns give identical bytes."""
    wb.properties.creator = "stockpile"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(out.getvalue())


def main() -> None:
    save_deterministic(build_workbook(), OUTPUT)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
