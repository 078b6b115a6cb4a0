"""Small instances built in Python (no workbook): MODEL.md's cases and a two-member case."""

from __future__ import annotations

from instance import (
    Budget,
    Commodity,
    Country,
    Demand,
    Instance,
    Project,
    Scenario,
    Settings,
    Shock,
    Stockpile,
    SupplyArc,
    Transfer,
)


def case_a(**settings) -> Instance:
    """MODEL.md Case A (version 2): one member, one commodity, two years, r = 0; demand
    100 t a year, a 200 t/yr arc from CHN, an embargo on CHN in year 2 only."""
    return Instance(
        settings=Settings(first_year=2027, horizon_years=2, discount_rate=0.0, **settings),
        countries=(Country("USA", True), Country("CHN", False)),
        commodities=(Commodity("ga", price=1000.0, shortage_cost=50_000.0),),
        scenarios=(Scenario("normal", 0.9), Scenario("embargo", 0.1)),
        demand=(Demand("USA", "ga", 1, 100.0), Demand("USA", "ga", 2, 100.0)),
        supply=(SupplyArc("USA", "ga", "CHN", 200.0),),
        stockpiles=(Stockpile("USA", "ga"),),
        shocks=(Shock("embargo", "supply", 0.0, "ga", "CHN", start=2, end=2),),
    )


def case_b(with_project: bool = False) -> Instance:
    """MODEL.md Case B: one year, demand 100 t, a 100 t/yr arc from a non-member, a floor
    of 1,500 USD/t on the commodity, no stockpile, one scenario."""
    projects = ()
    if with_project:
        projects = (Project("dom", "USA", "USA", "ga", capacity=100.0, capex=0.01, life=1,
                            variable_cost=1200.0),)
    return Instance(
        settings=Settings(first_year=2027, horizon_years=1, discount_rate=0.0),
        countries=(Country("USA", True), Country("CHN", False)),
        commodities=(Commodity("ga", price=1000.0, shortage_cost=50_000.0, floor=1500.0),),
        scenarios=(Scenario("normal", 1.0),),
        demand=(Demand("USA", "ga", 1, 100.0),),
        supply=(SupplyArc("USA", "ga", "CHN", 100.0),),
        projects=projects,
    )


def small_case() -> Instance:
    """Two members, two years, a project, a stockpile, a transfer arc and a budget."""
    return Instance(
        settings=Settings(first_year=2030, horizon_years=2, discount_rate=0.05),
        countries=(Country("USA", True), Country("MEX", True), Country("CHN", False)),
        commodities=(
            Commodity("li", price=10_000.0, shortage_cost=60_000.0, holding_cost=100.0),
            Commodity("sb", price=40_000.0, shortage_cost=200_000.0, floor=45_000.0),
        ),
        scenarios=(Scenario("base", 0.7), Scenario("ban", 0.3)),
        demand=tuple(
            Demand(c, k, t, d)
            for c, k, d in (("USA", "li", 500.0), ("MEX", "li", 200.0), ("USA", "sb", 50.0))
            for t in (1, 2)
        ),
        supply=(
            SupplyArc("USA", "li", "CHN", 600.0),
            SupplyArc("MEX", "li", "CHN", 300.0, price=9_500.0),
            SupplyArc("USA", "sb", "CHN", 60.0),
        ),
        projects=(
            Project("mx_li", "MEX", "MEX", "li", capacity=300.0, capex=2.0, life=10,
                    variable_cost=7_000.0, max_units=2),
        ),
        stockpiles=(Stockpile("USA", "sb", capacity=200.0, min_t=10.0),),
        transfers=(Transfer("MEX", "USA", "*", 200.0, 100.0),),
        budgets=(Budget("USA", 1, 5.0), Budget("MEX", 1, 3.0)),
        shocks=(
            Shock("ban", "supply", 0.2, "*", "CHN", start=2),
            Shock("ban", "price", 1.5, "li", "*", start=2),
        ),
    )


def hedging_case(**settings) -> Instance:
    """A stockpile that does not pay on average but cuts the worst case: two years,
    r = 0, 100 t of demand in year 2, a CHN arc of 200 t/yr at 1,000 USD/t, an embargo on
    CHN in year 2 with probability 0.1, shortage at 5,000 USD/t and holding at 1,000
    USD/t/yr (stock left at the end keeps its 1,000 USD/t)."""
    return Instance(
        settings=Settings(first_year=2030, horizon_years=2, discount_rate=0.0, **settings),
        countries=(Country("USA", True), Country("CHN", False)),
        commodities=(Commodity("ga", price=1000.0, shortage_cost=5000.0, holding_cost=1000.0),),
        scenarios=(Scenario("normal", 0.9), Scenario("embargo", 0.1)),
        demand=(Demand("USA", "ga", 2, 100.0),),
        supply=(SupplyArc("USA", "ga", "CHN", 200.0),),
        stockpiles=(Stockpile("USA", "ga"),),
        shocks=(Shock("embargo", "supply", 0.0, "ga", "CHN", start=2),),
    )


def budget_spike_case() -> Instance:
    """No plan that is optimal for the average scenario survives every scenario: one year,
    r = 0, 100 t of demand, a floor of 100 t (bought in year 1 at the scenario's price),
    a 0.31 MUSD budget, and a plant (100 t at 500 USD/t, 0.02 MUSD, life 1). On average
    (2,000 USD/t) the plant saves 0.15 MUSD, so the EV plan builds it; in `spike`
    (3,000 USD/t) the floor's 100 t cost 0.3 MUSD, and with the plant's 0.02 the budget
    breaks. RP builds nothing: 0.5·(0.1 + 0.1) + 0.5·(0.3 + 0.3) − 0.1 (the 100 t left,
    valued at 1,000 USD/t) = 0.3 MUSD."""
    return Instance(
        settings=Settings(first_year=2030, horizon_years=1, discount_rate=0.0),
        countries=(Country("USA", True), Country("CHN", False)),
        commodities=(Commodity("ga", price=1000.0, shortage_cost=50_000.0),),
        scenarios=(Scenario("normal", 0.5), Scenario("spike", 0.5)),
        demand=(Demand("USA", "ga", 1, 100.0),),
        supply=(SupplyArc("USA", "ga", "CHN", 300.0),),
        projects=(Project("dom", "USA", "USA", "ga", capacity=100.0, capex=0.02, life=1,
                          variable_cost=500.0),),
        stockpiles=(Stockpile("USA", "ga", min_t=100.0),),
        budgets=(Budget("USA", 1, 0.31),),
        shocks=(Shock("spike", "price", 3.0, "ga", "*"),),
    )


def twin_years(*shocks: Shock) -> Instance:
    """One member, two years, an import arc and a domestic plant, two scenarios: with no
    shock, each year's block is the same in both scenarios."""
    return Instance(
        settings=Settings(first_year=2030, horizon_years=2, discount_rate=0.0),
        countries=(Country("USA", True), Country("CHN", False)),
        commodities=(Commodity("ga", price=1000.0, shortage_cost=5000.0),),
        scenarios=(Scenario("calm", 0.6), Scenario("stress", 0.4)),
        demand=(Demand("USA", "ga", 1, 100.0), Demand("USA", "ga", 2, 100.0)),
        supply=(SupplyArc("USA", "ga", "CHN", 80.0),),
        projects=(Project("dom", "USA", "USA", "ga", capacity=50.0, capex=0.01, life=1,
                          variable_cost=900.0),),
        shocks=shocks,
    )
