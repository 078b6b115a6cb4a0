"""A sweep says what it shows: that the swept limit never binds in the range when the
objective does not move (no "best value" then), or how the objective moves."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.results import Table
from optimizer.sweeps import sweep_finding

CASES = Path(__file__).parent / "data" / "cases"
runner = CliRunner()


def sweep(tmp_path, scales: str):
    src = tmp_path / "budgets.xlsx"
    src.write_bytes((CASES / "case_budgets.xlsx").read_bytes())
    out = tmp_path / "sweep.xlsx"
    result = runner.invoke(app, ["sweep", str(src), "--budget-scale", scales, "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    return result, wb["Frontier"], summary


def test_budgets_that_never_bind_are_said_to_never_bind(tmp_path):
    """case_budgets (objective 16.246667 at its own budgets) costs 14.12 MUSD at twice
    its budgets and at any larger scale: between 2 and 4 the budgets never bind."""
    result, frontier, summary = sweep(tmp_path, "2,3,4")
    said = ("The budgets never bind between 2 and 4 times their values: every run gives the "
            "same plan (objective 14.120 MUSD).")
    assert said in result.stdout.splitlines()
    assert frontier.cell(row=6, column=1).value == said  # under the three runs
    assert [frontier.cell(row=i, column=2).value for i in (2, 3, 4)] == pytest.approx(
        [14.12] * 3, abs=1e-6)
    assert summary["finding"] == said
    assert "best_value" not in summary
    assert summary["best_objective_musd"] == pytest.approx(14.12, abs=1e-6)


def test_budgets_that_bind_give_a_best_value_and_say_how_the_objective_moves(tmp_path):
    result, frontier, summary = sweep(tmp_path, "0.5,1,2")
    said = ("The objective moves from 14.120 MUSD (at 2) to 21.920 MUSD (at 0.5) across the "
            "runs with a plan.")
    assert said in result.stdout.splitlines()
    assert summary["finding"] == said
    assert summary["best_value"] == 2
    header = [c.value for c in frontier[1]]
    plans = [frontier.cell(row=i, column=header.index("plan") + 1).value for i in (2, 3, 4)]
    assert plans == [1, 2, 2]  # half the budgets builds less; 1 and 2 build the same


COLUMNS = ("budget scale (x every budget)", "objective (MUSD)", "status", "gap", "plan")


def finding(rows, parameter="budget_scale"):
    return sweep_finding(parameter, Table("Frontier", COLUMNS, rows))


def test_equal_objectives_with_different_plans_are_not_called_the_same_plan():
    assert finding([(0.5, 10.0, "optimal", 0.0, 1), (1.0, 10.0, "optimal", 0.0, 2)]) == (
        True, "The budgets never bind between 0.5 and 1 times their values: every run has "
              "the same objective, with equally good plans that differ (objective 10.000 "
              "MUSD).")


def test_objectives_within_the_runs_gaps_do_not_move():
    """Two runs stopped at the time limit 1 % above their bounds: 10.00 and 10.05 cannot
    be told apart; with gaps of 1e-4 they can."""
    assert finding([(0.0, 10.0, "feasible", 0.01, 1), (1.0, 10.05, "feasible", 0.01, 1)],
                   "floor_scale")[1].startswith(
        "The price floors never bind between 0 and 1 times their values: every run gives "
        "the same plan")
    assert finding([(0.0, 10.0, "optimal", 1e-4, 1), (1.0, 10.05, "optimal", 1e-4, 2)],
                   "floor_scale") == (
        False, "The objective moves from 10.000 MUSD (at 0) to 10.050 MUSD (at 1) across the "
               "runs with a plan.")


def test_a_run_without_a_plan_is_named_and_the_limit_is_not_said_to_never_bind():
    assert finding([(0.5, None, "infeasible", None, None), (1.0, 10.0, "optimal", 0.0, 1),
                    (2.0, 10.0, "optimal", 0.0, 1)]) == (
        False, "No plan at 0.5 (infeasible); every other run has the objective 10.000 MUSD.")
    assert finding([(0.5, None, "infeasible", None, None), (1.0, 10.0, "optimal", 0.0, 1),
                    (2.0, 12.0, "optimal", 0.0, 2)]) == (
        False, "The objective moves from 10.000 MUSD (at 1) to 12.000 MUSD (at 2) across the "
               "runs with a plan. No plan at 0.5 (infeasible).")
    assert finding([(1.0, 10.0, "optimal", 0.0, 1)]) == (
        False, "One run has the objective 10.000 MUSD.")
    assert finding([(0.0, 5.0, "optimal", 0.0, 1), (1.0, 5.0, "optimal", 0.0, 1)],
                   "risk_weight")[1] == (
        "The risk weight makes no difference between λ = 0 and 1: every run gives the same "
        "plan (objective 5.000 MUSD).")


def test_a_risk_weight_sweep_chooses_its_engine_at_the_largest_weight(monkeypatch):
    """Auto chooses once per sweep: for the risk weight, on the largest value, since the
    L-shaped method (auto's choice for a big workbook without one) refuses a weight."""
    import optimizer.sweeps as sweeps
    from optimizer.engines import AutoEngine
    from optimizer.extensive import ExtensiveForm
    from optimizer.pipeline import load

    seen = []

    def chosen(engine, instance):
        seen.append(instance.settings.risk_weight)
        return ExtensiveForm(), None

    monkeypatch.setattr(sweeps, "resolve", chosen)
    instance, _ = load(Path(__file__).parent / "data" / "cases" / "case_a.xlsx")
    done = sweeps.sweep_runs(instance, "risk_weight", [0.0, 0.5, 0.25], time_limit=30,
                             mip_gap=1e-4, engine=AutoEngine())
    assert seen == [0.5]
    assert len(done) == 3
