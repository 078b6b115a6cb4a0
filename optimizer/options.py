"""The options the ``stockpile`` commands share, with their help, and what they turn
into: the engine (``--engine``, and the line saying which ``auto`` chose and why), and a
line per finished solve when several run at a time (``--jobs``). :mod:`optimizer.cli`
declares the commands."""

from __future__ import annotations

import os
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from optimizer.engines import EF_MAX_COLUMNS, AutoEngine, EngineChoice
from optimizer.figures import percent
from optimizer.solve import SolveOutcome
from optimizer.terminal import fmt, out

InputArg = Annotated[
    Path | None,
    typer.Argument(help="Input workbook (.xlsx). Default: the example in inputs/.",
                   show_default=False),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Report path. Default: reports/<input>-report.xlsx."),
]
TimeLimitOpt = Annotated[
    float | None,
    typer.Option("--time-limit", min=0.0, help="Solver time limit in seconds, for each "
                                               "solve (overrides Settings time_limit_s)."),
]
MipGapOpt = Annotated[
    float | None,
    typer.Option("--mip-gap", min=0.0, help="Relative MIP gap (overrides Settings mip_gap)."),
]
JobsOpt = Annotated[
    int | None,
    typer.Option("--jobs", min=1, show_default=False, help=(
        "Independent solves run at a time, each in its own process with one HiGHS thread "
        f"(default: every core, {os.cpu_count() or 1} here, fewer when memory is short; "
        "one for a workbook that solves in a moment).")),
]


class Engine(StrEnum):
    auto = "auto"
    ef = "ef"
    ph = "ph"
    benders = "benders"


ENGINE_HELP = (
    "auto (default): the extensive form when the model fits it (up to about "
    f"{EF_MAX_COLUMNS:,} columns, estimated from scenarios x years x (import arcs + "
    "projects + stockpiles + transfer arcs + balances) before building); above that the "
    "L-shaped method (benders) when the workbook has no risk weight, else progressive "
    "hedging when MPI and mpi-sppy are installed; it says which and why, in the terminal "
    "and in Summary's engine. ef: the extensive form in one HiGHS solve (proves "
    "optimality). benders: the L-shaped method, scenario by scenario, for many scenarios "
    "without a risk weight (proves its gap). ph: progressive hedging with mpi-sppy under "
    "MPI, for many scenarios.")
EngineOpt = Annotated[Engine, typer.Option("--engine", help=ENGINE_HELP)]


def ph_engine(ranks: int, bundle, rel_gap: float, lagrangian: bool):
    """Progressive hedging with its log streamed to the terminal (``bundle`` None: the
    engine's default, about 10 scenarios)."""
    from optimizer.ph.engine import DEFAULT_BUNDLE, ProgressiveHedging

    return ProgressiveHedging(ranks=ranks, bundle=bundle or DEFAULT_BUNDLE, rel_gap=rel_gap,
                              lagrangian=lagrangian, on_line=timed_lines())


def benders_engine():
    """The L-shaped method with its progress streamed to the terminal."""
    from optimizer.benders import Benders

    return Benders(on_line=timed_lines())


def timed_lines():
    """A line printer that puts the seconds since its creation before each line."""
    t0 = time.perf_counter()

    def on_line(line: str) -> None:
        line = line.rstrip()
        if line:
            out.print(f"  {time.perf_counter() - t0:7.1f} s  {line}", markup=False)

    return on_line


def said(choice: EngineChoice) -> None:
    """The engine ``--engine auto`` chose, and why, on one line."""
    out.print(choice.line, markup=False)


def auto_engine() -> AutoEngine:
    """What analyze, sweep and coalitions solve the full problem with."""
    return AutoEngine(ph=ph_engine(2, None, 0.01, False), benders=benders_engine(),
                      on_choice=said)


def solve_line(name: str, outcome: SolveOutcome, seconds: float) -> str:
    """One finished solve: its name, status, objective and gap, and its seconds."""
    if outcome.has_plan:
        gap = "" if outcome.gap is None else f", gap {percent(outcome.gap)}"
        what = f"{outcome.status}, {fmt(outcome.objective)} MUSD{gap}"
    else:
        why = outcome.no_plan_reason or (outcome.termination if outcome.termination.lower()
                                         != outcome.status else "")
        what = outcome.status + (f": {why}" if why else "")
    return f"{name}: {what} ({seconds:.1f} s)"

