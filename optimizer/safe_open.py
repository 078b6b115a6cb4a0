"""Opening an untrusted workbook safely: the container is checked before openpyxl
parses it (not a zip, a zip bomb, a sheet of a million rows, a damaged file: one clear
line each), and every sheet's cells are read once, with the cells that hold a formula
without a saved value noted.

:func:`open_workbook` is the only function here the reader calls; it raises
:class:`UnreadableWorkbook` and nothing else.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from optimizer import schema
from optimizer.xlsx import sheet_key

# Limits on what is read from an untrusted file (a zip bomb or a million-row sheet is
# refused before it is parsed).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ROWS_PER_SHEET = 200_000


class UnreadableWorkbook(Exception):
    """The file is not a workbook we can read (one clear line for the planner)."""


def _check_container(path: Path) -> None:
    """Refuse what is not an xlsx zip, or would expand beyond our limits."""
    if not path.exists():
        raise UnreadableWorkbook(f"{path}: no such file")
    if path.is_dir():
        raise UnreadableWorkbook(f"{path}: is a folder, not an .xlsx workbook")
    size = path.stat().st_size
    if size == 0:
        raise UnreadableWorkbook(f"{path}: the file is empty; expected an .xlsx workbook")
    if size > MAX_FILE_BYTES:
        raise UnreadableWorkbook(
            f"{path}: the file is {size / 2**20:.0f} MiB; the limit is "
            f"{MAX_FILE_BYTES / 2**20:.0f} MiB"
        )
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            truncated = fh.read(4) == b"PK\x03\x04"  # a zip that lost its end
        if truncated:
            raise UnreadableWorkbook(
                f"{path}: damaged .xlsx file (truncated or incomplete zip container); save "
                "it again from Excel"
            )
        raise UnreadableWorkbook(
            f"{path}: not an .xlsx workbook (not a zip container: a CSV or an old .xls "
            "file renamed?); save it from Excel as .xlsx"
        )
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            total = sum(i.file_size for i in infos)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableWorkbook(f"{path}: damaged .xlsx file ({exc})") from None
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        raise UnreadableWorkbook(f"{path}: a zip file, but not an .xlsx workbook")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnreadableWorkbook(
            f"{path}: the workbook expands to {total / 2**20:.0f} MiB; the limit is "
            f"{MAX_UNCOMPRESSED_BYTES / 2**20:.0f} MiB"
        )


def _sheet_titles(z: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part name (``xl/worksheets/sheet1.xml``) → sheet title."""
    from defusedxml import ElementTree

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # noqa: BLE001 - openpyxl will report a damaged workbook itself
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in book.iter(f"{ns}sheet"):
        target = targets.get(sheet.get(rel), "")
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[part] = sheet.get("name", part)
    return out


ROW_TAGS = (b"<row ", b"<row>")
FORMULA_TAGS = (b"<f>", b"<f ", b":f>", b":f ")


def _scan_sheet(z: zipfile.ZipFile, member: str, limit: int) -> tuple[int, bool]:
    """Rows in a worksheet part (counting stops past ``limit``) and whether it holds a
    formula, in one pass over the decompressed stream in bounded memory."""
    count, formulas, tail = 0, False, b""
    with z.open(member) as fh:
        while chunk := fh.read(1 << 20):
            data = tail + chunk
            count += sum(data.count(tag) for tag in ROW_TAGS)
            formulas = formulas or any(tag in data for tag in FORMULA_TAGS)
            tail = data[-5:]
            count -= sum(tail.count(tag) for tag in ROW_TAGS)
            if count > limit:
                break
    return count, formulas


def _scan_sheets(path: Path) -> bool:
    """Refuse a sheet with more rows than we read, before openpyxl parses it; return
    whether any sheet holds a formula (then cached values must be checked)."""
    any_formula = False
    with zipfile.ZipFile(path) as z:
        titles = _sheet_titles(z)
        for member in z.namelist():
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                rows, formulas = _scan_sheet(z, member, MAX_ROWS_PER_SHEET + 1)
                if rows > MAX_ROWS_PER_SHEET + 1:
                    raise UnreadableWorkbook(
                        f"{path}: sheet {titles.get(member, member)!r} has more than "
                        f"{MAX_ROWS_PER_SHEET:,} rows; the limit is {MAX_ROWS_PER_SHEET:,} "
                        "data rows per sheet"
                    )
                any_formula = any_formula or formulas
    return any_formula


def _load(path: Path, *, data_only: bool):
    import warnings

    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_workbook(path, read_only=True, data_only=data_only, keep_links=False)


def open_workbook(path: str | os.PathLike) -> dict[str, RawSheet]:
    """Every sheet's cells by canonical sheet name (``schema.SHEET`` names; others under
    their own title). Raises :class:`UnreadableWorkbook` with one clear line."""
    path = Path(path)
    _check_container(path)
    try:
        has_formulas = _scan_sheets(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise UnreadableWorkbook(f"{path}: damaged .xlsx file ({exc})") from None
    try:
        values = _load(path, data_only=True)
        formulas = _load(path, data_only=False) if has_formulas else None
        sheets: dict[str, RawSheet] = {}
        canonical = {sheet_key(s.name): s.name for s in schema.SHEETS}
        for ws in values.worksheets:
            title = ws.title
            name = canonical.get(sheet_key(title), title)
            if name in sheets:
                # two sheets whose names differ only in case or spaces: ambiguous
                sheets[name].duplicates.append(title)
                continue
            fws = formulas[title] if formulas is not None else None
            for sheet in (ws, fws):
                if sheet is not None:
                    sheet.reset_dimensions()  # the stored size may be stale: read every row
            sheets[name] = _read_sheet(ws, fws, title)
        values.close()
        if formulas is not None:
            formulas.close()
        return sheets
    except UnreadableWorkbook:
        raise
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise UnreadableWorkbook(
            f"{path}: cannot read the workbook ({type(exc).__name__}: {exc})"
        ) from None


@dataclass
class RawSheet:
    title: str
    rows: list[tuple[int, tuple]] = field(default_factory=list)
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    too_many_rows: bool = False
    duplicates: list[str] = field(default_factory=list)


def _read_sheet(ws, fws, title: str) -> RawSheet:
    raw = RawSheet(title)
    rows = ws.iter_rows(values_only=True)
    frows = fws.iter_rows(values_only=True) if fws is not None else None
    for number, row in enumerate(rows, start=1):
        frow = next(frows, None) if frows is not None else None
        if number > MAX_ROWS_PER_SHEET + 1:
            raw.too_many_rows = True
            break
        if frow is not None:
            for j, (v, f) in enumerate(zip(row, frow, strict=False)):
                if v is None and isinstance(f, str) and f.startswith("="):
                    raw.formula_cells.add((number, j))
        if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in row):
            raw.rows.append((number, row))
        elif frow is not None and any(isinstance(f, str) and f.startswith("=") for f in frow):
            raw.rows.append((number, row))
    return raw
