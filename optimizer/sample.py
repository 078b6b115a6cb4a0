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
from dataclasses import dataclass
from pathlib import Path

from instance import Instance, Risk, Shock
from optimizer import schema


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


def _replace_sheet(wb, name: str, header: list[str], rows: list[list]) -> None:
    from optimizer.report import put

    existing = next((ws for ws in wb.worksheets if ws.title.strip().lower() == name.lower()),
                    None)
    index = wb.worksheets.index(existing) if existing is not None else len(wb.worksheets)
    if existing is not None:
        wb.remove(existing)
    ws = wb.create_sheet(name, index)
    for j, value in enumerate(header, start=1):
        put(ws, 1, j, value)
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            put(ws, i, j, value)
    ws.freeze_panes = "A2"


def _set_settings(wb, values: dict[str, object]) -> None:
    from optimizer.report import put

    ws = next(ws for ws in wb.worksheets if ws.title.strip().lower() == "settings")
    header = [str(c.value).strip().lower() if c.value is not None else "" for c in ws[1]]
    kcol, vcol = header.index("setting") + 1, header.index("value") + 1
    rows = {str(ws.cell(row=r, column=kcol).value or "").strip().lower(): r
            for r in range(2, ws.max_row + 1)}
    for key, value in values.items():
        r = rows.get(key) or ws.max_row + 1
        put(ws, r, kcol, key)
        put(ws, r, vcol, value)


def write_sample(source: Path, instance: Instance, count: int, seed: int,
                 output: str | os.PathLike) -> Path:
    """Write the sampled workbook next to nothing the planner owns (never the source)."""
    from openpyxl import load_workbook

    from optimizer.report import save_atomically

    scenarios = draw_scenarios(instance, count, seed)
    wb = load_workbook(source)  # full load: the other sheets are copied as they are
    for ws in list(wb.worksheets):
        if ws.title.strip().lower() == "risks":
            wb.remove(ws)
    probability = 1.0 / count
    _replace_sheet(wb, "Scenarios", ["scenario", "probability", "description"],
                   [[s.id, probability, s.description] for s in scenarios])
    year = instance.settings.calendar_year
    shock_cols = [c.name for c in schema.SHOCKS.columns]
    _replace_sheet(wb, "Shocks", shock_cols, [
        [sh.scenario, sh.kind, sh.commodity, sh.where, year(sh.start), year(sh.end), sh.factor]
        for s in scenarios for sh in s.shocks
    ])
    _set_settings(wb, {"sampled_from": source.name, "sample_seed": seed})
    return save_atomically(wb, Path(output))
