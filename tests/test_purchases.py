"""Stockpile purchases that physically exist, price floors per origin, salvage at
replacement cost (MODEL.md version 2), each derived by hand in its docstring."""

from __future__ import annotations

from dataclasses import replace

import pytest
from instances import case_a, case_b

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
from models.costs import import_price
from models.factors import scenario_data
from models.index import ModelIndex
from models.stockpile import build_model, fix_first_stage
from optimizer.diagnose import diagnose
from optimizer.pipeline import solve_instance
from optimizer.solve import solve_model

GAP = 1e-7


def solved(instance: Instance):
    run = solve_instance(instance, mip_gap=GAP)
    assert run.outcome.status == "optimal", run.outcome
    return run


def plan_cost(instance: Instance, purchases: dict) -> tuple[str, float | None]:
    """Status and objective of ``instance`` with the purchases fixed."""
    m = build_model(instance, scenario_data(instance))
    fix_first_stage(m, {"b": purchases})
    out = solve_model(m, mip_gap=GAP)
    return out.status, out.objective


def one_year(**changes) -> Instance:
    """One member, one year, r = 0: demand 100 t, a 100 t/yr arc from CHN at 1,000 USD/t,
    a stockpile that may release in any year."""
    base = Instance(
        settings=Settings(first_year=2027, horizon_years=1, discount_rate=0.0,
                          release_rule="any"),
        countries=(Country("USA", True), Country("CHN", False)),
        commodities=(Commodity("ga", price=1000.0, shortage_cost=50_000.0),),
        scenarios=(Scenario("normal", 1.0),),
        demand=(Demand("USA", "ga", 1, 100.0),),
        supply=(SupplyArc("USA", "ga", "CHN", 100.0),),
        stockpiles=(Stockpile("USA", "ga"),),
    )
    return replace(base, **changes)


# ------------------------------------------------------------------ purchases in the balance


def test_purchase_in_a_cut_year_takes_from_consumers_or_is_impossible():
    """Case A with purchases fixed. 100 t in 2027 and 50 t in 2028: in `embargo` 2028 the
    stock of 100 t is released and the 50 t bought can only come from consumers (50 t
    short, 2.5), with 50 t left at the end (−0.05): 0.2 + 2.5 − 0.05 = 2.65; `normal`
    imports 150 t in 2028 and keeps 150 t: 0.2 + 0.15 − 0.15 = 0.2; in all
    0.9·0.2 + 0.1·2.65 = 0.445 > 0.2. Buying only in 2028 is impossible: the embargo
    leaves no tonne to buy (shortage cannot exceed demand) and no stock to release."""
    inst = case_a()
    status, cost = plan_cost(inst, {("USA", "ga", 1): 100.0, ("USA", "ga", 2): 50.0})
    assert status == "optimal" and cost == pytest.approx(0.445, abs=1e-9)
    status, _ = plan_cost(inst, {("USA", "ga", 2): 50.0})
    assert status == "infeasible"
    # hence the optimum buys the year before the embargo
    stock = solved(inst).results.table("Stockpiles").records()
    bought = {r["year"]: r["purchase (t)"] for r in stock}
    assert bought == pytest.approx({2027: 100.0, 2028: 0.0}, abs=1e-6)


def test_a_purchase_cannot_be_released_in_the_year_it_is_bought():
    """One year, release in any year, a 50 t floor, no initial stock. If a purchase could
    be released at once, buying 50 t and releasing them would meet the floor at no cost
    (0.1: 100 t imported). A release draws only on the stock at the start of the year
    (none), so the 50 t must come from the 100 t arc, leaving consumers 50 t short:
    0.1 + 2.5 − 0.05 (50 t kept, valued at 1,000) = 2.55."""
    run = solved(one_year(stockpiles=(Stockpile("USA", "ga", min_t=50.0),)))
    assert run.outcome.objective == pytest.approx(2.55, abs=1e-9)
    scenarios = run.results.table("Scenarios")
    assert "shortage ga (t)" in scenarios.columns  # a column only for what happens
    assert not [c for c in scenarios.columns if c.startswith("release ")]


def test_floor_reachable_only_in_a_cut_year_is_infeasible_and_diagnosed():
    """One year, a 50 t floor, and a scenario `embargo` (π = 0.1) in which CHN ships
    nothing: the purchase must be supplied in that scenario too, and consumers have no
    tonne to give (all 100 t of demand are short already). No plan exists; the diagnosis
    names the floor, the year and the scenario."""
    inst = one_year(
        scenarios=(Scenario("normal", 0.9), Scenario("embargo", 0.1)),
        shocks=(Shock("embargo", "supply", 0.0, "ga", "CHN"),),
        stockpiles=(Stockpile("USA", "ga", min_t=50.0),),
    )
    assert solve_instance(inst, mip_gap=GAP).outcome.status == "infeasible"
    table = diagnose(inst).tables[0]
    rows = table.records()
    assert [(r["requirement"], r["member"], r["year"], r["scenario"]) for r in rows] == [
        ("stockpile purchase", "USA", 2027, "embargo")]
    assert rows[0]["shortfall"] == pytest.approx(50.0, abs=1e-6)
    assert "the ga floor of 50 t in 2027" in rows[0]["finding"]
    assert "cannot be supplied in scenario 'embargo'" in rows[0]["finding"]


# ------------------------------------------------------------------ budgets


def test_budget_charges_a_purchase_at_the_scenarios_price():
    """A 100 t floor from year 1 forces a 2027 purchase (200 t arc, 100 t demand). The
    2027 budget of 0.12 MUSD pays 100 t at the baseline 1,000 USD/t (0.1), but not at
    1,500 USD/t in a scenario whose price is 1.5 times higher (0.15): infeasible."""
    calm = one_year(
        supply=(SupplyArc("USA", "ga", "CHN", 200.0),),
        stockpiles=(Stockpile("USA", "ga", min_t=100.0),),
        budgets=(Budget("USA", 1, 0.12),),
    )
    assert solved(calm).outcome.objective == pytest.approx(0.2 - 0.1, abs=1e-9)
    spike = replace(calm, scenarios=(Scenario("normal", 0.5), Scenario("spike", 0.5)),
                    shocks=(Shock("spike", "price", 1.5, "ga"),))
    assert solve_instance(spike, mip_gap=GAP).outcome.status == "infeasible"
    findings = diagnose(spike).tables[0].column("finding")
    assert any("budget short by 0.03 MUSD" in f and "'spike'" in f for f in findings)


# ------------------------------------------------------------------ floors per origin


def two_origins(aus_floor=None, chn_floor=None, commodity_floor=None) -> Instance:
    """Graphite at 1,000 USD/t; USA imports up to 60 t from CHN and 60 t from AUS for its
    100 t demand; one year, one scenario."""
    return one_year(
        countries=(Country("USA", True), Country("CHN", False), Country("AUS", False),
                   Country("MEX", True)),
        commodities=(Commodity("ga", price=1000.0, shortage_cost=50_000.0,
                               floor=commodity_floor),),
        supply=(SupplyArc("USA", "ga", "CHN", 60.0, floor=chn_floor),
                SupplyArc("USA", "ga", "AUS", 60.0, floor=aus_floor)),
        stockpiles=(),
    )


def test_supply_row_floor_raises_only_that_arcs_price():
    """A 1,200 floor on CHN only (the commodity has none): CHN's 60 t cost 1,200, AUS's
    stay at 1,000; the plan takes 60 t from AUS and 40 t from CHN:
    0.06 + 0.048 = 0.108."""
    inst = two_origins(chn_floor=1200.0)
    ix, sc = ModelIndex(inst), scenario_data(inst)[0]
    assert import_price(ix, sc, ("USA", "ga", "CHN"), 1) == 1200.0
    assert import_price(ix, sc, ("USA", "ga", "AUS"), 1) == 1000.0
    assert solved(inst).outcome.objective == pytest.approx(0.108, abs=1e-9)


def test_supply_row_floor_of_zero_exempts_the_arc():
    """Commodity floor 1,500 on non-member imports; the AUS row's floor of 0 exempts it:
    60 t from AUS at 1,000 and 40 t from CHN at 1,500: 0.06 + 0.06 = 0.12."""
    inst = two_origins(aus_floor=0.0, commodity_floor=1500.0)
    ix, sc = ModelIndex(inst), scenario_data(inst)[0]
    assert import_price(ix, sc, ("USA", "ga", "AUS"), 1) == 1000.0
    assert import_price(ix, sc, ("USA", "ga", "CHN"), 1) == 1500.0
    assert solved(inst).outcome.objective == pytest.approx(0.12, abs=1e-9)


def test_member_origin_arc_pays_its_own_floor_only():
    """Imports from a member pay no commodity floor, but a Supply-row floor on a member
    origin is paid: MEX at 1,000 (no row floor), then at 1,300 (its own floor)."""
    base = two_origins(commodity_floor=1500.0)
    free = replace(base, supply=(SupplyArc("USA", "ga", "MEX", 100.0),))
    floored = replace(base, supply=(SupplyArc("USA", "ga", "MEX", 100.0, floor=1300.0),))
    assert solved(free).outcome.objective == pytest.approx(0.1, abs=1e-9)
    assert solved(floored).outcome.objective == pytest.approx(0.13, abs=1e-9)


def test_case_b_stands_alone():
    """MODEL.md Case B: imports at the 1,500 floor: 0.15."""
    assert solved(case_b()).outcome.objective == pytest.approx(0.15, abs=1e-9)


# ------------------------------------------------------------------ salvage


def test_stock_from_a_cheap_arc_is_valued_at_that_arcs_price():
    """An arc at 900 USD/t below the world price of 1,000, no demand, an unlimited
    stockpile: valued at the world price, each tonne bought would "resell" at a profit
    of 100 USD; at the salvage price pv = min(1,000, 900) = 900 it makes none, and a
    holding cost of 1 USD/t/yr makes buying a loss: nothing is bought, objective 0."""
    inst = one_year(
        commodities=(Commodity("ga", price=1000.0, shortage_cost=50_000.0, holding_cost=1.0),),
        demand=(),
        supply=(SupplyArc("USA", "ga", "CHN", 500.0, price=900.0),),
    )
    assert ModelIndex(inst).salvage_price == {("USA", "ga"): 900.0}
    run = solved(inst)
    assert run.outcome.objective == pytest.approx(0.0, abs=1e-12)
    assert sum(run.results.table("Stockpiles").column("purchase (t)")) == pytest.approx(0.0)


def test_salvage_price_counts_arc_floors_and_never_exceeds_the_world_price():
    """pv = min(p0, min over arcs of max(p0_ako, f_cko)): CHN at 800 floored to 950 and
    AUS at 1,100 give 950; with only AUS it is the world price 1,000; without an arc too."""
    inst = one_year(
        countries=(Country("USA", True), Country("CHN", False), Country("AUS", False)),
        supply=(SupplyArc("USA", "ga", "CHN", 10.0, price=800.0, floor=950.0),
                SupplyArc("USA", "ga", "AUS", 10.0, price=1100.0)),
    )
    assert ModelIndex(inst).salvage_price[("USA", "ga")] == 950.0
    only_aus = replace(inst, supply=inst.supply[1:])
    assert ModelIndex(only_aus).salvage_price[("USA", "ga")] == 1000.0
    assert ModelIndex(replace(inst, supply=())).salvage_price[("USA", "ga")] == 1000.0
