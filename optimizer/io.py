"""Reading input workbooks: a safe open, cell parsing by the schema, and the instance.

The flow is ``open_workbook`` → ``read_tables`` (every cell parsed by
:mod:`optimizer.schema`, problems collected with their cells) → ``validate`` (rules across
cells, :mod:`optimizer.validate`) → ``to_instance`` (defaults applied, years mapped to
``t = 1..H``). :func:`read_instance` runs them all and never raises for bad input: it
returns every problem at once.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from optimizer import schema
from optimizer.data import (
    ALL,
    WILDCARD,
    Budget,
    Commodity,
    Country,
    Demand,
    Instance,
    Project,
    Risk,
    Scenario,
    Settings,
    Shock,
    Stockpile,
    SupplyArc,
    Transfer,
)

# Limits on what is read from an untrusted file (a zip bomb or a million-row sheet is
# refused before it is parsed).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ROWS_PER_SHEET = 200_000


@dataclass(frozen=True)
class Problem:
    """One problem in a workbook: ``where`` is ``Sheet!Cell`` or ``Sheet``."""

    where: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class UnreadableWorkbook(Exception):
    """The file is not a workbook we can read (one clear line for the planner)."""


def describe(value) -> str:
    """How a found value is shown in a message."""
    if value is None:
        return "blank"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def found(value, expected: str) -> str:
    return f"found {describe(value)}; expected {expected}"


# --------------------------------------------------------------------------- opening


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
        canonical = {s.name.lower(): s.name for s in schema.SHEETS}
        for ws in values.worksheets:
            title = ws.title
            name = canonical.get(title.strip().lower(), title)
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


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Row:
    """A parsed data row: typed values (``None`` = blank) and where each came from."""

    sheet: str
    number: int
    values: dict
    letters: dict

    def cell(self, column: str) -> str:
        letter = self.letters.get(column)
        if letter is None:
            return f"{self.sheet}!{self.number}"  # a column the sheet does not have
        return f"{self.sheet}!{letter}{self.number}"

    def __getitem__(self, column: str):
        return self.values.get(column)


@dataclass
class Tables:
    """Parsed rows of every sheet, the settings and the problems found so far."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)
    setting_cells: dict[str, str] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def warn(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, warning=True))


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
        rows.append(Row(sheet_title, number, values, letters) if ok else
                    Row(sheet_title, number, values | {"__invalid__": True}, letters))
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


# --------------------------------------------------------------------------- the instance


def _default(sheet: schema.Sheet, row: Row, name: str):
    """A cell's value, or the schema's default when it is blank (the one place defaults
    are applied)."""
    value = row[name]
    return sheet.column(name).default if value is None else value


def to_instance(tables: Tables, source_name: str = "", source_sha256: str = "") -> Instance:
    """Build the instance from validated tables, applying every default here."""
    S = schema
    # a setting left blank (as the template leaves them) takes its default
    st = {
        c.name: c.default if tables.settings.get(c.name) is None else tables.settings[c.name]
        for c in S.SETTINGS.columns
    }
    title = st["title"] or Path(source_name).stem or "stockpile plan"
    settings = Settings(
        first_year=st["first_year"],
        horizon_years=st["horizon_years"],
        title=title,
        discount_rate=float(st["discount_rate"]),
        coordination=st["coordination"],
        risk_weight=float(st["risk_weight"]),
        cvar_alpha=float(st["cvar_alpha"]),
        mip_gap=float(st["mip_gap"]),
        time_limit_s=float(st["time_limit_s"]),
        release_rule=st["release_rule"],
        sampled_from=st["sampled_from"],
        sample_seed=st["sample_seed"],
    )
    plan = settings.plan_year

    def rows(name):
        return tables.rows.get(name, [])

    def opt_year(value):
        return None if value is None else plan(value)

    countries = tuple(
        Country(r["country"], r["member"], r["name"] or "") for r in rows("Countries")
    )
    sheet = S.COMMODITIES
    commodities = tuple(
        Commodity(
            id=r["commodity"],
            price=float(r["price_usd_per_t"]),
            shortage_cost=float(r["shortage_cost_usd_per_t"]),
            floor=None if r["floor_usd_per_t"] is None else float(r["floor_usd_per_t"]),
            holding_cost=float(_default(sheet, r, "holding_cost_usd_per_t_yr")),
            stockpilable=_default(sheet, r, "stockpilable"),
            mineral=r["mineral"] or "",
            stage=r["stage"] or "",
        )
        for r in rows("Commodities")
    )
    demand = tuple(
        Demand(r["country"], r["commodity"], plan(r["year"]), float(r["demand_t"]))
        for r in rows("Demand")
    )
    supply = tuple(
        SupplyArc(
            r["country"],
            r["commodity"],
            r["origin"],
            float(r["max_t_per_yr"]),
            None if r["price_usd_per_t"] is None else float(r["price_usd_per_t"]),
            None if r["floor_usd_per_t"] is None else float(r["floor_usd_per_t"]),
        )
        for r in rows("Supply")
    )
    sheet = S.PROJECTS
    projects = tuple(
        Project(
            id=r["project"],
            country=r["country"],
            sponsor=r["sponsor"] or r["country"],
            output=r["output_commodity"],
            capacity=float(r["capacity_t_per_yr"]),
            capex=float(r["capex_musd"]),
            max_units=int(_default(sheet, r, "max_units")),
            input=r["input_commodity"],
            input_ratio=float(r["input_t_per_t"] or 0.0) if r["input_commodity"] else 0.0,
            fixed_om=float(_default(sheet, r, "fixed_om_musd_per_yr")),
            variable_cost=float(_default(sheet, r, "variable_cost_usd_per_t")),
            lead_time=int(_default(sheet, r, "lead_time_yr")),
            life=int(_default(sheet, r, "life_yr")),
            earliest_start=opt_year(r["earliest_start_year"]),
            gov_share=float(_default(sheet, r, "gov_share")),
            eligible=_default(sheet, r, "eligible"),
            name=r["name"] or "",
            stage=r["stage"] or "",
            note=r["note"] or "",
        )
        for r in rows("Projects")
    )
    sheet = S.STOCKPILES

    def opt(value):
        return None if value is None else float(value)

    stockpiles = tuple(
        Stockpile(
            country=r["country"],
            commodity=r["commodity"],
            initial=float(_default(sheet, r, "initial_t")),
            capacity=opt(r["capacity_t"]),
            min_t=opt(r["min_t"]),
            min_days=opt(r["min_days"]),
            max_buy=opt(r["max_buy_t_per_yr"]),
            max_release=opt(r["max_release_t_per_yr"]),
            facility_cost=float(_default(sheet, r, "facility_cost_musd")),
        )
        for r in rows("Stockpiles")
    )
    transfers = tuple(
        Transfer(
            r["from_country"],
            r["to_country"],
            r["commodity"] or WILDCARD,
            float(r["max_t_per_yr"]),
            float(_default(S.TRANSFERS, r, "cost_usd_per_t")),
        )
        for r in rows("Transfers")
    )
    budgets = tuple(
        Budget(r["country"], plan(r["year"]), float(r["budget_musd"])) for r in rows("Budgets")
    )
    scenarios = tuple(
        Scenario(r["scenario"], float(r["probability"]), r["description"] or "")
        for r in rows("Scenarios")
    )
    shocks = tuple(
        Shock(
            scenario=r["scenario"],
            kind=r["kind"],
            factor=float(r["factor"]),
            commodity=r["commodity"] or WILDCARD,
            where=r["where"] or WILDCARD,
            start=opt_year(r["start_year"]),
            end=opt_year(r["end_year"]),
        )
        for r in rows("Shocks")
    )
    risks = tuple(
        Risk(
            risk=r["risk"],
            annual_probability=float(r["annual_probability"]),
            kind=r["kind"],
            factor=float(r["factor"]),
            duration_years=int(_default(S.RISKS, r, "duration_years")),
            commodity=r["commodity"] or WILDCARD,
            where=r["where"] or WILDCARD,
        )
        for r in rows("Risks")
    )
    return Instance(
        settings=settings,
        countries=countries,
        commodities=commodities,
        scenarios=scenarios,
        demand=demand,
        supply=supply,
        projects=projects,
        stockpiles=stockpiles,
        transfers=transfers,
        budgets=budgets,
        shocks=shocks,
        risks=risks,
        source_name=source_name,
        source_sha256=source_sha256,
    )


@dataclass(frozen=True)
class ReadResult:
    """What reading a workbook gives: the instance (``None`` when there are errors) and
    every problem and warning found."""

    instance: Instance | None
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.instance is not None


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_instance(path: str | os.PathLike) -> ReadResult:
    """Read, parse and validate a workbook. Raises only :class:`UnreadableWorkbook`."""
    from optimizer.validate import validate

    sheets = open_workbook(path)
    tables = read_tables(sheets)
    validate(tables)
    errors = tuple(p for p in tables.problems if not p.warning)
    warnings = tuple(p for p in tables.problems if p.warning)
    if errors:
        return ReadResult(None, errors, warnings)
    instance = to_instance(tables, Path(path).name, sha256_of(path))
    return ReadResult(instance, (), warnings)


__all__ = [
    "ALL",
    "Problem",
    "ReadResult",
    "Row",
    "Tables",
    "UnreadableWorkbook",
    "open_workbook",
    "read_instance",
    "read_tables",
    "to_instance",
]
