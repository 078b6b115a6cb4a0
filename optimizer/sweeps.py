"""Sweeps: one plan per value of a budget scale, a price-floor scale or the risk weight,
a Frontier table, and a sentence saying what the sweep shows (``stockpile sweep``).

The runs are independent: they go across the machine's cores
(:mod:`optimizer.parallel`), and the table keeps the order of the values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from instance import Instance
from optimizer.engines import (
    AutoEngine,
    estimated_columns,
    record_choice,
    resolve,
    takes_the_machine,
)
from optimizer.figures import NUMERIC_ACCURACY
from optimizer.parallel import Done, Runner, Task, worker_count
from optimizer.pipeline import EXTENSIVE_FORM, Engine, run_workbook, solve_instance
from optimizer.results import Results, Table, metric
from optimizer.run import SolveRun
from optimizer.solve import FEASIBLE, INFEASIBLE, OPTIMAL
from optimizer.summary import SWEEP

SWEEPS = {
    "budget_scale": "budget scale (x every budget)",
    "floor_scale": "floor scale (x every price floor)",
    "risk_weight": "risk weight λ",
}


def swept(instance: Instance, parameter: str, value: float) -> Instance:
    if parameter == "budget_scale":
        return instance.scaled(budget=value)
    if parameter == "floor_scale":
        return instance.scaled(floor=value)
    return instance.with_settings(risk_weight=value)


def plan_of(results: Results) -> tuple:
    """What a run builds and buys (its Investments and Stockpiles rows, figures rounded
    to 1e-6), to tell runs with the same plan apart from runs with equally good ones."""
    return tuple(
        tuple(tuple(round(v, 6) if isinstance(v, float) else v for v in row)
              for row in table.rows)
        for table in (results.table("Investments"), results.table("Stockpiles")) if table
    )


def sweep_point(instance: Instance, parameter: str, value: float, engine: Engine, *,
                time_limit, mip_gap, progress=None) -> SolveRun:
    """One run of the sweep: the workbook with ``parameter`` at ``value``."""
    return solve_instance(swept(instance, parameter, value), engine=engine,
                          time_limit=time_limit, mip_gap=mip_gap, progress=progress)


def sweep_runs(instance: Instance, parameter: str, values: list[float], *, time_limit,
               mip_gap, advance=None, jobs: int | None = 1,
               engine: Engine | AutoEngine = EXTENSIVE_FORM) -> list[Done]:
    """Every run of the sweep (``jobs`` at a time, :mod:`optimizer.parallel`), in the
    order of ``values``; ``advance(value, run)`` hears of each as it finishes. An
    :class:`~optimizer.engines.AutoEngine` chooses once, on the run of the first value
    (of the largest, when the risk weight is swept: the L-shaped method takes a big
    workbook without one, and not with one)."""
    first = max(values) if parameter == "risk_weight" else values[0]
    chosen, choice = resolve(engine, swept(instance, parameter, first))
    columns = estimated_columns(instance)
    kw = {"time_limit": time_limit, "mip_gap": mip_gap}
    tasks = [Task(i, f"{parameter} = {value:g}", sweep_point,
                  (instance, parameter, value, chosen), kw, columns,
                  exclusive=takes_the_machine(chosen))
             for i, value in enumerate(values)]
    runner = Runner(worker_count(jobs, len(tasks), columns), on_done=lambda done: advance(
        values[done.task.key], done.result) if advance else None)
    done = runner.run(tasks)
    for d in done.values():
        record_choice(d.result, choice)
    return [done[i] for i in range(len(values))]


def sweep_instance(
    instance: Instance,
    parameter: str,
    values: list[float],
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    advance: Callable[[float, SolveRun], None] | None = None,
    jobs: int | None = 1,
    engine: Engine | AutoEngine = EXTENSIVE_FORM,
) -> Table:
    """One plan per value; the Frontier table (value, objective, first-stage cost,
    expected scenario and total cost, expected shortage cost, CVaR, units built, status,
    gap, which plan: runs with the same number have the same plan), with a sentence
    saying what the sweep shows (:func:`sweep_finding`)."""
    rows, plans = [], []
    for value, done in zip(values, sweep_runs(
            instance, parameter, values, time_limit=time_limit, mip_gap=mip_gap,
            advance=advance, jobs=jobs, engine=engine), strict=True):
        run = done.result
        r = run.results
        fs, ez = r.value("first_stage_cost_musd"), r.value("expected_scenario_cost_musd")
        plan = plan_of(r) if run.outcome.has_plan else None
        if plan is not None and plan not in plans:
            plans.append(plan)
        rows.append((
            value, r.value("objective_musd"), fs, ez,
            fs + ez if fs is not None and ez is not None else None,
            r.value("expected_shortage_cost_musd"),
            r.value("cvar_musd"), r.value("units_built"), run.outcome.status,
            run.outcome.gap, None if plan is None else plans.index(plan) + 1, done.seconds,
        ))
    musd = "#,##0.000"
    frontier = Table(
        "Frontier",
        (SWEEPS[parameter], "objective (MUSD)", "first-stage cost (MUSD)",
         "expected scenario cost (MUSD)", "expected total cost (MUSD)",
         "expected shortage cost (MUSD)", "CVaR (MUSD)", "units built", "status", "gap",
         "plan", "seconds"),
        rows,
        {"objective (MUSD)": musd, "first-stage cost (MUSD)": musd,
         "expected scenario cost (MUSD)": musd, "expected total cost (MUSD)": musd,
         "expected shortage cost (MUSD)": musd,
         "CVaR (MUSD)": musd, "gap": "0.0000%", "seconds": "0.0"},
    )
    return replace(frontier, note=sweep_finding(parameter, frontier)[1])


SUBJECTS = {
    "budget_scale": ("The budgets never bind", "times their values"),
    "floor_scale": ("The price floors never bind", "times their values"),
    "risk_weight": ("The risk weight makes no difference", ""),
}


def sweep_finding(parameter: str, frontier: Table) -> tuple[bool, str]:
    """Whether the objective stays put across the sweep (every run has a plan, and the
    objectives agree within the runs' gaps, at least 1e-6 relative), and what the sweep
    shows in a sentence: that the swept limit never binds in the range, or how the
    objective moves."""
    runs = frontier.records()
    key = frontier.columns[0]
    solved = [r for r in runs if r["status"] in (OPTIMAL, FEASIBLE)]
    lost = [f"{r[key]:g} ({r['status']})" for r in runs if r not in solved]
    if not solved:
        return False, "No run found a plan: " + ", ".join(lost) + "."
    objectives = [r["objective (MUSD)"] for r in solved]
    low, high = min(objectives), max(objectives)
    gap = max([r["gap"] or 0.0 for r in solved] + [NUMERIC_ACCURACY])
    values = [r[key] for r in runs]
    steady = high - low <= gap * max(1.0, abs(high))
    flat = steady and not lost and len(runs) > 1
    if steady and lost:
        others = "every other run has" if len(solved) > 1 else "the other run has"
        return False, f"No plan at {', '.join(lost)}; {others} the objective {high:,.3f} MUSD."
    if len(runs) == 1:
        return False, f"One run has the objective {high:,.3f} MUSD."
    if flat:
        subject, unit = SUBJECTS[parameter]
        where = (f"between {min(values):g} and {max(values):g} {unit}".rstrip()
                 if parameter != "risk_weight"
                 else f"between λ = {min(values):g} and {max(values):g}")
        same = ("every run gives the same plan" if len({r["plan"] for r in runs}) == 1
                else "every run has the same objective, with equally good plans that differ")
        return True, f"{subject} {where}: {same} (objective {high:,.3f} MUSD)."
    best = min(solved, key=lambda r: r["objective (MUSD)"])
    worst = max(solved, key=lambda r: r["objective (MUSD)"])
    text = (f"The objective moves from {low:,.3f} MUSD (at {best[key]:g}) to {high:,.3f} "
            f"MUSD (at {worst[key]:g}) across the runs with a plan.")
    return False, text + (f" No plan at {', '.join(lost)}." if lost else "")


def sweep_results(instance: Instance, parameter: str, frontier: Table) -> Results:
    """The sweep report's Summary (:data:`optimizer.summary.SWEEP`) and its Frontier;
    no best value when the objective does not move (the finding says the limit never
    binds)."""
    keys = {k.key: k for k in SWEEP}
    runs = frontier.records()
    solved = [r for r in runs if r["status"] in (OPTIMAL, FEASIBLE)]
    status = (OPTIMAL if all(r["status"] == OPTIMAL for r in runs) else
              FEASIBLE if solved else INFEASIBLE)
    flat, finding = sweep_finding(parameter, frontier)
    values = {"status": status, "sweep": parameter, "runs": len(runs),
              "runs_with_plan": len(solved), "coordination": instance.settings.coordination,
              "finding": finding}
    if solved:
        best = min(solved, key=lambda r: r["objective (MUSD)"])
        if not flat:
            values["best_value"] = best[frontier.columns[0]]
        values["best_objective_musd"] = best["objective (MUSD)"]
    summary = [metric(k.key, values[k.key], keys=keys) for k in SWEEP if k.key in values]
    return Results(f"{instance.settings.title}: sweep of {SWEEPS[parameter]}", summary,
                   [frontier])


@dataclass
class SweepRun:
    """A sweep's report: its results, and no single solve to diagnose."""

    results: Results
    outcome: None = None
    extra_inputs: ClassVar[tuple] = ()
    report_on_error: ClassVar[bool] = False



def sweep_workbook(input_path, parameter, values, output=None, *, time_limit=None,
                   mip_gap=None, advance=None, jobs=1,
                   engine=EXTENSIVE_FORM) -> tuple[SweepRun, Path]:
    """``stockpile sweep``: the pipeline's chain with one plan per value; the report is
    the Frontier sheet with its chart."""

    def compute(instance: Instance) -> SweepRun:
        frontier = sweep_instance(instance, parameter, values, time_limit=time_limit,
                                  mip_gap=mip_gap, advance=advance, jobs=jobs,
                                  engine=engine)
        return SweepRun(sweep_results(instance, parameter, frontier))

    return run_workbook(input_path, output, compute,
                        suffix=f"sweep-{parameter.replace('_', '-')}")
