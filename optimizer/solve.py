"""Solving a Pyomo model with HiGHS (highspy), status handled, never assumed.

The model is compiled to matrices by Pyomo's linear standard-form compiler and handed to
highspy in one call (much faster than row-by-row hand-off), solved, and the values are
loaded back into the Pyomo variables only when the solve has a plan.

Status (WORKBOOK.md): ``optimal``; ``feasible`` (a limit stopped the solver with a plan);
``infeasible``; ``error`` (anything else, including a limit reached with no plan, which
``SolveOutcome.no_plan_reason`` explains).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = "optimal", "feasible", "infeasible", "error"

# Objective scale handed to HiGHS: the model speaks MUSD, where a per-tonne cost is a
# coefficient of ~1e-6..1e-3; HiGHS sees thousands of USD instead (x 1e3), which keeps
# costs out of its "excessively small" range while the report still speaks MUSD.
OBJECTIVE_SCALE = 1e3


@dataclass(frozen=True)
class Progress:
    """A solver progress event (MIP): elapsed seconds, incumbent and bound in MUSD."""

    seconds: float
    incumbent: float | None
    bound: float | None
    gap: float | None
    nodes: int


@dataclass(frozen=True)
class SolveOutcome:
    """What one solve gave. ``objective``/``bound`` in the model's units (MUSD)."""

    status: str
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    handoff_seconds: float
    solve_seconds: float
    columns: int
    rows: int
    integers: int
    solver: str
    no_plan_reason: str = ""

    @property
    def has_plan(self) -> bool:
        return self.status in (OPTIMAL, FEASIBLE)


_BANNER_SHOWN = False


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance (its first construction in a process prints a banner on
    the C-level stdout, which would break the terminal summary)."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        import os
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def solver_name() -> str:
    from importlib.metadata import version

    return f"HiGHS (highspy {version('highspy')})"


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective − bound| / max(|objective|, 1e-9)``, 0 when both are equal."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    diff = abs(objective - bound)
    if diff <= 1e-12:
        return 0.0
    return diff / max(abs(objective), 1e-9)


def _compile(model: pyo.ConcreteModel):
    repn = LinearStandardFormCompiler().write(model, mixed_form=True)
    columns = repn.columns
    ncol = len(columns)
    inf = highspy.kHighsInf
    lower = np.fromiter((-inf if v.lb is None else v.lb for v in columns), float, ncol)
    upper = np.fromiter((inf if v.ub is None else v.ub for v in columns), float, ncol)
    integer = np.fromiter((v.is_integer() or v.is_binary() for v in columns), bool, ncol)
    senses = np.fromiter((sense for _, sense in repn.rows), np.int8, len(repn.rows))
    rhs = np.asarray(repn.rhs, dtype=float)
    row_lower = np.where(senses == 1, -inf, rhs)
    row_upper = np.where(senses == -1, inf, rhs)
    cost = np.asarray(repn.c.toarray()).ravel() if ncol else np.zeros(0)
    offset = float(repn.c_offset[0]) if len(repn.c_offset) else 0.0
    return repn, lower, upper, integer, row_lower, row_upper, cost, offset


def solve_model(
    model: pyo.ConcreteModel,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    options: dict | None = None,
    progress: Callable[[Progress], None] | None = None,
    log: bool = False,
) -> SolveOutcome:
    """Solve ``model`` (one minimising objective) with HiGHS and load the plan back."""
    t0 = time.perf_counter()
    repn, lower, upper, integer, row_lower, row_upper, cost, offset = _compile(model)
    ncol, nrow = len(repn.columns), len(repn.rows)
    nint = int(integer.sum())

    h = new_highs()
    h.setOptionValue("output_flag", bool(log))
    if threads:
        h.setOptionValue("threads", int(threads))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)

    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = nrow
    lp.col_cost_ = cost * OBJECTIVE_SCALE
    lp.offset_ = offset * OBJECTIVE_SCALE
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    a = repn.A.tocsc() if ncol else None
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = nrow
    lp.a_matrix_.start_ = a.indptr if a is not None else np.zeros(1, dtype=np.int32)
    lp.a_matrix_.index_ = a.indices if a is not None else np.zeros(0, dtype=np.int32)
    lp.a_matrix_.value_ = a.data if a is not None else np.zeros(0)
    if nint:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
    h.passModel(lp)
    handoff = time.perf_counter() - t0

    if progress is not None and nint:
        def on_event(event):
            out = event.data_out
            inc = out.mip_primal_bound / OBJECTIVE_SCALE
            bnd = out.mip_dual_bound / OBJECTIVE_SCALE
            progress(Progress(
                seconds=out.running_time,
                incumbent=inc if math.isfinite(inc) else None,
                bound=bnd if math.isfinite(bnd) else None,
                gap=out.mip_gap if math.isfinite(out.mip_gap) else None,
                nodes=int(out.mip_node_count),
            ))

        h.cbMipLogging += on_event
        h.cbMipImprovingSolution += on_event
    h.HandleKeyboardInterrupt = True

    t1 = time.perf_counter()
    if ncol:
        h.solve()
    solve_seconds = time.perf_counter() - t1
    name = solver_name()

    if ncol == 0:
        return SolveOutcome(OPTIMAL, "optimal", offset, offset, 0.0, handoff, solve_seconds,
                            0, nrow, 0, name)

    model_status = h.getModelStatus()
    termination = h.modelStatusToString(model_status)
    info = h.getInfo()
    S = highspy.HighsModelStatus
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = info.objective_function_value / OBJECTIVE_SCALE if has_solution else None
    if nint:
        bound = info.mip_dual_bound / OBJECTIVE_SCALE
        bound = bound if math.isfinite(bound) else None
    else:
        bound = objective if model_status == S.kOptimal else None

    if model_status == S.kOptimal:
        status = OPTIMAL
    elif model_status in (S.kInfeasible, S.kUnboundedOrInfeasible):
        status = INFEASIBLE
    elif has_solution and model_status in (
        S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kInterrupt, S.kObjectiveBound,
        S.kObjectiveTarget,
    ):
        status = FEASIBLE
    else:
        status = ERROR
    reason = ""
    if status == ERROR:
        if model_status == S.kTimeLimit:
            reason = f"the time limit ({time_limit:g} s) was reached before any plan was found"
        elif model_status == S.kInterrupt:
            reason = "the solve was interrupted before any plan was found"
        else:
            reason = f"HiGHS stopped with status '{termination}'"

    if status in (OPTIMAL, FEASIBLE):
        values = h.getSolution().col_value
        for var, x, is_int in zip(repn.columns, values, integer, strict=True):
            var.set_value(round(x) if is_int else x, skip_validation=True)
        if bound is None and status == OPTIMAL:
            bound = objective
    gap = relative_gap(objective, bound) if status in (OPTIMAL, FEASIBLE) else None
    return SolveOutcome(
        status=status,
        termination=termination,
        objective=objective,
        bound=bound,
        gap=gap,
        handoff_seconds=handoff,
        solve_seconds=solve_seconds,
        columns=ncol,
        rows=nrow,
        integers=nint,
        solver=name,
        no_plan_reason=reason,
    )
