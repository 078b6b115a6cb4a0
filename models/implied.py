"""Rows on the plan implied by every scenario's budget.

A decomposition solves models of a few scenarios each (PH's bundles), whose plans must
still be feasible in every other scenario. The budget row of MODEL.md holds in **every**
scenario, and part of it is decided by the plan alone; those parts, written for every
scenario of the workbook, are rows every feasible plan keeps (they change no optimum).
A plan that breaks one of them breaks that scenario's budget;
:mod:`optimizer.ph.repair` chooses a candidate plan's purchases within them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import pyomo.environ as pyo

from instance import ALL
from models.costs import MUSD_PER_USD, purchase_price
from models.factors import ScenarioData
from models.index import ModelIndex
from models.linear import linear
from models.recourse import release_allowed, release_bound


def plan_spend(ix: ModelIndex, sc: ScenarioData, c: str, t: int, m,
               drawn: bool) -> tuple[list, list, float]:
    """The part of ``spend[c,t,s]`` the plan decides, as ``(coefficients, variables,
    constant)`` with ``constant`` already in MUSD: the government share of capex
    ``g_p C_p n[p,t]``, facility costs in year 1, purchases ``pb[k,t,s] b[c,k,t]`` and
    holding ``h_k`` on the least stock the plan makes ``s`` hold (:func:`held_at_least`;
    with ``drawn``, its second bound). The rest of ``spend`` (floor support, holding above
    that) is ≥ 0, so ``plan_spend ≤ spend``."""
    coefs, variables, constant = [], [], 0.0
    for p in ix.projects:
        if p.sponsor == c and (p.id, t) in m.n and p.gov_share * p.capex > 0:
            coefs.append(p.gov_share * p.capex)
            variables.append(m.n[p.id, t])
    for (holder, k), s in ix.stockpiles.items():
        if holder != c:
            continue
        if t == 1 and (c, k) in m.z:
            coefs.append(s.facility_cost)
            variables.append(m.z[c, k])
        coefs.append(purchase_price(ix, sc, k, t) * MUSD_PER_USD)
        variables.append(m.b[c, k, t])
        h = ix.commodity[k].holding_cost
        if h > 0:
            since, kept = held_at_least(ix, sc, c, k, t, drawn)
            constant += h * kept * MUSD_PER_USD
            for tau in since:
                coefs.append(h * MUSD_PER_USD)
                variables.append(m.b[c, k, tau])
    return coefs, variables, constant


def held_at_least(ix: ModelIndex, sc: ScenarioData, c: str, k: str, t: int,
                  drawn: bool) -> tuple[list[int], float]:
    """A lower bound of ``I[c,k,t,s]`` as (years ``τ`` of ``Σ b[c,k,τ]``, constant).

    Releases are allowed in some years ``R`` of ``s`` only; with none up to ``t``,
    ``I[t] = init_ck + Σ_{τ≤t} b[τ]``. In a year of ``R`` a release draws on the stock
    held at the start of the year (``r ≤ I[t−1]``), and the balance takes at most
    :func:`most_released` of it besides that year's purchase (bought back), so
    ``I[t] = I[t−1] + b[t] − r ≥ max(b[t], I[t−1] − most_released)``. Two bounds
    follow, and which is larger depends on the plan, so each makes rows of its own:
    purchases add up from the last year ``t0`` of ``R``, ``I[t] ≥ Σ_{t0≤τ≤t} b[τ]``;
    and, with ``drawn``, ``I[t] ≥ init_ck + Σ_{τ≤t, τ∉R} b[τ] − Σ_{τ∈R, τ≤t}
    most_released``."""
    stock = ix.stockpiles[(c, k)]
    years = [tau for tau in ix.years if tau <= t]
    released = [tau for tau in years if release_allowed(ix, sc, k, tau)
                and release_bound(stock, tau) != 0]
    if not released:
        return years, stock.initial
    if drawn:
        most = sum(most_released(ix, sc, c, k, tau) for tau in released)
        if most < math.inf:
            return [tau for tau in years if tau not in released], stock.initial - most
    return [tau for tau in years if tau >= released[-1]], 0.0


def most_released(ix: ModelIndex, sc: ScenarioData, c: str, k: str, t: int) -> float:
    """The most of a release in year ``t`` of ``s`` that the balance of ``(c,k)`` can
    take besides the year's own purchase: the release limit, and what the bloc can use
    that year (the member's demand and its projects' input, and what transfers out can
    carry to the other members' demand, projects and stockpiles)."""
    sent = sum(cap for (a, _b, kk), (cap, _cost) in ix.transfer_arcs.items()
               if (a, kk) == (c, k))
    if sent > 0:
        sent = min(sent, sum(_uses(ix, sc, other, k, t) + _room(ix, other, k)
                             for other in ix.members if other != c))
    limit = ix.stockpiles[(c, k)].max_release
    uses = _uses(ix, sc, c, k, t) + sent
    return uses if limit is None else min(limit, uses)


def _uses(ix: ModelIndex, sc: ScenarioData, c: str, k: str, t: int) -> float:
    """The most member ``c`` consumes of ``k`` in year ``t`` of ``s``: demand, and its
    projects' input at every unit's capacity."""
    demand = ix.instance.demand_table.get((c, k, t), 0.0) * sc.df.get((c, k, t), 1.0)
    return demand + sum(p.input_ratio * p.capacity * p.max_units
                        * sc.avail.get((p.output, p.country, t), 1.0)
                        for p in ix.projects_by_sponsor_input.get((c, k), ()))


def _room(ix: ModelIndex, c: str, k: str) -> float:
    """The most ``c`` can buy of ``k`` in a year into its own stockpile."""
    if (c, k) not in ix.stockpiles:
        return 0.0
    limit = ix.purchase_limit(c, k)
    return math.inf if limit is None else limit


def budget_implications(ix: ModelIndex, scenarios: Sequence[ScenarioData],
                        m: pyo.ConcreteModel) -> list[tuple[list, list, float]]:
    """For each Budgets row ``(c or ALL, t, B)`` and each scenario ``s`` of ``scenarios``
    (whatever its probability: budgets hold in every scenario), the row
    ``Σ plan_spend[c,t,s] ≤ B`` (:func:`plan_spend`) as ``(coefficients, keys, B')`` with
    keys ``(variable name, index)`` of ``m``'s plan, each distinct row once: the same
    rows serve every model built with the same first stage."""
    names = {id(v): (var.local_name, key) for var in (m.n, m.z, m.b) for key, v in var.items()}
    spends: dict = {}  # a member's part, once for its own rows and the ALL rows

    def spend_of(member, t, i, drawn):
        if (member, t, i, drawn) not in spends:
            spends[(member, t, i, drawn)] = plan_spend(ix, scenarios[i], member, t, m, drawn)
        return spends[(member, t, i, drawn)]

    rows, seen = [], set()
    for c, t, budget in ix.budgets:
        members = ix.members if c == ALL else (c,)
        for i, drawn in itertools.product(range(len(scenarios)), (False, True)):
            terms: dict = {}
            constant = 0.0
            for member in members:
                coefs, variables, more = spend_of(member, t, i, drawn)
                constant += more
                for a, v in zip(coefs, variables, strict=True):
                    terms[names[id(v)]] = terms.get(names[id(v)], 0.0) + a
            if not terms:
                continue
            key = (tuple(sorted((k, round(a, 12)) for k, a in terms.items())),
                   round(budget - constant, 9))
            if key not in seen:
                seen.add(key)
                rows.append((list(terms.values()), list(terms), budget - constant))
    return rows


def add_budget_implications(m: pyo.ConcreteModel, rows: list[tuple[list, list, float]]) -> None:
    """``m.budget_implied``: the rows of :func:`budget_implications` on ``m``'s plan."""
    def rule(m_, i):
        coefs, keys, rhs = rows[i]
        return linear(coefs, [m_.component(name)[index] for name, index in keys]) <= rhs

    m.budget_implied = pyo.Constraint(range(len(rows)), rule=rule,
                                      doc="the plan's part of every scenario's budget [MUSD]")
