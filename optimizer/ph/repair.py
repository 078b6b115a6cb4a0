"""Purchases chosen for a plan's units, so that the plan keeps every scenario's budget.

A subproblem of PH sees a few scenarios; its purchases can break a budget in the others
(a purchase paid at another scenario's price, or stock it must hold there). With the
units ``n`` and facilities ``z`` of a candidate plan fixed, one small LP over the
purchases ``b`` alone finds the purchases nearest the candidate's own (least total change
in tonnes) that keep the floors, capacities and purchase limits, and the part of every
scenario's budget the plan decides (:mod:`models.implied`). None when no purchases do.
"""

from __future__ import annotations

import pyomo.environ as pyo

from models.factors import ScenarioData
from models.first_stage import add_first_stage
from models.implied import add_budget_implications, budget_implications
from models.index import ModelIndex
from optimizer.solve import solve_model


class PurchaseRepair:
    """The first stage with every scenario's budget rows on the plan, built once;
    :meth:`purchases` answers for one candidate plan."""

    def __init__(self, ix: ModelIndex, scenarios: list[ScenarioData]):
        m = pyo.ConcreteModel()
        add_first_stage(m, ix)
        add_budget_implications(m, budget_implications(ix, scenarios, m))
        keys = list(m.b)
        m.more = pyo.Var(keys, domain=pyo.NonNegativeReals, doc="tonnes above the target")
        m.less = pyo.Var(keys, domain=pyo.NonNegativeReals, doc="tonnes below the target")
        m.target = pyo.Param(keys, mutable=True, initialize=0.0)
        m.near = pyo.Constraint(keys, rule=lambda m_, *k: m_.b[k] - m_.more[k] + m_.less[k]
                                == m_.target[k])
        m.change = pyo.Objective(expr=pyo.quicksum(m.more[k] + m.less[k] for k in keys))
        self.model = m

    def purchases(self, plan: dict[str, dict]) -> dict | None:
        """``b`` for ``plan``'s units and facilities (``{"n": …, "z": …, "b": …}``), as
        near its own purchases as the budgets allow; ``None`` when none keep them."""
        m = self.model
        for var in (m.n, m.z):
            for key, v in var.items():
                v.fix(round(plan[var.local_name].get(key, 0.0)))
        for key in m.b:
            m.target[key] = max(0.0, plan["b"].get(key, 0.0))
        out = solve_model(m)
        if not out.has_plan:
            return None
        return {key: max(0.0, v.value or 0.0) for key, v in m.b.items()}
