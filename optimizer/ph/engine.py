"""The progressive-hedging engine, as the pipeline runs it (``solve --engine ph``).

:meth:`ProgressiveHedging.solve` saves the validated instance for the ranks, launches the
driver under MPI (:mod:`optimizer.ph.launcher`), then evaluates the incumbent plan on
every scenario, one LP at a time (:func:`optimizer.plan_report.evaluate_plan`), and gives
the same results as the extensive form, with the Summary keys ``engine = ph``, ``ranks``,
``bundle``, ``iterations``, ``ph_seconds``, ``ph_peak_rss_mb``, ``ph_bound_musd``,
``lp_bound_musd`` and ``lp_bound_seconds`` added.

Before PH starts, the LP relaxation of the extensive form is solved by Benders cuts
(:mod:`optimizer.lp_bound`, at most ``LP_BOUND_SHARE`` of the time limit): the reported
bound is the better of it and PH's own. After PH, the same master, with PH's units and
facilities fixed, chooses the purchases that cost least over every scenario; the plan
reported has those when they beat PH's incumbent.

Status (:func:`optimizer.plan_report.plan_status`): ``optimal`` only when the proven gap
meets the workbook's ``mip_gap`` (or ``--mip-gap``), whatever gap PH itself stopped at
(``--rel-gap``); ``feasible`` otherwise, and with no bound the bound and gap stay blank
(never a gap of 0 without a bound); ``error`` (with the reason in
``outcome.no_plan_reason``) when MPI or mpi-sppy is missing, the run fails, or no
incumbent was found.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from instance import Instance
from models.index import ModelIndex
from models.stockpile import plan_from_first_stage
from optimizer.lp_bound import LpBound, LShaped, relaxation
from optimizer.ph.driver import (
    DEFAULT_MAX_ITERATIONS,
    DEFAULT_RHO_SETTER,
    lagrangian_allowed,
    subproblem_count,
    usable_ranks,
)
from optimizer.ph.launcher import LAUNCH_MARGIN_S, missing_requirements, mpiexec_command, run_mpi
from optimizer.ph.scenarios import save_instance
from optimizer.plan_report import failed_run, report_plan
from optimizer.run import SolveRun

SOLVER = "mpi-sppy progressive hedging + HiGHS"
# scenarios per bundle unless asked otherwise: each bundle's extensive form gives PH its
# bound (p_medium: 0.54 % below the optimum with bundles of 10, 2.35 % without); a
# workbook of up to 13 scenarios is then one bundle, solved exactly (bundle_size)
DEFAULT_BUNDLE = 10
# at most this share of the time limit goes to the LP bound (optimizer.lp_bound) before
# PH starts; PH gets what is left (p_large: 85 s of 900, a bound 0.58 % below PH's plan
# where PH's own is 1.2 % below)
LP_BOUND_SHARE = 0.15
# this share of the time limit is kept for after PH: re-choosing the purchases of its plan
# (at most PURCHASES_SHARE) and evaluating the plan on every scenario (p_large: 20 s and
# 55 s of a 900 s limit), so the whole run ends within the limit
AFTER_PH_SHARE = 0.1
PURCHASES_SHARE = 0.04


def best_bound(ph_bound: float | None, relaxation: LpBound) -> float | None:
    """The higher of PH's bound and the LP relaxation's (both prove the optimum is at
    least that much); ``None`` when neither exists."""
    bounds = [b for b in (ph_bound, relaxation.value) if b is not None and math.isfinite(b)]
    return max(bounds) if bounds else None


def no_incumbent_reason(iterations, time_limit: float) -> str:
    """Why a run has no plan, and what to try. The plans PH tries (a bundle's plan
    closest to the average, the average rounded) must have recourse in every scenario,
    also those of other bundles; on p_large each one tried broke a budget in some of
    them (bench/README.md)."""
    return (f"progressive hedging found no plan that works in every scenario "
            f"({iterations} iteration(s), time limit {time_limit:g} s): each plan it tried "
            "breaks a budget or a purchase in some scenario, or none was ready in time. "
            "Try a longer --time-limit, larger bundles (--bundle), or --engine ef")


class _Failed(Exception):
    """The run gave no plan to report: the reason, and PH's bound if it had one."""

    def __init__(self, reason: str, bound: float | None = None):
        super().__init__(reason)
        self.bound = bound


@dataclass(frozen=True)
class ProgressiveHedging:
    """PH on ``ranks`` MPI ranks (fewer when there are fewer subproblems than ranks per
    cylinder), about ``bundle`` scenarios per subproblem (1: no bundles), stopping at
    ``rel_gap``. ``lagrangian=False`` gives every rank to the hub (the bound is then
    iteration 0's: with bundles, each bundle's extensive form). ``on_line`` receives the
    run's log lines."""

    ranks: int = 2
    bundle: int | None = DEFAULT_BUNDLE
    rel_gap: float = 0.01
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    rho_setter: str = DEFAULT_RHO_SETTER
    lagrangian: bool = False
    on_line: Callable[[str], None] | None = field(default=None, compare=False)
    name: str = "ph"

    def solve(self, instance: Instance, *, time_limit: float | None = None,
              mip_gap: float | None = None, progress=None, on_phase=None) -> SolveRun:
        """PH under MPI within ``time_limit`` (default: Settings ``time_limit_s``; the
        MPI job is killed after it plus a margin), then the incumbent evaluated; its
        status is ``optimal`` only within ``mip_gap`` (default: Settings ``mip_gap``).
        ``progress`` belongs to the extensive form and is not used."""
        st = instance.settings
        time_limit = st.time_limit_s if time_limit is None else time_limit
        mip_gap = st.mip_gap if mip_gap is None else mip_gap
        t0 = time.perf_counter()
        shaped, relaxation = self._relaxation(instance, LP_BOUND_SHARE * time_limit)
        try:
            result = self._launch(instance, time_limit, mip_gap,
                                  spent=relaxation.seconds + AFTER_PH_SHARE * time_limit)
            plan = self._purchases(result, shaped, PURCHASES_SHARE * time_limit)
            return self._evaluate(instance, result, plan, relaxation,
                                  time.perf_counter() - t0, mip_gap)
        except _Failed as failure:
            return failed_run(instance, str(failure),
                              bound=best_bound(failure.bound, relaxation),
                              seconds=time.perf_counter() - t0, engine=self.name,
                              solver=SOLVER)

    def _say(self, line: str) -> None:
        if self.on_line:
            self.on_line(line)

    def _relaxation(self, instance: Instance,
                    seconds: float) -> tuple[LShaped | None, LpBound]:
        """The LP bound within ``seconds``, announced before and after; the master and
        scenario LPs are kept for :meth:`_purchases`."""
        self._say(f"lower bound from the LP relaxation (at most {seconds:.0f} s) ...")
        shaped, bound = relaxation(instance, time_limit=seconds)
        if bound.value is None:
            self._say("no LP bound (a risk weight, or no master settled in time)")
        else:
            self._say(f"LP bound {bound.value:,.2f} MUSD after {bound.iterations} "
                      f"rounds of cuts, {bound.seconds:.1f} s"
                      + ("" if bound.converged else " (stopped at its time limit)"))
        return shaped, bound

    def _purchases(self, result: dict, shaped: LShaped | None,
                   seconds: float) -> dict[str, dict]:
        """PH's plan, or its units and facilities with the purchases that cost least over
        every scenario (the LP of :class:`LShaped` with ``n``, ``z`` fixed) when those
        cost less than PH's incumbent. PH chose its purchases from bundles of scenarios
        and repaired them for every budget (p_large: 88,153 MUSD; the same units with
        these purchases 87,938)."""
        plan = plan_from_first_stage(result["first_stage"])
        if shaped is None or not shaped.ready:
            return plan
        shaped.fix_integers(plan)
        run = shaped.solve(time_limit=seconds)
        better, incumbent = shaped.plan(), result.get("incumbent_musd")
        if not run.converged or better is None or (
                incumbent is not None and shaped.upper >= incumbent):
            self._say(f"PH's purchases kept ({run.seconds:.1f} s to check)")
            return plan
        self._say(f"purchases re-chosen over every scenario for PH's units: "
                  f"{shaped.upper:,.2f} MUSD"
                  + ("" if incumbent is None else f" (PH's own {incumbent:,.2f})")
                  + f", {run.seconds:.1f} s")
        return better

    def _launch(self, instance: Instance, time_limit: float, mip_gap: float, *,
                spent: float = 0.0) -> dict:
        """The driver's JSON result with an incumbent plan, PH given what is left of
        ``time_limit`` after ``spent`` seconds; raises :class:`_Failed`."""
        if reason := missing_requirements():
            raise _Failed(reason)
        if self.ranks < 1:
            raise _Failed(f"ranks must be at least 1 (got {self.ranks})")
        seconds = max(time_limit - spent, 0.0)
        margin = max(LAUNCH_MARGIN_S, 0.25 * seconds)
        with tempfile.TemporaryDirectory(prefix="stockpile-ph-") as tmp:
            result_path = Path(tmp) / "result.json"
            args = ["--instance", str(save_instance(instance, Path(tmp) / "instance.pickle")),
                    "--out", str(result_path), "--rel-gap", repr(self.rel_gap),
                    "--max-iterations", str(self.max_iterations),
                    "--time-limit", repr(float(seconds)), "--rho-setter", self.rho_setter,
                    "--subproblem-gap", repr(self._subproblem_gap(instance, mip_gap))]
            if not self.lagrangian:
                args.append("--no-lagrangian")
            if self.bundle:
                args += ["--bundle", str(self.bundle)]
            # mpi-sppy writes hub.log and friends into the working directory: keep them in
            # the temporary folder
            ranks = usable_ranks(len(instance.scenarios), self.bundle, lagrangian_allowed(
                self.lagrangian, ModelIndex(instance)), self.ranks)
            t0 = time.perf_counter()
            code, tail = run_mpi(mpiexec_command(ranks, args), cwd=Path(tmp),
                                 timeout=seconds + margin, on_line=self.on_line)
            mpi_seconds = time.perf_counter() - t0
            result = json.loads(result_path.read_text()) if result_path.exists() else None
        if code is None:
            raise _Failed(f"the MPI run did not finish within {seconds:.0f} s plus "
                          f"{margin:g} s and was stopped")
        if result is None or "error" in result:
            detail = result["error"] if result else "\n".join(tail[-15:])
            raise _Failed(f"the MPI run failed (exit code {code}): {detail}")
        if result.get("first_stage") is None:  # [] is a plan: no first-stage decisions
            raise _Failed(no_incumbent_reason(result.get("iterations"), time_limit),
                          result.get("bound_musd"))
        return {**result, "mpi_seconds": mpi_seconds}

    def _subproblem_gap(self, instance: Instance, mip_gap: float) -> float:
        """Each subproblem to a tenth of PH's gap, so its bound stays useful; one
        subproblem (all the scenarios in one bundle) is the whole problem: to
        ``mip_gap``, so the run can be ``optimal`` as the extensive form would be."""
        gap = min(1e-3, self.rel_gap / 10)
        if subproblem_count(len(instance.scenarios), self.bundle) == 1:
            gap = min(gap, mip_gap)
        return gap

    def _evaluate(self, instance: Instance, result: dict, plan: dict[str, dict],
                  relaxation: LpBound, elapsed: float, mip_gap: float) -> SolveRun:
        """``plan`` on every scenario, reported like the extensive form, with the better
        of PH's bound and the LP bound."""
        ph_bound = result.get("bound_musd")
        bound = best_bound(ph_bound, relaxation)
        by_lp = bound is not None and bound == relaxation.value and bound != ph_bound
        iterations = result["iterations"]

        def termination(gap: float | None) -> str:
            proven = "no bound" if gap is None else (
                f"relative gap {100 * gap:.3f}%" + (" to the LP bound" if by_lp else ""))
            return (f"progressive hedging: {proven} after {iterations} iterations on "
                    f"{result['ranks']} ranks")

        try:
            run, results = report_plan(instance, plan, bound=bound, mip_gap=mip_gap,
                                       elapsed=elapsed, solver=SOLVER,
                                       termination=termination)
        except RuntimeError as exc:
            raise _Failed(str(exc), bound) from None
        for key, value in (("engine", self.name), ("ranks", result["ranks"]),
                           ("bundle", result["bundle"] or 1), ("iterations", iterations),
                           ("ph_seconds", result["mpi_seconds"]),
                           ("ph_peak_rss_mb", max(result["peak_rss_mb"])),
                           ("ph_bound_musd", ph_bound),
                           ("lp_bound_musd", relaxation.value),
                           ("lp_bound_seconds", relaxation.seconds)):
            results.set(key, value)
        return run
