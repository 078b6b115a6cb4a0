"""The whole chain in one place: read → validate → build → solve → extract → write.

:func:`solve_workbook` is what ``stockpile solve`` runs; each step is a function of its
own module, and this file shows their order on one screen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from models.factors import scenario_data
from models.index import ModelIndex
from models.stockpile import build_model, first_stage_plan
from optimizer import __version__
from optimizer.data import Instance
from optimizer.io import Problem, read_instance
from optimizer.report import write_report
from optimizer.results import Results, empty_results, extract
from optimizer.solve import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL, SolveOutcome, solve_model

# Exit codes of WORKBOOK.md
EXIT_OK, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_FAILURE = 0, 1, 2, 3
EXAMPLE = Path(__file__).resolve().parent.parent / "inputs" / "north_america.xlsx"


class InvalidInput(Exception):
    """The workbook has problems; nothing was solved."""

    def __init__(self, errors: tuple[Problem, ...], warnings: tuple[Problem, ...]):
        super().__init__(f"{len(errors)} problem(s) in the workbook")
        self.errors = errors
        self.warnings = warnings


class SameFile(Exception):
    """The report would overwrite the input."""


def default_report_path(input_path: Path, suffix: str = "report") -> Path:
    """``reports/<input name>-report.xlsx`` under the current folder."""
    return Path("reports") / f"{input_path.stem}-{suffix}.xlsx"


def check_output_path(input_path: Path, output: Path) -> None:
    """The report may never be the input file."""
    if output.resolve() == input_path.resolve() or (
        output.exists() and input_path.exists() and output.samefile(input_path)
    ):
        raise SameFile(f"the report path {output} is the input file; choose another -o")


def load(path: Path) -> tuple[Instance, tuple[Problem, ...]]:
    """Read and validate; raises :class:`InvalidInput` with every problem at once."""
    result = read_instance(path)
    if not result.ok:
        raise InvalidInput(result.errors, result.warnings)
    return result.instance, result.warnings


@dataclass
class SolveRun:
    """The outcome of one solve of a workbook, for the terminal and the report."""

    instance: Instance
    outcome: SolveOutcome
    results: Results
    build_seconds: float
    plan: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if self.outcome.status in (OPTIMAL, FEASIBLE):
            return EXIT_OK
        if self.outcome.status == INFEASIBLE:
            return EXIT_INFEASIBLE
        return EXIT_FAILURE


def solve_instance(
    instance: Instance,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress=None,
    on_phase=None,
) -> SolveRun:
    """Build, solve and extract one instance (no files)."""
    st = instance.settings
    phase = on_phase or (lambda name, seconds: None)
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
    )
    phase("solve", outcome.handoff_seconds + outcome.solve_seconds)
    solve_seconds = outcome.handoff_seconds + outcome.solve_seconds
    if outcome.has_plan:
        results = extract(
            model, ix, scenarios, status=outcome.status, objective=outcome.objective,
            bound=outcome.bound, gap=outcome.gap, build_seconds=build_seconds,
            solve_seconds=solve_seconds,
        )
        results.set("engine", "ef", "", "extensive form, one HiGHS solve")
        plan = first_stage_plan(model)
    else:
        results = empty_results(instance, status=outcome.status, build_seconds=build_seconds,
                                solve_seconds=solve_seconds, bound=outcome.bound)
        plan = {}
    return SolveRun(instance, outcome, results, build_seconds, plan)


def report_inputs(instance: Instance, outcome: SolveOutcome | None) -> list[tuple[str, object]]:
    """The Inputs sheet: what was solved, by what."""
    st = instance.settings
    rows = [
        ("input file", instance.source_name),
        ("input SHA-256", instance.source_sha256),
        ("title", st.title),
        ("solver", outcome.solver if outcome else ""),
        ("stockpile version", __version__),
        ("first year", st.first_year),
        ("horizon (years)", st.horizon_years),
        ("discount rate", st.discount_rate),
        ("coordination", st.coordination),
        ("risk weight λ", st.risk_weight),
        ("CVaR α", st.cvar_alpha),
        ("release rule", st.release_rule),
        ("members", ", ".join(instance.members)),
        ("commodities", len(instance.commodities)),
        ("scenarios", len(instance.scenarios)),
        ("eligible projects", len(instance.eligible_projects)),
        ("written", time.strftime("%Y-%m-%d %H:%M:%S")),
    ]
    if outcome is not None:
        rows += [
            ("model columns", outcome.columns),
            ("model rows", outcome.rows),
            ("integer columns", outcome.integers),
            ("solver termination", outcome.termination),
        ]
    return rows


def solve_workbook(
    input_path: Path,
    output: Path | None = None,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress=None,
    on_phase=None,
) -> tuple[SolveRun, Path]:
    """``stockpile solve``: read → validate → build → solve → extract → write."""
    output = output or default_report_path(input_path)
    check_output_path(input_path, output)
    t0 = time.perf_counter()
    instance, _warnings = load(input_path)
    if on_phase:
        on_phase("read and validate", time.perf_counter() - t0)
    run = solve_instance(instance, time_limit=time_limit, mip_gap=mip_gap, progress=progress,
                         on_phase=on_phase)
    if run.outcome.status == INFEASIBLE:
        from optimizer.diagnose import diagnose

        run.results.tables.extend(diagnose(instance).tables)
    t1 = time.perf_counter()
    if run.outcome.status != ERROR:
        write_report(output, run.results, report_inputs(instance, run.outcome))
    if on_phase:
        on_phase("write", time.perf_counter() - t1)
    return run, output
