"""A decomposition engine's plan, reported like the extensive form's: the plan (its first
stage) evaluated on every scenario, one LP at a time, its status against the bound the
engine proved, and the report's results. Shared by progressive hedging
(:mod:`optimizer.ph.engine`) and the L-shaped engine (:mod:`optimizer.benders`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from instance import Instance
from models.factors import alone, scenario_data
from models.index import ModelIndex
from models.stockpile import build_model, fix_first_stage
from optimizer.plan_tables import assemble, empty_results
from optimizer.results import plan_objective, summarize_first_stage, summarize_scenario
from optimizer.run import SolveRun
from optimizer.solve import ERROR, FEASIBLE, OPTIMAL, SolveOutcome, relative_gap, solve_model


def evaluate_plan(instance, plan: dict[str, dict], *, index=None, on_scenario=None):
    """The plan on every scenario, one LP at a time (fixed first stage, the scenario with
    probability 1, summarised with its true ``π_s``, then dropped). Returns
    ``(first stage summary, scenario summaries, columns, rows, build s, solve s)``;
    raises ``RuntimeError`` naming a scenario where the plan has no recourse."""
    ix = index or ModelIndex(instance)
    first, summaries = None, []
    columns = rows = 0
    build_s = solve_s = 0.0
    for sc in scenario_data(instance):
        t0 = time.perf_counter()
        m = build_model(instance, [alone(sc)], index=ix)
        fix_first_stage(m, plan)
        build_s += time.perf_counter() - t0
        outcome = solve_model(m)
        solve_s += outcome.handoff_seconds + outcome.solve_seconds
        if not outcome.has_plan:
            raise RuntimeError(f"the plan has no recourse in scenario {sc.id} "
                               f"({outcome.termination})")
        columns += outcome.columns
        rows += outcome.rows
        summaries.append(summarize_scenario(m.scenario[sc.id], ix, sc))
        if first is None:
            first = summarize_first_stage(m, ix)
        if on_scenario:
            on_scenario(sc.id)
    return first, summaries, columns, rows, build_s, solve_s


def plan_status(objective: float, bound: float | None,
                mip_gap: float) -> tuple[str, float | None, float | None]:
    """``(status, bound, gap)`` of a plan of cost ``objective`` (evaluated exactly) and
    the engine's ``bound``: ``optimal`` only when the gap is at most ``mip_gap``, else
    ``feasible``; no bound (``None`` or infinite) gives ``feasible`` with bound and gap
    ``None``. A bound above the plan's exact cost is the subproblems' own tolerance
    showing: the bound is the cost then (gap 0)."""
    if bound is None or not math.isfinite(bound):
        return FEASIBLE, None, None
    bound = min(bound, objective)
    gap = relative_gap(objective, bound)
    return (OPTIMAL if gap <= mip_gap else FEASIBLE), bound, gap


def report_plan(instance: Instance, plan: dict[str, dict], *, bound: float | None,
                mip_gap: float, elapsed: float, solver: str,
                termination: Callable[[float | None], str]) -> tuple[SolveRun, object]:
    """``plan`` on every scenario (:func:`evaluate_plan`) with its status against
    ``bound``; ``termination(gap)`` says how the engine ended. Returns the run and its
    results (for the engine's own Summary keys); raises ``RuntimeError`` when the plan
    has no recourse in some scenario."""
    ix = ModelIndex(instance)
    first, summaries, columns, rows, build_s, solve_s = evaluate_plan(instance, plan,
                                                                      index=ix)
    objective = plan_objective(ix, first, summaries)
    status, bound, gap = plan_status(objective, bound, mip_gap)
    outcome = SolveOutcome(status, termination(gap), objective, bound, gap, 0.0,
                           elapsed + solve_s, columns, rows,
                           sum(1 for _ in plan["n"]) + len(plan["z"]), solver)
    results = assemble(ix, first, summaries, status=status, objective=objective,
                       bound=bound, gap=gap, build_seconds=build_s,
                       solve_seconds=elapsed + solve_s)
    return SolveRun(instance, outcome, results, build_s, plan), results


def failed_run(instance: Instance, reason: str, *, bound: float | None, seconds: float,
               engine: str, solver: str, status: str = ERROR) -> SolveRun:
    """A run without a plan to report (status ``error``, or ``infeasible`` when the
    engine proved that no plan exists), saying why."""
    outcome = SolveOutcome(status, "error" if status == ERROR else reason, None, bound, None,
                           0.0, seconds, 0, 0, 0, solver, no_plan_reason=reason)
    results = empty_results(instance, status=status, build_seconds=0.0,
                            solve_seconds=seconds, bound=bound)
    results.set("engine", engine)
    return SolveRun(instance, outcome, results, 0.0)
