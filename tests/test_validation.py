"""``stockpile validate`` against every rule of WORKBOOK.md.

Each test takes a valid reference workbook, breaks it in exactly one way and checks the
exit code and the cell the message names. Most run the command in-process (Typer's
runner); ``test_subprocess_*`` run the installed ``stockpile`` for real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import Validation, parse_validation
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
TIMING = "case_purchase_timing.xlsx"  # Supply!F3: the AUS row's own floor


def only_error(v: Validation, where: str) -> str:
    """The workbook is rejected with exactly one error, at ``where``; returns its message."""
    assert v.exit_code == 1, v.output
    assert v.error_cells() == [where], v.output
    assert v.counts is not None and v.counts[0] == 1, v.output
    return v.errors[0][1]


def clean(v: Validation) -> None:
    assert v.exit_code == 0, v.output
    assert v.errors == (), v.output
    assert "valid (" in v.stdout


# --------------------------------------------------------------------------- one cell


@pytest.mark.parametrize(
    ("case", "sheet_name", "cell", "value", "where", "words"),
    [
        # numbers: numeric text is fine, other text, non-finite and huge values are not
        (CHAIN, "Commodities", "D2", "nan", "Commodities!D2", "found 'nan'; expected a number"),
        (CHAIN, "Commodities", "D2", "inf", "Commodities!D2", "found 'inf'"),
        (CHAIN, "Commodities", "D2", "-Infinity", "Commodities!D2", "found '-Infinity'"),
        (CHAIN, "Demand", "D3", "lots", "Demand!D3", "found 'lots'; expected a number >= 0"),
        (CHAIN, "Commodities", "D2", 1e13, "Commodities!D2", "at most 1e12"),
        (CHAIN, "Commodities", "F2", "-2e12", "Commodities!F2", "at most 1e12"),
        (CHAIN, "Commodities", "D2", True, "Commodities!D2", "found TRUE"),
        (CHAIN, "Demand", "C2", 2027.5, "Demand!C2", "expected a calendar year"),
        # a required cell holding only spaces is blank
        (CHAIN, "Projects", "I2", "   ", "Projects!I2", "found blank; expected a number > 0"),
        # yes/no
        (CHAIN, "Commodities", "H2", "maybe", "Commodities!H2", "expected yes or no"),
        (CHAIN, "Commodities", "H2", 2, "Commodities!H2", "expected yes or no"),
        # Settings
        (DEMO, "Settings", "B6", "together", "Settings!B6", "coordinated or independent"),
        (DEMO, "Settings", "B7", 1.5, "Settings!B7", "in [0, 1] for risk_weight"),
        (DEMO, "Settings", "B7", -0.1, "Settings!B7", "for risk_weight"),
        (DEMO, "Settings", "B8", 1, "Settings!B8", "in (0, 1) for cvar_alpha"),
        (DEMO, "Settings", "B8", 0, "Settings!B8", "in (0, 1) for cvar_alpha"),
        (CHAIN, "Settings", "B3", None, "Settings!B3", "found blank"),
        (CHAIN, "Settings", "B4", 0, "Settings!B4", "for horizon_years"),
        # Commodities
        (CHAIN, "Commodities", "D2", 0, "Commodities!D2", "found 0; expected a number > 0"),
        (CHAIN, "Commodities", "E2", 0, "Commodities!E2", "found 0; expected a number > 0"),
        (CHAIN, "Commodities", "F2", -1, "Commodities!F2", "found -1; expected a number >= 0"),
        # Demand: references, members, horizon
        (CHAIN, "Demand", "A3", "CHN", "Demand!A3", "CHN is not a member"),
        (CHAIN, "Demand", "B3", "unobtainium", "Demand!B3", "a commodity from Commodities"),
        (CHAIN, "Demand", "A2", "usa", "Demand!A2", "found 'usa'"),  # ids are case-sensitive
        (CHAIN, "Demand", "C6", 2032, "Demand!C6", "a year from 2027 to 2031"),
        (CHAIN, "Demand", "C2", 2026, "Demand!C2", "a year from 2027 to 2031"),
        # Supply
        (CHAIN, "Supply", "A3", "AUS", "Supply!A3", "AUS is not a member"),
        (CHAIN, "Supply", "C2", "XXX", "Supply!C2", "a country from Countries"),
        (CHAIN, "Supply", "E3", 0, "Supply!E3", "a number > 0"),
        (TIMING, "Supply", "F3", -5, "Supply!F3", "found -5; expected a number >= 0"),
        (TIMING, "Supply", "F3", "cheap", "Supply!F3", "found 'cheap'; expected a number"),
        (TIMING, "Supply", "F3", "nan", "Supply!F3", "found 'nan'"),
        # Projects
        (CHAIN, "Projects", "G2", "ndpr_oxide", "Projects!G2", "different from the output"),
        (CHAIN, "Projects", "H2", None, "Projects!H2", "found blank; expected a number > 0"),
        (CHAIN, "Projects", "I2", 0, "Projects!I2", "found 0; expected a number > 0"),
        (CHAIN, "Projects", "J2", 0, "Projects!J2", "found 0; expected a whole number >= 1"),
        (CHAIN, "Projects", "J2", 1.5, "Projects!J2", "found 1.5; expected a whole number"),
        (CHAIN, "Projects", "O2", 0, "Projects!O2", "found 0; expected a whole number >= 1"),
        (CHAIN, "Projects", "Q2", 1.2, "Projects!Q2", "found 1.2; expected a number in [0, 1]"),
        (CHAIN, "Projects", "N2", -1, "Projects!N2", "found -1; expected a whole number >= 0"),
        (CHAIN, "Projects", "K2", -5, "Projects!K2", "found -5; expected a number >= 0"),
        (CHAIN, "Projects", "C3", "CHN", "Projects!D3", "the location CHN is not a member"),
        (CHAIN, "Projects", "D2", "CHN", "Projects!D2", "CHN is not a member"),
        (CHAIN, "Projects", "C2", "XXX", "Projects!C2", "a country from Countries"),
        (CHAIN, "Projects", "F3", "unobtainium", "Projects!F3", "a commodity from"),
        (CHAIN, "Projects", "A3", "sep_plant", "Projects!A3", "a second time"),
        (CHAIN, "Projects", "R2", "perhaps", "Projects!R2", "expected yes or no"),
        # Stockpiles
        (CHAIN, "Stockpiles", "B2", "re_concentrate", "Stockpiles!B2", "stockpilable"),
        (CHAIN, "Stockpiles", "A2", "CHN", "Stockpiles!A2", "CHN is not a member"),
        (CHAIN, "Stockpiles", "E2", 2500, "Stockpiles!E2", "at most the capacity 2000"),
        (CHAIN, "Stockpiles", "F2", 1000, "Stockpiles!F2", "fit the capacity 2000"),
        (CHAIN, "Stockpiles", "C2", 2001, "Stockpiles!C2", "at most the capacity 2000"),
        (CHAIN, "Stockpiles", "D2", 0, "Stockpiles!D2", "found 0; expected a number > 0"),
        (DEMO, "Stockpiles", "D4", None, "Stockpiles!I4", "needs a capacity"),
        (DEMO, "Stockpiles", "C4", 10, "Stockpiles!C4", "already exists"),
        # Transfers
        (TRANSFERS, "Transfers", "B3", "USA", "Transfers!B3", "other than from_country"),
        (TRANSFERS, "Transfers", "B3", "CHN", "Transfers!B3", "CHN is not a member"),
        (TRANSFERS, "Transfers", "C3", "lead", "Transfers!C3", "a commodity from"),
        (TRANSFERS, "Transfers", "D2", -1, "Transfers!D2", "a number >= 0"),
        # Budgets
        (BUDGETS, "Budgets", "A2", "CHN", "Budgets!A2", "or ALL (CHN is not a member)"),
        (BUDGETS, "Budgets", "B2", 2026, "Budgets!B2", "a year from 2027 to 2027"),
        (BUDGETS, "Budgets", "B4", 2028, "Budgets!B4", "a year from 2027 to 2027"),
        (BUDGETS, "Budgets", "C2", -3, "Budgets!C2", "a number >= 0"),
        # Scenarios
        (CHAIN, "Scenarios", "B3", 1.4, "Scenarios!B3", "found 1.4; expected a number in [0, 1]"),
        (CHAIN, "Scenarios", "B3", -0.1, "Scenarios!B3", "expected a number in [0, 1]"),
        (CHAIN, "Scenarios", "B3", 0.3, "Scenarios!B1", "summing to 0.9; expected a sum of 1"),
        # Shocks
        (CHAIN, "Shocks", "A2", "nope", "Shocks!A2", "a scenario from Scenarios"),
        (CHAIN, "Shocks", "B2", "earthquake", "Shocks!B2", "supply or imports or price or"),
        (CHAIN, "Shocks", "C2", "unobtainium", "Shocks!C2", "a commodity from"),
        (CHAIN, "Shocks", "D2", "XXX", "Shocks!D2", "a country from Countries"),
        (CHAIN, "Shocks", "D3", "CHN", "Shocks!D3", "* or blank for a price shock"),
        (CHAIN, "Shocks", "G2", -0.5, "Shocks!G2", "found -0.5; expected a number >= 0"),
        (CHAIN, "Shocks", "G2", None, "Shocks!G2", "found blank"),
        (DEMO, "Shocks", "F8", 2027, "Shocks!F8", "at or after start_year 2028"),
        (DEMO, "Shocks", "D25", "CHN", "Shocks!D25", "a member for an imports shock"),
        (DEMO, "Shocks", "D17", "CHN", "Shocks!D17", "a member for a demand shock"),
    ],
)
def test_one_bad_cell_is_named(tmp_path, validate, case, sheet_name, cell, value, where, words):
    v = validate(set_cell(tmp_path, case, sheet_name, cell, value))
    message = only_error(v, where)
    assert words in message
    assert message.startswith("found ")


def test_bad_member_cell_is_reported_once(tmp_path, validate):
    # USA's member cell cannot be read; rows naming USA are not rejected for it as well
    v = validate(set_cell(tmp_path, CHAIN, "Countries", "C2", "maybe"))
    assert "found 'maybe'; expected yes or no" in only_error(v, "Countries!C2")


def test_all_problems_at_once(tmp_path, validate):
    def three(wb):
        sheet(wb, "Projects")["J3"] = 0
        sheet(wb, "Stockpiles")["E2"] = 100  # min_t above the capacity of 60
        sheet(wb, "Shocks")["G2"] = -1

    v = validate(damaged(tmp_path, DEMO, three))
    assert v.exit_code == 1
    assert sorted(v.error_cells()) == ["Projects!J3", "Shocks!G2", "Stockpiles!E2"]
    assert v.counts == (3, 0)
    assert "3 error(s)" in v.stderr


# --------------------------------------------------------------------------- rows


@pytest.mark.parametrize(
    ("case", "sheet_name", "values", "where", "words"),
    [
        (CHAIN, "Countries", {"country": "ALL", "member": "no"}, "Countries!A5", "other than"),
        (CHAIN, "Countries", {"country": "*", "member": "no"}, "Countries!A5", "other than"),
        (
            CHAIN,
            "Countries",
            {"country": "CHN", "member": "no"},
            "Countries!A5",
            "'CHN' a second time",
        ),
        (
            CHAIN,
            "Commodities",
            {"commodity": "ndpr_oxide", "price_usd_per_t": 1, "shortage_cost_usd_per_t": 1},
            "Commodities!A4",
            "'ndpr_oxide' a second time",
        ),
        (
            CHAIN,
            "Demand",
            {"country": "USA", "commodity": "ndpr_oxide", "year": 2028, "demand_t": 1},
            "Demand!C7",
            "(first in row 3)",
        ),
        (
            CHAIN,
            "Supply",
            {"country": "USA", "commodity": "ndpr_oxide", "origin": "CHN", "max_t_per_yr": 1},
            "Supply!C5",
            "(first in row 2)",
        ),
        (
            CHAIN,
            "Projects",
            {
                "project": "re_mine",
                "country": "USA",
                "output_commodity": "ndpr_oxide",
                "capacity_t_per_yr": 1,
                "capex_musd": 1,
            },
            "Projects!A4",
            "'re_mine' a second time",
        ),
        (
            CHAIN,
            "Stockpiles",
            {"country": "USA", "commodity": "ndpr_oxide"},
            "Stockpiles!B3",
            "(first in row 2)",
        ),
        (
            BUDGETS,
            "Budgets",
            {"country": "ALL", "year": 2027, "budget_musd": 1},
            "Budgets!B5",
            "(first in row 4)",
        ),
        (
            BUDGETS,
            "Budgets",
            {"country": "USA", "year": 2027, "budget_musd": 1},
            "Budgets!B5",
            "(first in row 2)",
        ),
        # a second scenario 'normal' with probability 0 keeps the sum at 1
        (
            CHAIN,
            "Scenarios",
            {"scenario": "normal", "probability": 0},
            "Scenarios!A4",
            "'normal' a second time",
        ),
        # transfers: a single-commodity row under a * row, and a * row over a single one
        (
            TRANSFERS,
            "Transfers",
            {
                "from_country": "MEX",
                "to_country": "USA",
                "commodity": "tungsten",
                "max_t_per_yr": 1,
            },
            "Transfers!C4",
            "not already covered from MEX to USA (row 2)",
        ),
        (
            TRANSFERS,
            "Transfers",
            {"from_country": "USA", "to_country": "MEX", "commodity": "*", "max_t_per_yr": 1},
            "Transfers!C4",
            "not already covered from USA to MEX (row 3)",
        ),
        (
            TRANSFERS,
            "Transfers",
            {
                "from_country": "USA",
                "to_country": "MEX",
                "commodity": "antimony",
                "max_t_per_yr": 1,
            },
            "Transfers!C4",
            "(row 3)",
        ),
        # settings: a second setting (names are case-insensitive)
        (
            CHAIN,
            "Settings",
            {"setting": "First_Year", "value": 2027},
            "Settings!A5",
            "'first_year' a second time",
        ),
        (
            CHAIN,
            "Settings",
            {"setting": "coordination", "value": "together"},
            "Settings!B5",
            "coordinated or independent",
        ),
        (
            CHAIN,
            "Settings",
            {"setting": "release_rule", "value": "never"},
            "Settings!B5",
            "disruption or any",
        ),
        (CHAIN, "Settings", {"setting": "cvar_alpha", "value": 1.0}, "Settings!B5", "cvar_alpha"),
        (
            CHAIN,
            "Settings",
            {"setting": "discount_rate", "value": -0.01},
            "Settings!B5",
            "discount_rate",
        ),
    ],
)
def test_added_row_is_named(tmp_path, validate, case, sheet_name, values, where, words):
    v = validate(add_row(tmp_path, case, sheet_name, values))
    assert words in only_error(v, where)


def test_row_numbers_count_blank_rows(tmp_path, validate):
    # two blank rows above the bad row: the message names the row as Excel numbers it
    v = validate(
        add_row(
            tmp_path,
            CHAIN,
            "Projects",
            {
                "project": "new",
                "country": "USA",
                "output_commodity": "ndpr_oxide",
                "capacity_t_per_yr": -1,
                "capex_musd": 1,
            },
            at=6,
        )
    )
    only_error(v, "Projects!I6")


# --------------------------------------------------------------------------- sheets, columns


@pytest.mark.parametrize(
    "name",
    ["Settings", "Countries", "Commodities", "Demand", "Supply", "Projects", "Scenarios"],
)
def test_missing_required_sheet(tmp_path, validate, name):
    v = validate(delete_sheet(tmp_path, CHAIN, name))
    assert v.exit_code == 1
    assert f"found no sheet {name}" in v.error_at(name)


@pytest.mark.parametrize(
    ("case", "name"),
    [(CHAIN, "Stockpiles"), (CHAIN, "Shocks"), (DEMO, "Transfers"), (DEMO, "Budgets")],
)
def test_optional_sheet_may_be_absent(tmp_path, validate, case, name):
    clean(validate(delete_sheet(tmp_path, case, name)))


@pytest.mark.parametrize("name", ["Stockpiles", "Shocks", "Risks"])
def test_optional_sheet_may_be_empty(tmp_path, validate, name):
    def empty(wb):
        if name in wb.sheetnames:
            wb.remove(wb[name])
        wb.create_sheet(name)

    clean(validate(damaged(tmp_path, CHAIN, empty)))


def test_optional_sheet_with_header_only(tmp_path, validate):
    clean(
        validate(damaged(tmp_path, TRANSFERS, lambda wb: sheet(wb, "Transfers").delete_rows(2, 2)))
    )


def test_required_sheet_without_header(tmp_path, validate):
    v = validate(damaged(tmp_path, CHAIN, lambda wb: sheet(wb, "Projects").delete_rows(1, 3)))
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
def test_missing_required_column_names_the_sheet(tmp_path, validate, sheet_name, column):
    v = validate(delete_column(tmp_path, CHAIN, sheet_name, column))
    assert v.exit_code == 1
    assert f"found no column '{column}'" in v.error_at(sheet_name)


def test_unknown_column_is_a_warning(tmp_path, validate):
    v = validate(rename_header(tmp_path, CHAIN, "Projects", "note", "remarks"))
    clean(v)
    assert "unknown column 'remarks'" in v.warning_at("Projects!S1")
    assert v.counts == (0, 1)


def test_optional_column_may_be_missing(tmp_path, validate):
    clean(validate(delete_column(tmp_path, CHAIN, "Commodities", "floor_usd_per_t")))


def test_column_names_ignore_case_and_spaces(tmp_path, validate):
    v = validate(rename_header(tmp_path, CHAIN, "Projects", "capex_musd", "  CAPEX_Musd "))
    clean(v)
    assert v.warnings == ()


@pytest.mark.parametrize(
    ("name", "new"),
    [("Projects", "projects"), ("Countries", " COUNTRIES "), ("Settings", "settings")],
)
def test_sheet_names_ignore_case(tmp_path, validate, name, new):
    v = validate(rename_sheet(tmp_path, CHAIN, name, new))
    clean(v)
    assert v.warnings == ()


def test_misnamed_sheet_is_missing(tmp_path, validate):
    v = validate(rename_sheet(tmp_path, CHAIN, "Projects", "Project"))
    assert v.exit_code == 1
    assert "found no sheet Projects" in v.error_at("Projects")


def test_project_without_sponsor_column_at_non_member(tmp_path, validate):
    book = small_workbook()
    for project in book["Projects"]:
        project.pop("sponsor", None)
    # Projects columns: project, country, ... -> the CHN project's location is B3
    v = validate(write_workbook(tmp_path / "input.xlsx", book))
    assert "CHN" in only_error(v, "Projects!B3")


def test_input_without_input_ratio_column(tmp_path, validate):
    v = validate(delete_column(tmp_path, CHAIN, "Projects", "input_t_per_t"))
    assert "input_t_per_t" in only_error(v, "Projects!G2")


# --------------------------------------------------------------------------- blanks, text


def test_blank_rows_are_skipped(tmp_path, validate):
    def blank_rows(wb):
        ws = sheet(wb, "Demand")
        ws.insert_rows(3, 3)
        ws["A4"] = "   "  # a row holding only spaces is blank too
        ws["D5"] = " "

    v = validate(damaged(tmp_path, CHAIN, blank_rows))
    clean(v)
    assert v.warnings == ()


def test_optional_cell_with_only_spaces_is_blank(tmp_path, validate):
    clean(validate(set_cell(tmp_path, CHAIN, "Commodities", "E2", "    ")))


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
def test_accepted_text(tmp_path, validate, sheet_name, cell, value):
    clean(validate(set_cell(tmp_path, CHAIN, sheet_name, cell, value)))


YES = ["yes", "YES", "y", " Y ", "true", "True", "1", 1, 1.0, True]
NO = ["no", "No", "n", "N", "false", "FALSE", "0", 0, False]


@pytest.mark.parametrize("value", YES, ids=repr)
def test_yes_variants(tmp_path, validate, value):
    # ndpr_oxide is stockpiled, so stockpilable must read as yes
    clean(validate(set_cell(tmp_path, CHAIN, "Commodities", "H2", value)))


@pytest.mark.parametrize("value", NO, ids=repr)
def test_no_variants(tmp_path, validate, value):
    # stockpilable read as no makes the Stockpiles row that holds ndpr_oxide wrong
    v = validate(set_cell(tmp_path, CHAIN, "Commodities", "H2", value))
    assert "a stockpilable commodity" in only_error(v, "Stockpiles!B2")


@pytest.mark.parametrize(
    ("sheet_name", "cell"), [("Projects", "I2"), ("Settings", "B3"), ("Countries", "C3")]
)
def test_formula_without_cached_value(tmp_path, validate, sheet_name, cell):
    # openpyxl saves a formula with no cached value, as a file never opened in Excel
    v = validate(set_cell(tmp_path, CHAIN, sheet_name, cell, "=1+1"))
    assert "formula with no saved value" in only_error(v, f"{sheet_name}!{cell}")


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(("row", "name"), [(3, "first_year"), (4, "horizon_years")])
def test_missing_required_setting(tmp_path, validate, row, name):
    v = validate(delete_row(tmp_path, CHAIN, "Settings", row))
    assert f"found no setting '{name}'" in only_error(v, "Settings")


def test_unknown_setting_is_a_warning(tmp_path, validate):
    v = validate(add_row(tmp_path, CHAIN, "Settings", {"setting": "colour", "value": "blue"}))
    clean(v)
    assert "unknown setting 'colour'" in v.warning_at("Settings!A5")


def test_setting_names_ignore_case(tmp_path, validate):
    clean(validate(set_cell(tmp_path, CHAIN, "Settings", "A3", " First_Year ")))


# --------------------------------------------------------------------------- warnings


def test_demand_series_with_missing_year_is_a_warning(tmp_path, validate):
    v = validate(delete_row(tmp_path, CHAIN, "Demand", 4))  # USA ndpr_oxide 2029
    clean(v)
    assert "found no row for USA ndpr_oxide in 2029" in v.warning_at("Demand")


# --------------------------------------------------------------------------- Risks


def _risks(tmp_path, **changes) -> Path:
    book = small_workbook()
    book["Risks"][1].update(changes)  # the risk's second row
    return write_workbook(tmp_path / "input.xlsx", book)


def test_small_workbook_is_valid(tmp_path, validate):
    clean(validate(write_workbook(tmp_path / "input.xlsx", SMALL)))


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
def test_risks_rules(tmp_path, validate, changes, where, words):
    assert words in only_error(validate(_risks(tmp_path, **changes)), where)


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
