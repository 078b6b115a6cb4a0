"""The LP bound (optimizer.lp_bound): the LP relaxation of the extensive form solved by
Benders cuts equals that LP solved whole, and never exceeds the optimum."""

from __future__ import annotations

import json
from dataclasses import replace

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from generated import instances
from hypothesis import HealthCheck, given, settings
from workbooks import case_path

from models.factors import scenario_data
from models.implied import add_budget_implications, budget_implications
from models.index import ModelIndex
from models.stockpile import build_model
from optimizer.analysis import analyze_instance
from optimizer.lp_bound import LShaped, lp_bound, tighten_integer_bounds
from optimizer.matrices import compile_model
from optimizer.pipeline import load
from optimizer.plan_report import evaluate_plan
from optimizer.results import plan_objective
from optimizer.solve import OBJECTIVE_SCALE, load_highs, solve_model

EXPECTED = json.loads(case_path("expected.json").read_text())


def relaxation_whole(instance) -> float | None:
    """The same LP in one piece: every scenario, the implied rows, the integer bounds
    rounded down the same way, integrality dropped."""
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    m = build_model(instance, scenarios, index=ix)
    add_budget_implications(m, budget_implications(ix, scenarios, m))
    arrays = list(compile_model(m))
    tighten_integer_bounds(arrays)
    arrays[4] = np.zeros(len(arrays[0]), dtype=bool)
    h = load_highs(arrays)
    h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kModelEmpty:  # nothing to decide
        return arrays[8]
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return h.getInfo().objective_function_value / OBJECTIVE_SCALE


def test_integer_bounds_round_down_to_what_a_row_allows():
    """``2x + 3y ≤ 7`` with ``x`` integer in [0, 10] and ``y ≥ 0``: ``x ≤ 3``;
    ``−4x ≥ −9`` (every coefficient ≤ 0) with ``x`` integer in [1, 10]: ``x ≤ 1 + ⌊5/4⌋
    = 2``; a row with a negative coefficient next to a positive one bounds nothing; a
    quotient a hair below a whole number still allows it."""
    def tightened(rows, lower, upper, integer, row_lower, row_upper):
        arrays = [list(range(len(lower))), sp.csc_matrix(np.array(rows, dtype=float)),
                  np.array(lower, dtype=float), np.array(upper, dtype=float),
                  np.array(integer), np.array(row_lower, dtype=float),
                  np.array(row_upper, dtype=float)]
        count = tighten_integer_bounds(arrays)
        return count, list(arrays[3])

    assert tightened([[2, 3]], [0, 0], [10, np.inf], [True, False], [-np.inf], [7]) == (
        1, [3, np.inf])
    assert tightened([[-4]], [1], [10], [True], [-9], [np.inf]) == (1, [2])
    assert tightened([[2, -3]], [0, 0], [10, 10], [True, False], [-np.inf], [7]) == (
        0, [10, 10])
    assert tightened([[0.1]], [0], [10], [True], [-np.inf], [0.3 - 1e-12]) == (1, [3])


@pytest.mark.parametrize("name", ["case_a.xlsx", "case_budgets.xlsx", "case_chain.xlsx",
                                  "case_purchase_timing.xlsx",
                                  "case_transfers_independent.xlsx", "us_mexico_demo.xlsx"])
def test_bound_is_the_relaxation_and_below_the_optimum(name):
    """Cut by cut, the master reaches the LP of the whole extensive form (to the
    tolerance), which lies at or below the stored optimum; on the demo, budgets round 4
    units' bounds down and the bound is 1 % below the optimum."""
    instance, _ = load(case_path(name))
    bound = lp_bound(instance, tolerance=1e-7)
    whole = relaxation_whole(instance)
    optimum = EXPECTED[name]["objective_musd"]
    assert bound.converged
    assert bound.value == pytest.approx(whole, rel=1e-6, abs=1e-7)
    assert bound.value <= optimum + 1e-6 * max(1.0, abs(optimum))
    if name == "us_mexico_demo.xlsx":
        assert bound.tightened == 4
        assert bound.value == pytest.approx(17444.07, abs=0.02)


def test_scenarios_without_recourse_get_feasibility_cuts():
    """In case_purchase_timing a purchase in the year of the embargo leaves the embargo
    no recourse: the master's first points lack recourse somewhere, and the cuts that
    follow still reach the whole LP's value."""
    instance, _ = load(case_path("case_purchase_timing.xlsx"))
    bound = lp_bound(instance, tolerance=1e-7)
    assert bound.feasibility_cuts > 0
    assert bound.value == pytest.approx(relaxation_whole(instance), rel=1e-6, abs=1e-7)


def test_no_bound_with_a_risk_weight():
    instance, _ = load(case_path("case_a.xlsx"))
    weighted = replace(instance, settings=replace(instance.settings, risk_weight=0.5))
    assert lp_bound(weighted).value is None


def test_a_time_limit_still_gives_a_bound_below_the_relaxation():
    """Stopped after its first masters (a time limit of 0 runs none), the bound is the
    last master's value: below the LP, or none."""
    instance, _ = load(case_path("us_mexico_demo.xlsx"))
    assert lp_bound(instance, time_limit=0.0).value is None
    full = lp_bound(instance, tolerance=1e-7).value
    for limit in (0.05, 0.2):
        early = lp_bound(instance, time_limit=limit)
        assert early.value is None or early.value <= full + 1e-6


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instance=instances())
def test_bound_matches_the_whole_relaxation_on_any_workbook(instance):
    """On generated workbooks of every kind (budgets, floors, transfers, facilities,
    independent mode), without a risk weight: the bound equals the whole LP, and it never
    exceeds the optimum."""
    instance = replace(instance, settings=replace(instance.settings, risk_weight=0.0))
    bound = lp_bound(instance, tolerance=1e-8)
    whole = relaxation_whole(instance)
    if whole is None:  # the LP itself has no solution: the master never settles
        assert not bound.converged
        return
    assert bound.converged
    assert bound.value == pytest.approx(whole, rel=1e-5, abs=1e-6)
    out = solve_model(build_model(instance), mip_gap=1e-7, time_limit=20)
    if out.status == "optimal":
        assert bound.value <= out.objective + 1e-6 * max(1.0, abs(out.objective))


def test_bound_after_other_solves_in_the_same_process():
    """HiGHS keeps one thread pool per process: a bound computed after an analysis (whose
    solves run side by side) must not ask for another thread count, or every master
    fails and no bound is given."""
    instance, _ = load(case_path("case_budgets.xlsx"))
    assert analyze_instance(instance).rp.outcome.status == "optimal"
    bound = lp_bound(instance, tolerance=1e-7)
    assert bound.converged
    assert bound.value == pytest.approx(relaxation_whole(instance), rel=1e-6)


def whole_units(instance, *, mip_gap: float = 1e-7, time_limit: float = 60.0):
    """The LP bound, then the integer L-shaped method from its cuts (no incumbent)."""
    shaped = LShaped(instance)
    assert shaped.solve(time_limit=time_limit, tolerance=1e-7).converged
    return shaped, shaped.improve(time_limit=time_limit, mip_gap=mip_gap)


@pytest.mark.parametrize("name", ["case_a.xlsx", "case_budgets.xlsx", "case_chain.xlsx",
                                  "case_purchase_timing.xlsx", "case_b_project.xlsx",
                                  "case_port_any.xlsx", "case_transfers_independent.xlsx",
                                  "us_mexico_demo.xlsx"])
def test_whole_units_over_the_cuts_reach_the_optimum(name):
    """From the LP bound's cuts alone, master MIPs and their candidates' exact costs
    close on the stored optimum: the plan found costs it, the master's bound proves it,
    and that plan, evaluated scenario by scenario, costs the same."""
    instance, _ = load(case_path(name))
    optimum = EXPECTED[name]["objective_musd"]
    _shaped, found = whole_units(instance)
    tol = 1e-5 * max(1.0, abs(optimum))
    assert found.plan is not None
    assert found.cost == pytest.approx(optimum, abs=tol)
    assert found.bound is not None and optimum - tol <= found.bound + tol
    assert found.bound <= optimum + tol
    first, summaries, *_ = evaluate_plan(instance, found.plan)
    assert plan_objective(ModelIndex(instance), first, summaries) == pytest.approx(
        optimum, abs=tol)


def test_theta_floors_lie_below_every_scenario_cost():
    """Each scenario's floor (its best cut's least value over the first stage's box) lies
    below that scenario's cost at the optimal plan: a master MIP may rely on it."""
    instance, _ = load(case_path("us_mexico_demo.xlsx"))
    shaped, found = whole_units(instance)
    assert np.isfinite(shaped.floors).all()
    shaped.fix_integers(found.plan)
    assert shaped.solve(time_limit=60, tolerance=1e-9).converged
    for sub, floor in zip(shaped.subs, shaped.floors, strict=True):
        kind, value, _grad, _xs = sub.cut(shaped.x)
        assert kind == "value"
        assert floor <= value - shaped.fs_offset + 1e-6


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instance=instances())
def test_whole_units_match_the_extensive_form_on_any_workbook(instance):
    """On generated workbooks without a risk weight, the integer L-shaped method ends at
    the extensive form's optimum, and its bound never exceeds it."""
    instance = replace(instance, settings=replace(instance.settings, risk_weight=0.0))
    out = solve_model(build_model(instance), mip_gap=1e-7, time_limit=20)
    shaped = LShaped(instance)
    if not shaped.solve(time_limit=30, tolerance=1e-8).converged:
        if shaped.infeasible:  # the LP has no solution, so neither has the MIP
            assert out.status == "infeasible"
        return
    found = shaped.improve(time_limit=30, mip_gap=1e-7)
    if found.infeasible and found.plan is None:
        assert out.status == "infeasible"
    if out.status != "optimal":
        return
    tol = 1e-5 * max(1.0, abs(out.objective))
    assert found.bound is not None and found.bound <= out.objective + tol
    assert found.cost == pytest.approx(out.objective, abs=tol)
