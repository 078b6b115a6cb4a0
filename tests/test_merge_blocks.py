"""Identical recourse blocks merged before HiGHS: the same optimum and plan as the full
model, values that keep every row of the full model, and marginal values that are the
full model's (every reduced cost c − Aᵀy as HiGHS would give it)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from instances import twin_years

from instance import Shock
from models.factors import scenario_data
from models.index import ModelIndex
from models.stockpile import build_model, first_stage_plan
from optimizer.explain import binding_limits
from optimizer.io import read_instance
from optimizer.matrices import compile_model
from optimizer.merge_blocks import merge_identical_blocks
from optimizer.solve import solve_model

CASES = Path(__file__).parent / "data" / "cases"
GAP = 1e-9


def demo():
    return read_instance(CASES / "us_mexico_demo.xlsx").instance


def solved(instance, merge: bool):
    ix = ModelIndex(instance)
    m = build_model(instance, scenario_data(instance), index=ix)
    return m, ix, solve_model(m, mip_gap=GAP, marginals=True, merge_blocks=merge)


@pytest.mark.parametrize("shock, merged", [
    (None, 2),
    (Shock("stress", "supply", 0.5, "ga", "CHN", start=1, end=1), 1),  # a column bound
    (Shock("stress", "supply", 0.5, "ga", "USA", start=1, end=1), 1),  # a coefficient
    (Shock("stress", "demand", 1.2, "ga", "USA", start=1, end=1), 1),  # a row bound
    (Shock("stress", "price", 1.5, "ga", "*", start=1, end=1), 1),     # the costs
])
def test_blocks_are_merged_only_when_every_entry_is_the_same(shock, merged):
    instance = twin_years(*([shock] if shock else []))
    merge = merge_identical_blocks(compile_model(build_model(instance)))
    assert merge.merged_blocks == merged
    assert solved(instance, merge=True)[2].objective == pytest.approx(
        solved(instance, merge=False)[2].objective, rel=1e-12)


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.xlsx")))
def test_the_merged_model_has_the_full_models_optimum_and_plan(name):
    instance = read_instance(CASES / f"{name}.xlsx").instance
    m_full, _, full = solved(instance, merge=False)
    m_merged, _, merged = solved(instance, merge=True)
    assert merged.columns == full.columns
    assert merged.status == full.status == "optimal"
    assert merged.objective == pytest.approx(full.objective, rel=1e-9, abs=1e-9)
    plan_full, plan_merged = first_stage_plan(m_full), first_stage_plan(m_merged)
    for part in ("n", "z"):
        assert plan_merged[part] == pytest.approx(plan_full[part])


def test_the_demo_is_solved_smaller():
    outcome = solved(demo(), merge=True)[2]
    assert outcome.solved_columns < 0.7 * outcome.columns
    assert outcome.solved_rows < 0.8 * outcome.rows


def test_values_and_marginal_values_come_back_for_the_whole_model():
    m, _, outcome = solved(demo(), merge=True)
    columns, a, lower, upper, _, row_lower, row_upper, cost, offset, rows = compile_model(m)
    assert outcome.solved_columns < len(columns) and outcome.solved_rows < len(rows)
    x = np.array([v.value for v in columns])
    activity = a @ x
    tol = 1e-6 * np.maximum(1.0, np.abs(activity))
    assert np.all(activity >= row_lower - tol) and np.all(activity <= row_upper + tol)
    assert np.all(x >= lower - 1e-6) and np.all(x <= upper + 1e-6)
    marg = outcome.marginals
    y = np.array([marg.rows[con] for con in rows])
    d = np.array([marg.columns[var] for var in columns])
    assert np.abs(cost - a.T @ y - d).max() < 1e-9
    assert float(cost @ x) + offset == pytest.approx(outcome.objective, rel=1e-9)


def test_limits_measured_on_the_merged_model_are_the_full_models():
    found = {}
    for merge in (False, True):
        m, ix, outcome = solved(demo(), merge=merge)
        found[merge] = {(lim.kind, lim.member, lim.commodity, lim.year): lim
                        for lim in binding_limits(m, ix, outcome.marginals)}
    assert found[True].keys() == found[False].keys()
    exact = [key for key, lim in found[False].items() if lim.exact]
    assert exact and any(key[0] == "import arc" for key in exact)
    for key in exact:
        assert found[True][key].exact
        assert found[True][key].rate == pytest.approx(found[False][key].rate, rel=1e-6,
                                                      abs=1e-9)


def test_a_limit_moved_on_every_copy_is_measured_as_on_the_full_model():
    m_full, _, full = solved(demo(), merge=False)
    _, _, merged = solved(demo(), merge=True)
    marg = merged.marginals
    copies = marg._copies[False]
    # the merged import arc whose capacity is worth most
    var = min((v for v in marg.columns if copies[marg._col_index[v]] > 1
               and v.parent_component().local_name == "imports"),
              key=lambda v: marg.columns[v])
    twins = [v for v in marg.columns if marg._col_index[v] == marg._col_index[var]]
    full_twins = [m_full.find_component(v.name) for v in twins]
    want = full.marginals.objective_after([(v, 0.0, 1.0) for v in full_twins])
    assert want < full.marginals.objective - 1e-6
    halves = [(v, 0.0, 0.5) for v in full_twins] * 2  # two moves of one limit add up
    assert full.marginals.objective_after(halves) == pytest.approx(want, rel=1e-12)
    for moves in ([(v, 0.0, 1.0) for v in twins], [(v, 0.0, 0.5) for v in twins] * 2):
        assert marg.objective_after(moves) == pytest.approx(want, rel=1e-9)


def test_a_move_that_splits_a_merged_block_is_not_measured():
    marg = solved(demo(), merge=True)[2].marginals
    copies = marg._copies[False]
    var = next(v for v in marg.columns if copies[marg._col_index[v]] > 1 and v.ub)
    twins = [v for v in marg.columns if marg._col_index[v] == marg._col_index[var]]
    assert marg.objective_after([(var, 0.0, 1.0)]) is None
    assert marg.objective_after([(v, 0.0, 1.0 + (v is twins[0])) for v in twins]) is None


def test_a_risk_weight_keeps_every_scenario_apart():
    """The CVaR rows weigh each scenario's own cost: nothing is merged."""
    instance = demo()
    assert merge_identical_blocks(compile_model(build_model(instance))) is not None
    risky = replace(instance, settings=replace(instance.settings, risk_weight=0.5))
    assert merge_identical_blocks(compile_model(build_model(risky))) is None


def two_blocks(rhs: tuple[float, float], cost: tuple[float, float] = (1.0, 2.0)):
    """A plan ``x`` and two sub-blocks, each ``y_s + x ≥ rhs_s`` at cost ``cost_s · y_s``."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 10))
    m.sub = pyo.Block([0, 1])
    for s in (0, 1):
        m.sub[s].y = pyo.Var(bounds=(0, 10))
        m.sub[s].need = pyo.Constraint(expr=m.sub[s].y + m.x >= rhs[s])
    m.cost = pyo.Objective(expr=3 * m.x + sum(c * m.sub[s].y for s, c in enumerate(cost)))
    return compile_model(m)


def test_a_different_row_bound_or_a_cost_not_in_proportion_keeps_blocks_apart():
    merge = merge_identical_blocks(two_blocks((4.0, 4.0)))
    assert merge.merged_blocks == 1
    assert sorted(merge.col_share) == pytest.approx([1 / 3, 2 / 3, 1.0])  # the plan: 1
    assert merge_identical_blocks(two_blocks((4.0, 5.0))) is None
    assert merge_identical_blocks(two_blocks((4.0, 4.0), cost=(1.0, -2.0))) is None
