"""The expected-value problem (EV) and the cost of its plans in the uncertain world (EEV),
MODEL.md's analysis figures, solved so that a time limit still leaves an answer.

EEV is the full problem plus one copy of the EV scenario on the same first stage whose EV
objective is at most ``EV* + 1e-6·max(1, |EV*|)``: the lowest full-problem cost over the
EV-optimal plans. HiGHS alone can take very long on it: proving that no EV-optimal plan
survives every scenario (p_medium) ran past 15 minutes. :func:`expected_result_of_ev_plans`
goes in three steps:

1. the EV plan's units and facilities fixed, one LP (the purchases and recourse free):
   when it has a solution, that whole solution is HiGHS's first incumbent, so a solve
   stopped by its time limit still has a plan and a gap;
2. when that LP is infeasible, the EV units have no recourse in some scenario; for each
   such scenario, the EV-optimal plans with recourse in that scenario alone (the EV copy
   under its band and that one scenario: a small MIP, feasibility only). None there means
   none in the full problem, whose plans are a subset: EEV is infeasible, proven in
   seconds (p_medium: 13-26 s, against no answer in 900 s);
3. otherwise, the full EEV problem.

Every step takes what is left of the one time limit.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from instance import Instance
from models.factors import ScenarioData, expected_value_scenario, scenario_data
from models.index import ModelIndex
from models.stockpile import add_ev_optimality, build_model, first_stage_plan, plan_start
from optimizer.solve import INFEASIBLE, SMALL_MIP_OPTIONS, SolveOutcome, solve_model

EV_BAND = 1e-6
# The EV problem is one scenario: solve it tightly, since EEV moves steeply with EV*.
EV_GAP = 1e-9
# A feasibility check stops at its first plan (any bound ≥ 0 is within 100 %).
FEASIBILITY_GAP = 1.0
COPY = "expected value copy"


def expected_value_problem(instance: Instance, *, time_limit, mip_gap
                           ) -> tuple[SolveOutcome, dict]:
    """EV: the one averaged scenario, solved tightly (``EV*`` bounds the EEV search);
    its outcome and its plan (EEV's start)."""
    ev = expected_value_scenario(scenario_data(instance))
    m = build_model(instance, [ev])
    out = solve_model(m, time_limit=time_limit, mip_gap=min(mip_gap, EV_GAP),
                      options=SMALL_MIP_OPTIONS)
    return out, first_stage_plan(m) if out.has_plan else {}


class Deadline:
    """What is left of one time limit (``None``: no limit)."""

    def __init__(self, seconds: float | None):
        self.end = None if seconds is None else time.perf_counter() + seconds

    def left(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - time.perf_counter())


def ev_optimal(instance: Instance, ix: ModelIndex, scenarios: list[ScenarioData],
               ev: ScenarioData, ev_star: float) -> pyo.ConcreteModel:
    """``scenarios`` plus the EV copy whose objective stays within the band of ``EV*``."""
    m = build_model(instance, scenarios, index=ix)
    add_ev_optimality(m, ix, replace(ev, id=COPY), ev_star + EV_BAND * max(1.0, abs(ev_star)))
    return m


def fix_units(m: pyo.ConcreteModel, plan: dict) -> list:
    """Fix ``n`` and ``z`` at the plan's values; the variables fixed."""
    fixed = []
    for var, v in plan_start(m, plan).items():
        var.fix(round(v))
        fixed.append(var)
    return fixed


def completed_start(m: pyo.ConcreteModel, plan: dict, deadline: Deadline
                    ) -> tuple[SolveOutcome, ComponentMap | None]:
    """The EV units fixed, the rest by one LP: its outcome, and with a solution, every
    variable's value (a complete start)."""
    fixed = fix_units(m, plan)
    out = solve_model(m, time_limit=deadline.left())
    for var in fixed:
        var.unfix()
    if not out.has_plan:
        return out, None
    return out, ComponentMap((v, v.value) for v in m.component_data_objects(pyo.Var)
                             if v.value is not None)


def no_ev_optimal_recourse(instance: Instance, ix: ModelIndex, scenarios, ev, ev_star,
                           plan: dict, deadline: Deadline) -> SolveOutcome | None:
    """A scenario in which no EV-optimal plan has recourse (EEV infeasible, proven), as
    the outcome of that check, its ``no_plan_reason`` naming the scenario; ``None`` when
    every scenario where the EV units have none has another EV-optimal plan that does
    (or time ran out)."""
    for sc in scenarios:
        alone = build_model(instance, [sc], index=ix)
        fix_units(alone, plan)
        if solve_model(alone, time_limit=deadline.left()).status != INFEASIBLE:
            continue
        check = ev_optimal(instance, ix, [sc], ev, ev_star)
        out = solve_model(check, time_limit=deadline.left(), mip_gap=FEASIBILITY_GAP,
                          options=SMALL_MIP_OPTIONS)
        if out.status == INFEASIBLE:
            return replace(out, termination=(
                f"no plan optimal for the expected-value problem has recourse in scenario "
                f"{sc.id}"), no_plan_reason=(
                f"Scenario {sc.id} alone already rules every such plan out."))
        if deadline.left() == 0.0:
            return None
    return None


def expected_result_of_ev_plans(instance: Instance, ev_star: float, plan: dict, *,
                                time_limit, mip_gap) -> SolveOutcome:
    """EEV within ``time_limit``, starting from the EV ``plan`` (see the module's
    steps)."""
    deadline = Deadline(time_limit)
    ix = ModelIndex(instance)
    scenarios = scenario_data(instance)
    ev = expected_value_scenario(scenarios)
    m = ev_optimal(instance, ix, scenarios, ev, ev_star)
    start = None
    if plan:
        completion, start = completed_start(m, plan, deadline)
        if completion.status == INFEASIBLE:
            proof = no_ev_optimal_recourse(instance, ix, scenarios, ev, ev_star, plan,
                                           deadline)
            if proof is not None:
                return proof
        elif start is None:  # the LP did not finish: HiGHS may still complete the units
            start = plan_start(m, plan)
    return solve_model(m, time_limit=deadline.left(), mip_gap=mip_gap, start=start)
