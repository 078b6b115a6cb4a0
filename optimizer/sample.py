"""``stockpile sample``: many equally likely scenarios drawn from a risk register.

For each sampled scenario and each plan year, each risk of the ``Risks`` sheet starts
(independently) with its ``annual_probability``; every occurrence becomes Shocks rows, one
per effect of the risk, for the ``duration_years`` it lasts (cut at the horizon).
Occurrences that overlap multiply, as all matching Shocks rows do (MODEL.md). The result
is an ordinary input workbook: the source's sheets as they were, ``Risks`` dropped,
``Scenarios`` and ``Shocks`` replaced, and ``sampled_from`` / ``sample_seed`` recorded in
Settings. The same workbook and seed always give the same sample.
"""

from __future__ import annotations

import os
import random
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from instance import Instance, Risk, Scenario, Shock
from optimizer import schema
from optimizer.xlsx import find_sheet, save_atomically, set_settings, write_instance


@dataclass(frozen=True)
class SampledScenario:
    id: str
    description: str
    shocks: tuple[Shock, ...]


def draw_scenarios(instance: Instance, count: int, seed: int) -> list[SampledScenario]:
    """``count`` scenarios; draws go scenario by scenario, year by year, risk by risk (in
    the register's order), from one seeded generator."""
    rng = random.Random(seed)
    effects: dict[str, list[Risk]] = defaultdict(list)
    for row in instance.risks:
        effects[row.risk].append(row)
    horizon = instance.settings.horizon_years
    year = instance.settings.calendar_year
    width = len(str(count))
    out = []
    for i in range(1, count + 1):
        shocks: list[Shock] = []
        events: list[str] = []
        for t in range(1, horizon + 1):
            for risk, rows in effects.items():
                if rng.random() >= rows[0].annual_probability:
                    continue
                end = min(horizon, t + rows[0].duration_years - 1)
                events.append(f"{risk} {year(t)}" + (f"-{year(end)}" if end > t else ""))
                for r in rows:
                    shocks.append(Shock(f"s{i:0{width}d}", r.kind, r.factor, r.commodity,
                                        r.where, t, end))
        description = "; ".join(events) if events else "no event"
        out.append(SampledScenario(f"s{i:0{width}d}", description, tuple(shocks)))
    return out


def sampled_instance(instance: Instance, count: int, seed: int, source_name: str) -> Instance:
    """``instance`` with its scenarios drawn from the risk register (``Risks`` dropped,
    the source and seed recorded in Settings)."""
    scenarios = draw_scenarios(instance, count, seed)
    probability = 1.0 / count
    return replace(
        instance,
        settings=replace(instance.settings, sampled_from=source_name, sample_seed=seed),
        scenarios=tuple(Scenario(s.id, probability, s.description) for s in scenarios),
        shocks=tuple(sh for s in scenarios for sh in s.shocks),
        risks=(),
    )


def write_sample(source: Path, instance: Instance, count: int, seed: int,
                 output: str | os.PathLike) -> Path:
    """Write the sampled workbook (never over the source): the source's sheets as they
    were, ``Scenarios`` and ``Shocks`` rewritten by :func:`optimizer.xlsx.write_instance`,
    ``Risks`` dropped, two settings set in place."""
    from openpyxl import load_workbook

    sampled = sampled_instance(instance, count, seed, source.name)
    wb = load_workbook(source)  # full load: the other sheets are copied as they are
    if (risks := find_sheet(wb, schema.RISKS.name)) is not None:
        wb.remove(risks)
    write_instance(sampled, wb, sheets=(schema.SCENARIOS, schema.SHOCKS))
    settings = sampled.settings
    set_settings(wb, {"sampled_from": settings.sampled_from,
                      "sample_seed": settings.sample_seed})
    return save_atomically(wb, output)
