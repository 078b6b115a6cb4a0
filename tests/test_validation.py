"""Every rule of WORKBOOK.md, checked on the problems the reader returns.

Each test takes a valid reference workbook, breaks it in exactly one way and checks that
reading it gives exactly the expected problem at the expected cell (``check``). The
sheet-level rules are in ``test_validation_sheets.py``; a few tests run ``stockpile
validate`` itself for what it prints (every problem at once with its count line here;
one clear line for an unreadable file, and a real subprocess, there).
"""

from __future__ import annotations

import pytest
from conftest import Checked
from workbooks import (
    add_row,
    damaged,
    set_cell,
    sheet,
)

CHAIN = "case_chain.xlsx"  # Settings rows: title, first_year (B3), horizon_years (B4)
BUDGETS = "case_budgets.xlsx"
TRANSFERS = "case_transfers.xlsx"
DEMO = "us_mexico_demo.xlsx"
TIMING = "case_purchase_timing.xlsx"  # Supply!F3: the AUS row's own floor


def only_error(v: Checked, where: str) -> str:
    """The workbook is rejected with exactly one error, at ``where``; returns its message."""
    assert not v.ok, v
    assert v.error_cells() == [where], v
    return v.errors[0][1]


def clean(v: Checked) -> None:
    """The workbook reads into an instance with no error."""
    assert v.ok and v.errors == (), v


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
def test_one_bad_cell_is_named(tmp_path, check, case, sheet_name, cell, value, where, words):
    v = check(set_cell(tmp_path, case, sheet_name, cell, value))
    message = only_error(v, where)
    assert words in message
    assert message.startswith("found ")


def test_bad_member_cell_is_reported_once(tmp_path, check):
    # USA's member cell cannot be read; rows naming USA are not rejected for it as well
    v = check(set_cell(tmp_path, CHAIN, "Countries", "C2", "maybe"))
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
def test_added_row_is_named(tmp_path, check, case, sheet_name, values, where, words):
    v = check(add_row(tmp_path, case, sheet_name, values))
    assert words in only_error(v, where)


def test_row_numbers_count_blank_rows(tmp_path, check):
    # two blank rows above the bad row: the message names the row as Excel numbers it
    v = check(
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
