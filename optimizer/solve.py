"""Solving a Pyomo model with HiGHS (highspy), status handled, never assumed.

The model is compiled to matrices (:func:`optimizer.matrices.compile_model`, reading the
linear rows the model builds) and handed to highspy in one call (much faster than
row-by-row hand-off), solved, and the values are loaded back into the Pyomo variables only
when the solve has a plan.

Status (WORKBOOK.md): ``optimal``; ``feasible`` (a limit stopped the solver with a plan);
``infeasible``; ``error`` (anything else, including a limit reached with no plan, which
``SolveOutcome.no_plan_reason`` explains).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from optimizer.matrices import compile_model, numeric_warnings
from optimizer.merge_blocks import BlockMerge, merge_identical_blocks

OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = "optimal", "feasible", "infeasible", "error"

# Objective scale handed to HiGHS: the model speaks MUSD, where a per-tonne cost is a
# coefficient of ~1e-6..1e-3; HiGHS sees thousands of USD instead (x 1e3), which keeps
# costs out of its "excessively small" range while the report still speaks MUSD.
OBJECTIVE_SCALE = 1e3
# HiGHS options for the one-scenario MIPs of an analysis (EV, wait-and-see, EEV's scenario
# checks), beside MIP_OPTIONS: their LP and rounding find the plan at once, while RINS/RENS
# sub-MIPs (off for every MIP now) and restarts took most of their time closing the last
# 0.01 % (p_medium: 10 wait-and-see solves 36 s → 10 s, EV 5.3 s → 1.0 s, an EEV check
# 26 s → 9 s; every one still optimal within the gap asked).
SMALL_MIP_OPTIONS = {"mip_allow_restart": False}
# Every MIP: HiGHS's root sub-MIP heuristics (RENS, RINS and the reduced-cost sub-MIP)
# each re-solve an LP as large as the model. On p_medium they spent 98 of 295 s finding a
# plan that HiGHS's own rounding comes close to at the root once the model carries the
# cumulative units w (models.first_stage.add_units_committed); without them the search
# proves the gap in about half the CPU time (bench/README.md). Options a caller passes win.
MIP_OPTIONS = {"mip_heuristic_run_rens": False, "mip_heuristic_run_rins": False,
               "mip_heuristic_run_root_reduced_cost": False}
# HiGHS threads when a solve does not say (None: HiGHS's own choice); a worker of
# :mod:`optimizer.parallel` sets 1, since its siblings use the other cores
DEFAULT_THREADS: int | None = None


@dataclass(frozen=True)
class Progress:
    """A solver progress event (MIP): elapsed seconds, incumbent and bound in MUSD."""

    seconds: float
    incumbent: float | None
    bound: float | None
    gap: float | None
    nodes: int


@dataclass(frozen=True)
class Marginals:
    """Duals of the plan's LP: the model with every integer fixed at the plan's value,
    re-solved as an LP. ``rows``: constraint → ∂objective/∂right-hand side; ``columns``:
    variable → reduced cost ∂objective/∂bound (for a fixed integer: ∂objective/∂value);
    both are ``ComponentMap``s (fixed variables of the model itself have no column).
    MUSD per unit of the row or column (per MUSD for a budget, per tonne for a floor).

    A dual is one subgradient; where the LP is degenerate the cost of actually moving a
    limit can differ. :meth:`objective_after` re-solves the plan's LP (warm, from its
    basis) with some bounds moved, for exact one-sided rates."""

    rows: dict
    columns: dict
    objective: float
    _highs: object = None
    _row_index: dict | None = None
    _col_index: dict | None = None
    # merged blocks: {True: copies per reduced row, False: copies per reduced column}
    _copies: dict | None = None

    def objective_after(self, moves: list[tuple[object, float, float]]) -> float | None:
        """The plan's LP objective (MUSD) with each ``(constraint or variable, Δlower,
        Δupper)`` applied (infinite bounds stay infinite); the LP is restored after.
        ``None`` when that LP does not solve to optimality, or when the moves split a
        merged block (:mod:`optimizer.merge_blocks`: a move must be the same on every copy
        of it, as a limit that applies in every scenario is)."""
        h = self._highs
        lp = h.getLp()  # its bounds read once (each read copies the whole array)
        bounds = {True: (lp.row_lower_, lp.row_upper_), False: (lp.col_lower_, lp.col_upper_)}
        # each item's total move, grouped by the row or column HiGHS holds for it
        by_index: dict[tuple[bool, int], dict[int, list[float]]] = defaultdict(dict)
        for item, d_lo, d_up in moves:
            is_row = item in self._row_index
            i = self._row_index[item] if is_row else self._col_index[item]
            total = by_index[(is_row, i)].setdefault(id(item), [0.0, 0.0])
            total[0] += d_lo
            total[1] += d_up
        moved: dict[tuple[bool, int], list[float]] = {}  # (row?, index) → [lower, upper]
        for (is_row, i), totals in by_index.items():
            copies = self._copies[is_row][i] if self._copies else 1
            shifts = {tuple(total) for total in totals.values()}
            if len(totals) != copies or len(shifts) != 1:
                return None  # a merged block's copies would move apart
            d_lo, d_up = shifts.pop()
            lo, up = bounds[is_row][0][i], bounds[is_row][1][i]
            moved[(is_row, i)] = [lo + d_lo if math.isfinite(lo) else lo,
                                  up + d_up if math.isfinite(up) else up]
        for (is_row, i), (lo, up) in moved.items():
            (h.changeRowBounds if is_row else h.changeColBounds)(i, lo, up)
        basis = h.getBasis()
        h.run()
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        value = h.getInfo().objective_function_value / OBJECTIVE_SCALE if ok else None
        for is_row, i in moved:
            (h.changeRowBounds if is_row else h.changeColBounds)(
                i, bounds[is_row][0][i], bounds[is_row][1][i])
        h.setBasis(basis)
        return value


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
    warnings: tuple[str, ...] = ()
    marginals: Marginals | None = None
    marginal_seconds: float = 0.0  # the plan's LP, when marginal values were asked for
    # the size HiGHS solved: smaller than columns/rows when identical blocks were merged
    solved_columns: int | None = None
    solved_rows: int | None = None

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


class SolveInterrupted(KeyboardInterrupt):
    """The planner pressed Ctrl-C: HiGHS stopped, and nothing should be written."""


def load_highs(arrays, *, time_limit=None, mip_gap=None, threads=None, options=None,
               log: bool = False, start: Mapping | None = None) -> highspy.Highs:
    """A HiGHS instance holding the compiled model (one ``passModel`` call) and the
    ``start`` if any."""
    columns, a, lower, upper, integer, row_lower, row_upper, cost, offset, _rows = arrays
    ncol, nrow = len(columns), len(row_lower)
    h = new_highs()
    h.setOptionValue("output_flag", bool(log))
    threads = threads or DEFAULT_THREADS
    if threads:
        h.setOptionValue("threads", int(threads))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
    for key, value in ({**MIP_OPTIONS, **(options or {})} if integer.any()
                       else options or {}).items():
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
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = nrow
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
    h.passModel(lp)
    if start and ncol:
        _set_start(h, columns, integer, start)
    return h


def _set_start(h: highspy.Highs, columns: list, integer, start: Mapping) -> None:
    """Hand ``start`` ({variable: value}) to HiGHS as a (partial) solution."""
    col_of = {id(var): j for j, var in enumerate(columns)}
    index, value = [], []
    for var, x in start.items():
        j = col_of.get(id(var))
        if j is not None and x is not None:
            index.append(j)
            value.append(float(round(x)) if integer[j] else float(x))
    if index:
        h.setSolution(len(index), np.asarray(index, dtype=np.int32), np.asarray(value))


def _watch(h: highspy.Highs, progress: Callable[[Progress], None]) -> None:
    """Send the MIP's log and improving-solution events to ``progress`` (MUSD)."""

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


def _status(model_status, has_solution: bool, termination: str,
            time_limit: float | None) -> tuple[str, str]:
    """WORKBOOK.md's status of a HiGHS outcome, and why there is no plan (for ``error``)."""
    S = highspy.HighsModelStatus
    if model_status == S.kOptimal:
        return OPTIMAL, ""
    if model_status in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return INFEASIBLE, ""
    if has_solution and model_status in (
        S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kObjectiveBound,
        S.kObjectiveTarget,
    ):
        return FEASIBLE, ""
    if model_status == S.kTimeLimit:
        return ERROR, f"the time limit ({time_limit:g} s) was reached before any plan was found"
    return ERROR, f"HiGHS stopped with status '{termination}'"


def solve_model(
    model: pyo.ConcreteModel,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    options: dict | None = None,
    progress: Callable[[Progress], None] | None = None,
    log: bool = False,
    marginals: bool = False,
    start: Mapping | None = None,
    merge_blocks: bool = True,
) -> SolveOutcome:
    """Solve ``model`` (one minimising objective) with HiGHS and load the plan back.

    ``start``: values for some variables (variable → value, e.g.
    :func:`models.stockpile.plan_start`); HiGHS completes the rest and, when feasible,
    begins from it, so a solve stopped by its time limit still has a plan and its gap.

    With ``marginals``, the plan's LP (integers fixed at the plan) is solved as well: its
    continuous values replace the MIP's (the same integers, at least as cheap) and its
    duals come back in :attr:`SolveOutcome.marginals`.

    With ``merge_blocks`` (the default), HiGHS solves the model with its identical
    recourse blocks merged (:mod:`optimizer.merge_blocks`: the same optimum, a smaller
    model); values and duals come back for every column and row of ``model``."""
    t0 = time.perf_counter()
    arrays = compile_model(model)
    columns, a, lower, upper, integer, row_lower, row_upper, _cost, offset, constraints = arrays
    ncol, nrow = len(columns), len(row_lower)
    nint = int(integer.sum())
    warnings = tuple(numeric_warnings(columns, a, lower, upper, row_lower, row_upper))
    merge = merge_identical_blocks(arrays) if merge_blocks else None
    solved = merge.reduce(arrays) if merge is not None else arrays
    h = load_highs(solved, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                   options=options, log=log, start=start)
    handoff = time.perf_counter() - t0
    if progress is not None and nint:
        _watch(h, progress)
    h.HandleKeyboardInterrupt = True

    t1 = time.perf_counter()
    if ncol:
        h.solve()
    solve_seconds = time.perf_counter() - t1
    name = solver_name()
    if ncol == 0:
        return SolveOutcome(OPTIMAL, "optimal", offset, offset, 0.0, handoff, solve_seconds,
                            0, nrow, 0, name, warnings=warnings)

    model_status = h.getModelStatus()
    if model_status == highspy.HighsModelStatus.kInterrupt:
        raise SolveInterrupted("the solve was interrupted")
    termination = h.modelStatusToString(model_status)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = info.objective_function_value / OBJECTIVE_SCALE if has_solution else None
    if nint:
        bound = info.mip_dual_bound / OBJECTIVE_SCALE
        bound = bound if math.isfinite(bound) else None
    else:
        bound = objective if model_status == highspy.HighsModelStatus.kOptimal else None
    status, reason = _status(model_status, has_solution, termination, time_limit)

    found, lp_seconds = None, 0.0
    if status in (OPTIMAL, FEASIBLE):
        found, lp_seconds = _load_plan(h, model, arrays, solved, merge, marginals)
        if found is not None:
            objective = min(objective, found.marginals.objective)
        if bound is None and status == OPTIMAL:
            bound = objective
    gap = relative_gap(objective, bound) if status in (OPTIMAL, FEASIBLE) else None
    return SolveOutcome(
        status=status, termination=termination, objective=objective, bound=bound, gap=gap,
        handoff_seconds=handoff, solve_seconds=solve_seconds, columns=ncol, rows=nrow,
        integers=nint, solver=name, no_plan_reason=reason, warnings=warnings,
        marginals=found.marginals if found is not None else None,
        marginal_seconds=lp_seconds,
        solved_columns=len(solved[0]), solved_rows=len(solved[5]),
    )


@dataclass(frozen=True)
class _PlanLp:
    values: list
    marginals: Marginals


def _load_plan(h, model, arrays, solved, merge: BlockMerge | None,
               marginals: bool) -> tuple[_PlanLp | None, float]:
    """Load HiGHS's solution into every variable of ``model`` (``arrays``: its columns;
    ``solved``: what HiGHS holds, reduced by ``merge`` or not), after the plan's LP when
    ``marginals`` are asked for (its values replace the MIP's); that LP and its seconds."""
    columns, integer, constraints = arrays[0], arrays[4], arrays[9]
    values = h.getSolution().col_value
    found, seconds = None, 0.0
    if marginals:
        t0 = time.perf_counter()
        derived = model.component("derived")
        found = _plan_lp(h, solved, values,
                         derived if derived is not None else ComponentMap(), merge,
                         columns, constraints)
        seconds = time.perf_counter() - t0
        if found is not None:
            values = found.values
    if merge is not None:
        values = merge.expand_values(values)
    for var, x, is_int in zip(columns, values, integer, strict=True):
        var.set_value(round(x) if is_int else x, skip_validation=True)
    return found, seconds


def _plan_lp(h, solved, values, derived, merge: BlockMerge | None, columns,
             constraints) -> _PlanLp | None:
    """Fix the integer columns at the plan's values, solve the LP left, and read its
    duals (``None`` when that LP does not solve to optimality, which a plan's own LP
    should; the report then goes without marginal values). Integer columns the model
    marks ``derived`` (a suffix: values its rows determine from the plan) are left free,
    neither fixed nor bounded, so a reduced cost or a re-solve moving the plan sees only
    the plan's own rows.

    ``h`` holds ``solved`` (the model's arrays, or the reduced ones of ``merge``); the
    values returned are ``solved``'s, the marginal values those of every row and column
    of the full model (``columns``, ``constraints``)."""
    solved_columns, integer = solved[0], solved[4]
    idx = np.nonzero(integer)[0].astype(np.int32)
    if idx.size:
        fixed = np.round(np.asarray(values, dtype=float)[idx])
        h.changeColsIntegrality(idx.size, idx, np.zeros(idx.size, dtype=np.uint8))
        free = np.array([derived.get(solved_columns[j], 0) for j in idx], dtype=bool)
        fixed_lo = np.where(free, -highspy.kHighsInf, fixed)
        fixed_up = np.where(free, highspy.kHighsInf, fixed)
        h.changeColsBounds(idx.size, idx, fixed_lo, fixed_up)
        h.setOptionValue("time_limit", highspy.kHighsInf)
        h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInterrupt:
        raise SolveInterrupted("the solve was interrupted")
    if status != highspy.HighsModelStatus.kOptimal:
        return None
    solution = h.getSolution()
    if not solution.dual_valid:
        return None
    row_dual, col_dual = solution.row_dual, solution.col_dual
    if merge is None:
        row_to, col_to, copies = range(len(constraints)), range(len(columns)), None
    else:
        row_dual, col_dual = merge.expand_duals(row_dual, col_dual)
        row_to, col_to = merge.row_to.tolist(), merge.col_to.tolist()
        copies = {True: merge.copies_row.tolist(), False: merge.copies_col.tolist()}
    scale = 1.0 / OBJECTIVE_SCALE
    rows = ComponentMap((con, d * scale) for con, d in zip(constraints, row_dual, strict=True))
    cols = ComponentMap((var, d * scale) for var, d in zip(columns, col_dual, strict=True))
    objective = h.getInfo().objective_function_value * scale
    row_index = ComponentMap(zip(constraints, row_to, strict=True))
    col_index = ComponentMap(zip(columns, col_to, strict=True))
    return _PlanLp(list(solution.col_value),
                   Marginals(rows, cols, objective, h, row_index, col_index, copies))
