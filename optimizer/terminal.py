"""What the terminal shows: the two consoles, problems one per line, figures, live solver
progress and the summary of a solve. The command line (:mod:`optimizer.cli`) decides what
to run; this module only prints.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from optimizer.summary import TERMINAL
from optimizer.tables import Problem

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_problems(errors: tuple[Problem, ...], warnings: tuple[Problem, ...]) -> None:
    """Every problem on one line, then the count line."""
    for p in errors:
        err.print(f"[red]error[/red]   {p}", markup=True, soft_wrap=True)
    for p in warnings:
        err.print(f"[yellow]warning[/yellow] {p}", markup=True, soft_wrap=True)
    err.print(f"{len(errors)} error(s), {len(warnings)} warning(s)")


def fmt(value, digits: int = 6) -> str:
    """A figure for the terminal: ``-`` for none, floats with thousands separators."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


class Phases:
    """Terminal progress: phases with their times, live solver progress."""

    def __init__(self, console: Console):
        self.console = console
        self.status = None
        self.last = 0.0

    def phase(self, name: str, seconds: float) -> None:
        self.console.print(f"  {name:<18} {seconds:8.2f} s")

    def progress(self, event) -> None:
        now = time.monotonic()
        if now - self.last < 0.5:
            return
        self.last = now
        if self.status is not None:
            gap = "-" if event.gap is None else f"{100 * event.gap:.3f} %"
            self.status.update(
                f"solving: {event.seconds:6.1f} s  plan {fmt(event.incumbent, 3)}  "
                f"bound {fmt(event.bound, 3)}  gap {gap}  nodes {event.nodes}"
            )


def print_run(run, path: Path) -> None:
    """A solve's Summary keys, the projects to fund, warnings, and what went wrong."""
    o = run.outcome
    r = run.results
    diagnosis = r.table("Diagnosis")
    table = RichTable(title="Summary", show_header=False, box=None)
    for key in TERMINAL:
        table.add_row(key, fmt(r.value(key)))
    out.print(table)
    inv = r.table("Investments")
    if inv and inv.rows:
        out.print("Projects to fund:")
        for row in inv.records()[:10]:
            out.print(f"  {row['project']}: {row['units']} unit(s) from {row['start year']} "
                      f"({row['output']}, sponsor {row['sponsor']})")
    for warning in o.warnings:
        err.print(f"warning: {warning}")
    if o.status == "feasible":
        err.print(f"warning: stopped at a limit ({o.termination}) with a plan; gap "
                  f"{fmt(o.gap)}")
    if o.status == "infeasible":
        err.print("infeasible: the workbook's requirements cannot all be met together")
        for finding in diagnosis.column("finding") if diagnosis else []:
            err.print(f"  {finding}")
    if o.status == "error":
        err.print(f"error   no plan: {o.no_plan_reason}")
        return
    out.print(f"report: {path}")
