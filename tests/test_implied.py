"""The budget rows every scenario implies for the plan (models.implied): kept by every
feasible plan, and they stop a model of some scenarios from choosing a plan that breaks
a budget in the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from generated import instances
from hypothesis import HealthCheck, given, settings
from workbooks import case_path

from instance import (
    Budget,
    Commodity,
    Country,
    Demand,
    Instance,
    Scenario,
    Settings,
    Shock,
    Stockpile,
    SupplyArc,
)
from models.factors import alone, scenario_data
from models.implied import add_budget_implications, budget_implications
from models.index import ModelIndex
from models.stockpile import build_model, first_stage_plan, fix_first_stage
from optimizer.pipeline import load
from optimizer.solve import solve_model

GAP = 1e-7


def price_spike() -> Instance:
    """One member, two years, r = 0: demand of ga only in year 2 (365 t) and a floor of
    500 days of it (500 t in year 2, none in year 1), nothing held at the start, a
    1,000 t/yr arc at 1,000 USD/t, holding 100 USD/t a year, a budget of 1 MUSD a year.
    In ``spike`` (π = 0.1) the price is 3,000 USD/t in year 2, so buying the 500 t in
    year 2 costs 1.5 MUSD there: over budget. Alone, ``normal`` buys in year 2 (it saves
    the year of holding, 0.05 MUSD). In ``spike`` the stock of year 2 is at least its
    purchase b2 (a release draws only on b1, held at the start of the year), so year 2
    spends at least (3,000 + 100) USD/t · b2: b2 ≤ 1 / 0.0031 = 322.58 t."""
    return Instance(
        settings=Settings(first_year=2027, horizon_years=2, discount_rate=0.0),
        countries=(Country("USA", True), Country("CHN", False)),
        commodities=(Commodity("ga", price=1000.0, shortage_cost=50_000.0,
                               holding_cost=100.0),),
        scenarios=(Scenario("normal", 0.9), Scenario("spike", 0.1)),
        supply=(SupplyArc("USA", "ga", "CHN", 1000.0),),
        demand=(Demand("USA", "ga", 2, 365.0),),
        stockpiles=(Stockpile("USA", "ga", min_days=500.0),),
        budgets=(Budget("USA", 1, 1.0), Budget("USA", 2, 1.0)),
        shocks=(Shock("spike", "price", 3.0, "ga", "*", start=2, end=2),),
    )


def plan_alone(instance: Instance, which: str, *, implied: bool) -> dict:
    """The plan of the model of scenario ``which`` alone, with or without the rows of
    every scenario."""
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    sc = next(s for s in scenarios if s.id == which)
    m = build_model(instance, [alone(sc)], index=ix)
    if implied:
        add_budget_implications(m, budget_implications(ix, scenarios, m))
    assert solve_model(m, mip_gap=GAP).status == "optimal"
    return first_stage_plan(m)


def status_in(instance: Instance, which: str, plan: dict) -> str:
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    m = build_model(instance, [alone(next(s for s in scenarios if s.id == which))], index=ix)
    fix_first_stage(m, plan)
    return solve_model(m, mip_gap=GAP).status


def test_a_plan_of_one_scenario_keeps_the_budget_of_the_others():
    instance = price_spike()
    without = plan_alone(instance, "normal", implied=False)
    assert without["b"][("USA", "ga", 2)] == pytest.approx(500.0)
    assert status_in(instance, "spike", without) == "infeasible"
    with_rows = plan_alone(instance, "normal", implied=True)
    assert with_rows["b"][("USA", "ga", 2)] == pytest.approx(1.0 / 0.0031)
    assert with_rows["b"][("USA", "ga", 1)] == pytest.approx(500.0 - 1.0 / 0.0031)
    assert status_in(instance, "spike", with_rows) == "optimal"


def test_rows_carry_purchases_at_the_scenario_price_and_the_holding():
    """Year 2's rows, by hand, in MUSD per tonne against the budget of 1 MUSD:
    ``normal`` pays 1,000 USD/t for b2 and holds b1 + b2 (no release is possible: no
    disruption), 100 USD/t a year. ``spike`` pays 3,000 USD/t for b2 and may release in
    year 2 (its price shock makes it a disruption year): it holds at least b2 (a release
    draws on the stock at the start of the year), and at least b1 − 365 t (a release
    goes to the year's demand, or buys back b2)."""
    instance = price_spike()
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    m = build_model(instance, scenarios, index=ix)
    year2 = set()
    for coefs, keys, rhs in budget_implications(ix, scenarios, m):
        terms = dict(zip(keys, coefs, strict=True))
        if ("b", ("USA", "ga", 2)) in terms:
            year2.add((round(terms[("b", ("USA", "ga", 2))], 9),
                       round(terms.get(("b", ("USA", "ga", 1)), 0.0), 9), round(rhs, 9)))
    assert year2 == {(1.1e-3, 1e-4, 1.0), (3.1e-3, 0.0, 1.0), (3e-3, 1e-4, 1.0365)}


EXAMPLE = Path(__file__).parent.parent / "inputs" / "north_america.xlsx"


@pytest.mark.parametrize("path", [case_path("case_budgets.xlsx"), case_path("us_mexico_demo.xlsx"),
                                  case_path("case_purchase_timing.xlsx"), EXAMPLE],
                         ids=lambda p: p.stem)
def test_the_optimal_plan_keeps_every_row(path):
    """The rows are implied: the optimum of the full problem keeps every one of them
    (on the example, some hold with equality), and adding them leaves the optimum where
    it was."""
    instance, _ = load(path)
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    m = build_model(instance, scenarios, index=ix)
    before = solve_model(m, mip_gap=GAP)
    assert before.status == "optimal"
    rows = budget_implications(ix, scenarios, m)
    tight = 0
    for coefs, keys, rhs in rows:
        spend = sum(a * m.component(name)[index].value for a, (name, index) in
                    zip(coefs, keys, strict=True))
        assert spend <= rhs + 1e-6 * max(1.0, abs(rhs))
        tight += spend >= rhs - 1e-6 * max(1.0, abs(rhs))
    assert tight > 0 or path != EXAMPLE
    m2 = build_model(instance, scenarios, index=ix)
    add_budget_implications(m2, budget_implications(ix, scenarios, m2))
    after = solve_model(m2, mip_gap=GAP)
    assert after.objective == pytest.approx(before.objective, rel=1e-6)


def test_repair_moves_purchases_to_keep_every_budget():
    """The plan of ``normal`` alone (500 t in year 2) breaks ``spike``'s budget. The
    nearest purchases that keep it, by hand: b2 ≤ 1 / 0.0031 = 322.58 t (spike's year 2:
    3,000 USD/t plus the holding of at least b2), and the floor needs b1 + b2 ≥ 500 t,
    so b1 = 177.42 t; that plan has recourse in both scenarios."""
    from optimizer.ph.repair import PurchaseRepair

    instance = price_spike()
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    plan = plan_alone(instance, "normal", implied=False)
    bought = PurchaseRepair(ix, scenarios).purchases(plan)
    assert bought[("USA", "ga", 2)] == pytest.approx(1.0 / 0.0031)
    assert bought[("USA", "ga", 1)] == pytest.approx(500.0 - 1.0 / 0.0031)
    repaired = {**plan, "b": bought}
    assert status_in(instance, "spike", repaired) == "optimal"
    assert status_in(instance, "normal", repaired) == "optimal"


def test_repair_says_when_no_purchases_keep_the_budgets():
    """A budget of 0.2 MUSD a year cannot buy the 500 t floor at 1,000 USD/t: 0.5 MUSD
    however it is spread, against 0.4 over the two years: no purchases, ``None``."""
    from dataclasses import replace

    from optimizer.ph.repair import PurchaseRepair

    instance = replace(price_spike(), budgets=(Budget("USA", 1, 0.2), Budget("USA", 2, 0.2)))
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    assert PurchaseRepair(ix, scenarios).purchases(
        {"n": {}, "z": {}, "b": {("USA", "ga", 2): 500.0}}) is None


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instance=instances())
def test_every_row_holds_at_the_optimum_of_any_workbook(instance):
    """On any valid workbook that has an optimum, that optimal plan keeps every row: the
    rows are implied by the model, whatever its releases, transfers and prices."""
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    m = build_model(instance, scenarios, index=ix)
    out = solve_model(m, mip_gap=1e-6, time_limit=20)
    if not out.has_plan:
        return
    for coefs, keys, rhs in budget_implications(ix, scenarios, m):
        spend = sum(a * (m.component(name)[index].value or 0.0) for a, (name, index) in
                    zip(coefs, keys, strict=True))
        assert spend <= rhs + 1e-6 * max(1.0, abs(rhs)), (keys, coefs, rhs)
