"""The L-shaped engine (``solve --engine benders``): Benders decomposition by scenario,
exact for ``risk_weight = 0``, without MPI.

1. **The LP relaxation** by cuts (:func:`optimizer.lp_bound.relaxation`): the master
   holds the first stage and one ``θ_s`` per scenario, each scenario is an LP with the
   first stage fixed, and their reduced costs give the cuts. Its value is a bound.
2. **Whole units** (:meth:`optimizer.lp_bound.LShaped.improve`, the integer L-shaped
   method): the master as a MIP over those cuts gives a bound and a plan; the plan's
   exact cost with its best purchases adds the cuts at that plan; again, until the best
   plan is within the gap asked of the master's bound, or time runs out.
3. **The report**: the best plan evaluated on every scenario, one LP at a time
   (:func:`optimizer.plan_report.report_plan`), ``optimal`` only within ``mip_gap``.

Why: on p_large (200 scenarios, 786,000 columns) the extensive form is still in its root
LP after 10 minutes, and progressive hedging's plan lay 0.34 % above the LP bound after
500 s; this engine proves 0.149 % in 491 s (bench/README.md). A workbook with a
risk weight (CVaR) is refused: the cuts bound the expected cost only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from instance import Instance
from models.index import ModelIndex
from optimizer.lp_bound import IntegerMaster, relaxation
from optimizer.plan_report import failed_run, report_plan
from optimizer.run import SolveRun
from optimizer.solve import INFEASIBLE

SOLVER = "L-shaped method (Benders cuts) + HiGHS"
# at most this share of the time limit goes to the LP relaxation (p_large: 80-100 s)
LP_SHARE = 0.4
# this share of the time limit is kept for evaluating the plan on every scenario and
# writing it (p_large: 55 s of 900)
EVALUATION_SHARE = 0.1


@dataclass(frozen=True)
class Benders:
    """The L-shaped method (module doc); ``on_line`` receives its progress lines."""

    on_line: Callable[[str], None] | None = field(default=None, compare=False)
    name: str = "benders"

    def solve(self, instance: Instance, *, time_limit: float | None = None,
              mip_gap: float | None = None, progress=None, on_phase=None) -> SolveRun:
        """The three steps within ``time_limit`` (default: Settings ``time_limit_s``) to
        ``mip_gap`` (default: Settings ``mip_gap``); ``progress`` and ``on_phase``
        belong to the extensive form and are not used. A scenario LP that HiGHS cannot
        solve (unbounded, numerical trouble) ends the run with status ``error`` and
        HiGHS's words."""
        st = instance.settings
        time_limit = st.time_limit_s if time_limit is None else time_limit
        mip_gap = st.mip_gap if mip_gap is None else mip_gap
        t0 = time.perf_counter()
        try:
            return self._solve(instance, time_limit, mip_gap, t0)
        except RuntimeError as exc:  # from ScenarioLP.cut
            return self._failed(instance, t0, None, f"the L-shaped method stopped: {exc}")

    def _solve(self, instance: Instance, time_limit: float, mip_gap: float,
               t0: float) -> SolveRun:
        if ModelIndex(instance).risk_weight > 0:
            return self._failed(instance, t0, None, (
                "the L-shaped engine bounds the expected cost only, and this workbook has "
                "a risk weight: use --engine ef or --engine ph"))
        self._say(f"LP relaxation by cuts, one per scenario (at most "
                  f"{LP_SHARE * time_limit:.0f} s) ...")
        shaped, lp = relaxation(instance, time_limit=LP_SHARE * time_limit)
        if shaped.infeasible:  # (shaped is None only with a risk weight, refused above)
            return self._infeasible(instance, t0, "even with project units in fractions")
        if lp.value is None:
            return self._failed(instance, t0, None, (
                f"the LP relaxation did not settle within {LP_SHARE * time_limit:.0f} s "
                "(40 % of the time limit): try a longer --time-limit, or --engine ph"))
        self._say(f"LP bound {lp.value:,.2f} MUSD after {lp.iterations} rounds of cuts, "
                  f"{lp.seconds:.1f} s")
        left = (1 - EVALUATION_SHARE) * time_limit - (time.perf_counter() - t0)
        self._say(f"whole units: master MIPs over the cuts (at most {left:.0f} s) ...")
        found = shaped.improve(time_limit=left, mip_gap=mip_gap, on_round=self._round)
        if found.plan is None and found.infeasible:
            return self._infeasible(instance, t0, "with whole project units")
        bound = max(b for b in (found.bound, lp.value) if b is not None)
        if found.plan is None:
            return self._failed(instance, t0, bound, (
                f"no plan with whole units within the time limit ({time_limit:g} s, "
                f"{found.rounds} master MIPs): try a longer --time-limit"))
        self._say(f"best plan {found.cost:,.2f} MUSD, bound {bound:,.2f} after "
                  f"{found.rounds} master MIPs, {found.seconds:.1f} s")

        def termination(gap: float | None) -> str:
            proven = "no bound" if gap is None else f"relative gap {100 * gap:.3f}%"
            return f"L-shaped method: {proven} after {found.rounds} master MIPs"

        try:
            run, results = report_plan(instance, found.plan, bound=bound, mip_gap=mip_gap,
                                       elapsed=time.perf_counter() - t0, solver=SOLVER,
                                       termination=termination)
        except RuntimeError as exc:  # the cuts said it has recourse everywhere
            return self._failed(instance, t0, bound, str(exc))
        for key, value in (("engine", self.name), ("lp_bound_musd", lp.value),
                           ("lp_bound_seconds", lp.seconds),
                           ("master_rounds", found.rounds),
                           ("master_bound_musd", found.bound),
                           ("master_seconds", found.seconds)):
            results.set(key, value)
        return run

    def _round(self, master: IntegerMaster, cost: float | None) -> None:
        """One master MIP and its candidate, on one line."""
        line = (f"master MIP ({master.status.lower()}, {master.seconds:.1f} s): bound "
                + ("none" if master.bound is None else f"{master.bound:,.2f}"))
        if cost is not None:
            line += f", its plan costs {cost:,.2f} MUSD"
        self._say(line)

    def _infeasible(self, instance: Instance, t0: float, how: str) -> SolveRun:
        return failed_run(instance, (
            f"no plan has recourse in every scenario {how}: the cuts, each implied by a "
            "scenario's requirements, leave no plan to choose"), bound=None,
            seconds=time.perf_counter() - t0, engine=self.name, solver=SOLVER,
            status=INFEASIBLE)

    def _say(self, line: str) -> None:
        if self.on_line:
            self.on_line(line)

    def _failed(self, instance: Instance, t0: float, bound: float | None,
                reason: str) -> SolveRun:
        return failed_run(instance, reason, bound=bound, seconds=time.perf_counter() - t0,
                          engine=self.name, solver=SOLVER)
