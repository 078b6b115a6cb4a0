"""The planner's questions: value of coordination, VSS and EVPI (MODEL.md's analysis
figures; sweeps are :mod:`optimizer.sweeps`).

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

The solves are independent but for EEV, which starts from EV's plan and optimum: they
run across the machine's cores (:mod:`optimizer.parallel`), EV first so EEV can start
early. EEV starts HiGHS from the EV plan (or proves quickly that no EV-optimal plan
survives every scenario: :mod:`optimizer.eev`), so a time limit still leaves it a plan;
and since EEV minimises RP's cost over fewer plans, RP's bound is a bound of EEV too
(:func:`proven_by_rp`).

Every figure carries the status and gap of the solves behind it, and a difference its
accuracy (:mod:`optimizer.figures`): the Analysis sheet and Summary say when a figure
comes from a solve stopped at a limit, and when a VSS or EVPI cannot be told from 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from instance import COORDINATED, INDEPENDENT, Instance
from models.factors import ScenarioData, alone, scenario_data
from models.stockpile import build_model
from optimizer.eev import expected_result_of_ev_plans, expected_value_problem
from optimizer.engines import (
    AutoEngine,
    estimated_columns,
    record_choice,
    resolve,
    takes_the_machine,
)
from optimizer.figures import (
    EEV_ACCURACY,
    Figure,
    difference,
    objective,
    sentence,
    weighted_sum,
)
from optimizer.parallel import Done, Runner, Task, outcome_of, worker_count
from optimizer.pipeline import EXTENSIVE_FORM, Engine, run_workbook, solve_instance
from optimizer.results import Results, Table
from optimizer.run import SolveRun
from optimizer.solve import (
    INFEASIBLE,
    OPTIMAL,
    SMALL_MIP_OPTIONS,
    SolveOutcome,
    relative_gap,
    solve_model,
)
from optimizer.summary import ANALYSIS, Key

Step = Callable[[str], None]
Solved = Callable[[str, SolveOutcome, float], None]


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


def proven_by_rp(eev: SolveOutcome, rp: SolveOutcome, mip_gap: float) -> SolveOutcome:
    """EEV minimises RP's cost over fewer plans, so RP's bound is a bound of EEV too:
    when it lies above EEV's own, it gives EEV's gap (``optimal`` when that meets
    ``mip_gap``)."""
    if not eev.has_plan or rp.bound is None or (eev.bound is not None
                                                 and rp.bound <= eev.bound):
        return eev
    bound = min(rp.bound, eev.objective)
    gap = relative_gap(eev.objective, bound)
    if eev.status == OPTIMAL or gap > mip_gap:
        return replace(eev, bound=bound, gap=gap)
    return replace(eev, status=OPTIMAL, bound=bound, gap=gap, termination=(
        f"{eev.termination}; proven within the gap by the stochastic problem's bound"))


def wait_and_see_scenario(instance: Instance, sc: ScenarioData, *, time_limit, mip_gap
                          ) -> SolveOutcome:
    """Scenario ``sc`` alone with its own first stage (one term of WS)."""
    return solve_model(build_model(instance, [alone(sc)]), time_limit=time_limit,
                       mip_gap=mip_gap, options=SMALL_MIP_OPTIONS)


def full_problem(instance: Instance, engine: Engine, *, time_limit, mip_gap,
                 progress=None) -> SolveRun:
    """RP (or the other coordination mode) by ``engine``."""
    return solve_instance(instance, engine=engine, time_limit=time_limit, mip_gap=mip_gap,
                          progress=progress)


def full_problem_outcome(instance: Instance, engine: Engine, *, time_limit, mip_gap
                         ) -> SolveOutcome:
    """The other coordination mode: only its objective counts, so the extensive form is
    solved bare (no report tables, no plan's LP); progressive hedging by its engine."""
    if engine.name != EXTENSIVE_FORM.name:
        return full_problem(instance, engine, time_limit=time_limit, mip_gap=mip_gap).outcome
    return solve_model(build_model(instance), time_limit=time_limit, mip_gap=mip_gap)


def other_mode(instance: Instance) -> str:
    return INDEPENDENT if instance.settings.coordination == COORDINATED else COORDINATED


def analysis_tasks(instance: Instance, engine: Engine, kw: dict, *, columns: int,
                   progress=None) -> list[Task]:
    """EV first (it starts EEV), RP, the other mode, then one task per scenario with
    ``π_s > 0`` (group ``ws``). A decomposition engine takes the machine
    (:func:`~optimizer.engines.takes_the_machine`): its tasks run alone."""
    exclusive = takes_the_machine(engine)
    full = {"columns": columns, "exclusive": exclusive}
    ws = [Task(("ws", i), f"wait-and-see: {sc.id}", wait_and_see_scenario, (instance, sc),
               kw, columns // max(1, len(instance.scenarios)), "ws")
          for i, sc in enumerate(scenario_data(instance)) if sc.probability > 0]
    mode = other_mode(instance)
    return [
        Task("ev", "expected-value problem (EV)", expected_value_problem, (instance,), kw),
        Task("rp", "stochastic problem (RP)", full_problem, (instance, engine),
             {**kw, **({"progress": progress} if progress else {})}, **full),
        Task("other", f"{mode} variant", full_problem_outcome,
             (instance.with_settings(coordination=mode), engine), kw, **full),
        *ws,
    ]


def eev_task(instance: Instance, done: Done, kw: dict, columns: int) -> list[Task]:
    """EEV once EV has its optimum and plan (none when EV has no plan)."""
    out, plan = done.result
    if not out.has_plan:
        return []
    return [Task("eev", "EV-optimal plans in the uncertain world (EEV)",
                 expected_result_of_ev_plans, (instance, out.objective, plan), kw, columns)]


def expected_value_figures(ev: SolveOutcome, eev: SolveOutcome | None
                           ) -> tuple[Figure, Figure, dict[str, str]]:
    """EV* and EEV (the lowest cost over the EV-optimal plans), with a note when EEV
    does not exist."""
    ev_star = objective(ev)
    if eev is None:
        return ev_star, ev_star, {
            "eev_musd": "The expected-value problem itself has no feasible plan."}
    fig = objective(eev)
    fig = Figure(fig.value, ev_star.basis + fig.basis)
    if fig.value != INFEASIBLE:
        return ev_star, fig, {}
    where = f" {eev.no_plan_reason}" if eev.no_plan_reason else ""
    return ev_star, fig, {"eev_musd": (
        "No plan that is optimal for the expected-value problem keeps every budget and "
        "floor in every scenario (or each buys stock in a year when some scenario can "
        "supply nothing), so EEV and VSS do not exist." + where)}


def run_analysis(instance: Instance, engine: Engine, kw: dict, *, jobs, progress,
                 step: Step, solved: Solved) -> dict:
    """Every solve of the analysis, serially or across the cores: key → :class:`Done`.
    A wait-and-see scenario with no plan drops those not yet started (WS is then no
    number anyway)."""
    columns = estimated_columns(instance)
    workers = worker_count(jobs, 3 + len(instance.scenarios), columns)
    runner = Runner(workers, on_start=lambda task: step(task.label),
                    on_done=lambda done: solved(done.task.label, outcome_of(done.result),
                                                done.seconds))

    def react(done: Done) -> list[Task]:
        if done.task.key == "ev":
            return eev_task(instance, done, kw, columns)
        if done.task.group == "ws" and not done.result.has_plan:
            runner.drop("ws")
        return []

    tasks = analysis_tasks(instance, engine, kw, columns=columns,
                           progress=progress if workers == 1 else None)
    return runner.run(tasks, react)


def analyze_instance(
    instance: Instance,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress=None,
    step: Step | None = None,
    solved: Solved | None = None,
    jobs: int | None = 1,
    engine: Engine | AutoEngine = EXTENSIVE_FORM,
) -> Analysis:
    """Solve RP, the other coordination mode, EV, EEV and WS (``jobs`` at a time,
    :mod:`optimizer.parallel`; ``None``: every core); return the figures, each with the
    status and gap of the solves behind it. ``engine`` solves RP and the other mode
    (:class:`~optimizer.engines.AutoEngine`: chosen once, for both); ``step`` hears of
    each solve started, ``solved`` of each one finished."""
    st = instance.settings
    time_limit = st.time_limit_s if time_limit is None else time_limit
    mip_gap = st.mip_gap if mip_gap is None else mip_gap
    kw = {"time_limit": time_limit, "mip_gap": mip_gap}
    chosen, choice = resolve(engine, instance)
    done = run_analysis(instance, chosen, kw, jobs=jobs,
                        progress=progress, step=step or (lambda name: None),
                        solved=solved or (lambda name, outcome, seconds: None))
    rp = done["rp"].result
    record_choice(rp, choice)
    rp_value = objective(rp.outcome)
    other = objective(done["other"].result)
    independent, coordinated = (other, rp_value) if other_mode(instance) == INDEPENDENT \
        else (rp_value, other)
    eev = done["eev"].result if "eev" in done else None
    if eev is not None:
        eev = proven_by_rp(eev, rp.outcome, mip_gap)
    ev_star, eev, notes = expected_value_figures(done["ev"].result[0], eev)
    ws = weighted_sum([(sc.probability, objective(done[("ws", i)].result))
                       for i, sc in enumerate(scenario_data(instance))
                       if ("ws", i) in done])

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


# =============================================================================== workbook


def analyze_workbook(input_path, output=None, *, time_limit=None, mip_gap=None,
                     progress=None, step=None, solved=None, jobs=1,
                     engine=EXTENSIVE_FORM) -> tuple[Analysis, Path]:
    """``stockpile analyze``: the pipeline's chain with RP, the other coordination mode,
    EV, EEV and WS between reading and writing."""

    def compute(instance: Instance) -> Analysis:
        analysis = analyze_instance(instance, time_limit=time_limit, mip_gap=mip_gap,
                                    progress=progress, step=step, solved=solved, jobs=jobs,
                                    engine=engine)
        add_analysis(analysis.results, analysis)
        return analysis

    return run_workbook(input_path, output, compute, suffix="analysis")
