"""The infeasibility diagnosis names the workbook cells of what it relaxes, and for a
floor no money can reach, the limit that stops it."""

from __future__ import annotations

from dataclasses import replace

import openpyxl
import pytest
from instances import case_a
from typer.testing import CliRunner

from instance import Budget, Scenario, Shock, Stockpile, cell_of
from optimizer.cli import app
from optimizer.diagnose import diagnose
from optimizer.io import read_instance
from optimizer.xlsx import save_atomically, write_instance


def from_workbook(instance, tmp_path):
    """``instance`` written as a workbook and read back: its rows carry their cells."""
    path = save_atomically(write_instance(instance), tmp_path / "plan.xlsx")
    return read_instance(path).instance, path


def findings(instance) -> list[dict]:
    return diagnose(instance).tables[0].records()


def test_rows_read_from_a_workbook_know_their_cells(tmp_path):
    inst, _ = from_workbook(replace(case_a(), budgets=(Budget("USA", 1, 0.05),
                                                       Budget("USA", 2, 0.5))), tmp_path)
    assert [cell_of(b, "musd") for b in inst.budgets] == ["Budgets!C2", "Budgets!C3"]
    (stockpile,) = inst.stockpiles
    assert [cell_of(stockpile, f) for f in ("capacity", "min_t", "min_days", "max_buy")] == [
        "Stockpiles!D2", "Stockpiles!E2", "Stockpiles!F2", "Stockpiles!G2"]
    assert cell_of(case_a().budgets, "musd") is None  # built in Python: no cell


def test_budget_finding_names_the_budget_and_floor_cells(tmp_path):
    """Case A with a 100 t floor from 2027 (a 0.1 MUSD purchase) and a 0.05 MUSD budget
    in 2027: the budget in Budgets!C2 is short by 0.05 MUSD for the floor in
    Stockpiles!E2."""
    inst, _ = from_workbook(replace(case_a(), stockpiles=(Stockpile("USA", "ga", min_t=100.0),),
                                    budgets=(Budget("USA", 1, 0.05),)), tmp_path)
    (row,) = findings(inst)
    assert row["cell"] == "Budgets!C2"
    assert row["finding"] == (
        "USA 2027 budget (Budgets!C2) short by 0.05 MUSD to meet the ga floor of 100 t "
        "(Stockpiles!E2) (budget 0.05 MUSD, worst scenario 'normal').")


def test_floor_stopped_by_the_purchase_limit_names_it(tmp_path):
    """A 100 t floor from 2027 with at most 30 t bought a year: 30 t by 2027, 60 t by
    2028; the purchase limit (Stockpiles!G2) stops it, not the capacity (none)."""
    inst, _ = from_workbook(replace(case_a(), stockpiles=(
        Stockpile("USA", "ga", min_t=100.0, max_buy=30.0),)), tmp_path)
    rows = findings(inst)
    assert [(r["requirement"], r["year"], r["cell"]) for r in rows] == [
        ("stockpile floor", 2027, "Stockpiles!E2"), ("stockpile floor", 2028, "Stockpiles!E2")]
    assert rows[0]["finding"] == (
        "USA ga floor of 100 t in 2027 (Stockpiles!E2) cannot be met: the purchase limit of "
        "30 t a year (Stockpiles!G2) lets at most 30 t be held by then; short by 70 t.")
    assert "lets at most 60 t be held by then; short by 40 t." in rows[1]["finding"]


def test_floor_stopped_by_the_capacity_names_it():
    """A 100 t floor over a 60 t capacity (which validation rejects in a workbook, so
    built in Python: no cells) with a purchase limit of 80 t a year: in 2027 the
    capacity bounds the purchase, so it is what stops the floor."""
    inst = replace(case_a(), stockpiles=(
        Stockpile("USA", "ga", capacity=60.0, min_t=100.0, max_buy=80.0),))
    first = next(r for r in findings(inst) if r["year"] == 2027)
    assert first["finding"] == (
        "USA ga floor of 100 t in 2027 cannot be met: the capacity of 60 t lets at most "
        "60 t be held by then; short by 40 t.")
    assert first["cell"] is None


def test_a_floor_in_days_names_the_min_days_cell(tmp_path):
    """A floor of 365 days of 100 t of demand (100 t) with a 10 t purchase limit: the
    floor comes from min_days (Stockpiles!F2)."""
    inst, _ = from_workbook(replace(case_a(), stockpiles=(
        Stockpile("USA", "ga", min_t=5.0, min_days=365.0, max_buy=10.0),)), tmp_path)
    first = findings(inst)[0]
    assert first["cell"] == "Stockpiles!F2"
    assert first["finding"].startswith("USA ga floor of 100 t in 2027 (Stockpiles!F2) "
                                       "cannot be met: the purchase limit of 10 t a year "
                                       "(Stockpiles!G2)")


def test_solve_prints_the_cells_and_writes_them_in_the_diagnosis_sheet(tmp_path):
    _, src = from_workbook(replace(case_a(), stockpiles=(Stockpile("USA", "ga", min_t=100.0),),
                                   budgets=(Budget("USA", 1, 0.05),)), tmp_path)
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(app, ["solve", str(src), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "USA 2027 budget (Budgets!C2) short by 0.05 MUSD" in result.output
    sheet = openpyxl.load_workbook(out)["Diagnosis"]
    header = [c.value for c in sheet[1]]
    (row,) = [dict(zip(header, r, strict=True))
              for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert row["cell"] == "Budgets!C2"
    assert row["shortfall"] == pytest.approx(0.05, abs=1e-6)


def test_a_floor_no_limit_stops_is_not_blamed_on_one():
    """Prices 20 times the world price in every scenario and no money in either year:
    paying for 100 t would overrun each budget by 2 MUSD in every scenario, dearer than
    the floor's own weight, so the floor is relaxed; neither a purchase limit nor a
    capacity is what stops it, and the finding says so."""
    inst = replace(case_a(), stockpiles=(Stockpile("USA", "ga", min_t=100.0, max_buy=500.0),),
                   budgets=(Budget("USA", 1, 0.0), Budget("USA", 2, 0.0)),
                   shocks=case_a().shocks + (Shock("normal", "price", 20.0, "ga"),
                                             Shock("embargo", "price", 20.0, "ga")))
    first = next(r for r in findings(inst) if r["year"] == 2027)
    assert first["finding"] == (
        "USA ga floor of 100 t in 2027 cannot be met: within the budgets at most 0 t can be "
        "held by then (no purchase limit or capacity stops it); short by 100 t.")


def test_budget_overruns_weigh_the_same_however_many_scenarios_there_are():
    """The 0.05 MUSD shortfall of Case A's 2027 budget is still found as a budget
    shortfall (not as a relaxed floor) when the two scenarios are split into twenty."""
    base = replace(case_a(), stockpiles=(Stockpile("USA", "ga", min_t=100.0),),
                   budgets=(Budget("USA", 1, 0.05),))
    many = replace(base, scenarios=tuple(Scenario(f"calm {i}", 0.9 / 19) for i in range(19))
                   + (Scenario("embargo", 0.1),))
    rows = findings(many)
    assert [(r["requirement"], r["year"]) for r in rows] == [("budget", 2027)]
    assert rows[0]["shortfall"] == pytest.approx(0.05, abs=1e-6)
