"""Incumbent plans found by the PH hub itself.

With a rank count that is a multiple of 3 an ``xhatshuffle`` spoke looks for plans;
otherwise the hub tries plans itself, every few iterations (:class:`CandidatePlans`), so
two ranks (hub + Lagrangian) still stop as soon as the relative gap is reached. A
subproblem's own purchases often break a budget in scenarios it does not see, so each
candidate's purchases are re-chosen to keep every scenario's budget
(:class:`optimizer.ph.repair.PurchaseRepair`). The classes that need mpi-sppy are built
lazily: it is an optional dependency.
"""

from __future__ import annotations

import time

from models.stockpile import plan_from_first_stage

# An iteration may take longer than the one before (p_large: 166 s, then 243 s with the
# plans tried): the next one starts only if 1.25 times the last still ends in time.
NEXT_ITERATION = 1.25


def incumbent_classes():
    """The hub class and its incumbent extension (built lazily: mpi-sppy is optional)."""
    return _hub_class(), _extension_class()


def _extension_class():
    """The hub extension that tries incumbent plans."""
    from mpisppy.extensions.xhatclosest import XhatClosest

    class InHubIncumbents(CandidatePlans, XhatClosest):
        """Every ``every`` PH iterations (and after iteration 0 and at the end), the
        candidate plans of :class:`CandidatePlans`, with W and prox switched off. A plan
        becomes the hub's incumbent when it improves (``update_best_solution_if_improving``
        caches the whole solution for :func:`optimizer.ph.driver.incumbent_values`)."""

        def __init__(self, ph):
            super().__init__(ph)
            self.every = max(1, int(self.options.get("every", 1)))
            self._mark = None  # when the last iteration's checks ran

        def _stop_if_next_would_overrun(self):
            """mpi-sppy looks at its time limit before each iteration's solves only; an
            iteration that would end past the limit if it took ``NEXT_ITERATION`` times
            as long as the last one is not started (the limit is set to 0, so PH's own
            check stops the loop on every rank at once)."""
            now = time.perf_counter()
            # the first time: iteration 0 from the start, with its incumbent tries
            last = now - (self.opt.start_time if self._mark is None else self._mark)
            self._mark = now
            limit = self.opt.options.get("time_limit")
            if limit is not None and now - self.opt.start_time + NEXT_ITERATION * last > limit:
                self.opt.options["time_limit"] = 0.0

        def _try_plans(self):
            self.opt.disable_W_and_prox()
            self.try_candidates()
            self.opt.reenable_W_and_prox()

        def post_iter0(self):
            self.comms = self.opt.comms
            # appsi re-processes every row of a variable that gets fixed (and removes
            # columns one by one); telling HiGHS the bounds instead is what makes the
            # plan evaluations cheap
            for s in self.opt.local_scenarios.values():
                config = getattr(s._solver_plugin, "update_config", None)
                if config is not None:
                    config.treat_fixed_vars_as_params = False

        def post_iter0_after_sync(self):
            # after the trivial bound is taken from the iteration-0 solves (an xhat
            # solve would overwrite the scenario bounds it reads)
            self.opt.Compute_Xbar()
            self._try_plans()

        def miditer(self):
            if self.opt._PHIter % self.every == 0:
                self._try_plans()
            self._stop_if_next_would_overrun()

        def post_everything(self):
            self._try_plans()
            best = self.opt.best_solution_obj_val
            if best is not None and self.opt.spcomm is not None:
                spcomm = self.opt.spcomm
                spcomm.BestInnerBound = spcomm.InnerBoundUpdate(best, char="E")

    return InHubIncumbents


class CandidatePlans:
    """The hub's candidate plans (mixed into the PH hub's extension, which provides
    ``opt``, ``options`` and ``solver_options``): the units of the subproblem closest to
    ``x̄`` and of ``x̄`` rounded, and when neither has recourse in every scenario, of the
    subproblem whose own cost is least; each with its purchases repaired
    (:meth:`_repaired`) and evaluated on every subproblem."""

    def try_candidates(self):
        """Try the closest subproblem's units and ``x̄`` rounded (W and prox off), and
        the cheapest subproblem's units when neither has recourse in every scenario."""
        comm = self.opt.comms["ROOT"]
        s0 = next(iter(self.opt.local_scenarios.values()))
        nonants = list(s0._mpisppy_data.nonant_indices.values())
        keys = [(var.parent_component().local_name, var.index()) for var in nonants]

        def attempt(values) -> bool:
            values = self._repaired(comm, keys, values)
            return values is not None and self._try_values(
                [round(x) if var.is_integer() or var.is_binary() else x
                 for x, var in zip(values, nonants, strict=True)])

        found = attempt(self._plan_of(comm, *self._closest_subproblem(comm)))
        found = attempt(self._rounded_xbar()) or found
        if not found:
            attempt(self._plan_of(comm, *self._cheapest_subproblem(comm)))

    def _repaired(self, comm, keys, values):
        """``values`` with their purchases replaced by the nearest that keep every
        scenario's budget (rank 0 solves, every rank gets the answer); ``None`` when
        no purchases do for these units."""
        bought = None
        if comm.Get_rank() == 0:
            plan = plan_from_first_stage((name, index, x or 0.0)
                                         for (name, index), x in zip(keys, values, strict=True))
            bought = self._repair().purchases(plan)
        bought = comm.bcast(bought, root=0)
        if bought is None:
            return None
        return [bought[index] if name == "b" else x
                for (name, index), x in zip(keys, values, strict=True)]

    def _repair(self):
        """The purchase repair of this run's instance, built on first use."""
        if getattr(self, "_purchase_repair", None) is None:
            from optimizer.ph.repair import PurchaseRepair
            from optimizer.ph.scenarios import load

            loaded = load(self.options["instance_path"])
            self._purchase_repair = PurchaseRepair(loaded.index, loaded.scenarios)
        return self._purchase_repair

    def _rounded_xbar(self):
        """``x̄``, the same on every rank (integers are rounded by the caller)."""
        s = next(iter(self.opt.local_scenarios.values()))
        xbars = s._mpisppy_model.xbars
        return [xbars[ndn_i]._value for ndn_i in s._mpisppy_data.nonant_indices]

    def _plan_of(self, comm, rank: int, name):
        """The first-stage values of subproblem ``name`` on ``rank``, on every rank."""
        values = None
        if comm.Get_rank() == rank:
            model = self.opt.local_scenarios[name]
            values = [var._value for var in model._mpisppy_data.nonant_indices.values()]
        return comm.bcast(values, root=rank)

    def _closest_subproblem(self, comm):
        """(rank, name) of the subproblem whose plan is closest to ``x̄`` (the
        distance of mpi-sppy's ``xhat_closest_to_xbar``: truncated z-scores)."""
        distances = {}
        for key, s in self.opt.local_scenarios.items():
            model = s._mpisppy_model
            dist = 0.0
            for ndn_i, var in s._mpisppy_data.nonant_indices.items():
                mean = model.xbars[ndn_i]._value
                variance = model.xsqbars[ndn_i]._value - mean * mean
                if variance > 0:
                    dist += min(3.0, abs((var._value or 0.0) - mean) / variance ** 0.5)
            distances[key] = dist
        return _winner(comm, distances)

    def _cheapest_subproblem(self, comm):
        """(rank, name) of the subproblem whose own objective (W and prox off) is
        least: its scenarios are the mildest, its plan commits the least."""
        import pyomo.environ as pyo
        from mpisppy.utils.sputils import find_active_objective

        costs = {key: pyo.value(find_active_objective(s))
                 for key, s in self.opt.local_scenarios.items()}
        return _winner(comm, costs)

    def _try_values(self, values) -> bool:
        """Fix the first stage to ``values`` in every subproblem, solve, and keep
        the plan as the incumbent when it has recourse everywhere and improves;
        whether it has (the same answer on every rank)."""
        self.opt._save_nonants()
        self.opt._fix_nonants({"ROOT": values})
        self.opt.solve_loop(solver_options=self.solver_options, need_solution=False)
        feasible = self.opt.no_incumbent_prob() == 0.0
        if feasible:
            self.opt.update_best_solution_if_improving(self.opt.Eobjective())
        self.opt._restore_nonants()
        return feasible


def _winner(comm, scores: dict):
    """(rank, name) of the least of every rank's ``scores`` (name → value), the same on
    every rank (ties go to the highest rank)."""
    import numpy as np
    from mpisppy import MPI

    name = min(scores, key=scores.get) if scores else None
    best = np.array([scores[name] if scores else np.inf])
    overall = np.empty(1)
    comm.Allreduce([best, MPI.DOUBLE], [overall, MPI.DOUBLE], op=MPI.MIN)
    mine = np.array([comm.Get_rank() if best[0] <= overall[0] else -1.0])
    winner = np.empty(1)
    comm.Allreduce([mine, MPI.DOUBLE], [winner, MPI.DOUBLE], op=MPI.MAX)
    rank = int(winner[0])
    return rank, comm.bcast(name, root=rank)


def _hub_class():
    """The PH hub that counts the extension's incumbents toward the gap."""
    from mpisppy.cylinders.hub import PHHub
    from mpisppy.cylinders.spwindow import Field

    class IncumbentHub(PHHub):
        """A PH hub that also counts its own incumbents toward the gap: mpi-sppy's hub
        only stops on the gap when an incumbent spoke exists."""

        def is_converged(self, screen_trace=True):
            if self.receive_field_spcomms[Field.OBJECTIVE_INNER_BOUND]:
                return super().is_converged(screen_trace)
            if self.opt.best_bound_obj_val is not None:
                self.BestOuterBound = self.OuterBoundUpdate(self.opt.best_bound_obj_val)
            if self.opt.best_solution_obj_val is not None:
                self.BestInnerBound = self.InnerBoundUpdate(self.opt.best_solution_obj_val)
            if self.global_rank == 0 and screen_trace:
                self.screen_trace()
            return self.determine_termination(screen_trace)

    return IncumbentHub
