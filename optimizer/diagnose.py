"""Explaining an infeasible workbook with an elastic re-solve.

When no plan keeps every requirement, the same model is rebuilt with a non-negative slack
on every budget row (MUSD), stockpile floor (t) and stockpile capacity row (t), and on the
balance of every stockpile's commodity (t: a purchase that no supply can reach in some
scenario), and the weighted slack is minimised. Budget slack weighs 1 per MUSD averaged
over the scenarios (a purchase that overruns a budget in every scenario costs about its
price once, however many scenarios there are); floor and capacity slack weigh ten times
the money the tonne would cost at the world price,
unsupplied purchases nine times, so a floor the budget cannot pay for is reported as a
budget shortfall (the usual cause), a floor whose purchase cannot be supplied in some
scenario (a year when every source is cut) as that, and a floor that no money can reach
(purchase limits, capacity) as a floor shortfall. Each positive slack becomes one
plain-language finding that names the workbook cells of the requirement it relaxes
(``Budgets!C5``; a floor's ``min_t`` or ``min_days`` cell; a capacity or purchase limit
on Stockpiles) and, for a floor no money can reach, the limit that stops it.
"""

from __future__ import annotations

import pyomo.environ as pyo

from instance import ALL, Instance, Stockpile, cell_of
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
        expr=sum(m.budget_slack.values()) / max(1, len(m.scenario))
        + sum(tonne_weight(k) * v for (c, k, t), v in m.floor_slack.items())
        + sum(tonne_weight(k) * v for (c, k, t), v in m.capacity_slack.items())
        + sum(tonne_weight(k, SUPPLY_WEIGHT) * v
              for (s, c, k, t), v in m.supply_slack.items()),
        sense=pyo.minimize,
        doc="weighted slack [MUSD]",
    )


def num(x: float) -> str:
    """A figure of a finding: four significant digits, whole numbers from 10,000 on
    (never ``1.5e+04``)."""
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:,.4g}"


def _at(cell: str | None) -> str:
    """`` (Budgets!C5)`` after the thing a cell holds; nothing for a row built in
    Python."""
    return f" ({cell})" if cell else ""


def floor_cell(ix: ModelIndex, c: str, k: str, t: int) -> str | None:
    """The cell that sets ``fl[c,k,t]``: ``min_t``, or ``min_days`` where the days of
    demand ask for more."""
    s = ix.stockpiles[(c, k)]
    by_days = (s.min_days or 0.0) / 365.0 * ix.instance.demand_table.get((c, k, t), 0.0)
    return cell_of(s, "min_t" if (s.min_t or 0.0) >= by_days else "min_days")


def _floors_text(ix: ModelIndex, members: set[str], t: int) -> str:
    floors = [
        f"{k} floor of {num(fl)} t" + (f" ({c})" if len(members) > 1 else "")
        + _at(floor_cell(ix, c, k, tt))
        for (c, k, tt), fl in sorted(ix.floors.items())
        if c in members and tt == t and fl > ix.stockpiles[(c, k)].initial + TOL
    ]
    return ", ".join(floors)


def stopping_limit(s: Stockpile, t: int, held: float) -> str:
    """Which limit keeps stockpile ``s`` at ``held`` t by plan year ``t``: its purchase
    limit (``t`` years of ``maxbuy``) or its capacity, whichever reaches ``held``, with
    its cell; the budgets when neither does."""
    reach = {}
    if s.max_buy is not None:
        reach["buy"] = s.initial + t * s.max_buy
    if s.capacity is not None:
        reach["capacity"] = s.capacity
    chosen = [name for name, r in reach.items() if abs(r - held) <= TOL * max(1.0, held)]
    if not chosen:  # no limit holds it there: the money does (see the budget findings)
        return (f"within the budgets at most {num(held)} t can be held by then (no purchase "
                "limit or capacity stops it)")
    words = {
        "buy": lambda: f"the purchase limit of {num(s.max_buy)} t a year"
                       f"{_at(cell_of(s, 'max_buy'))}",
        "capacity": lambda: f"the capacity of {num(s.capacity)} t{_at(cell_of(s, 'capacity'))}",
    }
    return (" and ".join(words[name]() for name in chosen)
            + f" let{'s' if len(chosen) == 1 else ''} at most {num(held)} t be held by then")


COLUMNS = ("requirement", "member", "year", "scenario", "limit", "needed", "shortfall",
           "unit", "cell", "finding")


def _worst(slack) -> dict:
    """For slack indexed ``(scenario, *key)``: key → (largest slack, its scenario)."""
    worst: dict = {}
    for (s, *key), var in slack.items():
        value = var.value or 0.0
        key = key[0] if len(key) == 1 else tuple(key)
        if value > TOL and value > worst.get(key, (0.0, ""))[0]:
            worst[key] = (value, s)
    return worst


def _budget_rows(m: pyo.ConcreteModel, ix: ModelIndex) -> list[tuple]:
    """One finding per budget row that needs more money, in its worst scenario."""
    year = ix.instance.settings.calendar_year
    rows = []
    for i, (short, s) in sorted(_worst(m.budget_slack).items()):
        row = ix.budget_rows[i]
        c, t, budget = row.country, row.t, row.musd
        cell = cell_of(row, "musd")
        who = "the bloc (ALL)" if c == ALL else c
        floors = _floors_text(ix, set(ix.members) if c == ALL else {c}, t)
        reason = f" to meet the {floors}" if floors else ""
        text = (f"{who} {year(t)} budget{_at(cell)} short by {num(short)} MUSD{reason} "
                f"(budget {num(budget)} MUSD, worst scenario '{s}').")
        rows.append(("budget", c, year(t), s, budget, budget + short, short, "MUSD", cell,
                     text))
    return rows


def _unsupplied_purchases(m: pyo.ConcreteModel, ix: ModelIndex) -> list[tuple]:
    """One finding per (member, commodity, year) whose purchase no supply reaches in some
    scenario: the floor it serves, the year, and the worst scenario."""
    year = ix.instance.settings.calendar_year
    rows = []
    for (c, k, t), (short, s) in sorted(_worst(m.supply_slack).items()):
        fl = ix.floors.get((c, k, t))
        cell = floor_cell(ix, c, k, t) if fl else None
        floor = (f"the {k} floor of {num(fl)} t in {year(t)}{_at(cell)}" if fl
                 else f"the {k} stockpile")
        text = (f"{c}: {floor} needs {num(short)} t bought in {year(t)} that cannot be "
                f"supplied in scenario '{s}' (every source is cut and consumers have none "
                f"to spare); buy in an earlier year or hold more initial stock.")
        rows.append(("stockpile purchase", c, year(t), s, None, short, short, "t", cell,
                     text))
    return rows


def _stock_rows(m: pyo.ConcreteModel, ix: ModelIndex) -> list[tuple]:
    """Floors no money can reach (with the limit that stops each) and capacities the
    floors need exceeded."""
    year = ix.instance.settings.calendar_year
    rows = []
    for (c, k, t), var in m.floor_slack.items():
        value = var.value or 0.0
        if value > TOL:
            fl, cell = ix.floors[(c, k, t)], floor_cell(ix, c, k, t)
            why = stopping_limit(ix.stockpiles[(c, k)], t, fl - value)
            text = (f"{c} {k} floor of {num(fl)} t in {year(t)}{_at(cell)} cannot be met: "
                    f"{why}; short by {num(value)} t.")
            rows.append(("stockpile floor", c, year(t), "", fl - value, fl, value, "t", cell,
                         text))
    for (c, k, t), var in m.capacity_slack.items():
        value = var.value or 0.0
        if value > TOL:
            s = ix.stockpiles[(c, k)]
            cell = cell_of(s, "capacity")
            text = (f"{c} {k} stock in {year(t)} must exceed the capacity of "
                    f"{num(s.capacity)} t{_at(cell)} by {num(value)} t to meet its floor"
                    f"{_at(floor_cell(ix, c, k, t)) if (c, k, t) in ix.floors else ''}.")
            rows.append(("stockpile capacity", c, year(t), "", s.capacity,
                         s.capacity + value, value, "t", cell, text))
    return rows


def diagnose(instance: Instance, *, time_limit: float | None = None) -> Results:
    """The Diagnosis table for an infeasible instance."""
    ix = ModelIndex(instance)
    scenarios = scenario_data(instance)
    m = build_model(instance, scenarios, index=ix)
    make_elastic(m, ix)
    out = solve_model(m, time_limit=time_limit or instance.settings.time_limit_s,
                      mip_gap=1e-6)
    if not out.has_plan:
        rows = [("model", "", "", "", None, None, None, "", None,
                 f"The elastic re-solve found no plan either ({out.termination}); "
                 "check the workbook's limits.")]
    else:
        rows = _budget_rows(m, ix) + _unsupplied_purchases(m, ix) + _stock_rows(m, ix)
    if not rows:
        rows.append(("model", "", "", "", None, None, None, "", None,
                     "No budget, floor or capacity needs slack: the conflict lies elsewhere "
                     "(check project and purchase limits)."))
    return Results(instance.settings.title, [], [Table("Diagnosis", COLUMNS, rows)])
