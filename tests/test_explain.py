"""Limits, Not funded and Flows against re-solves: marginal values are what moving a
limit really does, the lower bound of a project left out is never above what building it
costs, and every balance adds up."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pyomo.environ as pyo
import pytest
from instances import case_b, small_case

from instance import Instance
from models.factors import scenario_data
from models.index import ModelIndex
from models.stockpile import build_model, first_stage_plan
from optimizer.explain import binding_limits, flows_tables, not_funded_table
from optimizer.io import read_instance
from optimizer.solve import solve_model

CASES = Path(__file__).parent / "data" / "cases"
GAP = 1e-9


def solved(instance: Instance, *, fix: dict | None = None, force=None):
    """The model solved (with the plan's integers fixed to ``fix``; ``force`` = a project
    id that must get at least one unit) and its outcome."""
    ix = ModelIndex(instance)
    scenarios = scenario_data(instance)
    m = build_model(instance, scenarios, index=ix)
    for name in ("n", "z"):
        for key, var in getattr(m, name).items():
            if fix is not None:
                var.fix(round(fix[name].get(key, 0)))
    if force is not None:
        m.forced = pyo.Constraint(expr=sum(v for (p, _), v in m.n.items() if p == force) >= 1)
    return m, ix, scenarios, solve_model(m, mip_gap=GAP, marginals=True)


def budgets_case() -> Instance:
    return read_instance(CASES / "case_budgets.xlsx").instance


def raised(inst: Instance, ix: ModelIndex, lim, step: float) -> Instance | None:
    """The workbook with one limit raised by ``step`` (None: a kind not moved here)."""
    if lim.kind == "budget":
        (i,) = lim.key
        return replace(inst, budgets=tuple(replace(b, musd=b.musd + step) if j == i else b
                                           for j, b in enumerate(inst.budgets)))
    if lim.kind == "stockpile floor" and all(s.min_days is None for s in inst.stockpiles):
        c, k, _ = lim.key
        return replace(inst, stockpiles=tuple(
            replace(s, min_t=s.min_t + step) if (s.country, s.commodity) == (c, k) else s
            for s in inst.stockpiles))
    if lim.kind == "import arc":
        return replace(inst, supply=tuple(
            replace(a, max_t_per_yr=a.max_t_per_yr + step)
            if (a.country, a.commodity, a.origin) == lim.key else a for a in inst.supply))
    if lim.kind == "transfer capacity":
        a, b, k = lim.key
        rows = []
        for row in inst.transfers:  # a `*` row becomes one row per commodity
            ks = [x.id for x in inst.commodities] if row.commodity == "*" else [row.commodity]
            for kk in ks:
                more = step if (row.from_country, row.to_country, kk) == (a, b, k) else 0.0
                rows.append(replace(row, commodity=kk, max_t_per_yr=row.max_t_per_yr + more))
        return replace(inst, transfers=tuple(rows))
    return None


@pytest.mark.parametrize("make", [budgets_case, small_case])
def test_limit_marginal_values_match_finite_differences(make):
    """Raise each binding limit a little, re-solve with the plan's integers fixed: the
    cost moves by the marginal value (to 1e-5 relative); raised by a whole MUSD or tonne
    it moves by at least that much (the plan's LP cost is convex in a limit)."""
    inst = make()
    m, ix, _, out = solved(inst)
    plan = first_stage_plan(m)
    checked = 0
    for lim in binding_limits(m, ix, out.marginals):
        if raised(inst, ix, lim, 1.0) is None:
            continue
        for step, exact in ((1e-4, True), (1.0, False)):
            _, _, _, again = solved(raised(inst, ix, lim, step), fix=plan)
            change = (again.objective - out.objective) / step
            if exact:
                assert change == pytest.approx(lim.rate, rel=1e-5, abs=1e-7), lim
            else:
                assert change >= lim.rate - 1e-7, lim
        checked += 1
    assert checked >= 3


def test_budgets_case_marginal_values_by_hand():
    """case_budgets: the ALL row binds in `glut` (π = 0.5) and one more MUSD there lets
    MEX make 166.67 t more at 6,000 USD/t of support, replacing imports: 0.25 MUSD
    (the value of coordination's −0.25 is this row). The USA floor of 100 t costs
    18,467 USD a tonne."""
    m, ix, _, out = solved(budgets_case())
    rates = {(lim.kind, lim.member): lim.rate for lim in binding_limits(m, ix, out.marginals)}
    assert rates[("budget", "all members (ALL)")] == pytest.approx(-0.25, abs=1e-7)
    assert rates[("stockpile floor", "USA")] * 1e6 == pytest.approx(18466.67, abs=0.01)


@pytest.fixture(scope="module")
def demo_left_out():
    inst = read_instance(CASES / "us_mexico_demo.xlsx").instance
    m, ix, scenarios, out = solved(inst)
    return inst, m, out, not_funded_table(m, ix, scenarios, out.marginals)


def test_not_funded_bound_is_never_above_the_cost_of_building_one_unit(demo_left_out):
    """For projects the plan leaves out: force one unit and re-solve, with the rest of
    the plan's investments fixed (each) and with everything free again (the first two);
    the extra cost is never below the table's lower bound."""
    inst, m, out, table = demo_left_out
    plan = first_stage_plan(m)
    assert len(table.rows) >= 3, "the case should leave projects out"
    for i, row in enumerate(table.records()):
        bound, project = row["least extra cost of one unit (MUSD)"], row["project"]
        m2 = build_model(inst, scenario_data(inst))
        for key, var in m2.n.items():
            if key[0] != project:
                var.fix(round(plan["n"].get(key, 0)))
        for key, var in m2.z.items():
            var.fix(round(plan["z"].get(key, 0)))
        m2.forced = pyo.Constraint(expr=sum(v for (p, _), v in m2.n.items()
                                            if p == project) >= 1)
        rest_fixed = solve_model(m2, mip_gap=GAP)
        if rest_fixed.status != "infeasible":  # infeasible: no unit can be built at all
            assert rest_fixed.objective - out.objective >= bound - 1e-6, row
        if i < 2:
            _, _, _, free = solved(inst, force=project)
            if free.status != "infeasible":
                assert free.objective - out.objective >= bound - 1e-6 * out.objective, row


def test_not_funded_by_hand():
    """Case B with its project at 1,600 USD/t, dearer than imports at the 1,500 floor:
    not built (0.15). Forcing one unit costs its capex, 0.01 (it need not run): the
    bound is exactly that, and the reason says it is dearer than imports."""
    from instances import case_b

    base = case_b(with_project=True)
    inst = replace(base, projects=(replace(base.projects[0], variable_cost=1600.0),))
    m, ix, scenarios, out = solved(inst)
    assert out.objective == pytest.approx(0.15, abs=1e-9)
    (row,) = not_funded_table(m, ix, scenarios, out.marginals).records()
    assert row["project"] == "dom"
    assert row["least extra cost of one unit (MUSD)"] == pytest.approx(0.01, abs=1e-9)
    assert "dearer than USA's imports at 1,500 USD/t" in row["reason"]
    _, _, _, forced = solved(inst, force="dom")
    assert forced.objective - out.objective == pytest.approx(0.01, abs=1e-9)


def test_not_funded_gives_reasons(demo_left_out):
    reasons = demo_left_out[3].column("reason")
    assert any("dearer than" in r for r in reasons)


@pytest.mark.parametrize("name", ["case_chain.xlsx", "case_transfers.xlsx",
                                  "case_purchase_timing.xlsx"])
def test_flows_balance_and_expectation(name):
    """Every (scenario, member, commodity, year): imports + output + releases +
    transfers in + shortage = demand + input use + purchases + transfers out (1e-6 t);
    the expected rows are the probability-weighted scenario rows; the Imports sheet's
    rows by origin add up to each row's imports, and every origin that ships is there."""
    inst = read_instance(CASES / name).instance
    m, ix, scenarios, _ = solved(inst)
    table, by_origin = flows_tables(m, ix, scenarios, {})
    uses = [f"{n} (t)" for n in ("demand", "project input use", "purchases", "transfers out")]
    sources = [f"{n} (t)" for n in ("imports", "project output", "releases", "transfers in",
                                    "shortage")]
    weights = {sc.id: sc.probability for sc in scenarios}
    weighted = defaultdict(lambda: defaultdict(float))
    expected = {}
    for row in table.records():
        assert sum(row[c] for c in sources) == pytest.approx(sum(row[c] for c in uses),
                                                             abs=1e-6), row
        key = (row["member"], row["commodity"], row["year"])
        flows = {c: v for c, v in row.items() if c.endswith("(t)")}
        if row["scenario"] == "expected":
            expected[key] = flows
        else:
            for c, v in flows.items():
                weighted[key][c] += weights[row["scenario"]] * v
    assert set(expected) == set(weighted)
    for key, values in expected.items():
        assert values == pytest.approx(dict(weighted[key]), abs=1e-6)
    imported = defaultdict(float)
    for row in by_origin.records():
        for name, v in row.items():
            if name.endswith(" (t)"):
                year = int(name[:-len(" (t)")])
                imported[(row["scenario"], row["member"], row["commodity"], year)] += v
    ships = {(sc.id, c, k, ix.instance.settings.calendar_year(t)): v.value
             for sc in scenarios for (c, k, _o, t), v in m.scenario[sc.id].imports.items()
             if v.value > 1e-6}
    assert ships, "the case should import something"
    for row in table.records():
        key = (row["scenario"], row["member"], row["commodity"], row["year"])
        assert imported.get(key, 0.0) == pytest.approx(row["imports (t)"], abs=1e-6), key


def test_unit_limit_value_is_one_more_unit_resolved():
    """Case B with the project capped at one unit and 300 t of demand: each unit makes
    100 t at 1,200 USD/t for 0.01 MUSD of capital, replacing imports at the floor of
    1,500 USD/t, so one more unit saves 100 · 300 USD − 0.01 MUSD = 0.02 MUSD; with a cap
    of two the optimum is exactly that much lower. (The dual alone gives 0 here: the
    output's implied bound Q·U takes it.)"""
    def capped(units: int) -> Instance:
        b = case_b(with_project=True)
        return replace(b, demand=(replace(b.demand[0], tonnes=300.0),),
                       supply=(replace(b.supply[0], max_t_per_yr=300.0),),
                       projects=(replace(b.projects[0], max_units=units),))

    m, ix, _, out = solved(capped(1))
    (lim,) = [lim for lim in binding_limits(m, ix, out.marginals) if lim.kind == "unit limit"]
    assert lim.rate == pytest.approx(-0.02, abs=1e-9)
    *_, more = solved(capped(2))
    assert more.objective - out.objective == pytest.approx(lim.rate, abs=1e-9)
