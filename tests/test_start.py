"""Starting HiGHS from a plan: the plan becomes its first incumbent, or is dropped when
it breaks a constraint."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.stockpile import build_model, first_stage_plan, plan_start
from optimizer.io import read_instance
from optimizer.solve import solve_model

CHAIN = Path(__file__).parent / "data" / "cases" / "case_chain.xlsx"
OPTIMUM = 382.904911057  # expected.json


@pytest.fixture(scope="module")
def chain():
    instance = read_instance(CHAIN).instance
    m = build_model(instance)
    out = solve_model(m, mip_gap=1e-9)
    assert out.status == "optimal"
    return instance, first_stage_plan(m)


def test_a_start_is_the_incumbent_before_any_search(chain):
    """With no node allowed, HiGHS has no plan of its own; given the plan that builds
    nothing, it returns that plan's cost (purchases completed by its LP), which is what
    the model with every unit fixed to 0 costs."""
    instance, plan = chain
    nothing = {"n": dict.fromkeys(plan["n"], 0), "z": plan["z"]}

    m = build_model(instance)
    assert not solve_model(m, options={"mip_max_nodes": 0}).has_plan

    m = build_model(instance)
    started = solve_model(m, options={"mip_max_nodes": 0}, start=plan_start(m, nothing))
    assert started.status == "feasible"
    assert all(round(v.value) == 0 for v in m.n.values())

    fixed = build_model(instance)
    for v in fixed.n.values():
        v.fix(0)
    reference = solve_model(fixed, mip_gap=1e-9)
    assert started.objective == pytest.approx(reference.objective, rel=1e-9)
    assert started.objective > OPTIMUM + 1


def test_an_infeasible_start_is_dropped(chain):
    """Three units of every project in every year break the unit limits: HiGHS drops
    the start and still finds the optimum."""
    instance, plan = chain
    too_many = {"n": dict.fromkeys(plan["n"], 3), "z": plan["z"]}
    m = build_model(instance)
    out = solve_model(m, mip_gap=1e-9, start=plan_start(m, too_many))
    assert out.status == "optimal"
    assert out.objective == pytest.approx(OPTIMUM, rel=1e-9)


def test_the_optimal_plan_as_start_gives_the_optimum_at_once(chain):
    instance, plan = chain
    m = build_model(instance)
    out = solve_model(m, options={"mip_max_nodes": 0}, start=plan_start(m, plan))
    assert out.objective == pytest.approx(OPTIMUM, rel=1e-9)
