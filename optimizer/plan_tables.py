"""The report's Summary figures and tables of a plan, from its plain summaries
(:class:`~optimizer.sheets.FirstStage`, :class:`~optimizer.sheets.ScenarioSummary`):
Investments, Screened, Stockpiles, Scenarios, Shortfalls, Budgets, Members and Costs,
and a one-row note in place of Not funded, Flows, Imports and Limits until an engine that has the
plan's LP puts them there (:mod:`optimizer.explain`).

Nothing is added that does not add up: tonnes are reported by commodity, never summed
across commodities, and a total of worst cases is the worst case of the total.
"""

from __future__ import annotations

from instance import Instance
from models.costs import FIRST_STAGE_TERMS, SCENARIO_TERMS
from models.index import ModelIndex
from optimizer.sheets import (
    MUSD,
    SHARE,
    TONNES,
    FirstStage,
    Results,
    ScenarioSummary,
    Table,
    cvar,
    metric,
    note_table,
)
from optimizer.summary import PLAN

EXPLAINED = ("Not funded", "Flows", "Imports", "Limits")
"""Sheets computed from the plan's LP by :mod:`optimizer.explain`."""
NOT_EXPLAINED = ("not computed by this engine: marginal values and flows come from the "
                 "extensive form, which solves one model of every scenario (--engine ef)")
NO_PLAN = {
    "infeasible": "no plan: the workbook's requirements cannot all be met together (see the "
                  "Diagnosis sheet)",
    "error": "no plan: the solve ended without one",
}
ALL_MEMBERS = "all members"
"""The Members sheet's total row."""


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

    def expected(value) -> float:
        return sum(s.probability * value(s) for s in scenarios)

    values = {
        "status": status, "objective_musd": objective, "best_bound_musd": bound,
        "mip_gap": gap, "first_stage_cost_musd": first.cost,
        "expected_scenario_cost_musd": expected(lambda s: s.cost),
        "cvar_musd": cvar([s.cost for s in scenarios], [s.probability for s in scenarios],
                          st.cvar_alpha),
        "expected_shortage_cost_musd": expected(lambda s: s.shortage_cost),
        "expected_programme_spend_musd": expected(lambda s: s.spend),
        "capex_committed_musd": first.capex, "units_built": first.units,
        "coordination": st.coordination, "risk_weight": st.risk_weight,
        "build_seconds": build_seconds, "solve_seconds": solve_seconds,
    }
    tail = round(100 * (1 - st.cvar_alpha), 6)
    notes = {"cvar_musd": f"the average scenario cost over the costliest {tail:g} % of "
                          "probability, for this plan (CVaR); discounted"}
    summary = [metric(k.key, values[k.key], notes.get(k.key)) for k in PLAN if k.key in values]
    return Results(st.title, summary, plan_tables(ix, first, scenarios))


def plan_tables(ix: ModelIndex, first: FirstStage, scenarios: list[ScenarioSummary]) -> list:
    """Investments, Not funded, Screened, Stockpiles, Flows, Imports, Limits, Scenarios,
    Shortfalls, Budgets, Members, Costs (the explained sheets as notes)."""
    t = TONNES
    return [
        Table("Investments",
              ("project", "name", "location", "sponsor", "output", "units", "start year",
               "first output year", "capex (MUSD)"),
              first.investments, {"capex (MUSD)": MUSD}),
        note_table("Not funded", NOT_EXPLAINED),
        Table("Screened", ("project", "name", "location", "output", "note"),
              [(p.id, p.name, p.country, p.output, p.note)
               for p in ix.instance.screened_projects]),
        Table("Stockpiles",
              ("member", "commodity", "year", "purchase (t)", "planned level (t)", "floor (t)",
               "capacity (t)", "facility open"),
              first.stockpiles, {"purchase (t)": t, "planned level (t)": t,
                                 "floor (t)": t, "capacity (t)": t}),
        note_table("Flows", NOT_EXPLAINED),
        note_table("Imports", NOT_EXPLAINED),
        note_table("Limits", NOT_EXPLAINED),
        _scenarios(ix, scenarios),
        Table("Shortfalls",
              ("scenario", "member", "commodity", "year", "demand (t)", "shortage (t)"),
              [row for s in scenarios for row in s.shortfalls],
              {"demand (t)": t, "shortage (t)": t}),
        _budgets(ix, scenarios),
        _members(ix, first, scenarios),
        _costs(first, scenarios),
    ]


def shortage_column(commodity: str) -> str:
    return f"shortage {commodity} (t)"


def shortage_commodity(column: str) -> str | None:
    """The commodity of a :func:`shortage_column` name; ``None`` for any other column."""
    head, tail = "shortage ", " (t)"
    if column.startswith(head) and column.endswith(tail) and len(column) > len(head + tail):
        return column[len(head):-len(tail)]
    return None


def release_column(commodity: str) -> str:
    return f"release {commodity} (t)"


def _scenarios(ix: ModelIndex, scenarios: list[ScenarioSummary]) -> Table:
    """Each scenario's cost, shortage cost, spend and floor support (MUSD), and its
    shortage and releases in tonnes of each commodity that has any in some scenario."""
    order = [k.id for k in ix.instance.commodities]
    short = [k for k in order if any(s.shortage.get(k, 0.0) > 0 for s in scenarios)]
    released = [k for k in order if any(s.release.get(k, 0.0) > 0 for s in scenarios)]
    columns = ("scenario", "probability", "cost (MUSD)", "shortage cost (MUSD)",
               *map(shortage_column, short), *map(release_column, released),
               "floor support (MUSD)", "programme spend (MUSD)")
    rows = [(s.id, s.probability, s.cost, s.shortage_cost,
             *[s.shortage.get(k, 0.0) for k in short],
             *[s.release.get(k, 0.0) for k in released], s.support, s.spend)
            for s in scenarios]
    formats = {name: TONNES for name in columns if name.endswith("(t)")}
    formats.update({name: MUSD for name in columns if name.endswith("(MUSD)")})
    formats["probability"] = SHARE
    return Table("Scenarios", columns, rows, formats)


def _budgets(ix: ModelIndex, scenarios: list[ScenarioSummary]) -> Table:
    """Each budget row against its worst-case spend over the scenarios."""
    year = ix.instance.settings.calendar_year
    rows = []
    for i, (c, t, budget) in enumerate(ix.budgets):
        worst = max((s.budget_spend.get(i, 0.0) for s in scenarios), default=0.0)
        rows.append((c, year(t), budget, worst, worst / budget if budget > 0 else None))
    return Table("Budgets",
                 ("member", "year", "budget (MUSD)", "worst-case spend (MUSD)", "utilisation"),
                 rows, {"budget (MUSD)": MUSD, "worst-case spend (MUSD)": MUSD,
                        "utilisation": SHARE})


MEMBER_COLUMNS = ("member", "first-stage cost (MUSD)", "expected scenario cost (MUSD)",
                  "expected programme spend (MUSD)", "worst-scenario programme spend (MUSD)",
                  "expected shortage cost (MUSD)", "expected floor support paid (MUSD)")


def _members(ix: ModelIndex, first: FirstStage, scenarios: list[ScenarioSummary]) -> Table:
    """MODEL.md's costs by member (who pays, who is protected) and what each government
    spends, then the bloc's total: the sum of each expected figure, and for the worst
    scenario the bloc's own worst scenario (not the sum of the members' worst cases,
    which may be different scenarios)."""
    def expected(field: str, c: str) -> float:
        return sum(s.probability * getattr(s, field).get(c, 0.0) for s in scenarios)

    def worst(spend) -> float:
        return max((spend(s) for s in scenarios), default=0.0)

    rows = [(c, first.member_cost[c], expected("member_cost", c),
             expected("member_spend", c), worst(lambda s, c=c: s.member_spend.get(c, 0.0)),
             expected("member_shortage_cost", c), expected("member_support", c))
            for c in ix.members]
    total = [ALL_MEMBERS, *[sum(row[j] for row in rows) for j in (1, 2, 3)],
             worst(lambda s: s.spend), *[sum(row[j] for row in rows) for j in (5, 6)]]
    rows.append(tuple(total))
    return Table("Members", MEMBER_COLUMNS, rows, {name: MUSD for name in MEMBER_COLUMNS[1:]})


def member_rows(members: Table) -> list[dict]:
    """The Members sheet's rows of members, without the total row."""
    return [row for row in members.records() if row["member"] != ALL_MEMBERS]


def _costs(first: FirstStage, scenarios: list[ScenarioSummary]) -> Table:
    """Every cost term of the model (:mod:`models.costs`), first stage and expected."""
    rows = [(term.label, "first stage", first.terms[term.key]) for term in FIRST_STAGE_TERMS]
    rows += [(term.label, "scenarios (expected)",
              sum(s.probability * s.terms[term.key] for s in scenarios))
             for term in SCENARIO_TERMS]
    return Table("Costs", ("cost", "stage", "MUSD (discounted, expected)"), rows,
                 {"MUSD (discounted, expected)": MUSD})


def empty_results(
    instance: Instance, *, status: str, build_seconds: float, solve_seconds: float,
    bound: float | None = None,
) -> Results:
    """Summary of a solve without a plan (infeasible or error): every key, values blank;
    the explained sheets say why they are empty."""
    st = instance.settings
    values = {"status": status, "best_bound_musd": bound, "coordination": st.coordination,
              "risk_weight": st.risk_weight, "build_seconds": build_seconds,
              "solve_seconds": solve_seconds}
    summary = [metric(k.key, values.get(k.key)) for k in PLAN if k.key != "engine"]
    why = NO_PLAN.get(status, NO_PLAN["error"])
    return Results(st.title, summary, [note_table(name, why) for name in EXPLAINED])
