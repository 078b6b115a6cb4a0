"""Incumbent plans found by the PH hub itself.

With a rank count that is a multiple of 3 an ``xhatshuffle`` spoke looks for plans;
otherwise the hub tries, every few iterations, the scenario plan closest to the consensus
``x̄`` and ``x̄`` rounded (:func:`incumbent_classes`' extension), so two ranks (hub +
Lagrangian) still stop as soon as the relative gap is reached. The classes are built
lazily: mpi-sppy is an optional dependency.
"""

from __future__ import annotations

import time


def incumbent_classes():
    """The hub class and its incumbent extension (built lazily: mpi-sppy is optional)."""
    return _hub_class(), _extension_class()


def _extension_class():
    """The hub extension that tries incumbent plans."""
    from mpisppy.extensions.xhatclosest import XhatClosest

    class InHubIncumbents(XhatClosest):
        """Every ``every`` PH iterations (and after iteration 0 and at the end), evaluate
        two candidate plans on all scenarios with W and prox switched off: the scenario
        solution closest to ``x̄`` and ``x̄`` with its integers rounded. The better one
        becomes the hub's incumbent when it improves (``update_best_solution_if_improving``
        caches the whole solution for
        :func:`optimizer.ph.driver.incumbent_values`)."""

        def __init__(self, ph):
            super().__init__(ph)
            self.every = max(1, int(self.options.get("every", 1)))
            self._mark = None  # when the last iteration's checks ran

        def _stop_if_next_would_overrun(self):
            """mpi-sppy looks at its time limit before each iteration's solves only; an
            iteration as long as the last one that would end past the limit is not
            started (the limit is set to 0, so PH's own check stops the loop on every
            rank at once)."""
            now = time.perf_counter()
            # the first time: iteration 0 from the start, with its incumbent tries
            last = now - (self.opt.start_time if self._mark is None else self._mark)
            self._mark = now
            limit = self.opt.options.get("time_limit")
            if limit is not None and now - self.opt.start_time + last > limit:
                self.opt.options["time_limit"] = 0.0

        def _try_plans(self):
            self.opt.disable_W_and_prox()
            self.xhat_closest_to_xbar(restore_nonants=True)
            self._try_rounded_xbar()
            self.opt.reenable_W_and_prox()

        def _try_rounded_xbar(self):
            s = next(iter(self.opt.local_scenarios.values()))
            xbars = s._mpisppy_model.xbars
            values = []
            for ndn_i, var in s._mpisppy_data.nonant_indices.items():
                x = xbars[ndn_i]._value
                values.append(round(x) if var.is_integer() or var.is_binary() else x)
            self.opt._save_nonants()
            self.opt._fix_nonants({"ROOT": values})
            self.opt.solve_loop(solver_options=self.solver_options, need_solution=False)
            if self.opt.no_incumbent_prob() == 0.0:
                self.opt.update_best_solution_if_improving(self.opt.Eobjective())
            self.opt._restore_nonants()

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
