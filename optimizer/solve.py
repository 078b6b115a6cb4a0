"""Solving a Pyomo model with HiGHS (highspy), status handled, never assumed.

The model is compiled to matrices (:func:`_compile`, reading the linear rows the model
builds) and handed to highspy in one call (much faster than row-by-row hand-off), solved,
and the values are loaded back into the Pyomo variables only when the solve has a plan.

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
import scipy.sparse as sp
from pyomo.common.collections import ComponentMap
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import (
    DivisionExpression,
    LinearExpression,
    MonomialTermExpression,
    NegationExpression,
    ProductExpression,
    SumExpression,
)
from pyomo.core.expr.numvalue import is_potentially_variable
from pyomo.repn.standard_repn import generate_standard_repn

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

    def objective_after(self, moves: list[tuple[object, float, float]]) -> float | None:
        """The plan's LP objective (MUSD) with each ``(constraint or variable, Δlower,
        Δupper)`` applied (infinite bounds stay infinite); the LP is restored after.
        ``None`` when that LP does not solve to optimality."""
        h = self._highs
        undo = []
        for item, d_lo, d_up in moves:
            is_row = item in self._row_index
            i = self._row_index[item] if is_row else self._col_index[item]
            lp = h.getLp()
            lo = (lp.row_lower_ if is_row else lp.col_lower_)[i]
            up = (lp.row_upper_ if is_row else lp.col_upper_)[i]
            change = h.changeRowBounds if is_row else h.changeColBounds
            change(i, lo + d_lo if math.isfinite(lo) else lo,
                   up + d_up if math.isfinite(up) else up)
            undo.append((change, i, lo, up))
        basis = h.getBasis()
        h.run()
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        value = h.getInfo().objective_function_value / OBJECTIVE_SCALE if ok else None
        for change, i, lo, up in reversed(undo):
            change(i, lo, up)
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


def _linear_terms(expr, scale: float, coefs: list, variables: list) -> float:
    """Append ``scale · expr``'s terms to ``coefs``/``variables``; return its constant.

    The model's rows, costs and objective are sums of ``LinearExpression`` objects and
    named expressions, read here directly (Pyomo's general compilers cost ~50 µs per
    column on this model); any other form goes through Pyomo's standard repn."""
    cls = expr.__class__
    if cls in native_numeric_types:
        return scale * expr
    if cls is LinearExpression or cls is SumExpression:
        const = 0.0
        for arg in expr.args:
            acls = arg.__class__
            if acls is MonomialTermExpression:
                coef, var = arg.args
                coefs.append(scale * (coef if coef.__class__ in native_numeric_types
                                      else pyo.value(coef)))
                variables.append(var)
            elif acls is VarData:
                coefs.append(scale)
                variables.append(arg)
            else:
                const += _linear_terms(arg, scale, coefs, variables)
        return const
    if cls is MonomialTermExpression:
        coef, var = expr.args
        coefs.append(scale * pyo.value(coef))
        variables.append(var)
        return 0.0
    if expr.is_variable_type():
        coefs.append(scale)
        variables.append(expr)
        return 0.0
    if not expr.is_potentially_variable():
        return scale * pyo.value(expr)
    if expr.is_named_expression_type():
        return _linear_terms(expr.expr, scale, coefs, variables)
    if cls is NegationExpression:
        return _linear_terms(expr.args[0], -scale, coefs, variables)
    if cls is ProductExpression:
        left, right = expr.args
        if not is_potentially_variable(left):
            return _linear_terms(right, scale * pyo.value(left), coefs, variables)
        if not is_potentially_variable(right):
            return _linear_terms(left, scale * pyo.value(right), coefs, variables)
    if cls is DivisionExpression and not is_potentially_variable(expr.args[1]):
        return _linear_terms(expr.args[0], scale / pyo.value(expr.args[1]), coefs, variables)
    repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
    if not repn.is_linear():
        raise ValueError(f"HiGHS is handed linear models only; {expr} is not linear")
    coefs.extend(scale * a for a in repn.linear_coefs)
    variables.extend(repn.linear_vars)
    return scale * repn.constant


def _compile(model: pyo.ConcreteModel):
    """The model's columns, rows and objective as arrays for HiGHS (fixed variables
    become constants; columns are the free variables that appear somewhere)."""
    col_of: dict[int, int] = {}
    columns: list = []
    indptr, indices, values = [0], [], []
    row_lower, row_upper = [], []
    inf = highspy.kHighsInf

    def place(const, coefs, variables, into: dict[int, float]) -> float:
        for coef, var in zip(coefs, variables, strict=True):
            if var.fixed:
                const += coef * var.value
                continue
            j = col_of.get(id(var))
            if j is None:
                j = col_of[id(var)] = len(columns)
                columns.append(var)
            into[j] = into.get(j, 0.0) + coef
        return const

    constraints = []
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        constraints.append(con)
        lb, body, ub = con.to_bounded_expression(evaluate_bounds=True)
        row: dict[int, float] = {}
        coefs, variables = [], []
        const = place(_linear_terms(body, 1.0, coefs, variables), coefs, variables, row)
        row_lower.append(-inf if lb is None else lb - const)
        row_upper.append(inf if ub is None else ub - const)
        indices.extend(row)
        values.extend(row.values())
        indptr.append(len(indices))

    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objectives) != 1:
        raise ValueError(f"the model has {len(objectives)} active objectives, not one")
    obj = objectives[0]
    if obj.sense != pyo.minimize:
        raise ValueError("the objective must be minimised")
    cost_terms: dict[int, float] = {}
    coefs, variables = [], []
    offset = place(_linear_terms(obj.expr, 1.0, coefs, variables), coefs, variables, cost_terms)

    ncol, nrow = len(columns), len(row_lower)
    cost = np.zeros(ncol)
    if cost_terms:
        cost[np.fromiter(cost_terms, np.int64, len(cost_terms))] = np.fromiter(
            cost_terms.values(), float, len(cost_terms))
    bounds = [v.bounds for v in columns]
    lower = np.fromiter((-inf if lb is None else lb for lb, _ in bounds), float, ncol)
    upper = np.fromiter((inf if ub is None else ub for _, ub in bounds), float, ncol)
    integer = np.fromiter((v.is_integer() or v.is_binary() for v in columns), bool, ncol)
    a = sp.csr_matrix(
        (np.asarray(values, dtype=float), np.asarray(indices, dtype=np.int32),
         np.asarray(indptr, dtype=np.int64)), shape=(nrow, ncol),
    ).tocsc()
    return (columns, a, lower, upper, integer, np.asarray(row_lower, dtype=float),
            np.asarray(row_upper, dtype=float), cost, offset, constraints)


class SolveInterrupted(KeyboardInterrupt):
    """The planner pressed Ctrl-C: HiGHS stopped, and nothing should be written."""


SPAN_LIMIT = 1e9


def _name(var) -> str:
    doc = (var.parent_component().doc or "").split("[")[0].strip()
    return f"{var.name} ({doc})" if doc else var.name


def numeric_warnings(columns, a, lower, upper, row_lower, row_upper) -> list[str]:
    """Warn when matrix coefficients, or bounds and right-hand sides, span more than
    ``SPAN_LIMIT`` (e.g. tonnes of gallium next to millions of tonnes of graphite): the
    solver's tolerances then blur the small end. Names the columns at both ends."""
    out = []
    rows = a.tocsr()
    data = np.abs(rows.data)
    if data.size and (data > 0).all():
        # within one row every term has the row's unit, so a wide span there is real
        starts = rows.indptr[:-1]
        nonempty = np.diff(rows.indptr) > 0
        hi = np.maximum.reduceat(data, starts[nonempty])
        lo = np.minimum.reduceat(data, starts[nonempty])
        worst = int(np.argmax(hi / lo))
        if hi[worst] / lo[worst] > SPAN_LIMIT:
            r = np.nonzero(nonempty)[0][worst]
            seg = slice(rows.indptr[r], rows.indptr[r + 1])
            cols, vals = rows.indices[seg], data[seg]
            j_lo, j_hi = cols[int(np.argmin(vals))], cols[int(np.argmax(vals))]
            out.append(
                f"coefficients within one row span {hi[worst] / lo[worst]:.1e} (more than "
                f"{SPAN_LIMIT:.0e}): {lo[worst]:.3g} on {_name(columns[j_lo])} next to "
                f"{hi[worst]:.3g} on {_name(columns[j_hi])}; consider other units for the "
                "small or large figures"
            )
    values, owners = [], []
    for arr, kind in ((lower, "col"), (upper, "col"), (row_lower, "row"), (row_upper, "row")):
        mags = np.abs(arr)
        idx = np.nonzero(np.isfinite(mags) & (mags > 1e-12))[0]
        values.append(mags[idx])
        owners += [(kind, int(i)) for i in idx]
    if owners:
        allv = np.concatenate(values)
        lo, hi = int(np.argmin(allv)), int(np.argmax(allv))
        if allv[hi] / allv[lo] > SPAN_LIMIT:
            def where(owner):
                kind, i = owner
                return _name(columns[i]) if kind == "col" else f"row {i}"

            out.append(
                f"quantities span {allv[hi] / allv[lo]:.1e} (more than {SPAN_LIMIT:.0e}): "
                f"smallest {allv[lo]:.3g} at {where(owners[lo])}, largest {allv[hi]:.3g} at "
                f"{where(owners[hi])}; consider other units for the small or large figures"
            )
    return out


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
) -> SolveOutcome:
    """Solve ``model`` (one minimising objective) with HiGHS and load the plan back.

    With ``marginals``, the plan's LP (integers fixed at the plan) is solved as well: its
    continuous values replace the MIP's (the same integers, at least as cheap) and its
    duals come back in :attr:`SolveOutcome.marginals`."""
    t0 = time.perf_counter()
    (columns, a, lower, upper, integer, row_lower, row_upper, cost, offset,
     constraints) = _compile(model)
    ncol, nrow = len(columns), len(row_lower)
    nint = int(integer.sum())
    warnings = tuple(numeric_warnings(columns, a, lower, upper, row_lower, row_upper))

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
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = nrow
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
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
                            0, nrow, 0, name, warnings=warnings)

    model_status = h.getModelStatus()
    if model_status == highspy.HighsModelStatus.kInterrupt:
        raise SolveInterrupted("the solve was interrupted")
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
        S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kObjectiveBound,
        S.kObjectiveTarget,
    ):
        status = FEASIBLE
    else:
        status = ERROR
    reason = ""
    if status == ERROR:
        if model_status == S.kTimeLimit:
            reason = f"the time limit ({time_limit:g} s) was reached before any plan was found"
        else:
            reason = f"HiGHS stopped with status '{termination}'"

    found = None
    if status in (OPTIMAL, FEASIBLE):
        values = h.getSolution().col_value
        if marginals:
            found = _plan_lp(h, columns, constraints, integer, values)
            if found is not None:
                values = found.values
                objective = min(objective, found.marginals.objective)
        for var, x, is_int in zip(columns, values, integer, strict=True):
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
        warnings=warnings,
        marginals=found.marginals if found is not None else None,
    )


@dataclass(frozen=True)
class _PlanLp:
    values: list
    marginals: Marginals


def _plan_lp(h, columns, constraints, integer, values) -> _PlanLp | None:
    """Fix the integer columns at the plan's values, solve the LP left, and read its
    duals (``None`` when that LP does not solve to optimality, which a plan's own LP
    should; the report then goes without marginal values)."""
    idx = np.nonzero(integer)[0].astype(np.int32)
    if idx.size:
        fixed = np.round(np.asarray(values, dtype=float)[idx])
        h.changeColsIntegrality(idx.size, idx, np.zeros(idx.size, dtype=np.uint8))
        h.changeColsBounds(idx.size, idx, fixed, fixed)
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
    scale = 1.0 / OBJECTIVE_SCALE
    rows = ComponentMap((con, d * scale)
                        for con, d in zip(constraints, solution.row_dual, strict=True))
    cols = ComponentMap((var, d * scale)
                        for var, d in zip(columns, solution.col_dual, strict=True))
    objective = h.getInfo().objective_function_value * scale
    row_index = ComponentMap((con, i) for i, con in enumerate(constraints))
    col_index = ComponentMap((var, j) for j, var in enumerate(columns))
    return _PlanLp(list(solution.col_value),
                   Marginals(rows, cols, objective, h, row_index, col_index))
