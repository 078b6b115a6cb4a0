"""MODEL.md in Pyomo: the two-stage stochastic MILP of the stockpile plan.

:func:`build_model` assembles sets → variables → constraints → objective. The first stage
(``n``, ``z``, ``b``, ``η``) lives on the model itself; each scenario's recourse is one
block built by :func:`add_scenario`, the same code for every problem:

* the extensive form: every scenario of the workbook;
* the expected-value problem: one averaged scenario
  (:func:`models.factors.expected_value_scenario`);
* wait-and-see: one scenario alone, probability 1 (:func:`models.factors.alone`);
* a fixed plan: any of these with :func:`fix_first_stage`;
* EEV: the extensive form plus :func:`add_ev_optimality`;
* a decomposition engine's scenario model: the first stage plus one scenario.

Units: tonnes, USD/t, and MUSD for every cost; a per-tonne cost times tonnes is multiplied
by ``MUSD_PER_USD`` (10^-6).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from models.factors import ScenarioData, scenario_data
from models.index import MUSD_PER_USD, ModelIndex
from optimizer.data import ALL, Instance


def linear(coefs: Sequence[float], variables: Sequence, constant: float = 0.0):
    """A linear expression from parallel lists (much faster than ``sum`` of products); a
    coefficient of 1 keeps the bare variable, which saves one expression object."""
    args = [constant] if constant else []
    args.extend(
        v if a == 1 else MonomialTermExpression((a, v))
        for a, v in zip(coefs, variables, strict=True)
    )
    return LinearExpression(args)


# ============================================================================ first stage


def add_first_stage(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """First-stage variables (listed again in :func:`first_stage_variables`):

    * ``n[p,t]`` integer ≥ 0: units of ``p`` whose construction starts in year ``t``;
    * ``z[c,k]`` binary: facility ``(c,k)`` opened (only where ``F_ck > 0``; elsewhere 1);
    * ``b[c,k,t]`` ≥ 0: tonnes bought into stockpile ``(c,k)`` in year ``t``;
    * ``η`` free: CVaR threshold (only when ``λ > 0``; one per member when independent).
    """
    projects = {p.id: p for p in ix.projects}
    m.n = pyo.Var(
        list(ix.build_keys),
        domain=pyo.NonNegativeIntegers,
        bounds={(p, t): (0, projects[p].max_units) for p, t in ix.build_keys},
        doc="units of project p starting construction in year t [units]",
    )
    m.z = pyo.Var(list(ix.facilities), domain=pyo.Binary, doc="stockpile facility opened [0/1]")

    buy_bounds = {}
    for (c, k), s in ix.stockpiles.items():
        ub = s.max_buy
        if s.capacity is not None:
            room = max(0.0, s.capacity - s.initial)
            ub = room if ub is None else min(ub, room)
        for t in ix.years:
            buy_bounds[(c, k, t)] = (0.0, ub)
    m.b = pyo.Var(
        list(buy_bounds),
        domain=pyo.NonNegativeReals,
        bounds=buy_bounds,
        doc="stockpile purchase b[c,k,t] [t]",
    )
    if ix.risk_weight > 0:
        owners = list(ix.members) if ix.independent else [ALL]
        m.eta = pyo.Var(owners, domain=pyo.Reals, doc="CVaR threshold η [MUSD]")

    add_unit_limits(m, ix)
    add_stock_capacity(m, ix)
    add_stock_floors(m, ix)
    m.first_stage_cost = pyo.Expression(
        [ALL, *ix.members], initialize={c: first_stage_cost(m, ix, c) for c in [ALL, *ix.members]},
        doc="first-stage cost FS (ALL) and FS_c by member [MUSD]",
    )


def first_stage_variables(m: pyo.ConcreteModel) -> list:
    """The one list of first-stage variable components: the plan ``n``, ``z``, ``b``."""
    return [m.n, m.z, m.b]


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


def first_stage_cost(m, ix: ModelIndex, owner: str):
    """``FS = Σ_t δ_t Σ_p (crf_p C_p w[p,t] + FOM_p u[p,t]) + Σ F_ck z[c,k]`` (MUSD);
    ``owner`` = ``ALL`` or a member (its share ``FS_c``). Purchases are not here: the
    tonnes bought are paid for in ``Z_s`` through the flows that supply them."""
    coefs, variables = [], []
    for p in ix.projects:
        if owner in (ALL, p.sponsor):
            for t in ix.start_years(p):
                coefs.append(ix.build_cost(p, t))
                variables.append(m.n[p.id, t])
    for (c, k), s in ix.stockpiles.items():
        if owner in (ALL, c) and (c, k) in m.z:
            coefs.append(s.facility_cost)
            variables.append(m.z[c, k])
    return linear(coefs, variables)


# ============================================================================ recourse


def import_price(ix: ModelIndex, sc: ScenarioData, arc, t: int) -> float:
    """``pi = max(p0_ako · pf[k,t,s], f_cko)`` where the arc has a floor (USD/t)."""
    price = ix.arc_base_price[arc] * sc.pf.get((arc[1], t), 1.0)
    return max(price, ix.arc_floor.get(arc, price))


def purchase_price(ix: ModelIndex, sc: ScenarioData, k: str, t: int) -> float:
    """``pb[k,t,s] = max(pm[k,t,s], f_k)`` with ``pm = p0_k · pf``: what a budget pays for
    a tonne bought into a stockpile (USD/t)."""
    market = ix.commodity[k].price * sc.pf.get((k, t), 1.0)
    floor = ix.commodity[k].floor
    return market if floor is None else max(market, floor)


def floor_support_rate(ix: ModelIndex, sc: ScenarioData, k: str, t: int) -> float:
    """``σ[k,t,s] = max(0, f_k − pm[k,t,s])`` with ``pm = p0_k · pf`` (USD/t)."""
    floor = ix.commodity[k].floor
    if floor is None:
        return 0.0
    return max(0.0, floor - ix.commodity[k].price * sc.pf.get((k, t), 1.0))


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
    balance, project capacity, stock and budget rows, and its cost ``Z_s`` (see each
    ``add_*``)."""
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
    demand = {}
    for (c, k, t), d in ix.instance.demand_table.items():
        dd = d * sc.df.get((c, k, t), 1.0)
        if dd > 0:
            demand[(c, k, t)] = dd
    transfer_ub = {
        (a, b, k, t): (0.0, ix.transfer_arcs[(a, b, k)][0])
        for (a, b, k, t) in useful_transfers(ix, import_ub, output_ub, release_ub, demand, m.b)
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

    add_project_capacity(blk, m, ix, output_cap)
    add_stock_balance(blk, m, ix)
    add_release_from_stock(blk)
    add_balance(blk, m, ix, demand)
    add_budgets(blk, m, ix, sc)
    terms = _scenario_cost_terms(blk, ix, sc)
    # Z_s is the sum of the members' shares (every term belongs to one member)
    blk.cost = pyo.Expression(
        [ALL, *ix.members], doc="scenario cost Z_s (ALL) and Z_cs by member [MUSD]"
    )
    for c in ix.members:
        blk.cost[c] = linear(*terms[c])
    blk.cost[ALL] = pyo.quicksum(blk.cost[c] for c in ix.members)


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
    """For a Budgets row ``(c, t, B)``, in every scenario:
    ``spend[c,t,s] = Σ_{sp_p=c} g_p C_p n[p,t] + [t=1] Σ_k F_ck z[c,k]
    + Σ_k pb[k,t,s] b[c,k,t]/10^6 + Σ_k h_k I[c,k,t,s]/10^6
    + Σ_{sp_p=c} σ[out_p,t,s] q[p,t,s]/10^6
    ≤ B``; a row ``ALL`` caps ``Σ_{c∈N} spend[c,t,s]``."""
    rows = list(ix.budgets)
    years = {t for _, t, _ in rows}
    spend = defaultdict(lambda: ([], []))  # (c, t) -> (coefs, vars) of spend[c,t,s]

    def put(c, t, coef, var):
        coefs, vs = spend[(c, t)]
        coefs.append(coef)
        vs.append(var)

    for p in ix.projects:
        for t in years:
            if (p.id, t) in m.n:
                put(p.sponsor, t, p.gov_share * p.capex, m.n[p.id, t])
            if (p.id, t) in blk.output:
                sigma = floor_support_rate(ix, sc, p.output, t)
                if sigma > 0:
                    put(p.sponsor, t, sigma * MUSD_PER_USD, blk.output[p.id, t])
    for (c, k), s in ix.stockpiles.items():
        h = ix.commodity[k].holding_cost
        for t in sorted(years):
            if t == 1 and (c, k) in m.z:
                put(c, t, s.facility_cost, m.z[c, k])
            put(c, t, purchase_price(ix, sc, k, t) * MUSD_PER_USD, m.b[c, k, t])
            if h > 0:
                put(c, t, h * MUSD_PER_USD, blk.stock[c, k, t])

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


def _scenario_cost_terms(blk, ix: ModelIndex, sc: ScenarioData) -> dict:
    """The terms of each member's ``Z_cs`` (and, together, of ``Z_s``) in one pass."""
    d, H = ix.delta, ix.horizon
    terms = {c: ([], []) for c in ix.members}

    def add(member, coef, var):
        if coef != 0:
            own = terms[member]
            own[0].append(coef)
            own[1].append(var)

    for (c, k, o, t), v in blk.imports.items():
        add(c, d[t] * import_price(ix, sc, (c, k, o), t) * MUSD_PER_USD, v)
    projects = {p.id: p for p in ix.projects}
    for (pid, t), v in blk.output.items():
        add(projects[pid].sponsor, d[t] * projects[pid].variable_cost * MUSD_PER_USD, v)
    for (c, k, t), v in blk.stock.items():
        value = ix.commodity[k].holding_cost * d[t]
        if t == H:
            value -= ix.salvage_price[(c, k)] * d[H + 1]
        add(c, value * MUSD_PER_USD, v)
    for (a, b, k, t), v in blk.transfer.items():
        add(b, d[t] * ix.transfer_arcs[(a, b, k)][1] * MUSD_PER_USD, v)
    for (c, k, t), v in blk.shortage.items():
        add(c, d[t] * ix.commodity[k].shortage_cost * MUSD_PER_USD, v)
    terms[ALL] = (
        [a for c in ix.members for a in terms[c][0]],
        [v for c in ix.members for v in terms[c][1]],
    )
    return terms


def scenario_cost(blk, ix: ModelIndex, sc: ScenarioData, owner: str):
    """``Z_s = Σ_t δ_t [Σ pi·m + Σ_p v_p·q + Σ h_k·I + Σ xc·x + Σ φ_k·e] / 10^6
    − δ_{H+1} Σ pv_ck I[c,k,H,s] / 10^6`` (MUSD), ``pv_ck`` the salvage price.
    ``owner`` = ``ALL`` or a member: imports and shortage belong to the importer, output to
    the sponsor, stock to its holder, a transfer's cost to the receiver."""
    return linear(*_scenario_cost_terms(blk, ix, sc)[owner])


# ============================================================================ objective


def add_objective(m: pyo.ConcreteModel, ix: ModelIndex, scenarios: Sequence[ScenarioData]) -> None:
    """``min FS + (1 − λ) Σ_s π_s Z_s + λ (η + 1/(1−α) Σ_s π_s v_s)``, ``v_s ≥ Z_s − η``,
    ``v_s ≥ 0``. Independent: the sum over members of the same with ``FS_c``, ``Z_cs``,
    ``η_c``, ``v_cs``. With ``λ = 0`` the CVaR terms are absent."""
    lam, alpha = ix.risk_weight, ix.cvar_alpha
    owners = list(ix.members) if ix.independent else [ALL]
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
    m.scenario = pyo.Block([sc.id for sc in scenarios], doc="recourse by scenario")
    for sc in scenarios:
        add_scenario(m.scenario[sc.id], m, ix, sc)
    add_objective(m, ix, scenarios)
    return m


def fix_first_stage(m: pyo.ConcreteModel, plan: dict[str, dict]) -> None:
    """Fix ``n``, ``z``, ``b`` to a plan (``{"n": {...}, "z": {...}, "b": {...}}``)."""
    for var in first_stage_variables(m):
        values = plan.get(var.local_name, {})
        for key, v in var.items():
            value = values.get(key, 0.0)
            if v.is_integer() or v.is_binary():
                value = round(value)
            v.fix(value)


def first_stage_plan(m: pyo.ConcreteModel) -> dict[str, dict]:
    """The first-stage values of a solved model, to fix elsewhere."""
    return {
        var.local_name: {key: (v.value or 0.0) for key, v in var.items()}
        for var in first_stage_variables(m)
    }


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
