"""The L-shaped engine (``--engine benders``): the stored optimum on reference cases,
proven within the workbook's gap, and a clear error when it cannot give a plan."""

from __future__ import annotations

import json
from dataclasses import replace

import openpyxl
import pytest
from instances import case_a
from test_diagnosis import from_workbook
from typer.testing import CliRunner
from workbooks import case_path

from instance import Budget, Stockpile
from optimizer.benders import Benders
from optimizer.cli import app
from optimizer.pipeline import load

EXPECTED = json.loads(case_path("expected.json").read_text())


@pytest.mark.parametrize("name", ["case_budgets.xlsx", "case_b_project.xlsx",
                                  "case_purchase_timing.xlsx", "us_mexico_demo.xlsx"])
def test_the_optimum_proven_within_the_workbook_gap(name):
    instance, _ = load(case_path(name))
    lines = []
    run = Benders(on_line=lines.append).solve(instance, time_limit=120)
    optimum = EXPECTED[name]["objective_musd"]
    gap = instance.settings.mip_gap
    assert run.outcome.status == "optimal", run.outcome
    assert run.outcome.objective == pytest.approx(optimum, rel=gap, abs=1e-6)
    tol = 1e-6 * max(1.0, abs(optimum))
    # the bounds as proven (the outcome's is clipped to the plan's cost)
    assert run.results.value("lp_bound_musd") <= optimum + tol
    master = run.results.value("master_bound_musd")
    assert master is not None and master <= optimum + tol
    assert run.outcome.gap <= gap
    assert any(line.startswith("LP bound ") for line in lines)
    assert any(line.startswith("best plan ") for line in lines)
    assert run.results.value("engine") == "benders"
    assert run.results.value("master_rounds") >= 1


def test_no_time_for_the_relaxation_is_an_error_that_says_what_to_do():
    instance, _ = load(case_path("us_mexico_demo.xlsx"))
    run = Benders().solve(instance, time_limit=0.0)
    assert run.outcome.status == "error"
    assert "try a longer --time-limit" in run.outcome.no_plan_reason


def test_an_infeasible_workbook_is_proven_so_and_diagnosed(tmp_path):
    """Case A with a 100 t floor and a 0.05 MUSD budget (tests/test_diagnosis.py): the
    master's own rows (the budget against the floor's purchases) leave no plan, which
    proves there is none; the report's Diagnosis names the budget cell, exit 2."""
    _, src = from_workbook(replace(case_a(), stockpiles=(Stockpile("USA", "ga", min_t=100.0),),
                                   budgets=(Budget("USA", 1, 0.05),)), tmp_path)
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(app, ["solve", str(src), "-o", str(out), "--engine",
                                      "benders"])
    assert result.exit_code == 2, result.output
    assert "USA 2027 budget (Budgets!C2) short by 0.05 MUSD" in result.output
    assert "Diagnosis" in openpyxl.load_workbook(out).sheetnames
