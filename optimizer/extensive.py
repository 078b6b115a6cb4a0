"""The extensive-form engine: every scenario in one HiGHS model, solved to the gap asked
(it proves optimality). The default engine of :func:`optimizer.pipeline.solve_instance`.

With a plan, the plan's LP (its integers fixed) is solved as well, and its marginal values
explain the plan (:mod:`optimizer.explain`: the Limits, Not funded and Flows sheets)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from instance import Instance
from models.factors import scenario_data
from models.index import ModelIndex
from models.stockpile import build_model, first_stage_plan
from optimizer.explain import explain_tables
from optimizer.plan_tables import empty_results
from optimizer.results import extract
from optimizer.run import SolveRun
from optimizer.solve import solve_model


def _quiet(name: str, seconds: float) -> None:
    """Phases are reported to nobody."""


@dataclass(frozen=True)
class ExtensiveForm:
    """Build → solve → results for one instance, with no files."""

    name: str = "ef"

    def solve(self, instance: Instance, *, time_limit: float | None = None,
              mip_gap: float | None = None, progress=None, on_phase=None) -> SolveRun:
        """``time_limit`` and ``mip_gap`` default to the workbook's Settings; ``progress``
        receives the solver's progress events, ``on_phase`` each phase's seconds."""
        st = instance.settings
        phase = on_phase or _quiet
        t0 = time.perf_counter()
        ix = ModelIndex(instance)
        scenarios = scenario_data(instance)
        model = build_model(instance, scenarios, index=ix)
        build_seconds = time.perf_counter() - t0
        phase("build", build_seconds)
        outcome = solve_model(
            model,
            time_limit=st.time_limit_s if time_limit is None else time_limit,
            mip_gap=st.mip_gap if mip_gap is None else mip_gap,
            progress=progress,
            marginals=True,
        )
        solve_seconds = outcome.handoff_seconds + outcome.solve_seconds
        phase("solve", solve_seconds)
        if outcome.has_plan:
            results = extract(
                model, ix, scenarios, status=outcome.status, objective=outcome.objective,
                bound=outcome.bound, gap=outcome.gap, build_seconds=build_seconds,
                solve_seconds=solve_seconds,
            )
            plan = first_stage_plan(model)
            t1 = time.perf_counter()
            costs = dict(zip(*(results.table("Scenarios").column(name)
                               for name in ("scenario", "cost (MUSD)")), strict=True))
            for table in explain_tables(model, ix, scenarios, outcome.marginals, costs):
                results.replace(table)
            phase("explain", outcome.marginal_seconds + time.perf_counter() - t1)
        else:
            results = empty_results(instance, status=outcome.status,
                                    build_seconds=build_seconds, solve_seconds=solve_seconds,
                                    bound=outcome.bound)
            plan = {}
        results.set("engine", self.name)
        return SolveRun(instance, outcome, results, build_seconds, plan)
