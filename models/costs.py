"""The costs of MODEL.md, built once, as named expressions by term and member (MUSD).

As urbs keeps its cost types, every cost of the plan is one indexed expression:

* ``m.first_stage_term[term, c]``: the first-stage cost ``FS_c`` by term
  (:data:`FIRST_STAGE_TERMS`), with ``m.first_stage_cost[c]`` its sum over terms and
  ``m.first_stage_cost[ALL] = FS`` the sum over members;
* ``blk.cost_term[term, c]``: scenario ``s``'s cost ``Z_cs`` by term
  (:data:`SCENARIO_TERMS`), with ``blk.cost[c]`` and ``blk.cost[ALL] = Z_s`` likewise;
* ``blk.floor_support[c]``: the floor support a sponsor pays its producers in the
  scenario (undiscounted; a budget item, not part of ``Z_s``);
* ``blk.spend[c, t]``: MODEL.md's budget spend ``spend[c,t,s]`` of every member and year
  (undiscounted), what the government pays; the budget rows
  (:func:`models.recourse.add_budgets`) cap the same coefficients.

The objective (:mod:`models.stockpile`) is built from these, and the report reads their
values (:mod:`optimizer.results`): a coefficient changed here changes both.

Ownership: imports and shortage belong to the importer, project costs and output to the
sponsor, stock to its holder, a transfer's cost to the receiver.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from instance import ALL
from models.factors import ScenarioData
from models.index import MUSD_PER_USD, ModelIndex
from models.linear import linear


@dataclass(frozen=True)
class CostTerm:
    """One cost type: its index key, the report's words for it, and its MODEL.md form."""

    key: str
    label: str
    formula: str


FIRST_STAGE_TERMS = (
    CostTerm("capital", "project capital (annuity)", "Σ_t δ_t crf_p C_p w[p,t]"),
    CostTerm("fixed_om", "project fixed O&M", "Σ_t δ_t FOM_p u[p,t]"),
    CostTerm("facilities", "stockpile facilities", "Σ F_ck z[c,k]"),
)
"""``FS``'s terms. Stockpile purchases are not among them: the tonnes bought are paid for
in ``Z_s``, through the imports, output and transfers that supply them."""
SCENARIO_TERMS = (
    CostTerm("imports", "imports", "Σ_t δ_t Σ pi·m / 10^6"),
    CostTerm("operating", "project operating cost", "Σ_t δ_t Σ_p v_p·q / 10^6"),
    CostTerm("holding", "stock holding", "Σ_t δ_t Σ h_k·I / 10^6"),
    CostTerm("transfers", "transfers", "Σ_t δ_t Σ xc·x / 10^6"),
    CostTerm("shortage", "shortage (economic damage)", "Σ_t δ_t Σ φ_k·e / 10^6"),
    CostTerm("end_value", "stock value left at the end",
             "− δ_{H+1} Σ pv_ck I[c,k,H,s] / 10^6"),
)


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


class _Terms:
    """Coefficients and variables of each ``(term, member)`` expression."""

    def __init__(self, terms: tuple[CostTerm, ...], members, *, skip_zero: bool):
        self.members = list(members)
        self.parts = {(term.key, c): ([], []) for term in terms for c in self.members}
        self.skip_zero = skip_zero

    def add(self, term: str, member: str, coef: float, var) -> None:
        if coef != 0 or not self.skip_zero:
            coefs, variables = self.parts[(term, member)]
            coefs.append(coef)
            variables.append(var)

    def expressions(self) -> dict:
        return {key: linear(*part) for key, part in self.parts.items()}


def _add_totals(block, name: str, by_term, terms: tuple[CostTerm, ...], members,
                doc: str) -> None:
    """``block.<name>[c]``, the sum of ``by_term[term, c]`` over terms, and
    ``block.<name>[ALL]``, the sum over members."""
    total = pyo.Expression([ALL, *members], doc=doc)
    setattr(block, name, total)
    for c in members:
        total[c] = pyo.quicksum(by_term[term.key, c] for term in terms)
    total[ALL] = pyo.quicksum(total[c] for c in members)


def add_first_stage_costs(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """``FS = Σ_t δ_t Σ_p (crf_p C_p w[p,t] + FOM_p u[p,t]) + Σ F_ck z[c,k]`` (MUSD), by
    term and member (``FS_c``: the sponsor's projects, the holder's facilities)."""
    terms = _Terms(FIRST_STAGE_TERMS, ix.members, skip_zero=False)
    for p in ix.projects:
        for t in ix.start_years(p):
            terms.add("capital", p.sponsor, ix.capital_cost(p, t), m.n[p.id, t])
            terms.add("fixed_om", p.sponsor, ix.fixed_om_cost(p, t), m.n[p.id, t])
    for (c, k), s in ix.stockpiles.items():
        if (c, k) in m.z:
            terms.add("facilities", c, s.facility_cost, m.z[c, k])
    m.first_stage_term = pyo.Expression(
        list(terms.parts), initialize=terms.expressions(),
        doc="first-stage cost by term and member [MUSD]",
    )
    _add_totals(m, "first_stage_cost", m.first_stage_term, FIRST_STAGE_TERMS, ix.members,
                "first-stage cost FS (ALL) and FS_c by member [MUSD]")


def add_scenario_costs(blk: pyo.Block, ix: ModelIndex, sc: ScenarioData) -> None:
    """``Z_s = Σ_t δ_t [Σ pi·m + Σ_p v_p·q + Σ h_k·I + Σ xc·x + Σ φ_k·e] / 10^6
    − δ_{H+1} Σ pv_ck I[c,k,H,s] / 10^6`` (MUSD; ``pv_ck`` the salvage price), by term and
    member, and the floor support ``Σ_t σ[out_p,t,s] q[p,t,s] / 10^6`` each sponsor pays
    (MUSD)."""
    d, H = ix.delta, ix.horizon
    terms = _Terms(SCENARIO_TERMS, ix.members, skip_zero=True)
    for (c, k, o, t), v in blk.imports.items():
        terms.add("imports", c, d[t] * import_price(ix, sc, (c, k, o), t) * MUSD_PER_USD, v)
    projects = {p.id: p for p in ix.projects}
    support = {c: ([], []) for c in ix.members}
    for (pid, t), v in blk.output.items():
        p = projects[pid]
        terms.add("operating", p.sponsor, d[t] * p.variable_cost * MUSD_PER_USD, v)
        sigma = floor_support_rate(ix, sc, p.output, t)
        if sigma > 0:
            support[p.sponsor][0].append(sigma * MUSD_PER_USD)
            support[p.sponsor][1].append(v)
    for (c, k, t), v in blk.stock.items():
        terms.add("holding", c, ix.commodity[k].holding_cost * d[t] * MUSD_PER_USD, v)
        if t == H:
            terms.add("end_value", c, -ix.salvage_price[(c, k)] * d[H + 1] * MUSD_PER_USD, v)
    for (a, b, k, t), v in blk.transfer.items():
        terms.add("transfers", b, d[t] * ix.transfer_arcs[(a, b, k)][1] * MUSD_PER_USD, v)
    for (c, k, t), v in blk.shortage.items():
        terms.add("shortage", c, d[t] * ix.commodity[k].shortage_cost * MUSD_PER_USD, v)
    blk.cost_term = pyo.Expression(
        list(terms.parts), initialize=terms.expressions(),
        doc="scenario cost by term and member [MUSD]",
    )
    _add_totals(blk, "cost", blk.cost_term, SCENARIO_TERMS, ix.members,
                "scenario cost Z_s (ALL) and Z_cs by member [MUSD]")
    blk.floor_support = pyo.Expression(
        ix.members, initialize={c: linear(*support[c]) for c in ix.members},
        doc="floor support paid to producers, by sponsor, undiscounted [MUSD]",
    )


def programme_spend_parts(blk, m, ix: ModelIndex, sc: ScenarioData) -> dict:
    """``(c, t) → (coefficients, variables)`` of
    ``spend[c,t,s] = Σ_{sp_p=c} g_p C_p n[p,t] + [t=1] Σ_k F_ck z[c,k]
    + Σ_k pb[k,t,s] b[c,k,t]/10^6 + Σ_k h_k I[c,k,t,s]/10^6
    + Σ_{sp_p=c} σ[out_p,t,s] q[p,t,s]/10^6`` (MUSD, undiscounted), every member and year."""
    spend = {(c, t): ([], []) for c in ix.members for t in ix.years}

    def put(c, t, coef, var):
        coefs, vs = spend[(c, t)]
        coefs.append(coef)
        vs.append(var)

    for p in ix.projects:
        for t in ix.years:
            if (p.id, t) in m.n:
                put(p.sponsor, t, p.gov_share * p.capex, m.n[p.id, t])
            if (p.id, t) in blk.output:
                sigma = floor_support_rate(ix, sc, p.output, t)
                if sigma > 0:
                    put(p.sponsor, t, sigma * MUSD_PER_USD, blk.output[p.id, t])
    for (c, k), s in ix.stockpiles.items():
        h = ix.commodity[k].holding_cost
        for t in ix.years:
            if t == 1 and (c, k) in m.z:
                put(c, t, s.facility_cost, m.z[c, k])
            put(c, t, purchase_price(ix, sc, k, t) * MUSD_PER_USD, m.b[c, k, t])
            if h > 0:
                put(c, t, h * MUSD_PER_USD, blk.stock[c, k, t])
    return spend


def add_programme_spend(blk, parts: dict) -> None:
    """``blk.spend[c, t]``: :func:`programme_spend_parts` as named expressions."""
    blk.spend = pyo.Expression(
        list(parts), initialize={key: linear(*part) for key, part in parts.items()},
        doc="budget spend spend[c,t,s] by member and year, undiscounted [MUSD]",
    )
