"""MODEL.md in Pyomo: the two-stage stochastic MILP of the stockpile plan.

:func:`build_model` assembles sets → variables → constraints → objective. The first stage
(``n``, ``z``, ``b``, ``η``; :mod:`models.first_stage`) lives on the model itself; each
scenario's recourse is one block built by :func:`models.recourse.add_scenario`, the same
code for every problem:

* the extensive form: every scenario of the workbook;
* the expected-value problem: one averaged scenario
  (:func:`models.factors.expected_value_scenario`);
* wait-and-see: one scenario alone, probability 1 (:func:`models.factors.alone`);
* a fixed plan: any of these with :func:`fix_first_stage`;
* EEV: the extensive form plus :func:`add_ev_optimality`;
* a decomposition engine's scenario model: the first stage plus one scenario.

Every cost is a named expression by term and member (:mod:`models.costs`); the objective
is built from them. Units: tonnes, USD/t, and MUSD for every cost; a per-tonne cost times
tonnes is multiplied by ``MUSD_PER_USD`` (10^-6).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from instance import ALL, Instance
from models.costs import add_first_stage_costs
from models.factors import ScenarioData, scenario_data
from models.first_stage import add_first_stage, cvar_owners, plan_variables
from models.index import ModelIndex
from models.recourse import add_scenario

# ============================================================================ objective


def add_objective(m: pyo.ConcreteModel, ix: ModelIndex, scenarios: Sequence[ScenarioData]) -> None:
    """``min FS + (1 − λ) Σ_s π_s Z_s + λ (η + 1/(1−α) Σ_s π_s v_s)``, ``v_s ≥ Z_s − η``,
    ``v_s ≥ 0``. Independent: the sum over members of the same with ``FS_c``, ``Z_cs``,
    ``η_c``, ``v_cs``. With ``λ = 0`` the CVaR terms are absent."""
    lam, alpha = ix.risk_weight, ix.cvar_alpha
    owners = cvar_owners(ix)
    expected = pyo.quicksum(sc.probability * m.scenario[sc.id].cost[ALL] for sc in scenarios)
    if lam == 0:
        m.objective = pyo.Objective(expr=m.first_stage_cost[ALL] + expected,
                                    sense=pyo.minimize, doc="expected total cost [MUSD]")
        return
    keys = [(c, sc.id) for c in owners for sc in scenarios]
    m.excess = pyo.Var(keys, domain=pyo.NonNegativeReals,
                       doc="cost above the CVaR threshold v_s [MUSD]")
    m.cvar_excess = pyo.Constraint(
        keys,
        rule=lambda m_, c, s: m_.excess[c, s] >= m_.scenario[s].cost[c] - m_.eta[c],
        doc="v_s ≥ Z_s − η [MUSD]",
    )
    tail = pyo.quicksum(
        m.eta[c] + pyo.quicksum(sc.probability * m.excess[c, sc.id] for sc in scenarios)
        / (1 - alpha)
        for c in owners
    )
    m.objective = pyo.Objective(
        expr=m.first_stage_cost[ALL] + (1 - lam) * expected + lam * tail, sense=pyo.minimize,
        doc="expected total cost with CVaR weight λ [MUSD]",
    )


def build_model(
    instance: Instance,
    scenarios: Sequence[ScenarioData] | None = None,
    *,
    index: ModelIndex | None = None,
) -> pyo.ConcreteModel:
    """The stochastic program for ``instance`` over ``scenarios`` (default: the
    workbook's), in the order sets → variables → constraints → objective."""
    ix = index or ModelIndex(instance)
    scenarios = list(scenario_data(instance) if scenarios is None else scenarios)
    m = pyo.ConcreteModel(name=instance.settings.title or "stockpile")
    add_first_stage(m, ix)
    add_first_stage_costs(m, ix)
    m.scenario = pyo.Block([sc.id for sc in scenarios], doc="recourse by scenario")
    for sc in scenarios:
        add_scenario(m.scenario[sc.id], m, ix, sc)
    add_objective(m, ix, scenarios)
    return m


def fix_first_stage(m: pyo.ConcreteModel, plan: dict[str, dict]) -> None:
    """Fix ``n``, ``z``, ``b`` to a plan (``{"n": {...}, "z": {...}, "b": {...}}``); ``η``
    stays free (its best value follows from the scenario costs)."""
    for var in plan_variables(m):
        values = plan.get(var.local_name, {})
        for key, v in var.items():
            value = values.get(key, 0.0)
            if v.is_integer() or v.is_binary():
                value = round(value)
            elif v.lb is not None:
                value = max(value, v.lb)  # a solver's -1e-13 is the bound itself
            v.fix(value)


def first_stage_plan(m: pyo.ConcreteModel) -> dict[str, dict]:
    """The first-stage values of a solved model, to fix elsewhere."""
    return {
        var.local_name: {key: (v.value or 0.0) for key, v in var.items()}
        for var in plan_variables(m)
    }


def plan_from_first_stage(rows) -> dict[str, dict]:
    """``{"n": {...}, "z": {...}, "b": {...}}`` from ``(component, index, value)`` rows
    (an index given as a list, as JSON gives it, becomes a tuple; other components, such
    as ``w`` and ``η``, are left out: a fixed plan re-derives them)."""
    plan: dict[str, dict] = {"n": {}, "z": {}, "b": {}}
    for name, index, value in rows:
        if name in plan:
            plan[name][tuple(index) if isinstance(index, list) else index] = value
    return plan


def plan_start(m: pyo.ConcreteModel, plan: dict[str, dict], parts=("n", "z")) -> ComponentMap:
    """``parts`` of a plan (by default its integer part ``n``, ``z``) as a start for
    :func:`optimizer.solve.solve_model`: variable → value. What is left out (purchases
    ``b`` by default) the solver completes, so a plan from a related problem still gives
    a feasible start when its units do."""
    start = ComponentMap(
        (v, plan.get(var.local_name, {}).get(key, 0.0))
        for var in plan_variables(m) if var.local_name in parts
        for key, v in var.items()
    )
    if "n" in parts and m.component("w") is not None:  # units committed follow from n
        units, running = plan.get("n", {}), {}
        for (pid, t), w in sorted(m.w.items(), key=lambda item: item[0][1]):
            running[pid] = running.get(pid, 0.0) + units.get((pid, t), 0.0)
            start[w] = running[pid]
    return start


def add_ev_optimality(
    m: pyo.ConcreteModel, ix: ModelIndex, ev: ScenarioData, bound: float
) -> None:
    """For EEV: one extra copy of the EV scenario on the same first stage, whose EV
    objective ``FS + Z_ev`` is at most ``bound`` (``EV* + 1e-6·max(1, |EV*|)``). The copy
    carries no weight in the objective: it only restricts the plan to EV-optimal ones."""
    m.ev_copy = pyo.Block(doc="the expected-value scenario, for EV-optimality only")
    add_scenario(m.ev_copy, m, ix, ev)
    m.ev_optimal = pyo.Constraint(
        expr=m.first_stage_cost[ALL] + m.ev_copy.cost[ALL] <= bound,
        doc="the plan is optimal for the expected-value problem [MUSD]",
    )
