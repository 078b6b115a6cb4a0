"""The planner's questions: value of coordination, VSS and EVPI (MODEL.md's analysis
figures), and sweeps over budget, price floor and risk weight.

Every problem here is built by the same scenario builder (:mod:`models.stockpile`):

* RP: the stochastic problem as the workbook states it;
* the other coordination mode (``independent`` when the workbook is ``coordinated`` and
  the other way round), for ``value_of_coordination = independent − coordinated``;
* EV: one scenario with the probability-weighted mean factors; ``EV*`` its optimum;
* EEV: the full problem plus one copy of the EV scenario on the same first stage whose EV
  objective is at most ``EV* + 1e-6·max(1, |EV*|)``: the lowest full-problem cost over all
  EV-optimal plans; ``VSS = EEV − RP``;
* WS: each scenario with ``π_s > 0`` alone with its own first stage, weighted by ``π_s``;
  ``EVPI = RP − WS``.

Every figure carries the status and gap of the solves behind it, and a difference its
accuracy (:mod:`optimizer.figures`): the Analysis sheet and Summary say when a figure
comes from a solve stopped at a limit, and when a VSS or EVPI cannot be told from 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from instance import COORDINATED, INDEPENDENT, Instance
from models.factors import ScenarioData, alone, expected_value_scenario, scenario_data
from models.index import ModelIndex
from models.stockpile import add_ev_optimality, build_model
from optimizer.figures import (
    EEV_ACCURACY,
    NUMERIC_ACCURACY,
    Figure,
    difference,
    objective,
    sentence,
    weighted_sum,
)
from optimizer.pipeline import run_workbook, solve_instance
from optimizer.results import Results, Table, metric
from optimizer.run import SolveRun
from optimizer.solve import FEASIBLE, INFEASIBLE, OPTIMAL, SolveOutcome, solve_model
from optimizer.summary import ANALYSIS, SWEEP, Key

EV_BAND = 1e-6
# The EV problem is one scenario: solve it tightly, since EEV moves steeply with EV*.
EV_GAP = 1e-9

Step = Callable[[str], None]


@dataclass
class Analysis:
    """The stochastic plan (RP) and the analysis figures, with notes where one needs
    words; its report is RP's."""

    rp: SolveRun
    figures: dict[str, Figure]
    notes: dict[str, str]
    extra_inputs: ClassVar[tuple] = ()
    report_on_error: ClassVar[bool] = False

    @property
    def results(self) -> Results:
        return self.rp.results

    @property
    def outcome(self) -> SolveOutcome:
        return self.rp.outcome


def expected_value_problem(
    ix: ModelIndex, ev: ScenarioData, *, time_limit, mip_gap
) -> SolveOutcome:
    """EV: the one averaged scenario, solved tightly (``EV*`` bounds the EEV search)."""
    return solve_model(build_model(ix.instance, [ev], index=ix), time_limit=time_limit,
                       mip_gap=min(mip_gap, EV_GAP))


def expected_result_of_ev_plans(
    ix: ModelIndex, scenarios: list[ScenarioData], ev: ScenarioData, ev_star: float, *,
    time_limit, mip_gap,
) -> SolveOutcome:
    """EEV: the full problem restricted to plans within ``1e-6·max(1,|EV*|)`` of ``EV*``
    on the EV scenario (one extra copy of it on the same first stage)."""
    m = build_model(ix.instance, scenarios, index=ix)
    copy = replace(ev, id="expected value copy")
    add_ev_optimality(m, ix, copy, ev_star + EV_BAND * max(1.0, abs(ev_star)))
    return solve_model(m, time_limit=time_limit, mip_gap=mip_gap)


def wait_and_see(
    ix: ModelIndex, scenarios: list[ScenarioData], *, time_limit, mip_gap, step: Step
) -> Figure:
    """``WS = Σ_s π_s · (scenario s solved alone with its own first stage)``, with the
    worst status and largest gap of those solves."""
    parts = []
    for sc in scenarios:
        if sc.probability <= 0:
            continue
        step(f"wait-and-see: {sc.id}")
        fig = objective(solve_model(build_model(ix.instance, [alone(sc)], index=ix),
                                    time_limit=time_limit, mip_gap=mip_gap))
        parts.append((sc.probability, fig))
        if not isinstance(fig.value, float):
            break
    return weighted_sum(parts)


def expected_value_figures(ix: ModelIndex, scenarios: list[ScenarioData], *, step: Step,
                           **kw) -> tuple[Figure, Figure, dict[str, str]]:
    """EV* and EEV (the lowest cost over the EV-optimal plans), with a note when EEV
    does not exist."""
    ev = expected_value_scenario(scenarios)
    step("expected-value problem (EV)")
    ev_star = objective(expected_value_problem(ix, ev, **kw))
    if not isinstance(ev_star.value, float):
        return ev_star, ev_star, {
            "eev_musd": "The expected-value problem itself has no feasible plan."}
    step("EV-optimal plans in the uncertain world (EEV)")
    eev = objective(expected_result_of_ev_plans(ix, scenarios, ev, ev_star.value, **kw))
    eev = Figure(eev.value, ev_star.basis + eev.basis)
    if eev.value != INFEASIBLE:
        return ev_star, eev, {}
    return ev_star, eev, {"eev_musd": (
        "No plan that is optimal for the expected-value problem keeps every budget and "
        "floor in every scenario (or each buys stock in a year when some scenario can "
        "supply nothing), so EEV and VSS do not exist.")}


def analyze_instance(
    instance: Instance,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress=None,
    step: Step | None = None,
) -> Analysis:
    """Solve RP, the other coordination mode, EV, EEV and WS; return the figures, each
    with the status and gap of the solves behind it."""
    st = instance.settings
    time_limit = st.time_limit_s if time_limit is None else time_limit
    mip_gap = st.mip_gap if mip_gap is None else mip_gap
    step = step or (lambda name: None)
    kw = {"time_limit": time_limit, "mip_gap": mip_gap}

    step("stochastic problem (RP)")
    rp = solve_instance(instance, progress=progress, **kw)
    rp_value = objective(rp.outcome)
    other_mode = INDEPENDENT if st.coordination == COORDINATED else COORDINATED
    step(f"{other_mode} variant")
    other = objective(solve_instance(instance.with_settings(coordination=other_mode),
                                     **kw).outcome)
    independent, coordinated = (other, rp_value) if other_mode == INDEPENDENT else (
        rp_value, other)

    # the index and the scenario factors serve EV, EEV and WS alike: built once
    ix = ModelIndex(instance)
    scenarios = scenario_data(instance)
    ev_star, eev, notes = expected_value_figures(ix, scenarios, step=step, **kw)
    ws = wait_and_see(ix, scenarios, step=step, **kw)

    figures = {
        "independent_objective_musd": independent,
        "coordinated_objective_musd": coordinated,
        "value_of_coordination_musd": difference(independent, coordinated),
        "ev_objective_musd": ev_star,
        "eev_musd": eev,
        "vss_musd": difference(eev, rp_value, floor=EEV_ACCURACY),
        "ws_musd": ws,
        "evpi_musd": difference(rp_value, ws),
    }
    voc = figures["value_of_coordination_musd"]
    if isinstance(voc.value, float) and voc.value < 0 and not voc.indistinguishable:
        notes["value_of_coordination_musd"] = (
            "Negative: a joint ALL budget row binds when the bloc coordinates; planning "
            "independently drops it, so the joint cap costs more than it saves.")
    return Analysis(rp, figures, notes)


def add_analysis(results: Results, analysis: Analysis) -> None:
    """Summary keys (their meaning followed by how far to trust the figure) and the
    Analysis sheet (figure, value, unit, status and largest gap of the solves behind
    it, and its meaning in words)."""
    rows = []
    weight = analysis.rp.instance.settings.risk_weight
    risk = (f"With the risk weight {weight:g}, each objective here weighs in the CVaR of "
            "the scenario costs." if weight > 0 else "")
    for k in ANALYSIS:
        fig = analysis.figures[k.key]
        value = fig.value if fig.value is not None else "not solved"
        meaning = " ".join(w for w in (k.meaning, sentence(fig),
                                       analysis.notes.get(k.key, ""), risk) if w)
        results.set(Key(k.key, k.unit, meaning), value)
        gap = fig.gap if isinstance(fig.value, float) else None  # no number, no gap
        rows.append((k.key, value, k.unit, fig.status, gap, meaning))
    results.tables.insert(0, Table(
        "Analysis", ("figure", "value (MUSD)", "unit", "status", "largest gap", "meaning"),
        rows, {"value (MUSD)": "#,##0.000000", "largest gap": "0.0000%"}))


# =============================================================================== sweeps

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


def sweep_instance(
    instance: Instance,
    parameter: str,
    values: list[float],
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    advance: Callable[[float, SolveRun], None] | None = None,
) -> Table:
    """One plan per value; the Frontier table (value, objective, first-stage cost,
    expected scenario and total cost, expected shortage cost, CVaR, units built, status,
    gap, which plan: runs with the same number have the same plan), with a sentence
    saying what the sweep shows (:func:`sweep_finding`)."""
    rows, plans = [], []
    for value in values:
        t0 = time.perf_counter()
        run = solve_instance(swept(instance, parameter, value), time_limit=time_limit,
                             mip_gap=mip_gap)
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
            run.outcome.gap, None if plan is None else plans.index(plan) + 1,
            time.perf_counter() - t0,
        ))
        if advance:
            advance(value, run)
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


# =============================================================================== workbooks


@dataclass
class SweepRun:
    """A sweep's report: its results, and no single solve to diagnose."""

    results: Results
    outcome: None = None
    extra_inputs: ClassVar[tuple] = ()
    report_on_error: ClassVar[bool] = False


def analyze_workbook(input_path, output=None, *, time_limit=None, mip_gap=None,
                     progress=None, step=None) -> tuple[Analysis, Path]:
    """``stockpile analyze``: the pipeline's chain with RP, the other coordination mode,
    EV, EEV and WS between reading and writing."""

    def compute(instance: Instance) -> Analysis:
        analysis = analyze_instance(instance, time_limit=time_limit, mip_gap=mip_gap,
                                    progress=progress, step=step)
        add_analysis(analysis.results, analysis)
        return analysis

    return run_workbook(input_path, output, compute, suffix="analysis")


def sweep_workbook(input_path, parameter, values, output=None, *, time_limit=None,
                   mip_gap=None, advance=None) -> tuple[SweepRun, Path]:
    """``stockpile sweep``: the pipeline's chain with one plan per value; the report is
    the Frontier sheet with its chart."""

    def compute(instance: Instance) -> SweepRun:
        frontier = sweep_instance(instance, parameter, values, time_limit=time_limit,
                                  mip_gap=mip_gap, advance=advance)
        return SweepRun(sweep_results(instance, parameter, frontier))

    return run_workbook(input_path, output, compute,
                        suffix=f"sweep-{parameter.replace('_', '-')}")
