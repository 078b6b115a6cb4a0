"""Starting HiGHS from a plan: the plan becomes its first incumbent, or is dropped when
it breaks a constraint; EEV starts from the EV plan, so a solve stopped before any search
still gives EEV with a gap; RP's bound proves EEV's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from instances import budget_spike_case

import optimizer.eev as eev_module
from models.stockpile import build_model, first_stage_plan, plan_start
from optimizer.analysis import analyze_instance, proven_by_rp
from optimizer.eev import expected_result_of_ev_plans, expected_value_problem
from optimizer.io import read_instance
from optimizer.solve import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL, solve_model

CHAIN = Path(__file__).parent / "data" / "cases" / "case_chain.xlsx"
OPTIMUM = 382.904911057  # expected.json
EEV = 423.857729921  # expected.json
NO_SEARCH = {"mip_max_nodes": 0}  # HiGHS stops before it searches for a plan


@pytest.fixture(scope="module")
def chain():
    instance = read_instance(CHAIN).instance
    m = build_model(instance)
    out = solve_model(m, mip_gap=1e-9)
    assert out.status == OPTIMAL
    return instance, first_stage_plan(m)


def test_a_start_is_the_incumbent_before_any_search(chain):
    """With no node allowed, HiGHS has no plan of its own; given the plan that builds
    nothing, it returns that plan's cost (purchases completed by its LP), which is what
    the model with every unit fixed to 0 costs."""
    instance, plan = chain
    nothing = {"n": dict.fromkeys(plan["n"], 0), "z": plan["z"]}

    m = build_model(instance)
    assert not solve_model(m, options=NO_SEARCH).has_plan

    m = build_model(instance)
    started = solve_model(m, options=NO_SEARCH, start=plan_start(m, nothing))
    assert started.status == FEASIBLE
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
    assert out.status == OPTIMAL
    assert out.objective == pytest.approx(OPTIMUM, rel=1e-9)


def test_the_optimal_plan_as_start_gives_the_optimum_at_once(chain):
    instance, plan = chain
    m = build_model(instance)
    out = solve_model(m, options=NO_SEARCH, start=plan_start(m, plan))
    assert out.objective == pytest.approx(OPTIMUM, rel=1e-9)


def no_search(monkeypatch):
    """EEV's solves (the models with the EV copy) stop before HiGHS searches, as a time
    limit shorter than its root would stop them."""
    real = eev_module.solve_model

    def solve(model, **kw):
        if hasattr(model, "ev_copy"):
            kw = {**kw, "options": NO_SEARCH}
        return real(model, **kw)

    monkeypatch.setattr(eev_module, "solve_model", solve)


def test_eev_stopped_before_any_search_keeps_the_ev_plan(monkeypatch, chain):
    instance = chain[0]
    ev, plan = expected_value_problem(instance, time_limit=None, mip_gap=1e-9)
    no_search(monkeypatch)
    kw = {"time_limit": None, "mip_gap": 1e-4}
    # no start: no plan
    assert expected_result_of_ev_plans(instance, ev.objective, {}, **kw).status == ERROR
    # the EV plan, completed by one LP, as the start: a plan (EEV's own optimum here)
    started = expected_result_of_ev_plans(instance, ev.objective, plan, **kw)
    assert started.status == FEASIBLE
    assert started.objective == pytest.approx(EEV, rel=1e-9)


def test_a_stopped_eev_is_a_figure_with_its_gap_not_not_solved(monkeypatch):
    """EEV's solve stops before any search: the figure is still EEV, not proven
    optimal, and its gap comes from RP's bound: (423.858 − 382.905) / 423.858 = 9.66 %."""
    no_search(monkeypatch)
    a = analyze_instance(read_instance(CHAIN).instance, mip_gap=1e-7)
    eev = a.figures["eev_musd"]
    assert eev.value == pytest.approx(EEV, rel=1e-9)
    assert eev.status == FEASIBLE
    assert eev.gap == pytest.approx((EEV - OPTIMUM) / EEV, rel=1e-6)
    assert a.figures["vss_musd"].value == pytest.approx(EEV - OPTIMUM, rel=1e-6)
    assert a.figures["vss_musd"].status == FEASIBLE


def outcome(status, objective, bound):
    from optimizer.solve import SolveOutcome, relative_gap

    return SolveOutcome(status, "Time limit reached" if status == FEASIBLE else "Optimal",
                        objective, bound, relative_gap(objective, bound), 0.0, 0.0, 1, 1, 1,
                        "HiGHS")


def test_rp_bound_proves_eev():
    """EEV minimises RP's cost over fewer plans: RP's bound bounds EEV."""
    rp = outcome(OPTIMAL, 100.0, 99.999)
    # EEV stopped with a weak bound of its own: RP's gives the gap
    eev = proven_by_rp(outcome(FEASIBLE, 110.0, 50.0), rp, 1e-4)
    assert (eev.status, eev.bound) == (FEASIBLE, 99.999)
    assert eev.gap == pytest.approx(10.001 / 110)
    # no bound at all: RP's is one
    assert proven_by_rp(outcome(FEASIBLE, 110.0, None), rp, 1e-4).bound == 99.999
    # EEV's plan is as good as RP's: RP's bound proves it within the gap asked
    eev = proven_by_rp(outcome(FEASIBLE, 100.0, 50.0), rp, 1e-4)
    assert eev.status == OPTIMAL and eev.gap == pytest.approx(1e-5)
    assert "stochastic problem's bound" in eev.termination
    # EEV's own bound is better: unchanged
    own = outcome(FEASIBLE, 110.0, 105.0)
    assert proven_by_rp(own, rp, 1e-4) == own
    # no plan: nothing to prove
    failed = replace(own, status=ERROR, objective=None, gap=None)
    assert proven_by_rp(failed, rp, 1e-4) == failed


def test_no_ev_optimal_plan_surviving_a_scenario_is_proven_in_that_scenario(monkeypatch):
    """The EV plan's units have no recourse in `spike`; the EV copy under its band with
    `spike` alone is infeasible, so EEV is, without solving the full EEV problem."""
    real, solved = eev_module.solve_model, []

    def solve(model, **kw):
        if hasattr(model, "ev_copy"):
            solved.append(sorted(model.scenario.keys()))
        return real(model, **kw)

    monkeypatch.setattr(eev_module, "solve_model", solve)
    a = analyze_instance(budget_spike_case(), mip_gap=1e-7)
    assert a.figures["coordinated_objective_musd"].value == pytest.approx(0.3, abs=1e-9)
    assert a.figures["eev_musd"].value == a.figures["vss_musd"].value == INFEASIBLE
    assert a.notes["eev_musd"].endswith(
        "so EEV and VSS do not exist. Scenario spike alone already rules every such plan "
        "out.")
    # the EV units completed (infeasible), then `spike` with the EV copy: nothing more
    assert solved == [["normal", "spike"], ["spike"]]
