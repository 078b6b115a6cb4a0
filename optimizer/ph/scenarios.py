"""The model module mpi-sppy calls on every rank: ``scenario_creator``,
``scenario_names_creator``, ``kw_creator``, ``inparser_adder``, ``scenario_denouement``.

:func:`scenario_creator` builds ``build_model(instance, [alone(s)])`` (objective
``FS + Z_s``, with the CVaR terms when ``λ > 0``), whose first stage is
:func:`models.first_stage.first_stage_variables` (``n``, ``z``, ``b``, ``η``); its
probability ``π_s`` is set apart, so PH's ``Σ_s π_s (FS + Z_s)`` is MODEL.md's objective.
Scenario names are ``scen0 … scen{S-1}`` in sheet order (what proper bundling needs).

Every rank reads the same instance: the validated :class:`~instance.Instance` the parent
process saved (:func:`save_instance`), loaded once per rank with its index, scenario
factors and purchase limits.
"""

from __future__ import annotations

import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from instance import ALL, Instance
from models.factors import ScenarioData, alone, scenario_data
from models.first_stage import first_stage_variables
from models.index import ModelIndex
from models.stockpile import build_model

SCENARIO_PREFIX = "scen"


@dataclass(frozen=True)
class Loaded:
    """The instance with its index, scenario factors and purchase limits, once per rank."""

    instance: Instance
    index: ModelIndex
    scenarios: list[ScenarioData]
    purchase_limits: dict


def purchase_limits(ix: ModelIndex, scenarios) -> dict[tuple[str, str, int], float]:
    """A finite upper bound on each ``b[c,k,t]`` that has none, implied by the model.

    PH prices the first stage with multipliers ``W``; a purchase with no capacity or
    purchase limit would then make a Lagrangian subproblem unbounded. A purchase is a use
    in the holder's balance in every scenario, so in each scenario ``s``
    ``b[c,k,τ] ≤ S[c,k,τ,s] + r[c,k,τ,s]`` with ``S`` the most that imports, the
    sponsor's projects and transfers in can bring (``e ≤ D`` takes nothing from
    consumers that they do not lack), and releases never exceed what was held:
    ``Σ_{τ≤t} r ≤ init_ck + Σ_{τ<t} b``. Summed, ``b[c,k,t] ≤ init_ck + Σ_{τ≤t}
    S[c,k,τ,s]`` for every ``s``: the bound is the least of these over the scenarios,
    and every feasible plan keeps it."""
    open_ended = [key for key, s in ix.stockpiles.items()
                  if s.capacity is None and s.max_buy is None]
    if not open_ended:
        return {}
    inflow: dict[tuple[str, str], float] = {}
    for (_source, to, k), (xcap, _cost) in ix.transfer_arcs.items():
        inflow[(to, k)] = inflow.get((to, k), 0.0) + xcap
    limits: dict[tuple[str, str, int], float] = {}
    for c, k in open_ended:
        best = None
        for sc in scenarios:
            total, cumulative = ix.stockpiles[(c, k)].initial, []
            for t in ix.years:
                total += inflow.get((c, k), 0.0)
                total += sum(ix.arc_capacity[(c, k, o)] * sc.avail.get((k, o, t), 1.0)
                             * sc.gf.get((c, k, t), 1.0)
                             for (cc, kk, o) in ix.arcs if (cc, kk) == (c, k))
                total += sum(p.capacity * p.max_units * sc.avail.get((k, p.country, t), 1.0)
                             for p in ix.projects_by_sponsor_output.get((c, k), ()))
                cumulative.append(total)
            best = cumulative if best is None else [min(x, y) for x, y in zip(best, cumulative,
                                                                            strict=True)]
        for t, limit in zip(ix.years, best, strict=True):
            limits[(c, k, t)] = limit
    return limits


def save_instance(instance: Instance, path: str | os.PathLike) -> Path:
    """Save the validated instance for the ranks (a private file of this run)."""
    path = Path(path)
    path.write_bytes(pickle.dumps(instance))
    return path


_LOADED: dict[str, Loaded] = {}


def load(path: str | os.PathLike) -> Loaded:
    """The instance :func:`save_instance` saved at ``path``, read once per rank."""
    key = str(Path(path).resolve())
    if key not in _LOADED:
        instance = pickle.loads(Path(key).read_bytes())
        ix, scenarios = ModelIndex(instance), scenario_data(instance)
        _LOADED[key] = Loaded(instance, ix, scenarios, purchase_limits(ix, scenarios))
    return _LOADED[key]


def scenario_names_creator(num_scens: int, start: int | None = None) -> list[str]:
    """``scen{start} … scen{start+num_scens-1}`` (0-based, as proper bundles expect)."""
    start = start or 0
    return [f"{SCENARIO_PREFIX}{i}" for i in range(start, start + num_scens)]


def scenario_number(name: str) -> int:
    """The position in the workbook's Scenarios sheet of the scenario named ``name``."""
    match = re.fullmatch(rf"{SCENARIO_PREFIX}(\d+)", name)
    if match is None:
        raise ValueError(f"not a scenario name: {name!r} (expected {SCENARIO_PREFIX}<n>)")
    return int(match[1])


def scenario_creator(scenario_name: str, instance_path: str | None = None):
    """The scenario's model: the first stage and this scenario's recourse with
    probability 1 (objective ``FS + Z_s``, CVaR terms when ``λ > 0``), its first stage
    attached as the root node and ``π_s`` as its mpi-sppy probability."""
    import mpisppy.utils.sputils as sputils

    if instance_path is None:
        raise ValueError("scenario_creator needs the saved instance (instance_path=...)")
    loaded = load(instance_path)
    i = scenario_number(scenario_name)
    if not 0 <= i < len(loaded.scenarios):
        raise ValueError(f"{scenario_name}: the workbook has {len(loaded.scenarios)} "
                         "scenarios")
    sc = loaded.scenarios[i]
    model = build_model(loaded.instance, [alone(sc)], index=loaded.index)
    for key, limit in loaded.purchase_limits.items():
        if model.b[key].ub is None:
            model.b[key].setub(limit)
    sputils.attach_root_node(model, model.first_stage_cost[ALL], first_stage_variables(model))
    model._mpisppy_probability = sc.probability
    return model


def kw_creator(cfg) -> dict:
    return {"instance_path": cfg.instance_path}


def inparser_adder(cfg) -> None:
    cfg.num_scens_required()
    cfg.add_to_config("instance_path", description="the saved instance", domain=str,
                      default=None)


def scenario_denouement(rank, scenario_name, scenario) -> None:
    """Nothing per scenario: the plan is evaluated and reported by the parent process."""
