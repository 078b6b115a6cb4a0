"""The whole chain in one place: read → validate → build → solve (engine chosen inside) →
results → diagnose if infeasible → write.

:func:`run_workbook` is that chain for every command: ``solve``, ``analyze`` and
``sweep`` differ only in what they compute between reading and writing
(:func:`solve_workbook` here; :func:`optimizer.analysis.analyze_workbook` and
:func:`optimizer.analysis.sweep_workbook`), and every solve goes through
:func:`solve_instance`, whose engine (the extensive form, or progressive hedging) builds,
solves and extracts the results. Each step is a function of its own module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from instance import Instance
from optimizer import __version__
from optimizer.diagnose import diagnose
from optimizer.extensive import ExtensiveForm
from optimizer.io import read_instance
from optimizer.ph.engine import ProgressiveHedging
from optimizer.report import write_report
from optimizer.results import Results
from optimizer.run import SolveRun
from optimizer.solve import ERROR, INFEASIBLE, SolveOutcome
from optimizer.tables import Problem
from optimizer.xlsx import OutputPathError, check_output

EXAMPLE = Path(__file__).resolve().parent.parent / "inputs" / "north_america.xlsx"

Engine = ExtensiveForm | ProgressiveHedging
EXTENSIVE_FORM = ExtensiveForm()


class InvalidInput(Exception):
    """The workbook has problems; nothing was solved."""

    def __init__(self, errors: tuple[Problem, ...], warnings: tuple[Problem, ...]):
        super().__init__(f"{len(errors)} problem(s) in the workbook")
        self.errors = errors
        self.warnings = warnings


class SameFile(OutputPathError):
    """The report would overwrite the input."""


def default_report_path(input_path: Path, suffix: str = "report") -> Path:
    """``reports/<input name>-report.xlsx`` under the current folder."""
    return Path("reports") / f"{input_path.stem}-{suffix}.xlsx"


def check_output_path(input_path: Path, output: Path, what: str = "report path") -> None:
    """Before any reading or solving: ``output`` can take a workbook
    (:func:`optimizer.xlsx.check_output`) and is not the input file."""
    check_output(output, what)
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


def solve_instance(
    instance: Instance,
    *,
    engine: Engine = EXTENSIVE_FORM,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress=None,
    on_phase=None,
) -> SolveRun:
    """Build → solve → results for one instance (no files), by ``engine``."""
    return engine.solve(instance, time_limit=time_limit, mip_gap=mip_gap, progress=progress,
                        on_phase=on_phase)


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
        if outcome.solved_columns is not None and outcome.solved_columns < outcome.columns:
            rows += [("columns solved (alike scenario years solved once)",
                      outcome.solved_columns),
                     ("rows solved (alike scenario years solved once)", outcome.solved_rows)]
    return rows


class Computed(Protocol):
    """What a command computes from an instance: the report's results, the outcome of its
    main solve (``None`` when there is none, as for a sweep), rows it adds to the Inputs
    sheet, and whether its report is written even when the main solve ended in error
    (when the report holds more than that solve)."""

    @property
    def results(self) -> Results: ...

    @property
    def outcome(self) -> SolveOutcome | None: ...

    extra_inputs: tuple[tuple[str, object], ...]
    report_on_error: bool


C = TypeVar("C", bound=Computed)


def run_workbook(
    input_path: Path,
    output: Path | None,
    compute: Callable[[Instance], C],
    *,
    suffix: str = "report",
    on_phase=None,
) -> tuple[C, Path]:
    """Read → validate → ``compute`` (build → solve → results) → diagnose if the main
    solve is infeasible → write the report (not when it ended in error, unless the
    computation says its report holds more). The report goes to ``output`` or
    ``reports/<input name>-<suffix>.xlsx``, never over the input."""
    output = output or default_report_path(input_path, suffix)
    check_output_path(input_path, output)
    t0 = time.perf_counter()
    instance, _warnings = load(input_path)
    if on_phase:
        on_phase("read and validate", time.perf_counter() - t0)
    computed = compute(instance)
    outcome = computed.outcome
    if outcome is not None and outcome.status == INFEASIBLE:
        computed.results.tables.extend(diagnose(instance).tables)
    t1 = time.perf_counter()
    if outcome is None or outcome.status != ERROR or computed.report_on_error:
        inputs = report_inputs(instance, outcome) + list(computed.extra_inputs)
        write_report(output, computed.results, inputs)
    if on_phase:
        on_phase("write", time.perf_counter() - t1)
    return computed, output


def solve_workbook(
    input_path: Path,
    output: Path | None = None,
    *,
    engine: Engine = EXTENSIVE_FORM,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress=None,
    on_phase=None,
) -> tuple[SolveRun, Path]:
    """``stockpile solve``: the chain of :func:`run_workbook` with one solve."""
    return run_workbook(
        input_path, output,
        lambda instance: solve_instance(instance, engine=engine, time_limit=time_limit,
                                        mip_gap=mip_gap, progress=progress,
                                        on_phase=on_phase),
        on_phase=on_phase,
    )
