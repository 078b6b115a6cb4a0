"""Identical recourse blocks merged before HiGHS: the same optimum and plan as the full
model, values that keep every row of the full model, and marginal values that are the
full model's (every reduced cost c − Aᵀy as HiGHS would give it)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

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


@pytest.mark.parametrize("name", ["case_a", "case_chain", "case_purchase_timing",
                                  "us_mexico_demo"])
def test_the_merged_model_has_the_full_models_optimum_and_plan(name):
    instance = read_instance(CASES / f"{name}.xlsx").instance
    m_full, _, full = solved(instance, merge=False)
    m_merged, _, merged = solved(instance, merge=True)
    assert merged.solved_columns < merged.columns == full.columns
    assert merged.status == full.status == "optimal"
    assert merged.objective == pytest.approx(full.objective, rel=1e-9, abs=1e-9)
    plan_full, plan_merged = first_stage_plan(m_full), first_stage_plan(m_merged)
    for part in ("n", "z"):
        assert plan_merged[part] == pytest.approx(plan_full[part])


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


def test_a_move_on_some_copies_of_a_merged_block_is_not_measured():
    m, _, outcome = solved(demo(), merge=True)
    marg = outcome.marginals
    copies = marg._copies[False]
    var = next(v for v in marg.columns if copies[marg._col_index[v]] > 1 and v.ub)
    assert marg.objective_after([(var, 0.0, 1.0)]) is None
    twins = [v for v in marg.columns if marg._col_index[v] == marg._col_index[var]]
    assert len(twins) == copies[marg._col_index[var]]
    assert marg.objective_after([(v, 0.0, 1.0) for v in twins]) is not None


def test_a_risk_weight_keeps_every_scenario_apart():
    """The CVaR rows weigh each scenario's own cost: no block may be merged."""
    instance = demo()
    assert merge_identical_blocks(compile_model(build_model(instance))) is not None
    risky = replace(instance, settings=replace(instance.settings, risk_weight=0.5))
    assert merge_identical_blocks(compile_model(build_model(risky))) is None
