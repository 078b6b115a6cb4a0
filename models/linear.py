"""Linear expressions built fast: every row and cost of the model is one.

Pyomo's ``sum`` of products builds a tree of expression objects per term; handing the
coefficients and variables as parallel lists to one ``LinearExpression`` is several times
faster, and the solver hand-off (:mod:`optimizer.solve`) reads it directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression


def linear(coefs: Sequence[float], variables: Sequence, constant: float = 0.0):
    """A linear expression from parallel lists (much faster than ``sum`` of products); a
    coefficient of 1 keeps the bare variable, which saves one expression object."""
    args = [constant] if constant else []
    args.extend(
        v if a == 1 else MonomialTermExpression((a, v))
        for a, v in zip(coefs, variables, strict=True)
    )
    return LinearExpression(args)
