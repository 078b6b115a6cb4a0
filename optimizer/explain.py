"""Why the plan does what it does: binding limits, projects left out, and the flows.

Tables for the report, from a solved model and the duals of the plan's LP (the
model with every integer fixed at the plan, :class:`optimizer.solve.Marginals`):

* **Limits**: every limit the planner set that binds (budgets, stockpile floors and
  capacities, release and purchase limits, import arcs, transfer capacities, unit
  limits), with its marginal value: how much the expected total cost (the objective)
  moves when the limit is raised by one unit. The duals give it for every limit; for the
  ones that matter most (the largest :data:`EXACT_LIMITS`, within :data:`EXACT_SECONDS`
  of re-solves) it is re-measured by re-solving the plan's LP with the limit moved a
  little (a dual is one subgradient and can overstate the rate where the LP is
  degenerate); a unit limit is always re-measured first (its dual is degenerate).
* **Not funded**: every eligible project the plan does not build, with a lower bound on
  the extra expected cost of building one unit of it with the rest of the plan unchanged
  (the least reduced cost over its start years: the plan's LP cost is convex in the
  units, so one unit costs at least the reduced cost), and a reason in words where a rule
  finds one.
* **Flows**: each member's balance per scenario, commodity and year (demand, imports,
  project output and input use, purchases, releases, transfers, shortage), and the
  probability-weighted expectation; **Imports**: the same rows' imports by origin (a
  column per origin would make Flows too wide to read or print).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from models.index import MUSD_PER_USD, ModelIndex
from optimizer.sheets import FIGURE, MUSD, TONNES, Table, note_table

TOL = 1e-9
EXACT_LIMITS = 40  # limits re-measured by a re-solve, the largest first
# seconds of such re-solves in all: on a model of ~1 M columns one warm re-solve can take
# seconds, and the rest keep their dual rate (a valid subgradient) once this is spent
EXACT_SECONDS = 60.0
FLOW_ROWS_CAP = 200_000  # rows of the Flows sheet before it keeps the worst scenarios only


@dataclass
class Limit:
    """One limit the planner set: raising it by ``step`` units applies ``moves``
    (``(constraint or variable, Δlower, Δupper)`` per unit)."""

    kind: str
    member: str
    commodity: str
    year: object
    value: float
    unit: str
    key: tuple = ()  # which limit: (kind-specific ids), for a reader or a test
    moves: list = field(default_factory=list)
    rate: float = 0.0  # MUSD of objective per unit of the limit
    step: float = 0.0
    exact: bool = False  # rate measured by a re-solve (not only the dual)

    @property
    def effect(self) -> float:
        """MUSD the objective moves for 1 % more of the limit (for sorting)."""
        return abs(self.rate) * 0.01 * max(abs(self.value), 1.0)


def _row_limit(limit: Limit, marg, rows, up: bool) -> Limit:
    for con in rows:
        if con in marg.rows:
            limit.moves.append((con, 0.0 if up else 1.0, 1.0 if up else 0.0))
            limit.rate += marg.rows[con]
    return limit


def _column_limit(limit: Limit, marg, columns) -> Limit:
    """Columns whose upper bound is the limit times ``per_unit`` (list of (var, per))."""
    for var, per in columns:
        rc = marg.columns.get(var)
        if rc is None:
            continue
        limit.moves.append((var, 0.0, per))
        if rc < 0:  # at its upper bound (a minimisation's reduced cost there is ≤ 0)
            limit.rate += rc * per
    return limit


def _budget_limits(m, ix: ModelIndex, marg) -> list[Limit]:
    out = []
    for i, (c, t, budget) in enumerate(ix.budgets):
        rows = [m.scenario[s].budget[i] for s in m.scenario if i in m.scenario[s].budget]
        who = "all members (ALL)" if c == "ALL" else c
        out.append(_row_limit(Limit("budget", who, "", ix.instance.settings.calendar_year(t),
                                    budget, "MUSD", key=(i,), step=1e-3), marg, rows,
                              up=True))
    return out


def _stockpile_limits(m, ix: ModelIndex, marg) -> list[Limit]:
    year = ix.instance.settings.calendar_year
    out = []
    for (c, k, t), con in m.stock_floor.items():
        out.append(_row_limit(Limit("stockpile floor", c, k, year(t), ix.floors[(c, k, t)],
                                    "t", key=(c, k, t), step=1e-3), marg, [con], up=False))
    for (c, k), s in ix.stockpiles.items():
        if s.capacity is not None:
            rows = [m.stock_capacity[c, k, t] for t in ix.years]
            limit = _row_limit(Limit("stockpile capacity", c, k, "every year", s.capacity,
                                     "t", key=(c, k), step=1e-3), marg, rows, up=True)
            room = [(m.b[c, k, t], 1.0) for t in ix.years
                    if m.b[c, k, t].ub is not None
                    and abs(m.b[c, k, t].ub - (s.capacity - s.initial)) <= 1e-9]
            out.append(_column_limit(limit, marg, room))
        if s.max_buy is not None:
            cols = [(m.b[c, k, t], 1.0) for t in ix.years
                    if m.b[c, k, t].ub is not None and abs(m.b[c, k, t].ub - s.max_buy) <= 1e-9]
            out.append(_column_limit(Limit("purchase limit", c, k, "every year", s.max_buy,
                                           "t/yr", key=(c, k), step=1e-3), marg, cols))
        if s.max_release is not None:
            cols = [(blk.release[c, k, t], 1.0) for blk in m.scenario.values()
                    for t in ix.years if (c, k, t) in blk.release
                    and abs(blk.release[c, k, t].ub - s.max_release) <= 1e-9]
            out.append(_column_limit(Limit("release limit", c, k, "every year",
                                           s.max_release, "t/yr", key=(c, k), step=1e-3),
                                     marg, cols))
    return out


def _flow_limits(m, ix: ModelIndex, marg) -> list[Limit]:
    imports, transfers = defaultdict(list), defaultdict(list)
    for blk in m.scenario.values():
        for (c, k, o, _t), var in blk.imports.items():
            cap = ix.arc_capacity[(c, k, o)]
            imports[(c, k, o)].append((var, var.ub / cap if cap > 0 else 0.0))
        for (a, b, k, _t), var in blk.transfer.items():
            transfers[(a, b, k)].append((var, 1.0))
    out = [
        _column_limit(Limit("import arc", c, k, f"from {o}, every year",
                            ix.arc_capacity[(c, k, o)], "t/yr", key=(c, k, o), step=1e-3),
                      marg, cols)
        for (c, k, o), cols in imports.items()
    ]
    out += [
        _column_limit(Limit("transfer capacity", f"{a} to {b}", k, "every year",
                            ix.transfer_arcs[(a, b, k)][0], "t/yr", key=(a, b, k),
                            step=1e-3), marg, cols)
        for (a, b, k), cols in transfers.items()
    ]
    return out


def _unit_limits(m, ix: ModelIndex, marg, deadline: float) -> list[Limit]:
    """A project built to its unit limit: the value of allowing one more unit, started
    in its best year. Measured by re-solving the plan's LP with that unit added (the
    dual alone is degenerate here: each scenario's output also carries the implied bound
    ``Q_p · U_p``, which can take the whole dual and show a rate of 0), in the year of
    the least reduced cost of ``n`` and in the earliest start year, the better of the
    two; past ``deadline`` (``time.monotonic()``) the reduced cost stands in."""
    out = []
    for p in ix.projects:
        starts = ix.start_years(p)
        built = sum(round(m.n[p.id, t].value or 0) for t in starts)
        if not starts or built < p.max_units:
            continue
        outputs = [(blk.output[p.id, t], 0.0, blk.output[p.id, t].ub / p.max_units)
                   for blk in m.scenario.values() for t in ix.producing_years(p)
                   if (p.id, t) in blk.output]
        if p.id in getattr(m, "unit_limit", {}):
            outputs.append((m.unit_limit[p.id], 0.0, 1.0))
        best = min(starts, key=lambda t: marg.columns.get(m.n[p.id, t], 0.0))
        found = None
        for t in dict.fromkeys((best, starts[0])):
            moves = [(m.n[p.id, t], 1.0, 1.0), *outputs]
            moved = marg.objective_after(moves) if time.monotonic() < deadline else None
            rate = (marg.columns.get(m.n[p.id, t], 0.0) if moved is None
                    else moved - marg.objective)
            if found is None or rate < found[0]:
                found = (rate, t, moves, moved is not None)
        rate, t, moves, exact = found
        out.append(Limit("unit limit", p.sponsor, p.output, f"project {p.id}", p.max_units,
                         "units", key=(p.id, t), moves=moves, rate=min(rate, 0.0),
                         step=1.0, exact=exact))
    return out


def _sentence(limit: Limit) -> str:
    rate = limit.rate
    lower = rate < 0
    verb = "lowers" if lower else "raises"
    who = limit.member
    if limit.kind == "budget":
        return (f"One more MUSD in the {limit.year} budget of {who} {verb} the expected "
                f"total cost by {abs(rate):,.3g} MUSD.")
    if limit.kind == "stockpile floor":
        return (f"Each tonne of {who}'s {limit.commodity} floor in {limit.year} "
                f"{'saves' if lower else 'costs'} {abs(rate) / MUSD_PER_USD:,.0f} USD of "
                "expected total cost.")
    if limit.kind == "unit limit":
        return (f"Allowing one more unit of {limit.year[len('project '):]} "
                f"{verb} the expected total cost by {abs(rate):,.3g} MUSD.")
    what = {
        "stockpile capacity": f"of {who}'s {limit.commodity} stockpile capacity",
        "purchase limit": f"per year of {who}'s {limit.commodity} purchase limit",
        "release limit": f"per year of {who}'s {limit.commodity} release limit",
        "import arc": f"per year of {who}'s {limit.commodity} import capacity "
                      f"{limit.year.split(',')[0]}",
        "transfer capacity": f"per year of {limit.commodity} transfer capacity from "
                             f"{who}",
    }[limit.kind]
    return (f"Each extra tonne {what} {verb} the expected total cost by "
            f"{abs(rate) / MUSD_PER_USD:,.0f} USD.")


def binding_limits(m, ix: ModelIndex, marg) -> list[Limit]:
    """Every binding limit, its marginal value, largest effect first; the largest
    :data:`EXACT_LIMITS` re-measured by re-solving the plan's LP with the limit moved."""
    deadline = time.monotonic() + EXACT_SECONDS
    limits = (_budget_limits(m, ix, marg) + _stockpile_limits(m, ix, marg)
              + _flow_limits(m, ix, marg) + _unit_limits(m, ix, marg, deadline))
    binding = sorted((lim for lim in limits if abs(lim.rate) > TOL),
                     key=lambda lim: -lim.effect)
    for lim in [lim for lim in binding if not lim.exact][:EXACT_LIMITS]:
        if time.monotonic() >= deadline:
            break
        step = lim.step * max(1.0, abs(lim.value))
        moved = marg.objective_after([(x, lo * step, up * step) for x, lo, up in lim.moves])
        if moved is not None:
            lim.rate, lim.exact = (moved - marg.objective) / step, True
    binding = [lim for lim in binding if abs(lim.rate) > TOL]
    binding.sort(key=lambda lim: -lim.effect)
    return binding


def limits_table(m, ix: ModelIndex, marg) -> Table:
    columns = ("limit", "member", "commodity", "applies to", "limit value", "unit",
               "marginal value", "marginal value unit", "effect of 1 % more (MUSD)",
               "what it means")
    rows = []
    for lim in binding_limits(m, ix, marg):
        per_tonne = lim.unit.startswith("t")
        value = lim.rate / MUSD_PER_USD if per_tonne else lim.rate
        unit = f"USD per {lim.unit}" if per_tonne else f"MUSD per {lim.unit.rstrip('s')}"
        rows.append((lim.kind, lim.member, lim.commodity, lim.year, lim.value, lim.unit,
                     value, unit, -lim.effect if lim.rate < 0 else lim.effect,
                     _sentence(lim)))
    return Table("Limits", columns, rows, {"limit value": FIGURE, "marginal value": FIGURE,
                                           "effect of 1 % more (MUSD)": MUSD})


# ============================================================================ not funded


def _last_disruption(ix: ModelIndex, scenarios, k: str) -> int | None:
    years = [t for sc in scenarios if sc.probability > 0 for kk, t in sc.disrupted if kk == k]
    return max(years) if years else None


def _unit_cost_per_tonne(ix: ModelIndex, p) -> float:
    """USD per tonne of one unit at full output: annuity and fixed O&M over capacity,
    plus the variable cost."""
    return ((ix.project_crf[p.id] * p.capex + p.fixed_om) / MUSD_PER_USD / p.capacity
            + p.variable_cost)


def _cheapest_import(ix: ModelIndex, c: str, k: str) -> float | None:
    prices = [max(base, ix.arc_floor.get(arc, base))
              for arc, base in ix.arc_base_price.items() if arc[:2] == (c, k)]
    return min(prices) if prices else None


def _reason(m, ix: ModelIndex, scenarios, marg, p) -> str:
    """A reason in words where a rule finds one ('' otherwise)."""
    year = ix.instance.settings.calendar_year
    starts = ix.start_years(p)
    if not starts:
        return "it cannot start inside the horizon (earliest start year)"
    first_output = starts[0] + p.lead_time
    if first_output > ix.horizon:
        return (f"its first output ({year(first_output)}) would come after the horizon "
                f"({year(ix.horizon)})")
    last = _last_disruption(ix, scenarios, p.output)
    if last is not None and first_output > last:
        return (f"its first output ({year(first_output)}) comes after the last disruption "
                f"year of {p.output} ({year(last)})")
    unit_cost = _unit_cost_per_tonne(ix, p)
    imports = _cheapest_import(ix, p.sponsor, p.output)
    if imports is not None and unit_cost > imports:
        return (f"at full output it costs {unit_cost:,.0f} USD/t, dearer than {p.sponsor}'s "
                f"imports at {imports:,.0f} USD/t (floors included)")
    budgets = [i for i, (c, t, _) in enumerate(ix.budgets)
               if c in (p.sponsor, "ALL") and t in starts and p.gov_share * p.capex > 0]
    tight = {ix.budgets[i][1] for i in budgets
             if any(marg is not None and marg.rows.get(blk.budget[i], 0.0) < -TOL
                    for blk in m.scenario.values() if i in blk.budget)}
    if tight and tight >= set(starts):
        return f"the budget it would need is already spent ({p.sponsor}, every start year)"
    return ""


def not_funded_table(m, ix: ModelIndex, scenarios, marg) -> Table:
    columns = ("project", "name", "location", "sponsor", "output", "least extra cost of "
               "one unit (MUSD)", "best start year", "reason")
    year = ix.instance.settings.calendar_year
    rows = []
    for p in ix.projects:
        starts = ix.start_years(p)
        if any(round(m.n[p.id, t].value or 0) > 0 for t in starts):
            continue
        bound, best = None, None
        if marg is not None and starts:
            costs = {t: marg.columns.get(m.n[p.id, t]) for t in starts}
            known = {t: v for t, v in costs.items() if v is not None}
            if known:
                best = min(known, key=known.get)
                bound = max(0.0, known[best])
        rows.append((p.id, p.name, p.country, p.sponsor, p.output, bound,
                     year(best) if best is not None else None,
                     _reason(m, ix, scenarios, marg, p)))
    return Table("Not funded", columns, rows,
                 {"least extra cost of one unit (MUSD)": MUSD})


# ============================================================================ flows


def _scenario_flows(blk, m, ix: ModelIndex) -> dict:
    """(member, commodity, t) → dict of flows in t for one scenario block."""
    flows: dict = defaultdict(lambda: defaultdict(float))
    demand = ix.instance.demand_table
    by_id = {p.id: p for p in ix.projects}
    for (c, k, o, t), v in blk.imports.items():
        flows[(c, k, t)][f"imports from {o}"] += v.value or 0.0
    for (pid, t), v in blk.output.items():
        p, q = by_id[pid], v.value or 0.0
        flows[(p.sponsor, p.output, t)]["project output"] += q
        if p.input is not None:
            flows[(p.sponsor, p.input, t)]["project input use"] += p.input_ratio * q
    for (c, k, t), v in blk.release.items():
        flows[(c, k, t)]["releases"] += v.value or 0.0
    for (c, k, t), v in m.b.items():
        flows[(c, k, t)]["purchases"] += v.value or 0.0
    for (a, b, k, t), v in blk.transfer.items():
        flows[(b, k, t)]["transfers in"] += v.value or 0.0
        flows[(a, k, t)]["transfers out"] += v.value or 0.0
    for (c, k, t), v in blk.shortage.items():
        flows[(c, k, t)]["shortage"] += v.value or 0.0
    for key in list(flows):
        flows[key]["demand"] = 0.0
    for (c, k, t), d in demand.items():
        if (c, k, t) in blk.balance:
            flows[(c, k, t)]["demand"] = d
    return flows


FLOWS = ("demand", "imports", "project output", "releases", "transfers in",
         "project input use", "purchases", "transfers out", "shortage")
"""The Flows sheet's flows: supply first, then uses; supply equals use on every row."""


def _imports(flows: dict) -> dict:
    """Each row's imports summed over origins, into ``imports``."""
    for f in flows.values():
        f["imports"] = sum(v for name, v in f.items() if name.startswith("imports from "))
    return flows


def _kept(scenarios, scenario_costs: dict[str, float], rows_each: int) -> tuple[list, str]:
    """The scenarios listed besides the expectation: all, or the costliest that fit in
    :data:`FLOW_ROWS_CAP` rows, with the sentence that says so."""
    keep = sorted(scenarios, key=lambda sc: -scenario_costs.get(sc.id, 0.0))
    limit = max(0, FLOW_ROWS_CAP // max(1, rows_each) - 1)
    if len(keep) <= limit:
        return keep, ""
    return keep[:limit], (f"only the expectation and the {limit} costliest of {len(keep)} "
                          "scenarios are listed (sheet size)")


def flows_tables(m, ix: ModelIndex, scenarios, scenario_costs: dict[str, float]
                 ) -> tuple[Table, Table]:
    """**Flows**: per scenario (and ``expected``), member, commodity and year, in t,
    each member's balance (:data:`FLOWS`; rows that move nothing left out); **Imports**:
    per scenario, member, commodity and origin that ships, the tonnes imported each
    year (a column per year). A workbook with more than :data:`FLOW_ROWS_CAP` rows keeps
    the expectation and the costliest scenarios, and both sheets say so in their last
    row."""
    year = ix.instance.settings.calendar_year
    per_scenario = {sc.id: _imports(_scenario_flows(m.scenario[sc.id], m, ix))
                    for sc in scenarios}
    expected: dict = defaultdict(lambda: defaultdict(float))
    for sc in scenarios:
        for key, f in per_scenario[sc.id].items():
            for name, v in f.items():
                expected[key][name] += sc.probability * v
    listed = [("expected", expected)]
    keep, note = _kept(scenarios, scenario_costs, len(expected))
    listed += [(sc.id, per_scenario[sc.id]) for sc in keep]
    columns = ("scenario", "member", "commodity", "year", *[f"{n} (t)" for n in FLOWS])
    flows = [(label, c, k, year(t), *[table[(c, k, t)].get(n, 0.0) for n in FLOWS])
             for label, table in listed for c, k, t in sorted(table)
             if any(v > TOL for v in table[(c, k, t)].values())]
    years = [year(t) for t in ix.years]
    origin_columns = ("scenario", "member", "commodity", "origin",
                      *[f"{y} (t)" for y in years])
    imports = []
    for label, table in listed:
        shipped: dict = defaultdict(dict)
        for (c, k, t), f in table.items():
            for name, v in f.items():
                if name.startswith("imports from ") and v > TOL:
                    shipped[(c, k, name[len("imports from "):])][t] = v
        imports += [(label, c, k, o, *[by_year.get(t, 0.0) for t in ix.years])
                    for (c, k, o), by_year in sorted(shipped.items())]
    for rows, cols in ((flows, columns), (imports, origin_columns)):
        if note:
            rows.append((note,) + ("",) * (len(cols) - 1))
    return (Table("Flows", columns, flows, {name: TONNES for name in columns[4:]}),
            Table("Imports", origin_columns, imports,
                  {name: TONNES for name in origin_columns[4:]}))


# ============================================================================ all three

NO_MARGINALS = ("no marginal values: the plan's LP (the model with the plan's integers "
                "fixed) did not solve to optimality")


def explain_tables(m, ix: ModelIndex, scenarios, marg, scenario_costs: dict[str, float]
                   ) -> list[Table]:
    """Not funded, Flows, Imports and Limits of a solved model; ``marg`` the plan LP's
    :class:`~optimizer.solve.Marginals` (``None``: Not funded has no bounds and Limits
    says why it is empty)."""
    limits = limits_table(m, ix, marg) if marg is not None else note_table("Limits",
                                                                            NO_MARGINALS)
    return [not_funded_table(m, ix, scenarios, marg),
            *flows_tables(m, ix, scenarios, scenario_costs), limits]
