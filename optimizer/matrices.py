"""The model as matrices for HiGHS: columns, rows, bounds and objective, read straight
from the linear expressions the model builds (:func:`compile_model`), and the numeric
warnings a planner should see when their figures span too many orders of magnitude.
"""

from __future__ import annotations

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
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


def compile_model(model: pyo.ConcreteModel):
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
