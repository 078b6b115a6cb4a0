"""One scenario's LP for the L-shaped method (:mod:`optimizer.lp_bound`): the model of the
first stage and that scenario alone (probability 1), its first-stage columns fixed by
bounds to the master's point; the cut its reduced costs give there, a feasibility cut from
an elastic copy when it has no recourse, and its least cost over every first stage."""

from __future__ import annotations

import highspy
import numpy as np

from instance import Instance
from models.factors import alone
from models.index import ModelIndex
from models.stockpile import build_model
from optimizer.matrices import compile_model
from optimizer.solve import OBJECTIVE_SCALE, load_highs

INF = highspy.kHighsInf
OPTIMAL = highspy.HighsModelStatus.kOptimal
INFEASIBLE = highspy.HighsModelStatus.kInfeasible
EMPTY = highspy.HighsModelStatus.kModelEmpty  # a scenario with nothing to decide
# the first stage as the model names it: units started and committed, facilities, purchases
FIRST_STAGE = ("n", "w", "z", "b")


def relaxed_highs(arrays) -> highspy.Highs:
    """HiGHS holding the compiled model with integrality dropped (an LP)."""
    relaxed = (*arrays[:4], np.zeros(len(arrays[0]), dtype=bool), *arrays[5:])
    return load_highs(relaxed)


def key_of(var) -> tuple:
    """A column's (component name, index), as the master and every scenario name it."""
    return var.parent_component().local_name, var.index()


class ScenarioLP:
    """One scenario's LP (first stage fixed by bounds), its cuts, and, when first needed,
    its elastic copy for feasibility cuts."""

    def __init__(self, instance: Instance, ix: ModelIndex, sc, position: dict):
        self.id, self.probability = sc.id, sc.probability
        self.arrays = compile_model(build_model(instance, [alone(sc)], index=ix))
        columns = self.arrays[0]
        self.fixed = np.array([j for j, v in enumerate(columns)
                               if v.parent_component().local_name in FIRST_STAGE],
                              dtype=np.int32)
        self.master_cols = np.array([position[key_of(columns[j])] for j in self.fixed],
                                    dtype=np.int64)
        self.low, self.high = self.arrays[2][self.fixed], self.arrays[3][self.fixed]
        self.fs_cost = self.arrays[7][self.fixed]  # FS's coefficients (MUSD)
        self.lp = relaxed_highs(self.arrays)
        self._elastic = None

    def elastic(self) -> highspy.Highs:
        """The LP with slacks ``s⁺, s⁻ ≥ 0`` on every row, costed 1, the rest free."""
        if self._elastic is None:
            h = relaxed_highs(self.arrays)
            ncol, nrow = len(self.arrays[0]), len(self.arrays[5])
            h.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), np.zeros(ncol))
            rows = np.arange(nrow, dtype=np.int32)
            for sign in (1.0, -1.0):
                h.addCols(nrow, np.ones(nrow), np.zeros(nrow), np.full(nrow, INF), nrow,
                          rows, rows, np.full(nrow, sign))
            self._elastic = h
        return self._elastic

    def least(self) -> float:
        """``FS``'s constant plus the least ``Z_s`` over every first stage this scenario's
        rows allow (its LP with the first stage free in its bounds and uncosted);
        ``-inf`` when unbounded or infeasible."""
        h, count = self.lp, len(self.fixed)
        h.changeColsBounds(count, self.fixed, self.low, self.high)
        h.changeColsCost(count, self.fixed, np.zeros(count))
        try:
            h.run()
            status = h.getModelStatus()
            if status == EMPTY:
                return self.arrays[8]
            if status != OPTIMAL:
                return -INF
            return h.getInfo().objective_function_value / OBJECTIVE_SCALE
        finally:
            h.changeColsCost(count, self.fixed, self.fs_cost * OBJECTIVE_SCALE)

    def cut(self, x: np.ndarray):
        """``("value", Z_s(x̂), gradient, x̂_s)`` or ``("feasibility", φ_s(x̂), gradient,
        x̂_s)`` at the master's ``x`` (gradients on this scenario's fixed columns, MUSD)."""
        xs = np.minimum(np.maximum(x[self.master_cols], self.low), self.high)
        h = self.lp
        h.changeColsBounds(len(self.fixed), self.fixed, xs, xs)
        h.run()
        status = h.getModelStatus()
        if status == EMPTY:
            return "value", self.arrays[8], np.zeros(len(self.fixed)), xs
        if status == OPTIMAL:
            value = h.getInfo().objective_function_value / OBJECTIVE_SCALE
            duals = np.asarray(h.getSolution().col_dual)[self.fixed] / OBJECTIVE_SCALE
            # the LP's value is FS(x̂) + Z_s(x̂): FS's linear part goes here, its constant
            # (the master's offset) in the caller
            return "value", value - float(self.fs_cost @ xs), duals - self.fs_cost, xs
        if status != INFEASIBLE:
            raise RuntimeError(f"scenario {self.id}: {h.modelStatusToString(status)}")
        e = self.elastic()
        e.changeColsBounds(len(self.fixed), self.fixed, xs, xs)
        e.run()
        phi = e.getInfo().objective_function_value / OBJECTIVE_SCALE
        duals = np.asarray(e.getSolution().col_dual)[self.fixed] / OBJECTIVE_SCALE
        return "feasibility", phi, duals, xs
