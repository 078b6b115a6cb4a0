"""The L-shaped engine (``--engine benders``): the stored optimum on reference cases,
proven within the workbook's gap, and a clear error when it cannot give a plan."""

from __future__ import annotations

import json

import pytest
from workbooks import case_path

from optimizer.benders import Benders
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
    assert run.outcome.bound <= optimum + 1e-6 * max(1.0, abs(optimum))
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
