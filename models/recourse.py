"""One scenario's recourse (MODEL.md's second stage), built into a block.

:func:`add_scenario` declares the variables ``m, q, r, I, x, e`` of scenario ``s`` and
adds, one function per family, the project capacity, stock balance, commodity balance and
budget rows, then the scenario's costs (:func:`models.costs.add_scenario_costs`). The
same code builds every scenario of every problem (extensive form, EV, wait-and-see, a
decomposition's subproblem).
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from instance import ALL
from models.costs import add_programme_spend, add_scenario_costs, programme_spend_parts
from models.factors import ScenarioData
from models.first_stage import units_producing
from models.index import ModelIndex
from models.linear import linear


def release_allowed(ix: ModelIndex, sc: ScenarioData, k: str, t: int) -> bool:
    """Releases only in disruption years ``dis[k,t,s] = 1``, unless ``release_rule = any``."""
    return ix.release_any or (k, t) in sc.disrupted


def release_bound(s, t: int) -> float | None:
    """Upper bound of ``r[c,k,t,s]``: ``maxrel_ck`` when given, and in year 1 also the
    initial stock (``r ≤ I[c,k,0] = init_ck``); ``None`` = unbounded."""
    bounds = [b for b in (s.max_release, s.initial if t == 1 else None) if b is not None]
    return min(bounds) if bounds else None


def add_scenario(blk: pyo.Block, m: pyo.ConcreteModel, ix: ModelIndex, sc: ScenarioData) -> None:
    """Fill ``blk`` with one scenario's recourse: variables ``m, q, r, I, x, e``, the
    balance, project capacity, stock and budget rows, and its costs ``Z_s`` (see each
    ``add_*``)."""
    output_cap = add_supply_variables(blk, ix, sc)
    demand = scenario_demand(ix, sc)
    add_transfer_and_shortage_variables(blk, m, ix, demand)
    add_project_capacity(blk, m, ix, output_cap)
    add_stock_balance(blk, m, ix)
    add_release_from_stock(blk)
    add_balance(blk, m, ix, demand)
    add_budgets(blk, m, ix, sc)
    add_scenario_costs(blk, ix, sc)


def scenario_demand(ix: ModelIndex, sc: ScenarioData) -> dict[tuple[str, str, int], float]:
    """``D[c,k,t,s] = demand_ckt · df[c,k,t,s]`` where positive."""
    demand = {}
    for (c, k, t), d in ix.instance.demand_table.items():
        dd = d * sc.df.get((c, k, t), 1.0)
        if dd > 0:
            demand[(c, k, t)] = dd
    return demand


def add_supply_variables(blk, ix: ModelIndex, sc: ScenarioData) -> dict:
    """Imports ``m``, project output ``q``, releases ``r`` and stock ``I``, bounded by the
    scenario's factors; returns ``Q_p · avail`` of each ``q[p,t]``."""
    years = ix.years
    # imports m[c,k,o,t] ≤ cap_cko · avail[k,o,t] · gf[c,k,t]
    import_ub = {}
    for arc in ix.arcs:
        c, k, o = arc
        cap = ix.arc_capacity[arc]
        for t in years:
            ub = cap * sc.avail.get((k, o, t), 1.0) * sc.gf.get((c, k, t), 1.0)
            if ub > 0:
                import_ub[(c, k, o, t)] = (0.0, ub)
    blk.imports = pyo.Var(
        list(import_ub), domain=pyo.NonNegativeReals, bounds=import_ub,
        doc="imports m[c,k,o,t,s] on arc (c,k,o) [t]",
    )
    # project output q[p,t] ≤ Q_p · avail[out_p, loc_p, t] · u[p,t]
    output_cap, output_ub = {}, {}
    for p in ix.projects:
        for t in ix.producing_years(p):
            a = sc.avail.get((p.output, p.country, t), 1.0)
            if a > 0:
                output_cap[(p.id, t)] = p.capacity * a
                output_ub[(p.id, t)] = (0.0, p.capacity * a * p.max_units)
    blk.output = pyo.Var(
        list(output_ub), domain=pyo.NonNegativeReals, bounds=output_ub,
        doc="project output q[p,t,s] [t]",
    )
    # releases r[c,k,t] (disruption years only unless release_rule = any) and stock I
    release_ub = {
        (c, k, t): (0.0, release_bound(s, t))
        for (c, k), s in ix.stockpiles.items()
        for t in years
        if release_allowed(ix, sc, k, t) and release_bound(s, t) != 0
    }
    blk.release = pyo.Var(
        list(release_ub), domain=pyo.NonNegativeReals, bounds=release_ub,
        doc="stockpile release r[c,k,t,s] [t]",
    )
    blk.stock = pyo.Var(
        [(c, k, t) for (c, k) in ix.stockpiles for t in years],
        domain=pyo.NonNegativeReals,
        doc="end-of-year stock I[c,k,t,s] [t]",
    )
    return output_cap


def add_transfer_and_shortage_variables(blk, m, ix: ModelIndex, demand) -> None:
    """Transfers ``x`` (only where a tonne can travel, :func:`useful_transfers`) and
    shortage ``e ≤ D``."""
    transfer_ub = {
        (a, b, k, t): (0.0, ix.transfer_arcs[(a, b, k)][0])
        for (a, b, k, t) in useful_transfers(ix, blk.imports, blk.output, blk.release, demand,
                                             m.b)
    }
    blk.transfer = pyo.Var(
        list(transfer_ub), domain=pyo.NonNegativeReals, bounds=transfer_ub,
        doc="transfer x[c,c',k,t,s] between members [t]",
    )
    blk.shortage = pyo.Var(
        list(demand), domain=pyo.NonNegativeReals,
        bounds={key: (0.0, d) for key, d in demand.items()},
        doc="unmet demand e[c,k,t,s] ≤ D[c,k,t,s] [t]",
    )


def useful_transfers(ix: ModelIndex, imports, output, release, demand, purchases) -> list:
    """Transfer keys ``(c, c', k, t)`` that can carry flow in an optimal plan.

    Transfers conserve the commodity inside the bloc and cost ``xc ≥ 0``, so in some
    optimal plan every transferred tonne travels from a member with a source of ``k`` in
    year ``t`` (imports, project output, a release) to a member with a use for it (demand,
    a project's input, a stockpile purchase); an arc that no such path crosses carries
    nothing and is left out.
    """
    if not ix.transfer_arcs:
        return []
    projects = {p.id: p for p in ix.projects}
    sources = {(c, k, t) for c, k, _, t in imports}
    sources |= {(c, k, t) for c, k, t in release}
    sinks = set(demand)
    sinks |= {key for key, b in purchases.items() if b.ub is None or b.ub > 0}
    for pid, t in output:
        p = projects[pid]
        sources.add((p.sponsor, p.output, t))
        if p.input is not None:
            sinks.add((p.sponsor, p.input, t))
    out_arcs, in_arcs = defaultdict(list), defaultdict(list)
    for a, b, k in ix.transfer_arcs:
        out_arcs[(a, k)].append(b)
        in_arcs[(b, k)].append(a)

    def reach(start: set, arcs) -> set:
        seen, todo = set(start), list(start)
        while todo:
            c, k, t = todo.pop()
            for nxt in arcs.get((c, k), ()):
                if (nxt, k, t) not in seen:
                    seen.add((nxt, k, t))
                    todo.append((nxt, k, t))
        return seen

    supplied, needed = reach(sources, out_arcs), reach(sinks, in_arcs)
    return [
        (a, b, k, t)
        for (a, b, k) in ix.transfer_arcs
        for t in ix.years
        if (a, k, t) in supplied and (b, k, t) in needed
    ]


def add_project_capacity(blk, m, ix: ModelIndex, output_cap) -> None:
    """``q[p,t,s] ≤ Q_p · avail[out_p, loc_p, t, s] · u[p,t]``."""
    projects = {p.id: p for p in ix.projects}

    def rule(b_, pid, t):
        us = units_producing(m, ix, projects[pid], t)
        cap = output_cap[(pid, t)]
        return linear([1.0] + [-cap] * len(us), [b_.output[pid, t], *us]) <= 0

    blk.project_capacity = pyo.Constraint(
        list(output_cap), rule=rule, doc="output within producing units [t]"
    )


def add_release_from_stock(blk) -> None:
    """``r[c,k,t,s] ≤ I[c,k,t−1,s]``: a release draws only on the stock held at the start
    of the year, so a tonne bought in year ``t`` protects from ``t+1`` on (year 1: the
    bound ``r ≤ init_ck`` on the variable)."""
    keys = [(c, k, t) for (c, k, t) in blk.release if t > 1]
    blk.release_from_stock = pyo.Constraint(
        keys,
        rule=lambda b_, c, k, t: linear([1.0, -1.0], [b_.release[c, k, t],
                                                      b_.stock[c, k, t - 1]]) <= 0,
        doc="release at most the stock held at the start of the year [t]",
    )


def add_stock_balance(blk, m, ix: ModelIndex) -> None:
    """``I[c,k,t,s] = I[c,k,t−1,s] + b[c,k,t] − r[c,k,t,s]``, ``I[c,k,0,s] = init_ck``."""
    stock, release = blk.stock, blk.release

    def rule(b_, c, k, t):
        coefs, vs = [1.0, -1.0], [stock[c, k, t], m.b[c, k, t]]
        const = 0.0
        if t > 1:
            coefs.append(-1.0)
            vs.append(stock[c, k, t - 1])
        else:
            const = -ix.stockpiles[(c, k)].initial
        if (c, k, t) in release:
            coefs.append(1.0)
            vs.append(release[c, k, t])
        return linear(coefs, vs, const) == 0

    blk.stock_balance = pyo.Constraint(
        [(c, k, t) for (c, k) in ix.stockpiles for t in ix.years],
        rule=rule, doc="stock carried from year to year [t]",
    )


def add_balance(blk, m, ix: ModelIndex, demand) -> None:
    """Balance for member ``c``, commodity ``k``, year ``t``:
    ``Σ_o m + Σ_{sp_p=c,out_p=k} q + r + Σ_{c'} x[c',c] + e
    = D + Σ_{sp_p=c,in_p=k} a_p q + Σ_{c'} x[c,c'] + b[c,k,t]``: a stockpile purchase is a
    use like demand, supplied in every scenario at that scenario's prices."""
    inflow = defaultdict(lambda: ([], []))  # (c,k,t) -> (coefs, vars)

    def put(key, coef, var):
        coefs, vs = inflow[key]
        coefs.append(coef)
        vs.append(var)

    for (c, k, _, t), v in blk.imports.items():
        put((c, k, t), 1.0, v)
    projects = {p.id: p for p in ix.projects}
    for (pid, t), v in blk.output.items():
        p = projects[pid]
        put((p.sponsor, p.output, t), 1.0, v)
        if p.input is not None:
            put((p.sponsor, p.input, t), -p.input_ratio, v)
    for (c, k, t), v in blk.release.items():
        put((c, k, t), 1.0, v)
    for (a, b, k, t), v in blk.transfer.items():
        put((b, k, t), 1.0, v)
        put((a, k, t), -1.0, v)
    for (c, k, t), v in blk.shortage.items():
        put((c, k, t), 1.0, v)
    for (c, k, t), v in m.b.items():
        put((c, k, t), -1.0, v)
    members = ix.instance.member_set
    keys = sorted(key for key in inflow if key[0] in members)
    blk.balance = pyo.Constraint(
        keys,
        rule=lambda b_, c, k, t: linear(*inflow[(c, k, t)]) == demand.get((c, k, t), 0.0),
        doc="commodity balance of a member [t]",
    )


def add_budgets(blk, m, ix: ModelIndex, sc: ScenarioData) -> None:
    """For a Budgets row ``(c, t, B)``, in every scenario: ``spend[c,t,s] ≤ B``
    (:func:`models.costs.programme_spend_parts`, kept as ``blk.spend``); a row ``ALL``
    caps ``Σ_{c∈N} spend[c,t,s]``."""
    rows = list(ix.budgets)
    spend = programme_spend_parts(blk, m, ix, sc)
    add_programme_spend(blk, spend)

    def rule(b_, i):
        c, t, budget = rows[i]
        coefs, vs = [], []
        for member in ix.members if c == ALL else [c]:
            more_coefs, more_vs = spend.get((member, t), ((), ()))
            coefs.extend(more_coefs)
            vs.extend(more_vs)
        if not vs:
            return pyo.Constraint.Feasible if budget >= 0 else pyo.Constraint.Infeasible
        return linear(coefs, vs) <= budget

    blk.budget = pyo.Constraint(range(len(rows)), rule=rule, doc="yearly budget [MUSD]")
