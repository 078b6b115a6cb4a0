"""Results pulled out of a solved Pyomo model into plain tables.

Nothing here writes files, and nothing downstream touches Pyomo: the report writer
(:mod:`optimizer.report`) receives only :class:`Results` and :class:`Table` objects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo

from instance import ALL, Instance
from models.costs import FIRST_STAGE_TERMS, SCENARIO_TERMS
from models.factors import ScenarioData
from models.index import ModelIndex
from optimizer.summary import KEYS, PLAN, Key

TOL = 1e-6
NOISE_MUSD = 1e-9


@dataclass(frozen=True)
class Table:
    """A sheet of the report: a header row and plain rows. ``formats`` maps a column to
    an Excel number format; ``note``, a sentence written under the table."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple]
    formats: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def records(self) -> list[dict]:
        """The rows by column name: how a table is read (never by position)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list:
        """One column's values, by its name."""
        j = self.columns.index(name)
        return [row[j] for row in self.rows]


@dataclass(frozen=True)
class Metric:
    """One Summary row: key, value, unit and meaning."""

    key: str
    value: object
    unit: str = ""
    note: str = ""


def metric(key: str, value, note: str | None = None, keys: dict[str, Key] = KEYS) -> Metric:
    """A Summary row for ``key``, with its unit and meaning from :mod:`optimizer.summary`
    (``note`` replaces the meaning)."""
    k = keys[key]
    return Metric(key, value, k.unit, k.meaning if note is None else note)


@dataclass
class Results:
    """Everything a report shows: Summary metrics first, then tables."""

    title: str
    summary: list[Metric]
    tables: list[Table]

    def value(self, key: str):
        return next((m.value for m in self.summary if m.key == key), None)

    def set(self, key: str | Key, value) -> None:
        """Set a Summary key (one of :data:`optimizer.summary.KEYS`, or a :class:`Key`
        made from :data:`optimizer.summary.PER_MEMBER`), adding its row."""
        if isinstance(key, Key):
            new = Metric(key.key, value, key.unit, key.meaning)
        else:
            new = metric(key, value)
        for i, m in enumerate(self.summary):
            if m.key == new.key:
                self.summary[i] = new
                return
        self.summary.append(new)

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
    terms: dict[str, float] = field(default_factory=dict)


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
    """Costs ``Z_s``/``Z_cs`` and their terms, floor support (the model's expressions),
    shortage, releases and budget spend of one solved scenario block."""
    year = ix.instance.settings.calendar_year
    members = ix.members
    out = ScenarioSummary(
        sc.id, sc.probability, musd(blk.cost[ALL]), {c: musd(blk.cost[c]) for c in members},
    )
    out.terms = _by_term(blk.cost_term, SCENARIO_TERMS, members)
    out.shortage_cost = out.terms["shortage"]
    out.member_support = {c: musd(blk.floor_support[c]) for c in members}
    out.support = sum(out.member_support.values())
    for (c, k, t), var in blk.shortage.items():
        e = _v(var)
        if e <= TOL:
            continue
        out.shortage_t += e
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
    terms: dict[str, float]


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
    st = ix.instance.settings
    expected = {
        name: sum(s.probability * getattr(s, name) for s in scenarios)
        for name in ("cost", "shortage_t", "shortage_cost")
    }
    values = {
        "status": status, "objective_musd": objective, "best_bound_musd": bound,
        "mip_gap": gap, "first_stage_cost_musd": first.cost,
        "expected_scenario_cost_musd": expected["cost"],
        "cvar_musd": cvar([s.cost for s in scenarios], [s.probability for s in scenarios],
                          st.cvar_alpha),
        "expected_shortage_t": expected["shortage_t"],
        "expected_shortage_cost_musd": expected["shortage_cost"],
        "capex_committed_musd": first.capex, "units_built": first.units,
        "coordination": st.coordination, "risk_weight": st.risk_weight,
        "build_seconds": build_seconds, "solve_seconds": solve_seconds,
    }
    notes = {"cvar_musd": f"CVaR at α = {st.cvar_alpha:g} of Z_s, computed from the plan"}
    summary = [metric(k.key, values[k.key], notes.get(k.key)) for k in PLAN if k.key in values]
    return Results(st.title, summary, plan_tables(ix, first, scenarios))


MUSD_FORMAT, T_FORMAT, PERCENT = "#,##0.000", "#,##0.0", "0.0%"


def plan_tables(ix: ModelIndex, first: FirstStage, scenarios: list[ScenarioSummary]) -> list:
    """Investments, Screened, Stockpiles, Scenarios, Shortfalls, Budgets, Members, Costs."""
    musd, t_fmt = MUSD_FORMAT, T_FORMAT
    return [
        Table("Investments",
              ("project", "name", "location", "sponsor", "output", "units", "start year",
               "first output year", "capex (MUSD)"),
              first.investments, {"capex (MUSD)": musd}),
        Table("Screened", ("project", "name", "location", "output", "note"),
              [(p.id, p.name, p.country, p.output, p.note)
               for p in ix.instance.screened_projects]),
        Table("Stockpiles",
              ("member", "commodity", "year", "purchase (t)", "planned level (t)", "floor (t)",
               "capacity (t)", "facility open"),
              first.stockpiles, {"purchase (t)": t_fmt, "planned level (t)": t_fmt,
                                 "floor (t)": t_fmt, "capacity (t)": t_fmt}),
        Table("Scenarios",
              ("scenario", "probability", "cost (MUSD)", "shortage (t)",
               "shortage cost (MUSD)", "release (t)", "floor support (MUSD)"),
              [(s.id, s.probability, s.cost, s.shortage_t, s.shortage_cost, s.release_t,
                s.support) for s in scenarios],
              {"probability": "0.000", "cost (MUSD)": musd, "shortage (t)": t_fmt,
               "shortage cost (MUSD)": musd, "release (t)": t_fmt,
               "floor support (MUSD)": musd}),
        Table("Shortfalls",
              ("scenario", "member", "commodity", "year", "demand (t)", "shortage (t)"),
              [row for s in scenarios for row in s.shortfalls],
              {"demand (t)": t_fmt, "shortage (t)": t_fmt}),
        _budgets(ix, scenarios),
        _members(ix, first, scenarios),
        _costs(first, scenarios),
    ]


def _budgets(ix: ModelIndex, scenarios: list[ScenarioSummary]) -> Table:
    """Each budget row against its worst-case spend over the scenarios."""
    year = ix.instance.settings.calendar_year
    rows = []
    for i, (c, t, budget) in enumerate(ix.budgets):
        worst = max((s.budget_spend.get(i, 0.0) for s in scenarios), default=0.0)
        rows.append((c, year(t), budget, worst, worst / budget if budget > 0 else None))
    return Table("Budgets",
                 ("member", "year", "budget (MUSD)", "worst-case spend (MUSD)", "utilisation"),
                 rows, {"budget (MUSD)": MUSD_FORMAT, "worst-case spend (MUSD)": MUSD_FORMAT,
                        "utilisation": PERCENT})


def _members(ix: ModelIndex, first: FirstStage, scenarios: list[ScenarioSummary]) -> Table:
    """MODEL.md's costs by member: who pays, who is protected."""
    def expected(field: str, c: str) -> float:
        return sum(s.probability * getattr(s, field).get(c, 0.0) for s in scenarios)

    rows = [(c, first.member_cost[c], expected("member_cost", c),
             expected("member_shortage", c), expected("member_support", c))
            for c in ix.members]
    return Table("Members",
                 ("member", "first-stage cost (MUSD)", "expected scenario cost (MUSD)",
                  "expected shortage (t)", "floor support paid (MUSD)"),
                 rows, {"first-stage cost (MUSD)": MUSD_FORMAT,
                        "expected scenario cost (MUSD)": MUSD_FORMAT,
                        "expected shortage (t)": T_FORMAT,
                        "floor support paid (MUSD)": MUSD_FORMAT})


def _costs(first: FirstStage, scenarios: list[ScenarioSummary]) -> Table:
    """Every cost term of the model (:mod:`models.costs`), first stage and expected."""
    rows = [(term.label, "first stage", first.terms[term.key]) for term in FIRST_STAGE_TERMS]
    rows += [(term.label, "scenarios (expected)",
              sum(s.probability * s.terms[term.key] for s in scenarios))
             for term in SCENARIO_TERMS]
    return Table("Costs", ("cost", "stage", "MUSD (discounted, expected)"), rows,
                 {"MUSD (discounted, expected)": MUSD_FORMAT})


def empty_results(
    instance: Instance, *, status: str, build_seconds: float, solve_seconds: float,
    bound: float | None = None,
) -> Results:
    """Summary of a solve without a plan (infeasible or error): every key, values blank."""
    st = instance.settings
    values = {"status": status, "best_bound_musd": bound, "coordination": st.coordination,
              "risk_weight": st.risk_weight, "build_seconds": build_seconds,
              "solve_seconds": solve_seconds}
    summary = [metric(k.key, values.get(k.key)) for k in PLAN if k.key != "engine"]
    return Results(st.title, summary, [])
