"""The first stage of MODEL.md: the plan, decided before any scenario is known.

Variables ``n`` (project units started), ``z`` (facilities opened), ``b`` (stockpile
purchases) and ``η`` (the CVaR threshold), and the rows that involve only them: unit
limits (1), stockpile capacity (2) and stockpile floors (3). The first-stage cost ``FS``
is built with the other costs (:mod:`models.costs`).
"""

from __future__ import annotations

import pyomo.environ as pyo

from instance import ALL
from models.index import ModelIndex
from models.linear import linear


def add_first_stage(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """First-stage variables (listed again in :func:`first_stage_variables`) and rows:

    * ``n[p,t]`` integer ≥ 0: units of ``p`` whose construction starts in year ``t``;
    * ``z[c,k]`` binary: facility ``(c,k)`` opened (only where ``F_ck > 0``; elsewhere 1);
    * ``b[c,k,t]`` ≥ 0: tonnes bought into stockpile ``(c,k)`` in year ``t``;
    * ``η`` free: CVaR threshold (only when ``λ > 0``, else empty; one per member when
      independent).
    """
    m.n = units_variable(ix, "units of project p starting construction in year t [units]")
    m.z = pyo.Var(list(ix.facilities), domain=pyo.Binary, doc="stockpile facility opened [0/1]")

    buy_bounds = {(c, k, t): (0.0, ix.purchase_limit(c, k))
                  for (c, k) in ix.stockpiles for t in ix.years}
    m.b = pyo.Var(
        list(buy_bounds),
        domain=pyo.NonNegativeReals,
        bounds=buy_bounds,
        doc="stockpile purchase b[c,k,t] [t]",
    )
    m.eta = pyo.Var(cvar_owners(ix) if ix.risk_weight > 0 else [], domain=pyo.Reals,
                    doc="CVaR threshold η [MUSD]")

    add_unit_limits(m, ix)
    add_units_committed(m, ix)
    add_stock_capacity(m, ix)
    add_stock_floors(m, ix)


def units_variable(ix: ModelIndex, doc: str) -> pyo.Var:
    """Whole units of each project and start year, from 0 to the unit limit ``U_p``."""
    limit = {p.id: p.max_units for p in ix.projects}
    return pyo.Var(list(ix.build_keys), domain=pyo.NonNegativeIntegers,
                   bounds={(p, t): (0, limit[p]) for p, t in ix.build_keys}, doc=doc)


def cvar_owners(ix: ModelIndex) -> list[str]:
    """Whose cost the CVaR terms weigh: the bloc (``ALL``), or each member when
    independent."""
    return list(ix.members) if ix.independent else [ALL]


def plan_variables(m: pyo.ConcreteModel) -> list:
    """The plan: ``n``, ``z``, ``b`` (what a fixed plan fixes, what a report shows)."""
    return [m.n, m.z, m.b]


def first_stage_variables(m: pyo.ConcreteModel) -> list:
    """The one list of first-stage variable components: the plan and ``η`` (what a
    decomposition makes agree across scenarios)."""
    return [*plan_variables(m), m.eta]


def units_committed(m, ix: ModelIndex, p, t: int):
    """``w[p,t] = Σ_{τ≤t} n[p,τ]``."""
    return [m.n[p.id, tau] for tau in ix.start_years(p) if tau <= t]


def units_producing(m, ix: ModelIndex, p, t: int):
    """``u[p,t] = Σ_{τ ≤ t − L_p} n[p,τ]``."""
    return [m.n[p.id, tau] for tau in ix.start_years(p) if tau <= t - p.lead_time]


def planned_level(m, ix: ModelIndex, c: str, k: str, t: int):
    """``Lv[c,k,t] = init_ck + Σ_{τ≤t} b[c,k,τ]`` as (variables, constant)."""
    return [m.b[c, k, tau] for tau in ix.years if tau <= t], ix.stockpiles[(c, k)].initial


def add_unit_limits(m, ix: ModelIndex) -> None:
    """(1) ``Σ_t n[p,t] ≤ U_p``; years before ``earliest_start_year`` have no ``n``."""
    multi = {p.id: p for p in ix.projects if len(ix.start_years(p)) > 1}

    def rule(m_, pid):
        starts = ix.start_years(multi[pid])
        return linear([1.0] * len(starts), [m_.n[pid, t] for t in starts]) <= multi[pid].max_units

    m.unit_limit = pyo.Constraint(
        list(multi), rule=rule, doc="units of a project at most U_p [units]"
    )


def add_units_committed(m, ix: ModelIndex) -> None:
    """``w[p,t] = Σ_{τ≤t} n[p,τ]`` as an integer variable of its own (derived, not a
    first-stage decision: ``n`` fixes it). It changes no plan and no bound, but it gives
    HiGHS the decisions that split the plans evenly ("at least k units committed by year
    t") to branch and round on, beside the start year of each unit. On p_medium, with the
    root sub-MIP heuristics off (:data:`optimizer.solve.MIP_OPTIONS`), its own rounding then
    finds a plan within 0.25 % at the root and the search needs 187 nodes, not 310.

    ``w`` is marked in the suffix ``m.derived``: the plan's LP
    (:func:`optimizer.solve.solve_model` with ``marginals``) leaves it free, so the
    reduced cost of ``n`` and a re-solve with one more unit see only the plan's rows."""
    projects = {p.id: p for p in ix.projects}
    m.w = units_variable(ix, "units of project p committed by year t [units]")

    def rule(m_, pid, t):
        units = [m_.n[pid, tau] for tau in ix.start_years(projects[pid]) if tau <= t]
        return linear([1.0] + [-1.0] * len(units), [m_.w[pid, t], *units]) == 0

    m.units_committed = pyo.Constraint(
        list(ix.build_keys), rule=rule, doc="units committed w[p,t] = Σ_{τ≤t} n[p,τ] [units]"
    )
    if m.component("derived") is None:
        m.derived = pyo.Suffix(direction=pyo.Suffix.LOCAL,
                               doc="1 on variables the plan determines: not decisions")
    m.derived.set_value(m.w, 1, expand=True)


def add_stock_capacity(m, ix: ModelIndex) -> None:
    """(2) ``Lv[c,k,t] ≤ cap_ck · z[c,k]`` where a capacity is given (``z = 1`` without a
    facility cost). Only facilities need the row for every year: without ``z``, the bound
    on ``b`` and the last year's row are enough, but we keep one row per year for clarity
    of the duals."""
    keys = [
        (c, k, t)
        for (c, k), s in ix.stockpiles.items()
        if s.capacity is not None
        for t in ix.years
    ]

    def rule(m_, c, k, t):
        s = ix.stockpiles[(c, k)]
        bs, init = planned_level(m_, ix, c, k, t)
        if (c, k) in m_.z:
            return linear([1.0] * len(bs) + [-s.capacity], bs + [m_.z[c, k]], init) <= 0
        return linear([1.0] * len(bs), bs, init) <= s.capacity

    m.stock_capacity = pyo.Constraint(keys, rule=rule, doc="planned level within capacity [t]")


def add_stock_floors(m, ix: ModelIndex) -> None:
    """(3) ``Lv[c,k,t] ≥ fl[c,k,t]``, ``fl = max(min_t, min_days/365 · demand[c,k,t])``:
    the floor binds the planned level, not the stock after releases."""

    def rule(m_, c, k, t):
        bs, init = planned_level(m_, ix, c, k, t)
        return linear([1.0] * len(bs), bs, init) >= ix.floors[(c, k, t)]

    m.stock_floor = pyo.Constraint(list(ix.floors), rule=rule, doc="stockpile floor [t]")
