"""Results pulled out of a solved Pyomo model into plain tables.

Nothing here writes files, and nothing downstream touches Pyomo: the report writer
(:mod:`optimizer.report`) receives only :class:`Results` and :class:`Table` objects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo

from models.factors import ScenarioData
from models.index import MUSD_PER_USD, ModelIndex
from models.stockpile import floor_support_rate, import_price
from optimizer.data import ALL, Instance

TOL = 1e-6


@dataclass(frozen=True)
class Table:
    """A sheet of the report: a header row and plain rows. ``formats`` maps a column to
    an Excel number format."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple]
    formats: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    key: str
    value: object
    unit: str = ""
    note: str = ""


@dataclass
class Results:
    """Everything a report shows: Summary metrics first, then tables."""

    title: str
    summary: list[Metric]
    tables: list[Table]

    def value(self, key: str):
        return next((m.value for m in self.summary if m.key == key), None)

    def set(self, key: str, value, unit: str = "", note: str = "") -> None:
        for i, m in enumerate(self.summary):
            if m.key == key:
                self.summary[i] = Metric(key, value, unit or m.unit, note or m.note)
                return
        self.summary.append(Metric(key, value, unit, note))

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


def cvar(values: list[float], probabilities: list[float], alpha: float) -> float:
    """``CVaR_α`` of a discrete cost distribution:
    ``min_η η + 1/(1−α) Σ_s π_s max(0, Z_s − η)`` (the minimum is at some ``Z_s``)."""
    pairs = [(z, p) for z, p in zip(values, probabilities, strict=True) if p > 0]
    if not pairs:
        return 0.0
    return min(
        eta + sum(p * max(0.0, z - eta) for z, p in pairs) / (1.0 - alpha) for eta, _ in pairs
    )


def _v(var) -> float:
    return float(var.value) if var.value is not None else 0.0


def scenario_costs(m: pyo.ConcreteModel, scenarios: list[ScenarioData]) -> dict[str, float]:
    """``Z_s`` of each scenario (MUSD)."""
    return {sc.id: pyo.value(m.scenario[sc.id].cost[ALL]) for sc in scenarios}


SCENARIO_TERMS = ("imports", "project operating cost", "stock holding", "transfers",
                  "shortage (economic damage)", "stock value left at the end")


@dataclass
class ScenarioSummary:
    """What one scenario's recourse did, in plain numbers (so a scenario's model can be
    dropped once summarised, as the decomposition engine's evaluation does)."""

    id: str
    probability: float
    cost: float
    member_cost: dict[str, float]
    shortage_t: float = 0.0
    shortage_cost: float = 0.0
    release_t: float = 0.0
    support: float = 0.0
    member_shortage: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    member_support: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    shortfalls: list[tuple] = field(default_factory=list)
    budget_spend: dict[int, float] = field(default_factory=dict)
    terms: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def summarize_scenario(blk, ix: ModelIndex, sc: ScenarioData) -> ScenarioSummary:
    """Costs ``Z_s``/``Z_cs``, shortage, releases, floor support, budget spend and cost
    terms of one solved scenario block."""
    d, H = ix.delta, ix.horizon
    year = ix.instance.settings.calendar_year
    out = ScenarioSummary(
        sc.id, sc.probability, pyo.value(blk.cost[ALL]),
        {c: pyo.value(blk.cost[c]) for c in ix.members},
    )
    by_id = {p.id: p for p in ix.projects}
    terms = out.terms
    for (c, k, o, t), var in blk.imports.items():
        terms["imports"] += d[t] * import_price(ix, sc, (c, k, o), t) * _v(var) * MUSD_PER_USD
    for (pid, t), var in blk.output.items():
        p, q = by_id[pid], _v(var)
        terms["project operating cost"] += d[t] * p.variable_cost * q * MUSD_PER_USD
        amount = floor_support_rate(ix, sc, p.output, t) * q * MUSD_PER_USD
        out.support += amount
        out.member_support[p.sponsor] += amount
    for (c, k, t), var in blk.stock.items():
        terms["stock holding"] += d[t] * ix.commodity[k].holding_cost * _v(var) * MUSD_PER_USD
        if t == H:
            terms["stock value left at the end"] -= (
                d[H + 1] * ix.salvage_price[(c, k)] * _v(var) * MUSD_PER_USD)
    for (a, b, k, t), var in blk.transfer.items():
        terms["transfers"] += d[t] * ix.transfer_arcs[(a, b, k)][1] * _v(var) * MUSD_PER_USD
    for (c, k, t), var in blk.shortage.items():
        e = _v(var)
        if e <= TOL:
            continue
        cost = d[t] * ix.commodity[k].shortage_cost * e * MUSD_PER_USD
        terms["shortage (economic damage)"] += cost
        out.shortage_t += e
        out.shortage_cost += cost
        out.member_shortage[c] += e
        demand = ix.instance.demand_table.get((c, k, t), 0.0) * sc.df.get((c, k, t), 1.0)
        out.shortfalls.append((sc.id, c, k, year(t), demand, e))
    out.release_t = sum(_v(var) for var in blk.release.values())
    out.budget_spend = {i: pyo.value(con.body) for i, con in blk.budget.items()}
    return out


@dataclass
class FirstStage:
    """The plan in plain numbers: ``FS``, ``FS_c``, investments, purchases, cost terms."""

    cost: float
    member_cost: dict[str, float]
    investments: list[tuple]
    stockpiles: list[tuple]
    capex: float
    units: int
    terms: list[tuple[str, float]]


def summarize_first_stage(m: pyo.ConcreteModel, ix: ModelIndex) -> FirstStage:
    year = ix.instance.settings.calendar_year
    d = ix.delta
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
    capital = fixed_om = facilities = 0.0
    for p in ix.projects:
        crf = ix.project_crf[p.id]
        for t in ix.years:
            w = sum(_v(m.n[p.id, tau]) for tau in ix.start_years(p) if tau <= t)
            u = sum(_v(m.n[p.id, tau]) for tau in ix.start_years(p) if tau <= t - p.lead_time)
            capital += d[t] * crf * p.capex * w
            fixed_om += d[t] * p.fixed_om * u
    for (c, k), var in m.z.items():
        facilities += ix.stockpiles[(c, k)].facility_cost * _v(var)
    return FirstStage(
        cost=pyo.value(m.first_stage_cost[ALL]),
        member_cost={c: pyo.value(m.first_stage_cost[c]) for c in ix.members},
        investments=investments,
        stockpiles=stock_rows,
        capex=capex,
        units=units,
        terms=[("project capital (annuity)", capital), ("project fixed O&M", fixed_om),
               ("stockpile facilities", facilities)],
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


def assemble(
    ix: ModelIndex,
    first: FirstStage,
    scenarios: list[ScenarioSummary],
    *,
    status: str,
    objective: float | None,
    bound: float | None,
    gap: float | None,
    build_seconds: float,
    solve_seconds: float,
) -> Results:
    """The report's Summary and tables from the plan and its scenario summaries."""
    instance = ix.instance
    st = instance.settings
    year = st.calendar_year
    members = list(ix.members)
    probs = [s.probability for s in scenarios]
    expected = sum(s.probability * s.cost for s in scenarios)
    exp_short_t = sum(s.probability * s.shortage_t for s in scenarios)
    exp_short_cost = sum(s.probability * s.shortage_cost for s in scenarios)
    scen_rows = [(s.id, s.probability, s.cost, s.shortage_t, s.shortage_cost, s.release_t,
                  s.support) for s in scenarios]
    short_rows = [row for s in scenarios for row in s.shortfalls]
    budget_rows = []
    for i, (c, t, budget) in enumerate(ix.budgets):
        worst = max((s.budget_spend.get(i, 0.0) for s in scenarios), default=0.0)
        budget_rows.append((c, year(t), budget, worst, worst / budget if budget > 0 else None))
    member_rows = [
        (c, first.member_cost[c], sum(s.probability * s.member_cost[c] for s in scenarios),
         sum(s.probability * s.member_shortage.get(c, 0.0) for s in scenarios),
         sum(s.probability * s.member_support.get(c, 0.0) for s in scenarios))
        for c in members
    ]
    cost_rows = [(name, "first stage", value) for name, value in first.terms]
    cost_rows += [(name, "scenarios (expected)",
                   sum(s.probability * s.terms.get(name, 0.0) for s in scenarios))
                  for name in SCENARIO_TERMS]
    cvar_value = cvar([s.cost for s in scenarios], probs, st.cvar_alpha)
    summary = [
        Metric("status", status),
        Metric("objective_musd", objective, "MUSD", "the objective value of the plan"),
        Metric("best_bound_musd", bound, "MUSD", "the solver's best bound"),
        Metric("mip_gap", gap, "fraction", "relative gap between plan and bound"),
        Metric("first_stage_cost_musd", first.cost, "MUSD",
               "FS: projects and facilities (purchases are paid in the scenarios)"),
        Metric("expected_scenario_cost_musd", expected, "MUSD", "Σ π_s Z_s"),
        Metric("cvar_musd", cvar_value, "MUSD", f"CVaR at α = {st.cvar_alpha:g} of Z_s"),
        Metric("expected_shortage_t", exp_short_t, "t", "Σ_s π_s Σ e"),
        Metric("expected_shortage_cost_musd", exp_short_cost, "MUSD", "discounted, expected"),
        Metric("capex_committed_musd", first.capex, "MUSD", "Σ C_p n[p,t], undiscounted"),
        Metric("units_built", first.units, "count", "Σ n[p,t]"),
        Metric("coordination", st.coordination),
        Metric("risk_weight", st.risk_weight, "", "λ"),
        Metric("build_seconds", build_seconds, "s"),
        Metric("solve_seconds", solve_seconds, "s"),
    ]
    musd, t_fmt, pct = "#,##0.000", "#,##0.0", "0.0%"
    tables = [
        Table("Investments",
              ("project", "name", "location", "sponsor", "output", "units", "start year",
               "first output year", "capex (MUSD)"),
              first.investments, {"capex (MUSD)": musd}),
        Table("Screened", ("project", "name", "location", "output", "note"),
              [(p.id, p.name, p.country, p.output, p.note) for p in instance.screened_projects]),
        Table("Stockpiles",
              ("member", "commodity", "year", "purchase (t)", "planned level (t)", "floor (t)",
               "capacity (t)", "facility open"),
              first.stockpiles, {"purchase (t)": t_fmt, "planned level (t)": t_fmt,
                                 "floor (t)": t_fmt, "capacity (t)": t_fmt}),
        Table("Scenarios",
              ("scenario", "probability", "cost (MUSD)", "shortage (t)",
               "shortage cost (MUSD)", "release (t)", "floor support (MUSD)"),
              scen_rows, {"probability": "0.000", "cost (MUSD)": musd, "shortage (t)": t_fmt,
                          "shortage cost (MUSD)": musd, "release (t)": t_fmt,
                          "floor support (MUSD)": musd}),
        Table("Shortfalls",
              ("scenario", "member", "commodity", "year", "demand (t)", "shortage (t)"),
              short_rows, {"demand (t)": t_fmt, "shortage (t)": t_fmt}),
        Table("Budgets",
              ("member", "year", "budget (MUSD)", "worst-case spend (MUSD)", "utilisation"),
              budget_rows, {"budget (MUSD)": musd, "worst-case spend (MUSD)": musd,
                            "utilisation": pct}),
        Table("Members",
              ("member", "first-stage cost (MUSD)", "expected scenario cost (MUSD)",
               "expected shortage (t)", "floor support paid (MUSD)"),
              member_rows, {"first-stage cost (MUSD)": musd,
                            "expected scenario cost (MUSD)": musd,
                            "expected shortage (t)": t_fmt,
                            "floor support paid (MUSD)": musd}),
        Table("Costs", ("cost", "stage", "MUSD (discounted, expected)"), cost_rows,
              {"MUSD (discounted, expected)": musd}),
    ]
    return Results(st.title, summary, tables)


def empty_results(
    instance: Instance, *, status: str, build_seconds: float, solve_seconds: float,
    bound: float | None = None,
) -> Results:
    """Summary of a solve without a plan (infeasible or error): every key, values blank."""
    st = instance.settings
    keys = [
        ("objective_musd", "MUSD"), ("best_bound_musd", "MUSD"), ("mip_gap", "fraction"),
        ("first_stage_cost_musd", "MUSD"), ("expected_scenario_cost_musd", "MUSD"),
        ("cvar_musd", "MUSD"), ("expected_shortage_t", "t"),
        ("expected_shortage_cost_musd", "MUSD"), ("capex_committed_musd", "MUSD"),
        ("units_built", "count"),
    ]
    summary = [Metric("status", status)]
    summary += [Metric(k, bound if k == "best_bound_musd" else None, u) for k, u in keys]
    summary += [
        Metric("coordination", st.coordination),
        Metric("risk_weight", st.risk_weight),
        Metric("build_seconds", build_seconds, "s"),
        Metric("solve_seconds", solve_seconds, "s"),
    ]
    return Results(st.title, summary, [])
