"""MODEL.md in Pyomo: the two-stage stochastic MILP of the stockpile plan.

:func:`build_model` assembles sets → variables → constraints → objective. The first stage
(``n``, ``z``, ``b``, ``η``) lives on the model itself; each scenario's recourse is one
block built by :func:`add_scenario`, the same code for every problem:

* the extensive form: every scenario of the workbook;
* the expected-value problem: one averaged scenario (:func:`models.factors.expected_value_scenario`);
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
from pyomo.core.expr.numeric_expr import LinearExpression

from models.factors import ScenarioData, scenario_data
from models.index import MUSD_PER_USD, ModelIndex
from optimizer.data import ALL, Instance


def linear(coefs: Sequence[float], variables: Sequence, constant: float = 0.0):
    """A linear expression from parallel lists (much faster than ``sum`` of products)."""
    return LinearExpression(constant=constant, linear_coefs=list(coefs), linear_vars=list(variables))


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
        bounds=lambda _, p, t: (0, projects[p].max_units),
        doc="units of project p starting construction in year t [units]",
    )
    m.z = pyo.Var(list(ix.facilities), domain=pyo.Binary, doc="stockpile facility opened [0/1]")

    def buy_bounds(_, c, k, t):
        s = ix.stockpiles[(c, k)]
        ub = s.max_buy
        if s.capacity is not None:
            room = max(0.0, s.capacity - s.initial)
            ub = room if ub is None else min(ub, room)
        return (0.0, ub)

    m.b = pyo.Var(
        [(c, k, t) for (c, k) in ix.stockpiles for t in ix.years],
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
        [ALL, *ix.members], rule=lambda m_, c: first_stage_cost(m_, ix, c),
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

    m.unit_limit = pyo.Constraint(list(multi), rule=rule, doc="units of a project at most U_p [units]")


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
    """``FS = Σ_t δ_t [Σ_p (crf_p C_p w[p,t] + FOM_p u[p,t]) + Σ pb_k b[c,k,t]/10^6]
    + Σ F_ck z[c,k]`` (MUSD); ``owner`` = ``ALL`` or a member (its share ``FS_c``)."""
    coefs, variables, const = [], [], 0.0
    for p in ix.projects:
        if owner in (ALL, p.sponsor):
            for t in ix.start_years(p):
                coefs.append(ix.build_cost(p, t))
                variables.append(m.n[p.id, t])
    for (c, k), s in ix.stockpiles.items():
        if owner not in (ALL, c):
            continue
        price = ix.purchase_price[k] * MUSD_PER_USD
        for t in ix.years:
            coefs.append(ix.delta[t] * price)
            variables.append(m.b[c, k, t])
        if (c, k) in m.z:
            coefs.append(s.facility_cost)
            variables.append(m.z[c, k])
    return linear(coefs, variables, const)


# ============================================================================ recourse


def import_price(ix: ModelIndex, sc: ScenarioData, arc, t: int) -> float:
    """``pi = p0_ako · pf[k,t,s]``, at least ``f_k`` from outside the bloc (USD/t)."""
    price = ix.arc_base_price[arc] * sc.pf.get((arc[1], t), 1.0)
    if arc in ix.floored_arcs:
        price = max(price, ix.commodity[arc[1]].floor)
    return price


def floor_support_rate(ix: ModelIndex, sc: ScenarioData, k: str, t: int) -> float:
    """``σ[k,t,s] = max(0, f_k − pm[k,t,s])`` with ``pm = p0_k · pf`` (USD/t)."""
    floor = ix.commodity[k].floor
    if floor is None:
        return 0.0
    return max(0.0, floor - ix.commodity[k].price * sc.pf.get((k, t), 1.0))


def release_allowed(ix: ModelIndex, sc: ScenarioData, k: str, t: int) -> bool:
    """Releases only in disruption years ``dis[k,t,s] = 1``, unless ``release_rule = any``."""
    return ix.release_any or (k, t) in sc.disrupted


def add_scenario(blk: pyo.Block, m: pyo.ConcreteModel, ix: ModelIndex, sc: ScenarioData) -> None:
    """Fill ``blk`` with one scenario's recourse: variables ``m, q, r, I, x, e``, the
    balance, project capacity, stock and budget rows, and its cost ``Z_s`` (see each
    ``add_*``)."""
    years = ix.years
    # imports m[c,k,o,t] ≤ cap_cko · avail[k,o,t] · gf[c,k,t]
    import_ub = {}
    for arc in ix.arcs:
        c, k, o = arc
        for t in years:
            ub = ix.arc_capacity[arc] * sc.avail.get((k, o, t), 1.0) * sc.gf.get((c, k, t), 1.0)
            if ub > 0:
                import_ub[(c, k, o, t)] = ub
    blk.imports = pyo.Var(
        list(import_ub), domain=pyo.NonNegativeReals,
        bounds=lambda _, c, k, o, t: (0.0, import_ub[(c, k, o, t)]),
        doc="imports m[c,k,o,t,s] on arc (c,k,o) [t]",
    )
    # project output q[p,t] ≤ Q_p · avail[out_p, loc_p, t] · u[p,t]
    output_cap = {}
    for p in ix.projects:
        for t in ix.producing_years(p):
            a = sc.avail.get((p.output, p.country, t), 1.0)
            if a > 0:
                output_cap[(p.id, t)] = p.capacity * a
    units = {p.id: p for p in ix.projects}
    blk.output = pyo.Var(
        list(output_cap), domain=pyo.NonNegativeReals,
        bounds=lambda _, p, t: (0.0, output_cap[(p, t)] * units[p].max_units),
        doc="project output q[p,t,s] [t]",
    )
    # releases r[c,k,t] (disruption years only unless release_rule = any) and stock I
    release_keys = [
        (c, k, t)
        for (c, k) in ix.stockpiles
        for t in years
        if release_allowed(ix, sc, k, t)
    ]
    blk.release = pyo.Var(
        release_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, c, k, t: (0.0, ix.stockpiles[(c, k)].max_release),
        doc="stockpile release r[c,k,t,s] [t]",
    )
    blk.stock = pyo.Var(
        [(c, k, t) for (c, k) in ix.stockpiles for t in years],
        domain=pyo.NonNegativeReals,
        doc="end-of-year stock I[c,k,t,s] [t]",
    )
    blk.transfer = pyo.Var(
        [(a, b, k, t) for (a, b, k) in ix.transfer_arcs for t in years],
        domain=pyo.NonNegativeReals,
        bounds=lambda _, a, b, k, t: (0.0, ix.transfer_arcs[(a, b, k)][0]),
        doc="transfer x[c,c',k,t,s] between members [t]",
    )
    demand = {}
    for (c, k, t), d in ix.instance.demand_table.items():
        dd = d * sc.df.get((c, k, t), 1.0)
        if dd > 0:
            demand[(c, k, t)] = dd
    blk.shortage = pyo.Var(
        list(demand), domain=pyo.NonNegativeReals,
        bounds=lambda _, c, k, t: (0.0, demand[(c, k, t)]),
        doc="unmet demand e[c,k,t,s] ≤ D[c,k,t,s] [t]",
    )

    add_project_capacity(blk, m, ix, output_cap)
    add_stock_balance(blk, m, ix)
    add_balance(blk, ix, demand)
    add_budgets(blk, m, ix, sc)
    blk.cost = pyo.Expression(
        [ALL, *ix.members], rule=lambda b_, c: scenario_cost(b_, ix, sc, c),
        doc="scenario cost Z_s (ALL) and Z_cs by member [MUSD]",
    )


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


def add_stock_balance(blk, m, ix: ModelIndex) -> None:
    """``I[c,k,t,s] = I[c,k,t−1,s] + b[c,k,t] − r[c,k,t,s]``, ``I[c,k,0,s] = init_ck``."""

    def rule(b_, c, k, t):
        coefs, vs = [1.0, -1.0], [b_.stock[c, k, t], m.b[c, k, t]]
        const = 0.0
        if t > 1:
            coefs.append(-1.0)
            vs.append(b_.stock[c, k, t - 1])
        else:
            const = -ix.stockpiles[(c, k)].initial
        if (c, k, t) in b_.release:
            coefs.append(1.0)
            vs.append(b_.release[c, k, t])
        return linear(coefs, vs, const) == 0

    blk.stock_balance = pyo.Constraint(
        [(c, k, t) for (c, k) in ix.stockpiles for t in ix.years],
        rule=rule, doc="stock carried from year to year [t]",
    )


def add_balance(blk, ix: ModelIndex, demand) -> None:
    """Balance for member ``c``, commodity ``k``, year ``t``:
    ``Σ_o m + Σ_{sp_p=c,out_p=k} q + r + Σ_{c'} x[c',c] + e
    = D + Σ_{sp_p=c,in_p=k} a_p q + Σ_{c'} x[c,c']``."""
    inflow = defaultdict(list)  # (c,k,t) -> [(coef, var)]
    for (c, k, o, t), v in blk.imports.items():
        inflow[(c, k, t)].append((1.0, v))
    projects = {p.id: p for p in ix.projects}
    for (pid, t), v in blk.output.items():
        p = projects[pid]
        inflow[(p.sponsor, p.output, t)].append((1.0, v))
        if p.input is not None:
            inflow[(p.sponsor, p.input, t)].append((-p.input_ratio, v))
    for (c, k, t), v in blk.release.items():
        inflow[(c, k, t)].append((1.0, v))
    for (a, b, k, t), v in blk.transfer.items():
        inflow[(b, k, t)].append((1.0, v))
        inflow[(a, k, t)].append((-1.0, v))
    for (c, k, t), v in blk.shortage.items():
        inflow[(c, k, t)].append((1.0, v))
    keys = [key for key in inflow if key[0] in ix.instance.member_set]
    keys.sort(key=lambda key: (key[0], key[1], key[2]))

    def rule(b_, c, k, t):
        terms = inflow[(c, k, t)]
        return linear([a for a, _ in terms], [v for _, v in terms]) == demand.get((c, k, t), 0.0)

    blk.balance = pyo.Constraint(keys, rule=rule, doc="commodity balance of a member [t]")


def add_budgets(blk, m, ix: ModelIndex, sc: ScenarioData) -> None:
    """For a Budgets row ``(c, t, B)``, in every scenario:
    ``spend[c,t,s] = Σ_{sp_p=c} g_p C_p n[p,t] + [t=1] Σ_k F_ck z[c,k]
    + Σ_k pb_k b[c,k,t]/10^6 + Σ_k h_k I[c,k,t,s]/10^6 + Σ_{sp_p=c} σ[out_p,t,s] q[p,t,s]/10^6
    ≤ B``; a row ``ALL`` caps ``Σ_{c∈N} spend[c,t,s]``."""
    rows = [(c, t, budget) for (c, t, budget) in ix.budgets]

    def spend(c_set, t):
        coefs, vs = [], []
        for p in ix.projects:
            if p.sponsor in c_set and (p.id, t) in m.n:
                coefs.append(p.gov_share * p.capex)
                vs.append(m.n[p.id, t])
            if p.sponsor in c_set and (p.id, t) in blk.output:
                sigma = floor_support_rate(ix, sc, p.output, t)
                if sigma > 0:
                    coefs.append(sigma * MUSD_PER_USD)
                    vs.append(blk.output[p.id, t])
        for (c, k), _ in ix.stockpiles.items():
            if c not in c_set:
                continue
            if t == 1 and (c, k) in m.z:
                coefs.append(ix.stockpiles[(c, k)].facility_cost)
                vs.append(m.z[c, k])
            coefs.append(ix.purchase_price[k] * MUSD_PER_USD)
            vs.append(m.b[c, k, t])
            h = ix.commodity[k].holding_cost
            if h > 0:
                coefs.append(h * MUSD_PER_USD)
                vs.append(blk.stock[c, k, t])
        return coefs, vs

    def rule(b_, i):
        c, t, budget = rows[i]
        c_set = set(ix.members) if c == ALL else {c}
        coefs, vs = spend(c_set, t)
        if not vs:
            return pyo.Constraint.Feasible if budget >= 0 else pyo.Constraint.Infeasible
        return linear(coefs, vs) <= budget

    blk.budget = pyo.Constraint(range(len(rows)), rule=rule, doc="yearly budget [MUSD]")


def scenario_cost(blk, ix: ModelIndex, sc: ScenarioData, owner: str):
    """``Z_s = Σ_t δ_t [Σ pi·m + Σ_p v_p·q + Σ h_k·I + Σ xc·x + Σ φ_k·e] / 10^6
    − δ_{H+1} Σ p0_k I[c,k,H,s] / 10^6`` (MUSD). ``owner`` = ``ALL`` or a member: imports
    and shortage belong to the importer, output to the sponsor, stock to its holder, a
    transfer's cost to the receiver."""
    d, H = ix.delta, ix.horizon
    coefs, vs = [], []

    def add(member, coef, var):
        if coef != 0 and owner in (ALL, member):
            coefs.append(coef)
            vs.append(var)

    for (c, k, o, t), v in blk.imports.items():
        add(c, d[t] * import_price(ix, sc, (c, k, o), t) * MUSD_PER_USD, v)
    projects = {p.id: p for p in ix.projects}
    for (pid, t), v in blk.output.items():
        add(projects[pid].sponsor, d[t] * projects[pid].variable_cost * MUSD_PER_USD, v)
    for (c, k, t), v in blk.stock.items():
        value = ix.commodity[k].holding_cost * d[t]
        if t == H:
            value -= ix.commodity[k].price * d[H + 1]
        add(c, value * MUSD_PER_USD, v)
    for (a, b, k, t), v in blk.transfer.items():
        add(b, d[t] * ix.transfer_arcs[(a, b, k)][1] * MUSD_PER_USD, v)
    for (c, k, t), v in blk.shortage.items():
        add(c, d[t] * ix.commodity[k].shortage_cost * MUSD_PER_USD, v)
    return linear(coefs, vs)


# ============================================================================ objective


def add_objective(m: pyo.ConcreteModel, ix: ModelIndex, scenarios: Sequence[ScenarioData]) -> None:
    """``min FS + (1 − λ) Σ_s π_s Z_s + λ (η + 1/(1−α) Σ_s π_s v_s)``, ``v_s ≥ Z_s − η``,
    ``v_s ≥ 0``. Independent: the sum over members of the same with ``FS_c``, ``Z_cs``,
    ``η_c``, ``v_cs``. With ``λ = 0`` the CVaR terms are absent."""
    lam, alpha = ix.risk_weight, ix.cvar_alpha
    owners = list(ix.members) if ix.independent else [ALL]
    expr = m.first_stage_cost[ALL]
    expected = sum(sc.probability * m.scenario[sc.id].cost[ALL] for sc in scenarios)
    if lam == 0:
        m.objective = pyo.Objective(expr=expr + expected, sense=pyo.minimize,
                                    doc="expected total cost [MUSD]")
        return
    keys = [(c, sc.id) for c in owners for sc in scenarios]
    m.excess = pyo.Var(keys, domain=pyo.NonNegativeReals,
                       doc="cost above the CVaR threshold v_s [MUSD]")
    m.cvar_excess = pyo.Constraint(
        keys,
        rule=lambda m_, c, s: m_.excess[c, s] >= m_.scenario[s].cost[c] - m_.eta[c],
        doc="v_s ≥ Z_s − η [MUSD]",
    )
    tail = sum(
        m.eta[c] + sum(sc.probability * m.excess[c, sc.id] for sc in scenarios) / (1 - alpha)
        for c in owners
    )
    m.objective = pyo.Objective(
        expr=expr + (1 - lam) * expected + lam * tail, sense=pyo.minimize,
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
