"""Explaining an infeasible workbook with an elastic re-solve.

When no plan keeps every requirement, the same model is rebuilt with a non-negative slack
on every budget row (MUSD), stockpile floor (t) and stockpile capacity row (t), and on the
balance of every stockpile's commodity (t: a purchase that no supply can reach in some
scenario), and the weighted slack is minimised. Budget slack weighs 1 per MUSD; floor and
capacity slack weigh ten times the money the tonne would cost at the world price,
unsupplied purchases nine times, so a floor the budget cannot pay for is reported as a
budget shortfall (the usual cause), a floor whose purchase cannot be supplied in some
scenario (a year when every source is cut) as that, and a floor that no money can reach
(purchase limits, capacity) as a floor shortfall. Each positive slack becomes one
plain-language finding.
"""

from __future__ import annotations

import pyomo.environ as pyo

from instance import ALL, Instance
from models.factors import scenario_data
from models.index import MUSD_PER_USD, ModelIndex
from models.stockpile import build_model
from optimizer.results import Results, Table
from optimizer.solve import solve_model

TOL = 1e-6
FLOOR_WEIGHT = 10.0
SUPPLY_WEIGHT = 9.0


def make_elastic(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Add slack to budget, floor and capacity rows; objective = weighted slack."""
    m.objective.deactivate()
    budget_keys = [(s, i) for s in m.scenario for i in m.scenario[s].budget]
    m.budget_slack = pyo.Var(budget_keys, domain=pyo.NonNegativeReals,
                             doc="budget overrun needed [MUSD]")
    for s, i in budget_keys:
        con = m.scenario[s].budget[i]
        con.set_value(con.body - m.budget_slack[s, i] <= con.upper)
    m.floor_slack = pyo.Var(list(m.stock_floor), domain=pyo.NonNegativeReals,
                            doc="stock missing below the floor [t]")
    for key, con in m.stock_floor.items():
        con.set_value(con.body + m.floor_slack[key] >= con.lower)
    m.capacity_slack = pyo.Var(list(m.stock_capacity), domain=pyo.NonNegativeReals,
                               doc="stock above capacity [t]")
    for key, con in m.stock_capacity.items():
        con.set_value(con.body - m.capacity_slack[key] <= con.upper)

    supply_keys = [
        (s, c, k, t)
        for s in m.scenario
        for (c, k, t) in m.scenario[s].balance
        if (c, k) in ix.stockpiles
    ]
    m.supply_slack = pyo.Var(supply_keys, domain=pyo.NonNegativeReals,
                             doc="purchase that no supply reaches in a scenario [t]")
    for s, c, k, t in supply_keys:
        con = m.scenario[s].balance[c, k, t]
        con.set_value(con.body + m.supply_slack[s, c, k, t] == con.upper)

    def tonne_weight(k, weight=FLOOR_WEIGHT):
        return weight * max(ix.commodity[k].price * MUSD_PER_USD, 1e-6)

    m.elastic = pyo.Objective(
        expr=sum(m.budget_slack.values())
        + sum(tonne_weight(k) * v for (c, k, t), v in m.floor_slack.items())
        + sum(tonne_weight(k) * v for (c, k, t), v in m.capacity_slack.items())
        + sum(tonne_weight(k, SUPPLY_WEIGHT) * v
              for (s, c, k, t), v in m.supply_slack.items()),
        sense=pyo.minimize,
        doc="weighted slack [MUSD]",
    )


def _floors_text(ix: ModelIndex, members: set[str], t: int) -> str:
    floors = [
        f"{k} floor of {fl:,.4g} t" + (f" ({c})" if len(members) > 1 else "")
        for (c, k, tt), fl in sorted(ix.floors.items())
        if c in members and tt == t and fl > ix.stockpiles[(c, k)].initial + TOL
    ]
    return ", ".join(floors)


def _unsupplied_purchases(m: pyo.ConcreteModel, ix: ModelIndex) -> list[tuple]:
    """One finding per (member, commodity, year) whose purchase no supply reaches in some
    scenario: the floor it serves, the year, and the worst scenario."""
    year = ix.instance.settings.calendar_year
    worst: dict[tuple[str, str, int], tuple[float, str]] = {}
    for (s, c, k, t), var in m.supply_slack.items():
        value = var.value or 0.0
        if value > TOL and value > worst.get((c, k, t), (0.0, ""))[0]:
            worst[(c, k, t)] = (value, s)
    rows = []
    for (c, k, t), (short, s) in sorted(worst.items()):
        fl = ix.floors.get((c, k, t))
        floor = f"the {k} floor of {fl:,.4g} t in {year(t)}" if fl else f"the {k} stockpile"
        text = (f"{c}: {floor} needs {short:,.4g} t bought in {year(t)} that cannot be "
                f"supplied in scenario '{s}' (every source is cut and consumers have none "
                f"to spare); buy in an earlier year or hold more initial stock.")
        rows.append(("stockpile purchase", c, year(t), s, None, short, short, "t", text))
    return rows


def diagnose(instance: Instance, *, time_limit: float | None = None) -> Results:
    """The Diagnosis table for an infeasible instance."""
    ix = ModelIndex(instance)
    scenarios = scenario_data(instance)
    m = build_model(instance, scenarios, index=ix)
    make_elastic(m, ix)
    out = solve_model(m, time_limit=time_limit or instance.settings.time_limit_s,
                      mip_gap=1e-6)
    columns = ("requirement", "member", "year", "scenario", "limit", "needed", "shortfall",
               "unit", "finding")
    rows: list[tuple] = []
    year = instance.settings.calendar_year
    if not out.has_plan:
        rows.append(("model", "", "", "", None, None, None, "",
                     f"The elastic re-solve found no plan either ({out.termination}); "
                     "check the workbook's limits."))
        return Results(instance.settings.title, [], [Table("Diagnosis", columns, rows)])

    worst: dict[int, tuple[float, str]] = {}
    for (s, i), var in m.budget_slack.items():
        value = var.value or 0.0
        if value > TOL and value > worst.get(i, (0.0, ""))[0]:
            worst[i] = (value, s)
    for i, (short, s) in sorted(worst.items()):
        c, t, budget = ix.budgets[i]
        who = "the bloc (ALL)" if c == ALL else c
        members = set(ix.members) if c == ALL else {c}
        floors = _floors_text(ix, members, t)
        reason = f" to meet the {floors}" if floors else ""
        text = (f"{who} {year(t)} budget short by {short:,.4g} MUSD{reason} "
                f"(budget {budget:,.4g} MUSD, worst scenario '{s}').")
        rows.append(("budget", c, year(t), s, budget, budget + short, short, "MUSD", text))
    rows += _unsupplied_purchases(m, ix)
    for (c, k, t), var in m.floor_slack.items():
        value = var.value or 0.0
        if value > TOL:
            fl = ix.floors[(c, k, t)]
            text = (f"{c} {k} floor of {fl:,.4g} t in {year(t)} cannot be met: at most "
                    f"{fl - value:,.4g} t can be held by then (purchase limit or capacity); "
                    f"short by {value:,.4g} t.")
            rows.append(("stockpile floor", c, year(t), "", fl - value, fl, value, "t", text))
    for (c, k, t), var in m.capacity_slack.items():
        value = var.value or 0.0
        if value > TOL:
            cap = ix.stockpiles[(c, k)].capacity
            text = (f"{c} {k} stock in {year(t)} must exceed the capacity of {cap:,.4g} t by "
                    f"{value:,.4g} t to meet its floor.")
            rows.append(("stockpile capacity", c, year(t), "", cap, cap + value, value, "t",
                         text))
    if not rows:
        rows.append(("model", "", "", "", None, None, None, "",
                     "No budget, floor or capacity needs slack: the conflict lies elsewhere "
                     "(check project and purchase limits)."))
    return Results(instance.settings.title, [], [Table("Diagnosis", columns, rows)])
