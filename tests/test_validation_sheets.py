"""Sheets, columns, blank cells, settings, warnings, the Risks sheet, unreadable files, and
what ``stockpile validate`` prints: the rules of WORKBOOK.md beyond single cells and rows,
checked on the problems the reader returns (``check``), and the command's own output for
the few tests that are about it (``validate``, and a real subprocess).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import Checked, Validation, parse_validation
from workbooks import (
    SMALL,
    add_row,
    case_path,
    damaged,
    delete_column,
    delete_row,
    delete_sheet,
    rename_header,
    rename_sheet,
    set_cell,
    sheet,
    small_workbook,
    write_workbook,
)

CHAIN = "case_chain.xlsx"  # Settings rows: title, first_year (B3), horizon_years (B4)
BUDGETS = "case_budgets.xlsx"
TRANSFERS = "case_transfers.xlsx"
DEMO = "us_mexico_demo.xlsx"


def only_error(v: Checked, where: str) -> str:
    """The workbook is rejected with exactly one error, at ``where``; returns its message."""
    assert not v.ok, v
    assert v.error_cells() == [where], v
    return v.errors[0][1]


def clean(v: Checked) -> None:
    """The workbook reads into an instance with no error."""
    assert v.ok and v.errors == (), v


# --------------------------------------------------------------------------- sheets, columns


@pytest.mark.parametrize(
    "name",
    ["Settings", "Countries", "Commodities", "Demand", "Supply", "Projects", "Scenarios"],
)
def test_missing_required_sheet(tmp_path, check, name):
    v = check(delete_sheet(tmp_path, CHAIN, name))
    assert not v.ok, v
    assert f"found no sheet {name}" in v.error_at(name)


@pytest.mark.parametrize(
    ("case", "name"),
    [(CHAIN, "Stockpiles"), (CHAIN, "Shocks"), (DEMO, "Transfers"), (DEMO, "Budgets")],
)
def test_optional_sheet_may_be_absent(tmp_path, check, case, name):
    clean(check(delete_sheet(tmp_path, case, name)))


@pytest.mark.parametrize("name", ["Stockpiles", "Shocks", "Risks"])
def test_optional_sheet_may_be_empty(tmp_path, check, name):
    def empty(wb):
        if name in wb.sheetnames:
            wb.remove(wb[name])
        wb.create_sheet(name)

    clean(check(damaged(tmp_path, CHAIN, empty)))


def test_optional_sheet_with_header_only(tmp_path, check):
    clean(
        check(damaged(tmp_path, TRANSFERS, lambda wb: sheet(wb, "Transfers").delete_rows(2, 2)))
    )


def test_required_sheet_without_header(tmp_path, check):
    v = check(damaged(tmp_path, CHAIN, lambda wb: sheet(wb, "Projects").delete_rows(1, 3)))
    assert "expected the header row" in only_error(v, "Projects!A1")


@pytest.mark.parametrize(
    ("sheet_name", "column"),
    [
        ("Projects", "capex_musd"),
        ("Demand", "demand_t"),
        ("Countries", "member"),
        ("Supply", "origin"),
        ("Shocks", "factor"),
        ("Stockpiles", "country"),
        ("Settings", "value"),
    ],
)
def test_missing_required_column_names_the_sheet(tmp_path, check, sheet_name, column):
    v = check(delete_column(tmp_path, CHAIN, sheet_name, column))
    assert not v.ok, v
    assert f"found no column '{column}'" in v.error_at(sheet_name)


def test_unknown_column_is_a_warning(tmp_path, check):
    v = check(rename_header(tmp_path, CHAIN, "Projects", "note", "remarks"))
    clean(v)
    assert "unknown column 'remarks'" in v.warning_at("Projects!S1")
    assert len(v.warnings) == 1, v


def test_optional_column_may_be_missing(tmp_path, check):
    clean(check(delete_column(tmp_path, CHAIN, "Commodities", "floor_usd_per_t")))


def test_column_names_ignore_case_and_spaces(tmp_path, check):
    v = check(rename_header(tmp_path, CHAIN, "Projects", "capex_musd", "  CAPEX_Musd "))
    clean(v)
    assert v.warnings == ()


@pytest.mark.parametrize(
    ("name", "new"),
    [("Projects", "projects"), ("Countries", " COUNTRIES "), ("Settings", "settings")],
)
def test_sheet_names_ignore_case(tmp_path, check, name, new):
    v = check(rename_sheet(tmp_path, CHAIN, name, new))
    clean(v)
    assert v.warnings == ()


def test_misnamed_sheet_is_missing(tmp_path, check):
    v = check(rename_sheet(tmp_path, CHAIN, "Projects", "Project"))
    assert not v.ok, v
    assert "found no sheet Projects" in v.error_at("Projects")


def test_project_without_sponsor_column_at_non_member(tmp_path, check):
    book = small_workbook()
    for project in book["Projects"]:
        project.pop("sponsor", None)
    # Projects columns: project, country, ... -> the CHN project's location is B3
    v = check(write_workbook(tmp_path / "input.xlsx", book))
    assert "CHN" in only_error(v, "Projects!B3")


def test_input_without_input_ratio_column(tmp_path, check):
    v = check(delete_column(tmp_path, CHAIN, "Projects", "input_t_per_t"))
    assert "input_t_per_t" in only_error(v, "Projects!G2")


# --------------------------------------------------------------------------- blanks, text


def test_blank_rows_are_skipped(tmp_path, check):
    def blank_rows(wb):
        ws = sheet(wb, "Demand")
        ws.insert_rows(3, 3)
        ws["A4"] = "   "  # a row holding only spaces is blank too
        ws["D5"] = " "

    v = check(damaged(tmp_path, CHAIN, blank_rows))
    clean(v)
    assert v.warnings == ()


def test_optional_cell_with_only_spaces_is_blank(tmp_path, check):
    clean(check(set_cell(tmp_path, CHAIN, "Commodities", "E2", "    ")))


@pytest.mark.parametrize(
    ("sheet_name", "cell", "value"),
    [
        ("Demand", "A2", " USA "),
        ("Stockpiles", "B2", "ndpr_oxide  "),
        ("Shocks", "B2", " Supply "),  # enumerations ignore case
        ("Demand", "D2", "12.5"),
        ("Demand", "D2", " 1000 "),
        ("Commodities", "D2", 1e12),
        ("Commodities", "D2", "6e4"),
        ("Settings", "B4", "5"),
    ],
)
def test_accepted_text(tmp_path, check, sheet_name, cell, value):
    clean(check(set_cell(tmp_path, CHAIN, sheet_name, cell, value)))


YES = ["yes", "YES", "y", " Y ", "true", "True", "1", 1, 1.0, True]
NO = ["no", "No", "n", "N", "false", "FALSE", "0", 0, False]


@pytest.mark.parametrize("value", YES, ids=repr)
def test_yes_variants(tmp_path, check, value):
    # ndpr_oxide is stockpiled, so stockpilable must read as yes
    clean(check(set_cell(tmp_path, CHAIN, "Commodities", "H2", value)))


@pytest.mark.parametrize("value", NO, ids=repr)
def test_no_variants(tmp_path, check, value):
    # stockpilable read as no makes the Stockpiles row that holds ndpr_oxide wrong
    v = check(set_cell(tmp_path, CHAIN, "Commodities", "H2", value))
    assert "a stockpilable commodity" in only_error(v, "Stockpiles!B2")


@pytest.mark.parametrize(
    ("sheet_name", "cell"), [("Projects", "I2"), ("Settings", "B3"), ("Countries", "C3")]
)
def test_formula_without_cached_value(tmp_path, check, sheet_name, cell):
    # openpyxl saves a formula with no cached value, as a file never opened in Excel
    v = check(set_cell(tmp_path, CHAIN, sheet_name, cell, "=1+1"))
    assert "formula with no saved value" in only_error(v, f"{sheet_name}!{cell}")


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(("row", "name"), [(3, "first_year"), (4, "horizon_years")])
def test_missing_required_setting(tmp_path, check, row, name):
    v = check(delete_row(tmp_path, CHAIN, "Settings", row))
    assert f"found no setting '{name}'" in only_error(v, "Settings")


def test_unknown_setting_is_a_warning(tmp_path, check):
    v = check(add_row(tmp_path, CHAIN, "Settings", {"setting": "colour", "value": "blue"}))
    clean(v)
    assert "unknown setting 'colour'" in v.warning_at("Settings!A5")


def test_setting_names_ignore_case(tmp_path, check):
    clean(check(set_cell(tmp_path, CHAIN, "Settings", "A3", " First_Year ")))


# --------------------------------------------------------------------------- warnings


def test_demand_series_with_missing_year_is_a_warning(tmp_path, check):
    v = check(delete_row(tmp_path, CHAIN, "Demand", 4))  # USA ndpr_oxide 2029
    clean(v)
    assert "found no row for USA ndpr_oxide in 2029" in v.warning_at("Demand")


# --------------------------------------------------------------------------- Risks


def _risks(tmp_path, **changes) -> Path:
    book = small_workbook()
    book["Risks"][1].update(changes)  # the risk's second row
    return write_workbook(tmp_path / "input.xlsx", book)


def test_small_workbook_is_valid(tmp_path, check):
    clean(check(write_workbook(tmp_path / "input.xlsx", SMALL)))


@pytest.mark.parametrize(
    ("changes", "where", "words"),
    [
        ({"annual_probability": 1.5}, "Risks!B3", "found 1.5; expected a number in [0, 1]"),
        ({"annual_probability": -0.2}, "Risks!B3", "expected a number in [0, 1]"),
        ({"annual_probability": 0.2}, "Risks!B3", "found 0.2; expected 0.1, as on the risk"),
        ({"duration_years": 3}, "Risks!C3", "found 3; expected 2, as on the risk"),
        ({"duration_years": 0}, "Risks!C3", "a whole number >= 1"),
        ({"kind": "flood"}, "Risks!D3", "supply or imports or price or demand"),
        ({"where": "USA"}, "Risks!F3", "* or blank for a price shock"),
        ({"commodity": "tin"}, "Risks!E3", "a commodity from Commodities"),
        ({"factor": -1}, "Risks!G3", "a number >= 0"),
    ],
)
def test_risks_rules(tmp_path, check, changes, where, words):
    assert words in only_error(check(_risks(tmp_path, **changes)), where)


# --------------------------------------------------------------------------- unreadable


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _truncated(path: Path) -> Path:
    data = case_path(CHAIN).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _csv(path: Path) -> Path:
    path.write_text("country,name,member\nUSA,United States,yes\n")
    return path


def _binary(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 16)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _missing(path: Path) -> Path:
    return path


def _zip_not_xlsx(path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hello")
    return path


UNREADABLE = {
    "empty": (_empty, "empty"),
    "truncated": (_truncated, "damaged"),
    "csv": (_csv, "not an .xlsx workbook"),
    "binary": (_binary, "not an .xlsx workbook"),
    "folder": (_folder, "folder"),
    "missing": (_missing, "no such file"),
    "zip": (_zip_not_xlsx, "not an .xlsx workbook"),
}


@pytest.mark.parametrize("kind", list(UNREADABLE))
def test_unreadable_file_gets_one_line(tmp_path, validate, kind):
    make, words = UNREADABLE[kind]
    path = make(tmp_path / "input.xlsx")
    v = validate(path)
    assert v.exit_code == 1
    lines = v.stderr.splitlines()
    assert len(lines) == 1, v.output
    assert lines[0].startswith("error ") and words in lines[0]
    assert "input.xlsx" in lines[0]
    assert "Traceback" not in v.output


# --------------------------------------------------------------------------- the real command


def _stockpile() -> list[str]:
    exe = Path(sys.executable).parent / "stockpile"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("stockpile")
    if found:
        return [found]
    return [sys.executable, "-c", "from optimizer.cli import main; main()"]


def _run(path: Path) -> Validation:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.run(
        [*_stockpile(), "validate", str(path)], capture_output=True, text=True, timeout=120, env=env
    )
    return parse_validation(proc.returncode, proc.stdout, proc.stderr)


def test_subprocess_reports_cell_and_exit_code(tmp_path):
    v = _run(set_cell(tmp_path, CHAIN, "Projects", "J2", 1.5))
    assert v.exit_code == 1
    assert v.error_cells() == ["Projects!J2"]
    assert "found 1.5; expected a whole number >= 1" in v.errors[0][1]
    assert v.counts == (1, 0)
    assert v.stdout == ""
    assert "Traceback" not in v.output


def test_cases_still_load_in_openpyxl():
    # the damage helpers rely on the reference cases opening in openpyxl
    wb = openpyxl.load_workbook(case_path(CHAIN))
    assert sheet(wb, "projects")["J2"].value == 3
