"""The report reads the model's cost expressions: it computes no cost of its own."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from instances import small_case

from models import costs
from models.factors import scenario_data
from models.index import MUSD_PER_USD, ModelIndex
from models.stockpile import build_model
from optimizer.plan_tables import member_rows
from optimizer.results import extract
from optimizer.solve import solve_model

GAP = 1e-7


def solved(instance):
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    m = build_model(instance, scenarios, index=ix)
    out = solve_model(m, mip_gap=GAP)
    assert out.status == "optimal"
    results = extract(m, ix, scenarios, status=out.status, objective=out.objective,
                      bound=out.bound, gap=out.gap, build_seconds=0.0, solve_seconds=0.0)
    return m, ix, scenarios, out, results


def cost_rows(results) -> dict[str, float]:
    return {row["cost"]: row["MUSD (discounted, expected)"]
            for row in results.table("Costs").records()}


def test_report_follows_a_cost_coefficient_changed_in_the_model_only(monkeypatch):
    """Triple the import price where the model builds its import cost: the report's
    imports row is the tripled cost of the plan's imports, and the rows still add up to
    the objective (a report that priced imports itself would show the old price)."""
    price = costs.import_price
    monkeypatch.setattr(costs, "import_price", lambda ix, sc, arc, t: 3 * price(ix, sc, arc, t))
    m, ix, scenarios, out, results = solved(small_case())
    rows = cost_rows(results)
    tripled = sum(
        sc.probability * ix.delta[t] * 3 * price(ix, sc, (c, k, o), t) * MUSD_PER_USD
        * m.scenario[sc.id].imports[c, k, o, t].value
        for sc in scenarios
        for (c, k, o, t) in m.scenario[sc.id].imports
    )
    assert tripled > 0
    assert rows["imports"] == pytest.approx(tripled, rel=1e-9)
    assert sum(rows.values()) == pytest.approx(out.objective, rel=1e-9)


def test_cost_terms_add_up_to_the_objective_and_to_each_member():
    m, ix, scenarios, out, results = solved(small_case())
    assert sum(cost_rows(results).values()) == pytest.approx(out.objective, rel=1e-9)
    members = {row["member"]: row for row in member_rows(results.table("Members"))}
    assert set(members) == set(ix.members)
    assert sum(r["first-stage cost (MUSD)"] for r in members.values()) == pytest.approx(
        results.value("first_stage_cost_musd"), rel=1e-9)
    assert sum(r["expected scenario cost (MUSD)"] for r in members.values()) == pytest.approx(
        results.value("expected_scenario_cost_musd"), rel=1e-9)


def test_programme_spend_is_the_budget_rows_spend():
    """The Summary's programme spend is the probability-weighted sum of the model's
    spend expressions over members and years, and a member's budget row caps exactly
    its spend expression (one definition for both)."""
    m, ix, scenarios, out, results = solved(small_case())
    spend = {(c, t): 0.0 for c in ix.members for t in ix.years}
    for sc in scenarios:
        for (c, t), expr in m.scenario[sc.id].spend.items():
            spend[(c, t)] += sc.probability * pyo.value(expr)
    assert sum(spend.values()) > 0
    assert results.value("expected_programme_spend_musd") == pytest.approx(
        sum(spend.values()), rel=1e-9)
    for i, (c, t, _budget) in enumerate(ix.budgets):
        if c != "ALL":
            for sc in scenarios:
                assert pyo.value(m.scenario[sc.id].budget[i].body) == pytest.approx(
                    pyo.value(m.scenario[sc.id].spend[c, t]), abs=1e-12)
