"""Scenario factors of MODEL.md, precomputed as plain dicts before any model is built.

For each scenario ``s`` (absent keys mean a factor of 1):

* ``avail[k,o,t]``: product of ``supply`` factors for commodity ``k`` at place ``o``;
* ``gf[c,k,t]``: product of ``imports`` factors for member ``c``;
* ``pf[k,t]``: product of ``price`` factors;
* ``df[c,k,t]``: product of ``demand`` factors for member ``c``;
* ``disrupted``: the pairs ``(k,t)`` with ``dis[k,t,s] = 1``: some Shocks row of ``s``
  matching ``k`` and ``t`` (any ``where``) is a ``supply``/``imports`` row with factor < 1
  or a ``demand``/``price`` row with factor > 1.

A row matches commodity ``k`` when its commodity is ``k`` or ``*``, place ``w`` when its
``where`` is ``w`` or ``*``, and year ``t`` when ``start <= t <= end`` (open ends).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from instance import WILDCARD, Instance, Shock


@dataclass(frozen=True)
class ScenarioData:
    """One scenario's probability ``π_s`` and factors (see the module docstring)."""

    id: str
    probability: float
    avail: dict[tuple[str, str, int], float] = field(default_factory=dict)
    gf: dict[tuple[str, str, int], float] = field(default_factory=dict)
    pf: dict[tuple[str, int], float] = field(default_factory=dict)
    df: dict[tuple[str, str, int], float] = field(default_factory=dict)
    disrupted: frozenset[tuple[str, int]] = frozenset()


def _places(instance: Instance) -> dict[str, set[tuple[str, str]]]:
    """Keys each kind of factor is needed for: ``(k, place)`` pairs."""
    supply = {(a.commodity, a.origin) for a in instance.supply}
    supply |= {(p.output, p.country) for p in instance.eligible_projects}
    imports = {(a.commodity, a.country) for a in instance.supply}
    demand = {(d.commodity, d.country) for d in instance.demand}
    return {"supply": supply, "imports": imports, "demand": demand}


def _multiply(
    table: dict, shocks: Iterable[Shock], keys: set[tuple[str, str]], years: range
) -> None:
    by_commodity: dict[str, list[str]] = defaultdict(list)
    for k, w in keys:
        by_commodity[k].append(w)
    for row in shocks:
        ks = by_commodity if row.commodity == WILDCARD else {row.commodity: by_commodity.get(
            row.commodity, [])}
        for k, places in ks.items():
            for w in places:
                if row.where != WILDCARD and row.where != w:
                    continue
                for t in years:
                    if row.covers(t):
                        table[(k, w, t)] = table.get((k, w, t), 1.0) * row.factor


def scenario_data(instance: Instance) -> list[ScenarioData]:
    """Every scenario of the workbook with its factors, in sheet order."""
    years = instance.settings.years
    commodities = [k.id for k in instance.commodities]
    keys = _places(instance)
    by_scenario: dict[str, list[Shock]] = defaultdict(list)
    for row in instance.shocks:
        by_scenario[row.scenario].append(row)
    out = []
    for sc in instance.scenarios:
        rows = by_scenario.get(sc.id, [])
        kinds = defaultdict(list)
        for row in rows:
            kinds[row.kind].append(row)
        avail: dict = {}
        _multiply(avail, kinds["supply"], keys["supply"], years)
        gf_kw: dict = {}
        _multiply(gf_kw, kinds["imports"], keys["imports"], years)
        df_kw: dict = {}
        _multiply(df_kw, kinds["demand"], keys["demand"], years)
        pf: dict = {}
        for row in kinds["price"]:
            for k in commodities if row.commodity == WILDCARD else [row.commodity]:
                for t in years:
                    if row.covers(t):
                        pf[(k, t)] = pf.get((k, t), 1.0) * row.factor
        disrupted = set()
        for row in rows:
            hurts = row.factor < 1 if row.kind in ("supply", "imports") else row.factor > 1
            if hurts:
                for k in commodities if row.commodity == WILDCARD else [row.commodity]:
                    disrupted.update((k, t) for t in years if row.covers(t))
        out.append(
            ScenarioData(
                id=sc.id,
                probability=sc.probability,
                avail=avail,
                # imports and demand factors are keyed (commodity, member, t) while
                # collected; the model reads them as (member, commodity, t)
                gf={(c, k, t): f for (k, c, t), f in gf_kw.items()},
                pf=pf,
                df={(c, k, t): f for (k, c, t), f in df_kw.items()},
                disrupted=frozenset(disrupted),
            )
        )
    return out


def expected_value_scenario(scenarios: list[ScenarioData], name: str = "expected") -> ScenarioData:
    """MODEL.md's EV scenario: probability 1, each factor the probability-weighted mean of
    that factor, and a disruption year for ``k`` wherever a scenario with ``π_s > 0`` has
    one."""

    def mean(attr: str) -> dict:
        keys = set().union(*(getattr(s, attr).keys() for s in scenarios))
        return {
            key: sum(s.probability * getattr(s, attr).get(key, 1.0) for s in scenarios)
            for key in keys
        }

    disrupted = frozenset().union(*(s.disrupted for s in scenarios if s.probability > 0))
    return ScenarioData(name, 1.0, mean("avail"), mean("gf"), mean("pf"), mean("df"), disrupted)


def alone(scenario: ScenarioData) -> ScenarioData:
    """The scenario with probability 1 (wait-and-see)."""
    return ScenarioData(scenario.id, 1.0, scenario.avail, scenario.gf, scenario.pf,
                        scenario.df, scenario.disrupted)
