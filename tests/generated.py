"""A hypothesis strategy for valid instances: every sheet, every rule of WORKBOOK.md kept
(references, unique keys, ranges, probabilities summing to 1, floors within capacity,
transfers between two members, shock places that fit their kind), with numbers a workbook
holds exactly (at most 15 significant digits, as Excel keeps)."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from instance import (
    ALL,
    WILDCARD,
    Budget,
    Commodity,
    Country,
    Demand,
    Instance,
    Project,
    Risk,
    Scenario,
    Settings,
    Shock,
    Stockpile,
    SupplyArc,
    Transfer,
)

IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8)
CODES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=4).filter(
    lambda s: s != ALL)
TEXT = st.text(alphabet="abcdefghij KLMNOP-0123.,", max_size=20).map(str.strip)


def amount(low: float = 0.0, high: float = 1e9, *, above: bool = False):
    """A number in [low, high] (above low when ``above``), a decimal with up to four
    places and at most 14 digits."""

    @st.composite
    def make(draw):
        for places in range(draw(st.integers(0, 4)), 5):  # more places if none fit
            scale = 10**places
            first = math.floor(low * scale) + 1 if above else math.ceil(low * scale)
            last = math.floor(high * scale)
            if first <= last:
                return float(f"{draw(st.integers(first, last))}e-{places}")
        raise ValueError(f"no number with four places in ({low}, {high}]")

    return make()


def optional(strategy):
    return st.none() | strategy


@st.composite
def settings(draw) -> Settings:
    return Settings(
        first_year=draw(st.integers(1990, 2100)),
        horizon_years=draw(st.integers(1, 5)),
        title=draw(TEXT.filter(bool)),
        discount_rate=draw(amount(0, 1)),
        coordination=draw(st.sampled_from(["coordinated", "independent"])),
        risk_weight=draw(amount(0, 1)),
        cvar_alpha=draw(amount(0, 0.9999, above=True)),
        mip_gap=draw(amount(0, 1)),
        time_limit_s=draw(amount(0, 1e5, above=True)),
        release_rule=draw(st.sampled_from(["disruption", "any"])),
        sampled_from=draw(optional(TEXT.filter(bool))),
        sample_seed=draw(optional(st.integers(-(10**9), 10**9))),
    )


def _unique(draw, strategy, low, high):
    return draw(st.lists(strategy, min_size=low, max_size=high, unique=True))


@st.composite
def projects(draw, countries, members, commodities, years) -> tuple[Project, ...]:
    out = []
    for pid in _unique(draw, IDS, 0, 3):
        output = draw(st.sampled_from(commodities))
        others = [k for k in commodities if k != output]
        inp = draw(optional(st.sampled_from(others))) if others else None
        out.append(Project(
            id=pid, country=draw(st.sampled_from(countries)),
            sponsor=draw(st.sampled_from(members)), output=output,
            capacity=draw(amount(0, 1e6, above=True)), capex=draw(amount(0, 1e4)),
            max_units=draw(st.integers(1, 4)), input=inp,
            input_ratio=draw(amount(0, 10, above=True)) if inp else 0.0,
            fixed_om=draw(amount(0, 100)), variable_cost=draw(amount(0, 1e5)),
            lead_time=draw(st.integers(0, 4)), life=draw(st.integers(1, 40)),
            earliest_start=draw(optional(st.integers(-2, years + 2))),
            gov_share=draw(amount(0, 1)), eligible=draw(st.booleans()),
            name=draw(TEXT), stage=draw(TEXT), note=draw(TEXT),
        ))
    return tuple(out)


@st.composite
def stockpiles(draw, members, stockpilable, demand) -> tuple[Stockpile, ...]:
    out = []
    pairs = [(c, k) for c in members for k in stockpilable]
    for c, k in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=3)) if pairs else []:
        capacity = draw(optional(amount(0, 1e6, above=True)))
        fee = draw(amount(0, 100)) if capacity is not None else 0.0
        top = capacity if capacity is not None else 1e6
        peak = max((d.tonnes for d in demand if (d.country, d.commodity) == (c, k)),
                   default=0.0)
        out.append(Stockpile(
            country=c, commodity=k,
            initial=0.0 if fee > 0 else draw(amount(0, top)),
            capacity=capacity, min_t=draw(optional(amount(0, top))),
            # a floor in days must fit the capacity at peak demand
            min_days=None if capacity is not None and peak > 0 else draw(optional(
                amount(0, 365))),
            max_buy=draw(optional(amount(0, 1e6))), max_release=draw(optional(amount(0, 1e6))),
            facility_cost=fee,
        ))
    return tuple(out)


@st.composite
def shocks(draw, scenario_ids, countries, members, commodities, years) -> tuple[Shock, ...]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["supply", "imports", "price", "demand"]))
        places = {"price": [], "supply": countries}.get(kind, members)
        start = draw(optional(st.integers(-1, years)))
        end = draw(optional(st.integers(start if start is not None else -1, years + 1)))
        out.append(Shock(
            scenario=draw(st.sampled_from(scenario_ids)), kind=kind,
            factor=draw(amount(0, 5)),
            commodity=draw(st.sampled_from([WILDCARD, *commodities])),
            where=draw(st.sampled_from([WILDCARD, *places])), start=start, end=end,
        ))
    return tuple(out)


@st.composite
def risks(draw, countries, members, commodities) -> tuple[Risk, ...]:
    out = []
    for risk in _unique(draw, IDS, 0, 2):
        p, years = draw(amount(0, 1)), draw(st.integers(1, 3))
        for _ in range(draw(st.integers(1, 2))):
            kind = draw(st.sampled_from(["supply", "imports", "price", "demand"]))
            places = {"price": [], "supply": countries}.get(kind, members)
            out.append(Risk(
                risk=risk, annual_probability=p, kind=kind, factor=draw(amount(0, 5)),
                duration_years=years,
                commodity=draw(st.sampled_from([WILDCARD, *commodities])),
                where=draw(st.sampled_from([WILDCARD, *places])),
            ))
    return tuple(out)


@st.composite
def instances(draw) -> Instance:
    """A valid instance using every sheet."""
    st_ = draw(settings())
    years = st_.horizon_years
    codes = _unique(draw, CODES, 2, 6)
    n_members = draw(st.integers(1, len(codes)))
    members, countries = codes[:n_members], codes
    commodity_ids = _unique(draw, IDS, 1, 4)
    commodities = tuple(
        Commodity(id=k, price=draw(amount(0, 1e6, above=True)),
                  shortage_cost=draw(amount(0, 1e7)),
                  floor=draw(optional(amount(0, 1e6, above=True))),
                  holding_cost=draw(amount(0, 1e3)), stockpilable=draw(st.booleans()),
                  mineral=draw(TEXT), stage=draw(TEXT))
        for k in commodity_ids
    )
    demand_keys = [(c, k, t) for c in members for k in commodity_ids for t in range(1, years + 1)]
    demand = tuple(Demand(c, k, t, draw(amount(0, 1e6)))
                   for c, k, t in draw(st.lists(st.sampled_from(demand_keys), unique=True,
                                                max_size=6)))
    arcs = [(c, k, o) for c in members for k in commodity_ids for o in countries]
    supply = tuple(SupplyArc(c, k, o, draw(amount(0, 1e6)),
                             draw(optional(amount(0, 1e6, above=True))),
                             draw(optional(amount(0, 1e6))))
                   for c, k, o in draw(st.lists(st.sampled_from(arcs), unique=True,
                                                max_size=5)))
    pairs = [(a, b) for a in members for b in members if a != b]
    transfers = tuple(
        Transfer(a, b, draw(st.sampled_from([WILDCARD, *commodity_ids])),
                 draw(amount(0, 1e6)), draw(amount(0, 1e4)))
        for a, b in (draw(st.lists(st.sampled_from(pairs), unique=True, max_size=3))
                     if pairs else [])
    )
    budget_keys = [(c, t) for c in [*members, ALL] for t in range(1, years + 1)]
    budgets = tuple(Budget(c, t, draw(amount(0, 1e5)))
                    for c, t in draw(st.lists(st.sampled_from(budget_keys), unique=True,
                                              max_size=4)))
    scenario_ids = _unique(draw, IDS, 1, 4)
    # probabilities in hundredths summing to 1: cut 0..100 at distinct points
    cuts = sorted(draw(st.lists(st.integers(1, 99), unique=True,
                                min_size=len(scenario_ids) - 1,
                                max_size=len(scenario_ids) - 1)))
    bounds = [0, *cuts, 100]
    scenarios = tuple(Scenario(s, (bounds[i + 1] - bounds[i]) / 100, draw(TEXT))
                      for i, s in enumerate(scenario_ids))
    stockpilable = [k.id for k in commodities if k.stockpilable]
    return Instance(
        settings=st_,
        countries=tuple(Country(c, c in members, draw(TEXT)) for c in countries),
        commodities=commodities, scenarios=scenarios, demand=demand, supply=supply,
        projects=draw(projects(countries, members, commodity_ids, years)),
        stockpiles=draw(stockpiles(members, stockpilable, demand)),
        transfers=transfers, budgets=budgets,
        shocks=draw(shocks(scenario_ids, countries, members, commodity_ids, years)),
        risks=draw(risks(countries, members, commodity_ids)),
    )
