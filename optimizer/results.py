"""Results pulled out of a solved Pyomo model into plain numbers.

Nothing here writes files, and nothing downstream touches Pyomo: the plan and each
scenario are summarised into :class:`~optimizer.sheets.FirstStage` and
:class:`~optimizer.sheets.ScenarioSummary`, from the model's own cost and spend
expressions (:mod:`models.costs`: no cost is computed here), and
:mod:`optimizer.plan_tables` turns those into the report's Summary and tables.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from instance import ALL
from models.costs import FIRST_STAGE_TERMS, SCENARIO_TERMS
from models.factors import ScenarioData
from models.index import ModelIndex
from optimizer.plan_tables import assemble
from optimizer.sheets import FirstStage, Metric, Results, ScenarioSummary, Table, cvar, metric

__all__ = ["FirstStage", "Metric", "Results", "ScenarioSummary", "Table", "assemble", "cvar",
           "extract", "metric", "plan_objective", "summarize_first_stage", "summarize_scenario"]

TOL = 1e-6
NOISE_MUSD = 1e-9


def _v(var) -> float:
    return float(var.value) if var.value is not None else 0.0


def musd(expression) -> float:
    """The value of a cost expression (MUSD); below ``NOISE_MUSD`` in magnitude it is the
    solver's tolerance showing (a tonne of -1e-13 at a shortage cost), reported as 0."""
    value = float(pyo.value(expression))
    return 0.0 if abs(value) < NOISE_MUSD else value


def _by_term(expression, terms, members) -> dict[str, float]:
    """Each term's value summed over members, from a ``[term, member]`` expression."""
    return {term.key: musd(pyo.quicksum(expression[term.key, c] for c in members))
            for term in terms}


def summarize_scenario(blk, ix: ModelIndex, sc: ScenarioData) -> ScenarioSummary:
    """Costs ``Z_s``/``Z_cs`` and their terms, floor support and programme spend (the
    model's expressions), shortage and releases by commodity, and budget spend of one
    solved scenario block."""
    year = ix.instance.settings.calendar_year
    members = ix.members
    out = ScenarioSummary(
        sc.id, sc.probability, musd(blk.cost[ALL]), {c: musd(blk.cost[c]) for c in members},
    )
    out.terms = _by_term(blk.cost_term, SCENARIO_TERMS, members)
    out.shortage_cost = out.terms["shortage"]
    out.member_shortage_cost = {c: musd(blk.cost_term["shortage", c]) for c in members}
    out.member_support = {c: musd(blk.floor_support[c]) for c in members}
    out.support = sum(out.member_support.values())
    out.member_spend = {c: musd(pyo.quicksum(blk.spend[c, t] for t in ix.years))
                        for c in members}
    shortage, release = defaultdict(float), defaultdict(float)
    for (c, k, t), var in blk.shortage.items():
        e = _v(var)
        if e <= TOL:
            continue
        shortage[k] += e
        demand = ix.instance.demand_table.get((c, k, t), 0.0) * sc.df.get((c, k, t), 1.0)
        out.shortfalls.append((sc.id, c, k, year(t), demand, e))
    for (_c, k, _t), var in blk.release.items():
        if (r := _v(var)) > TOL:
            release[k] += r
    out.shortage, out.release = dict(shortage), dict(release)
    out.budget_spend = {i: pyo.value(con.body) for i, con in blk.budget.items()}
    return out


def summarize_first_stage(m: pyo.ConcreteModel, ix: ModelIndex) -> FirstStage:
    """The plan (investments, purchases) and its costs ``FS``, ``FS_c`` and terms."""
    year = ix.instance.settings.calendar_year
    investments, capex, units = [], 0.0, 0
    by_id = {p.id: p for p in ix.projects}
    for (pid, t), var in m.n.items():
        n = round(_v(var))
        if n <= 0:
            continue
        p = by_id[pid]
        units += n
        capex += n * p.capex
        first_output = year(t + p.lead_time)
        investments.append((p.id, p.name, p.country, p.sponsor, p.output, n, year(t),
                            first_output if t + p.lead_time <= ix.horizon else
                            f"{first_output} (after the horizon)", n * p.capex))
    stock_rows = []
    for (c, k), s in ix.stockpiles.items():
        level = s.initial
        opened = round(_v(m.z[c, k])) if (c, k) in m.z else 1
        for t in ix.years:
            buy = _v(m.b[c, k, t])
            level += buy
            stock_rows.append((c, k, year(t), buy, level, ix.floors.get((c, k, t), 0.0),
                               s.capacity if opened else 0.0, "yes" if opened else "no"))
    return FirstStage(
        cost=musd(m.first_stage_cost[ALL]),
        member_cost={c: musd(m.first_stage_cost[c]) for c in ix.members},
        investments=investments,
        stockpiles=stock_rows,
        capex=capex,
        units=units,
        terms=_by_term(m.first_stage_term, FIRST_STAGE_TERMS, ix.members),
    )


def plan_objective(ix: ModelIndex, first: FirstStage, scenarios: list[ScenarioSummary]) -> float:
    """MODEL.md's objective of a plan from its costs, with ``η`` at its best value:
    ``FS + (1−λ) Σ π Z + λ CVaR_α(Z)`` (by member, summed, when independent)."""
    lam, alpha = ix.risk_weight, ix.cvar_alpha
    probs = [s.probability for s in scenarios]
    owners = list(ix.members) if ix.independent else [ALL]
    total = first.cost
    for c in owners:
        z = [s.cost if c == ALL else s.member_cost[c] for s in scenarios]
        expected = sum(p * v for p, v in zip(probs, z, strict=True))
        total += (1 - lam) * expected + (lam * cvar(z, probs, alpha) if lam > 0 else 0.0)
    return total


def extract(
    m: pyo.ConcreteModel, ix: ModelIndex, scenarios: list[ScenarioData], **figures
) -> Results:
    """Summary and tables of a solved model (the plan's values must be loaded);
    ``figures`` are :func:`assemble`'s status, objective, bound, gap and seconds."""
    summaries = [summarize_scenario(m.scenario[sc.id], ix, sc) for sc in scenarios]
    return assemble(ix, summarize_first_stage(m, ix), summaries, **figures)


