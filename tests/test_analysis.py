"""Analysis figures (MODEL.md), sweeps and the infeasibility diagnosis."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from instances import case_a, small_case
from typer.testing import CliRunner

from instance import Budget, Stockpile
from models.factors import scenario_data
from models.stockpile import build_model, fix_first_stage
from optimizer.analysis import analyze_instance
from optimizer.cli import app
from optimizer.io import read_instance
from optimizer.solve import solve_model
from optimizer.sweeps import sweep_instance
from optimizer.xlsx import save_atomically, write_instance

CASES = Path(__file__).parent / "data" / "cases"
EXPECTED = json.loads((CASES / "expected.json").read_text())
GAP = 1e-7


def figures(instance):
    a = analyze_instance(instance, mip_gap=GAP)
    return {k: f.value for k, f in a.figures.items()}, a


def test_case_a_figures_by_hand():
    """Case A (version 2): one member, so independent = coordinated = 0.2 and the value
    of coordination is 0. WS: `normal` alone imports (0.2), `embargo` alone buys 100 t in
    2027 and releases them in 2028 (0.2): WS = 0.2, EVPI = 0. The EV scenario has CHN at
    180 t in 2028, needs no stock and costs 0.2 for every purchase plan it can supply.
    With x t bought in 2027 the full problem costs 0.69 − 0.0049·x; the lowest over the
    EV-optimal plans is at x = 100: EEV = 0.2, VSS = 0."""
    f, _ = figures(case_a())
    assert f["independent_objective_musd"] == pytest.approx(0.2, abs=1e-9)
    assert f["value_of_coordination_musd"] == pytest.approx(0.0, abs=1e-9)
    assert f["ev_objective_musd"] == pytest.approx(0.2, abs=1e-9)
    assert f["eev_musd"] == pytest.approx(0.2, abs=1e-7)
    assert f["vss_musd"] == pytest.approx(0.0, abs=1e-7)
    assert f["ws_musd"] == pytest.approx(0.2, abs=1e-9)
    assert f["evpi_musd"] == pytest.approx(0.0, abs=1e-9)


def test_eev_does_not_depend_on_which_ev_optimal_plan_the_solver_returns():
    """b = 10 t in 2027 is EV-optimal in Case A too, and carrying it out costs
    0.69 − 0.0049·10 = 0.641; MODEL.md's EEV takes the lowest over all EV-optimal plans,
    so it is 0.2 whatever plan the EV solve returned."""
    inst = case_a()
    scenarios = scenario_data(inst)
    m = build_model(inst, scenarios)
    fix_first_stage(m, {"b": {("USA", "ga", 1): 10.0}})
    assert solve_model(m, mip_gap=GAP).objective == pytest.approx(0.641, abs=1e-9)
    f, _ = figures(inst)
    assert f["eev_musd"] == pytest.approx(0.2, abs=1e-7)


@pytest.mark.parametrize("name", ["case_budgets.xlsx", "case_chain.xlsx",
                                  "case_analysis.xlsx", "case_transfers.xlsx"])
def test_identities_ws_rp_eev(name):
    inst = read_instance(CASES / name).instance
    f, a = figures(inst)
    rp = a.rp.outcome.objective
    tol = 1e-6 * max(1.0, abs(rp))
    assert f["ws_musd"] <= rp + tol <= f["eev_musd"] + 2 * tol
    assert f["vss_musd"] >= -tol and f["evpi_musd"] >= -tol
    want = EXPECTED[name]
    assert f["eev_musd"] == pytest.approx(want["eev_musd"], rel=1e-3, abs=1e-6)
    assert f["ws_musd"] == pytest.approx(want["ws_musd"], rel=1e-4, abs=1e-6)
    assert f["independent_objective_musd"] == pytest.approx(
        want["independent_objective_musd"], rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("name", ["case_transfers.xlsx", "case_chain.xlsx"])
def test_value_of_coordination_is_not_negative_without_an_all_budget(name):
    inst = read_instance(CASES / name).instance
    assert not any(b.country == "ALL" for b in inst.budgets)
    f, _ = figures(inst)
    assert f["value_of_coordination_musd"] >= -1e-6 * max(1.0, f["coordinated_objective_musd"])


def test_value_of_coordination_is_negative_when_the_joint_budget_binds():
    inst = read_instance(CASES / "case_budgets.xlsx").instance
    f, a = figures(inst)
    assert f["value_of_coordination_musd"] == pytest.approx(-0.25, abs=1e-6)
    assert "ALL budget row binds" in a.notes["value_of_coordination_musd"]


def test_risk_sweep_gives_non_increasing_cvar():
    frontier = sweep_instance(small_case(), "risk_weight", [0.0, 0.3, 0.6, 0.9, 1.0],
                              mip_gap=GAP)
    cvar = frontier.column("CVaR (MUSD)")
    assert all(b <= a + 1e-6 for a, b in zip(cvar, cvar[1:], strict=False))
    expected = frontier.column("expected total cost (MUSD)")
    assert all(b >= a - 1e-6 for a, b in zip(expected, expected[1:], strict=False))


def test_budget_sweep_writes_frontier_with_chart(tmp_path):
    src = tmp_path / "budgets.xlsx"
    src.write_bytes((CASES / "case_budgets.xlsx").read_bytes())
    out = tmp_path / "sweep.xlsx"
    result = CliRunner().invoke(app, ["sweep", str(src), "--budget-scale", "0.5,1,2",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)["Frontier"]
    values = [ws.cell(row=i, column=1).value for i in range(2, 5)]
    assert values == [0.5, 1, 2]
    objectives = [ws.cell(row=i, column=2).value for i in range(2, 5)]
    assert objectives[1] == pytest.approx(16.246667, abs=1e-5)
    assert objectives[0] >= objectives[1] >= objectives[2] - 1e-9
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 1


def infeasible_case():
    """Case A with a 100 t floor from 2027 on (a 0.1 MUSD purchase in 2027) and a
    0.05 MUSD budget in 2027."""
    inst = case_a()
    return replace(inst, stockpiles=(Stockpile("USA", "ga", min_t=100.0),),
                   budgets=(Budget("USA", 1, 0.05),))


def test_infeasible_workbook_is_diagnosed(tmp_path):
    from optimizer.diagnose import diagnose

    table = diagnose(infeasible_case()).tables[0]
    (row,) = table.records()
    assert row["requirement"] == "budget" and row["member"] == "USA" and row["year"] == 2027
    assert row["shortfall"] == pytest.approx(0.05, abs=1e-6)
    assert "USA 2027 budget short by 0.05 MUSD to meet the ga floor of 100 t" in row["finding"]


def test_infeasible_workbook_exits_2_with_diagnosis_sheet(tmp_path):
    src = save_atomically(write_instance(infeasible_case()), tmp_path / "tight.xlsx")
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(app, ["solve", str(src), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "USA 2027 budget (Budgets!C2) short by 0.05 MUSD" in result.output
    report = openpyxl.load_workbook(out)
    summary = {r[0]: r[1] for r in report["Summary"].iter_rows(values_only=True)}
    assert summary["status"] == "infeasible"
    findings = [r[-1] for r in report["Diagnosis"].iter_rows(min_row=2, values_only=True)]
    assert any("USA 2027 budget (Budgets!C2) short by 0.05 MUSD" in f and "floor of 100 t" in f
               for f in findings)
