"""A proven lower bound on the optimum: the LP relaxation of the extensive form, solved
by the L-shaped method (Benders cuts, one per scenario), after each integer column's
upper bound is rounded down to what the plan's rows allow.

Why: a decomposition engine's own bound can be weak. Progressive hedging's bound on
p_large (each bundle of scenarios with its own plan) lies 1.2 % below its plan, while this
LP bound, 87,642 MUSD in about 90 s, lies 0.58 % below; the extensive form of p_large is
still in its root LP after 10 minutes (bench/README.md).

The problem, with ``x = (n, w, z, b)`` the first stage (MODEL.md) and ``Z_s(x)`` the LP
value of scenario ``s``'s recourse (``+∞`` when ``x`` leaves it no recourse)::

    min FS(x) + Σ_s π_s Z_s(x)   over the first-stage rows, x continuous

* **The master** holds the first-stage rows, the rows every scenario's budget implies on
  the plan (:mod:`models.implied`), and one column ``θ_s`` per scenario with cost
  ``π_s``. An integer column's upper bound becomes ``lower + ⌊room / a⌋`` for each row
  ``Σ a·x ≤ B`` with ``a ≥ 0`` on columns with finite lower bounds (``room = B − Σ a ·
  lower``), e.g. ``n[p,t] ≤ ⌊B' / (g_p C_p)⌋`` from a budget: every integer plan keeps
  those bounds, so the bound stays valid, and the LP is tighter (p_medium: 0.20 % below
  the optimum instead of 0.49 %).
* **Each scenario** is the model of the first stage and that one scenario (probability
  1), its first-stage columns fixed by their bounds to the master's ``x̂``. Its LP gives
  ``FS(x̂) + Z_s(x̂)`` and, as the reduced costs ``d`` of the fixed columns, a subgradient:
  ``θ_s ≥ Z_s(x̂) + (d − c_FS)·(x − x̂)`` (LP duality: the dual solution stays feasible
  for any fixed values). Without recourse, the same LP with a slack on every row and
  only the slacks costed gives ``φ_s(x̂) > 0`` and the cut ``φ_s(x̂) + d·(x − x̂) ≤ 0``.
* The master's optimum is a lower bound at every iteration once no ``θ_s`` rests on its
  artificial floor (``THETA_FLOOR``); the loop stops when it is within ``tolerance`` of
  the LP value of the last ``x̂`` that has recourse everywhere, or at the time limit.

Only for ``risk_weight = 0``: with CVaR the bound is not computed (``None``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import highspy
import numpy as np
import scipy.sparse as sp

from instance import Instance
from models.factors import scenario_data
from models.implied import add_budget_implications, budget_implications
from models.index import ModelIndex
from models.stockpile import build_model, plan_from_first_stage
from optimizer.matrices import compile_model
from optimizer.scenario_lp import (
    FIRST_STAGE,
    INF,
    INFEASIBLE,
    OPTIMAL,
    ScenarioLP,
    key_of,
    relaxed_highs,
)
from optimizer.solve import OBJECTIVE_SCALE, relative_gap

SOLUTION_FEASIBLE = int(highspy.SolutionStatus.kSolutionStatusFeasible)
INFEASIBLE_TEXT = "infeasible"  # IntegerMaster.status of a master MIP without solution
# θ_s ≥ THETA_FLOOR (MUSD) until cuts hold it up: a bound is claimed only when no θ_s of a
# scenario with weight rests there
THETA_FLOOR = -1e7
# an integer bound is rounded down after this much slack, so that a quotient like 2.9999999
# from floating point still allows 3 units
ROUNDING_SLACK = 1e-6
# the integer master gets this share of what is left of the time, the candidate's exact
# cost the rest (p_large: a master MIP 40-200 s, a candidate about 20 s)
MASTER_SHARE = 0.75
# the integer master is solved to this share of the gap asked: a master stopped at the gap
# asked proves little more than the LP (p_large: 87,656 against 87,688 at a tenth of it)
MASTER_GAP_SHARE = 0.1


@dataclass(frozen=True)
class LpBound:
    """``value``: the bound (MUSD), ``None`` when none is proven; ``iterations`` of the
    master; ``converged``: the LP relaxation solved within the tolerance (otherwise the
    last master's value, still a bound); ``tightened``: integer bounds rounded down;
    ``feasibility_cuts``: points where some scenario had no recourse."""

    value: float | None
    iterations: int
    seconds: float
    converged: bool
    tightened: int
    feasibility_cuts: int = 0


@dataclass(frozen=True)
class IntegerMaster:
    """The master solved as a MIP (:meth:`LShaped.solve_integer`): ``bound`` (MUSD, a
    proven bound on the optimum, ``None`` when none), ``value``: its best plan's value in
    the master (the cuts' estimate, MUSD), ``integers``: that plan's integer columns
    (``None`` without one), HiGHS's ``status`` in words."""

    bound: float | None
    value: float | None
    integers: np.ndarray | None
    status: str
    seconds: float


@dataclass(frozen=True)
class Improvement:
    """What :meth:`LShaped.improve` found: its best ``plan`` (``None`` when no candidate
    beat the incumbent) and that plan's exact ``cost`` (or the incumbent's), the best
    proven ``bound`` (MUSD; ``None`` when none), master ``rounds``; ``infeasible``: a
    master MIP had no solution, which proves that no plan has whole units and recourse
    in every scenario."""

    plan: dict[str, dict] | None
    cost: float | None
    bound: float | None
    rounds: int
    seconds: float
    infeasible: bool = False


def tighten_integer_bounds(arrays) -> int:
    """Round integer columns' upper bounds down to what each row ``Σ a·x ≤ B`` (or
    ``Σ a·x ≥ B`` with every ``a ≤ 0``) with nonnegative coefficients on columns with
    finite lower bounds allows; changes ``arrays``' upper bounds in place, returns how
    many were lowered."""
    _cols, a, lower, upper, integer, row_lower, row_upper = arrays[:7]
    rows = a.tocsr()
    lowered = 0
    for r in range(rows.shape[0]):
        seg = slice(rows.indptr[r], rows.indptr[r + 1])
        cols, coefs = rows.indices[seg], rows.data[seg]
        if not integer[cols].any() or not np.isfinite(lower[cols]).all():
            continue
        for sign, rhs in ((1.0, row_upper[r]), (-1.0, -row_lower[r])):
            signed = sign * coefs
            if not math.isfinite(rhs) or (signed < 0).any():
                continue
            room = rhs - float(signed @ lower[cols])
            for j, coef in zip(cols, signed, strict=True):
                if integer[j] and coef > 0:
                    ub = lower[j] + math.floor(room / coef + ROUNDING_SLACK)
                    if ub < upper[j]:
                        upper[j] = ub
                        lowered += 1
    return lowered


def _first_stage(instance: Instance, ix: ModelIndex, scenarios) -> tuple[list, dict, int]:
    """The master's rows before any cut: the first stage, the implied budget rows, integer
    bounds rounded down; every first-stage column, also one that no row names. Returns
    ``(arrays, column position by (name, index), bounds lowered)``."""
    first = build_model(instance, [], index=ix)
    add_budget_implications(first, budget_implications(ix, scenarios, first))
    arrays = list(compile_model(first))
    tightened = tighten_integer_bounds(arrays)
    columns = arrays[0]
    position = {key_of(v): j for j, v in enumerate(columns)}
    for var in (first.component(name) for name in FIRST_STAGE):
        for v in var.values():  # a first-stage column no master row names
            if key_of(v) not in position and not v.fixed:
                position[key_of(v)] = len(columns)
                columns.append(v)
    extra = len(columns) - len(arrays[2])
    if extra:
        new = columns[-extra:]
        arrays[1] = _widen(arrays[1], extra)
        arrays[2] = np.append(arrays[2], [-INF if v.lb is None else v.lb for v in new])
        arrays[3] = np.append(arrays[3], [INF if v.ub is None else v.ub for v in new])
        arrays[4] = np.append(arrays[4], np.zeros(extra, dtype=bool))
        arrays[7] = np.append(arrays[7], np.zeros(extra))
    return arrays, position, tightened


class LShaped:
    """The master and every scenario's LP (module doc), kept between solves: the cuts
    stay valid whatever the master's bounds, so a plan's integers can be fixed
    (:meth:`fix_integers`) and its purchases chosen with the cuts already made.
    ``ready`` is False when the scenarios could not all be built within ``time_limit``."""

    def __init__(self, instance: Instance, *, time_limit: float = math.inf):
        t0 = time.perf_counter()
        ix = ModelIndex(instance)
        scenarios = scenario_data(instance)
        arrays, self.position, self.tightened = _first_stage(instance, ix, scenarios)
        self.fs_cost, self.fs_offset = arrays[7], arrays[8]
        self.master = relaxed_highs(arrays)
        self.nx = len(arrays[0])
        # the first stage's box (integer bounds rounded down) and its integer columns
        self.box = arrays[2].copy(), arrays[3].copy()
        self.base_rows = len(arrays[5])  # the cuts follow these rows
        self.integer = np.nonzero(arrays[4])[0].astype(np.int32)
        self.subs: list[ScenarioLP] = []
        self.ready = False
        for sc in scenarios:
            if time.perf_counter() - t0 >= time_limit:  # not even the scenarios in time
                return
            self.subs.append(ScenarioLP(instance, ix, sc, self.position))
        self.ready = True
        self.weights = np.array([s.probability for s in self.subs])
        count = len(self.subs)
        self.master.addCols(count, self.weights * OBJECTIVE_SCALE, np.full(count, THETA_FLOOR),
                            np.full(count, INF), 0, np.array([], dtype=np.int32),
                            np.array([], dtype=np.int32), np.array([]))
        self.theta = self.nx + np.arange(count, dtype=np.int32)
        # a proven lower bound on each Z_s: the best cut's least value over the box
        self.floors = np.full(count, -INF)
        self.least_tried = np.zeros(count, dtype=bool)  # ScenarioLP.least asked once
        self.x: np.ndarray | None = None  # the last point with recourse everywhere
        self.upper: float | None = None  # its LP value (MUSD)

    def _add_cut(self, i: int, kind: str, value: float, grad: np.ndarray,
                 xs: np.ndarray) -> None:
        g = np.zeros(self.nx)
        np.add.at(g, self.subs[i].master_cols, grad)
        cols = np.nonzero(np.abs(g) > 1e-12)[0].astype(np.int32)
        const = value - float(grad @ xs)
        if kind == "value":  # θ_s − g·x ≥ Z_s(x̂) − g·x̂
            idx = np.append(cols, self.theta[i]).astype(np.int32)
            self.master.addRow(const, INF, len(idx), idx, np.append(-g[cols], 1.0))
            # Z_s is convex and the cut lies below it everywhere, so the cut's least
            # value over the box bounds Z_s below (-inf when the box is open that way)
            lo, hi = self.box[0][cols], self.box[1][cols]
            with np.errstate(invalid="ignore"):
                least = np.where(g[cols] > 0, g[cols] * lo, g[cols] * hi)
            floor = const + float(least.sum()) if np.isfinite(least).all() else -INF
            self.floors[i] = max(self.floors[i], floor)
        else:  # g·x ≤ −(φ_s(x̂) − g·x̂)
            self.master.addRow(-INF, -const, len(cols), cols, g[cols])

    def _round(self, x: np.ndarray, thetas: np.ndarray) -> tuple[float, bool, int]:
        """Every scenario at the master's ``x``: ``(Σ π_s Z_s, recourse everywhere,
        scenarios without)``; a cut for each scenario whose ``θ_s`` underestimates it."""
        expected, without = 0.0, 0
        for i, sub in enumerate(self.subs):
            kind, value, grad, xs = sub.cut(x)
            if kind == "value":
                value -= self.fs_offset
                expected += sub.probability * value
                if value > thetas[i] + 1e-9 * max(1.0, abs(value)):
                    self._add_cut(i, kind, value, grad, xs)
            else:
                without += 1
                self._add_cut(i, kind, value, grad, xs)
        return expected, without == 0, without

    def solve(self, *, time_limit: float, tolerance: float = 1e-5) -> LpBound:
        """Rounds of cuts until the master is within ``tolerance`` of the LP value of a
        point it proposed, or ``time_limit`` seconds."""
        t0 = time.perf_counter()
        best, iterations, converged, infeasible = None, 0, False, 0
        while self.ready and time.perf_counter() - t0 < time_limit:
            self.master.run()
            if self.master.getModelStatus() != OPTIMAL:
                break
            iterations += 1
            solution = np.asarray(self.master.getSolution().col_value)
            x, thetas = solution[:self.nx], solution[self.nx:]
            lower = self.master.getInfo().objective_function_value / OBJECTIVE_SCALE
            floor_free = bool(np.all((thetas > THETA_FLOOR + 1.0) | (self.weights == 0)))
            if floor_free:
                best = lower if best is None else max(best, lower)
            expected, recourse, without = self._round(x, thetas)
            infeasible += without
            if recourse and floor_free:
                upper = float(self.fs_cost @ x) + self.fs_offset + expected
                self.x, self.upper = x, upper
                if upper - lower <= tolerance * max(1.0, abs(upper)):
                    converged = True
                    break
        return LpBound(best, iterations, time.perf_counter() - t0, converged,
                       self.tightened, infeasible)

    @property
    def infeasible(self) -> bool:
        """The master's last solve was infeasible: its rows and feasibility cuts, all
        valid, leave no first stage, so the problem has no plan (when the integers were
        not fixed by :meth:`fix_integers` or :meth:`fix_integer_columns`)."""
        return self.ready and self.master.getModelStatus() in (
            INFEASIBLE, highspy.HighsModelStatus.kUnboundedOrInfeasible)

    def fix_integers(self, plan: dict[str, dict]) -> None:
        """Fix the master's units ``n`` and facilities ``z`` to ``plan``'s (what the
        plan leaves out is 0); purchases stay free, so :meth:`solve` then finds the
        best purchases for those units, and its value is that plan's exact cost."""
        self._free_integers()  # the committed units w too, which the plan leaves out
        for (name, index), j in self.position.items():
            if name in ("n", "z"):
                value = float(round(plan.get(name, {}).get(index, 0.0)))
                self.master.changeColBounds(j, value, value)
        self.x = self.upper = None

    def solve_integer(self, *, time_limit: float, mip_gap: float,
                      start: np.ndarray | None = None) -> IntegerMaster:
        """The master as a MIP over the cuts made so far (the integer L-shaped master),
        within ``time_limit`` seconds and to ``mip_gap``, from the first-stage point
        ``start`` if given (its integer columns; HiGHS completes the rest).

        Every cut lies below its ``Z_s`` and every ``θ_s`` has a proven floor
        (``floors``), so the MIP is a relaxation of the problem and its dual bound is a
        bound on the optimum (``None`` while some ``θ_s`` with weight has no floor yet).
        Its plan's integers are a candidate, whose exact cost :meth:`fix_integer_columns`
        and :meth:`solve` then give."""
        t0 = time.perf_counter()
        m, cols, count = self.master, self.integer, len(self.integer)
        self._free_integers()
        for i in np.nonzero(~np.isfinite(self.floors) & (self.weights > 0)
                            & ~self.least_tried)[0]:
            # a cut open towards an unbounded purchase: the scenario's own least cost
            self.floors[i] = max(self.floors[i], self.subs[i].least() - self.fs_offset)
            self.least_tried[i] = True
        proven = bool(np.all(np.isfinite(self.floors) | (self.weights == 0)))
        # a proven floor as it is, even below THETA_FLOOR: the master stays a relaxation
        lows = np.where(np.isfinite(self.floors), self.floors, THETA_FLOOR)
        m.changeColsBounds(len(self.theta), self.theta, lows, np.full(len(self.theta), INF))
        m.changeColsIntegrality(count, cols, np.full(count, highspy.HighsVarType.kInteger))
        # HiGHS 1.16 starts its clock again at each run (a limit of 200 s after the LP
        # rounds' runs stopped the MIP 200.4 s later)
        m.setOptionValue("time_limit", max(time_limit, 0.0))
        m.setOptionValue("mip_rel_gap", mip_gap)
        if start is not None:
            m.setSolution(count, cols, np.round(start[cols]))
        try:
            m.run()
            info = m.getInfo()
            feasible = int(info.primal_solution_status) == SOLUTION_FEASIBLE
            if count:
                bound = info.mip_dual_bound / OBJECTIVE_SCALE
            elif m.getModelStatus() == OPTIMAL:  # an LP: HiGHS gives no MIP dual bound
                bound = info.objective_function_value / OBJECTIVE_SCALE
            else:
                bound = -INF
            integers = (np.round(np.asarray(m.getSolution().col_value)[cols])
                        if feasible else None)
            status = (INFEASIBLE_TEXT if self.infeasible
                      else m.modelStatusToString(m.getModelStatus()))
        finally:
            m.changeColsIntegrality(count, cols,
                                    np.full(count, highspy.HighsVarType.kContinuous))
            m.setOptionValue("time_limit", INF)
        value = info.objective_function_value / OBJECTIVE_SCALE if feasible else None
        return IntegerMaster(bound if proven and math.isfinite(bound) else None, value,
                             integers, status, time.perf_counter() - t0)

    def improve(self, *, time_limit: float, mip_gap: float, start: np.ndarray | None = None,
                cost: float | None = None,
                on_round: Callable[[IntegerMaster, float | None], None] | None = None,
                ) -> Improvement:
        """The integer L-shaped method from the cuts made so far, within ``time_limit``
        seconds: the master as a MIP (:meth:`solve_integer`, from the best plan so far)
        gives a bound and a candidate; the candidate's exact cost with its best purchases
        (:meth:`fix_integer_columns`, :meth:`solve`) adds the cuts at that point. Stops
        when the best plan is within ``mip_gap`` of the bound, the master proposes a plan
        already costed (its cuts there are exact, so the master's gap is the method's), or
        time runs out. ``start``: an incumbent's first-stage point, ``cost`` its exact
        cost; ``on_round(master, candidate's exact cost or None)`` after each round."""
        t0 = time.perf_counter()
        best = Improvement(None, cost, None, 0, 0.0)
        self._free_integers()
        self._drop_slack_cuts()  # only the LP's: a candidate's cuts stay, so a master
        seen: set[bytes] = set()  # that proposes it again has its exact cost
        while self.ready:
            left = time_limit - (time.perf_counter() - t0)
            if left < 1.0:
                break
            master = self.solve_integer(time_limit=MASTER_SHARE * left,
                                        mip_gap=MASTER_GAP_SHARE * mip_gap, start=start)
            bound = max((b for b in (master.bound, best.bound) if b is not None),
                        default=None)
            best = replace(best, bound=bound, rounds=best.rounds + 1,
                           infeasible=master.status == INFEASIBLE_TEXT)
            gap = relative_gap(best.cost, bound)
            key = None if master.integers is None else master.integers.tobytes()
            if key is None or key in seen or (gap is not None and gap <= mip_gap):
                if on_round:
                    on_round(master, None)
                break
            seen.add(key)
            self.fix_integer_columns(master.integers)
            first_cut = self.master.getNumRow()
            # to well within the gap asked, so that a candidate proposed again is known to
            # its cost within that gap
            run = self.solve(time_limit=time_limit - (time.perf_counter() - t0),
                             tolerance=min(1e-5, mip_gap / 10))
            if run.converged:  # the cuts that hold the candidate's exact cost stay
                self._drop_slack_cuts(first_cut)
            if on_round:
                on_round(master, self.upper if run.converged else None)
            if not run.converged and self.infeasible:
                continue  # no recourse in some scenario: its feasibility cuts exclude it
            if not run.converged or self.upper is None:
                break
            if best.cost is None or self.upper < best.cost:
                best = replace(best, plan=self.plan(), cost=self.upper)
                start = self.x
        self._free_integers()  # self.x, self.upper: the last candidate's, not the best's
        return replace(best, seconds=time.perf_counter() - t0)

    def _free_integers(self) -> None:
        cols = self.integer
        self.master.changeColsBounds(len(cols), cols, self.box[0][cols], self.box[1][cols])

    def _drop_slack_cuts(self, first: int | None = None) -> None:
        """Delete the cuts from row ``first`` on (default: every cut) with slack at the
        master's LP optimum. Cuts are dense (a coefficient on most first-stage columns):
        p_large's master after the LP bound holds 3.2 M nonzeros, and its MIP was still
        at the root after 200 s; with the slack cuts gone (6,753 rows, 2.5 M nonzeros) it
        is solved in 25 s, with the same root bound. A candidate's cuts from its rounds
        before the last are dropped the same way (2,000 rows each on p_large, and the
        second master MIP took 239 s with them). The master stays a relaxation: what
        remains is still valid."""
        m = self.master
        m.run()
        if m.getModelStatus() != OPTIMAL:
            return
        rows = np.arange(self.base_rows if first is None else first, m.getNumRow(),
                         dtype=np.int32)
        if not len(rows):
            return
        activity = np.asarray(m.getSolution().row_value)[rows]
        lp = m.getLp()
        lower, upper = np.asarray(lp.row_lower_)[rows], np.asarray(lp.row_upper_)[rows]
        slack = np.minimum(activity - lower, upper - activity)
        drop = rows[slack > 1e-6 * np.maximum(1.0, np.abs(activity))]
        if len(drop):
            m.deleteRows(len(drop), drop)

    def fix_integer_columns(self, values: np.ndarray) -> None:
        """Fix the master's integer columns to ``values`` (as :attr:`integer` orders
        them); :meth:`solve` then gives that plan's exact cost with its best purchases."""
        count = len(self.integer)
        self.master.changeColsBounds(count, self.integer, values, values)
        self.x = self.upper = None

    def plan(self) -> dict[str, dict] | None:
        """The last point with recourse everywhere as ``{"n", "z", "b"}``."""
        if self.x is None:
            return None
        return plan_from_first_stage((name, index, float(self.x[j]))
                                     for (name, index), j in self.position.items())


def relaxation(instance: Instance, *, time_limit: float,
               tolerance: float = 1e-5) -> tuple[LShaped | None, LpBound]:
    """The LP relaxation's value (module doc) within ``time_limit`` seconds, building
    included, and the :class:`LShaped` that found it (kept for more solves); ``(None,
    no bound)`` with a risk weight."""
    t0 = time.perf_counter()
    if ModelIndex(instance).risk_weight > 0:
        return None, LpBound(None, 0, 0.0, False, 0)
    shaped = LShaped(instance, time_limit=time_limit)
    bound = shaped.solve(time_limit=time_limit - (time.perf_counter() - t0),
                         tolerance=tolerance)
    return shaped, replace(bound, seconds=time.perf_counter() - t0)


def lp_bound(instance: Instance, *, time_limit: float = 120.0,
             tolerance: float = 1e-5) -> LpBound:
    """The LP relaxation's value (:func:`relaxation`); the master stops when within
    ``tolerance`` (relative) of the LP value of a point it proposed."""
    return relaxation(instance, time_limit=time_limit, tolerance=tolerance)[1]


def _widen(a, extra: int):
    """``a`` with ``extra`` empty columns on the right."""
    return sp.hstack([a, sp.csc_matrix((a.shape[0], extra))], format="csc")
