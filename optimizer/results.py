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


def cost_breakdown(m: pyo.ConcreteModel, ix: ModelIndex,
                   scenarios: list[ScenarioData]) -> list[tuple[str, str, float]]:
    """``FS`` and ``Σ π_s Z_s`` split by cost term of MODEL.md (MUSD, discounted,
    expected); the rows add up to the objective's first-stage and expected parts."""
    d, H = ix.delta, ix.horizon
    capital = fixed_om = purchases = facilities = 0.0
    for p in ix.projects:
        crf = ix.project_crf[p.id]
        for t in ix.years:
            w = sum(_v(m.n[p.id, tau]) for tau in ix.start_years(p) if tau <= t)
            u = sum(_v(m.n[p.id, tau]) for tau in ix.start_years(p) if tau <= t - p.lead_time)
            capital += d[t] * crf * p.capex * w
            fixed_om += d[t] * p.fixed_om * u
    for (c, k, t), var in m.b.items():
        purchases += d[t] * ix.purchase_price[k] * _v(var) * MUSD_PER_USD
    for (c, k), var in m.z.items():
        facilities += ix.stockpiles[(c, k)].facility_cost * _v(var)
    terms = defaultdict(float)
    by_id = {p.id: p for p in ix.projects}
    for sc in scenarios:
        blk, w = m.scenario[sc.id], sc.probability * MUSD_PER_USD
        for (c, k, o, t), var in blk.imports.items():
            terms["imports"] += w * d[t] * import_price(ix, sc, (c, k, o), t) * _v(var)
        for (pid, t), var in blk.output.items():
            terms["project operating cost"] += w * d[t] * by_id[pid].variable_cost * _v(var)
        for (c, k, t), var in blk.stock.items():
            terms["stock holding"] += w * d[t] * ix.commodity[k].holding_cost * _v(var)
            if t == H:
                terms["stock value left at the end"] -= (
                    w * d[H + 1] * ix.commodity[k].price * _v(var))
        for (a, b, k, t), var in blk.transfer.items():
            terms["transfers"] += w * d[t] * ix.transfer_arcs[(a, b, k)][1] * _v(var)
        for (c, k, t), var in blk.shortage.items():
            terms["shortage (economic damage)"] += w * d[t] * ix.commodity[k].shortage_cost * _v(var)
    rows = [
        ("project capital (annuity)", "first stage", capital),
        ("project fixed O&M", "first stage", fixed_om),
        ("stockpile purchases", "first stage", purchases),
        ("stockpile facilities", "first stage", facilities),
    ]
    for name in ("imports", "project operating cost", "stock holding", "transfers",
                 "shortage (economic damage)", "stock value left at the end"):
        rows.append((name, "scenarios (expected)", terms[name]))
    return rows


def extract(
    m: pyo.ConcreteModel,
    instance: Instance,
    scenarios: list[ScenarioData],
    *,
    status: str,
    objective: float | None,
    bound: float | None,
    gap: float | None,
    build_seconds: float,
    solve_seconds: float,
) -> Results:
    """Summary and tables of a solved model (the plan's values must be loaded)."""
    ix = ModelIndex(instance)
    st = instance.settings
    year = st.calendar_year
    delta = ix.delta
    probs = {sc.id: sc.probability for sc in scenarios}
    members = list(ix.members)

    fs = pyo.value(m.first_stage_cost[ALL])
    fs_by = {c: pyo.value(m.first_stage_cost[c]) for c in members}
    z = scenario_costs(m, scenarios)
    z_by = {(c, s): pyo.value(m.scenario[s].cost[c]) for c in members for s in probs}
    expected = sum(probs[s] * z[s] for s in probs)

    # ------------------------------------------------------------ investments
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
    screened = [(p.id, p.name, p.country, p.output, p.note) for p in instance.screened_projects]

    # ------------------------------------------------------------ stockpiles
    stock_rows = []
    for (c, k), s in ix.stockpiles.items():
        level = s.initial
        opened = round(_v(m.z[c, k])) if (c, k) in m.z else 1
        for t in ix.years:
            buy = _v(m.b[c, k, t])
            level += buy
            stock_rows.append((c, k, year(t), buy, level, ix.floors.get((c, k, t), 0.0),
                               s.capacity if opened else 0.0, "yes" if opened else "no"))

    # ------------------------------------------------------------ scenarios, shortfalls
    scen_rows, short_rows = [], []
    exp_short_t = exp_short_cost = 0.0
    member_short = defaultdict(float)
    member_support = defaultdict(float)
    for sc in scenarios:
        blk = m.scenario[sc.id]
        short_t = short_cost = release = support = 0.0
        for (c, k, t), var in blk.shortage.items():
            e = _v(var)
            if e <= TOL:
                continue
            short_t += e
            short_cost += delta[t] * ix.commodity[k].shortage_cost * e * MUSD_PER_USD
            member_short[c] += sc.probability * e
            d = instance.demand_table.get((c, k, t), 0.0) * sc.df.get((c, k, t), 1.0)
            short_rows.append((sc.id, c, k, year(t), d, e))
        for var in blk.release.values():
            release += _v(var)
        for (pid, t), var in blk.output.items():
            p = by_id[pid]
            amount = floor_support_rate(ix, sc, p.output, t) * _v(var) * MUSD_PER_USD
            support += amount
            member_support[p.sponsor] += sc.probability * amount
        exp_short_t += sc.probability * short_t
        exp_short_cost += sc.probability * short_cost
        scen_rows.append((sc.id, sc.probability, z[sc.id], short_t, short_cost, release, support))

    # ------------------------------------------------------------ budgets
    budget_rows = []
    for i, (c, t, budget) in enumerate(ix.budgets):
        spends = []
        for sc in scenarios:
            con = m.scenario[sc.id].budget
            spends.append(pyo.value(con[i].body) if i in con else 0.0)
        worst = max(spends) if spends else 0.0
        budget_rows.append((c, year(t), budget, worst, worst / budget if budget > 0 else None))

    member_rows = [
        (c, fs_by[c], sum(probs[s] * z_by[(c, s)] for s in probs), member_short[c],
         member_support[c])
        for c in members
    ]

    cvar_value = cvar([z[s] for s in probs], [probs[s] for s in probs], st.cvar_alpha)
    summary = [
        Metric("status", status),
        Metric("objective_musd", objective, "MUSD", "the objective value of the plan"),
        Metric("best_bound_musd", bound, "MUSD", "the solver's best bound"),
        Metric("mip_gap", gap, "fraction", "relative gap between plan and bound"),
        Metric("first_stage_cost_musd", fs, "MUSD", "FS: projects, purchases, facilities"),
        Metric("expected_scenario_cost_musd", expected, "MUSD", "Σ π_s Z_s"),
        Metric("cvar_musd", cvar_value, "MUSD", f"CVaR at α = {st.cvar_alpha:g} of Z_s"),
        Metric("expected_shortage_t", exp_short_t, "t", "Σ_s π_s Σ e"),
        Metric("expected_shortage_cost_musd", exp_short_cost, "MUSD", "discounted, expected"),
        Metric("capex_committed_musd", capex, "MUSD", "Σ C_p n[p,t], undiscounted"),
        Metric("units_built", units, "count", "Σ n[p,t]"),
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
              investments, {"capex (MUSD)": musd}),
        Table("Screened", ("project", "name", "location", "output", "note"), screened),
        Table("Stockpiles",
              ("member", "commodity", "year", "purchase (t)", "planned level (t)", "floor (t)",
               "capacity (t)", "facility open"),
              stock_rows, {"purchase (t)": t_fmt, "planned level (t)": t_fmt,
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
    ]
    tables.append(Table("Costs", ("cost", "stage", "MUSD (discounted, expected)"),
                        cost_breakdown(m, ix, scenarios), {"MUSD (discounted, expected)": musd}))
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
