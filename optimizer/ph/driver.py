"""What every MPI rank runs: ``mpiexec -n R python -m mpi4py -m optimizer.ph.driver …``.

Each rank loads the saved instance (:mod:`optimizer.ph.scenarios`), then together they
run a progressive-hedging hub, a Lagrangian lower-bound spoke and an incumbent finder
(an ``xhatshuffle`` spoke with a multiple of 3 ranks, else the hub's own search,
:mod:`optimizer.ph.incumbents`); each scenario (or bundle of scenarios) is a HiGHS MILP
with linearised proximal terms. Rank 0 writes a JSON file with the bounds and the
incumbent plan (:func:`write_result`), or ``{"error": ...}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from optimizer.ph import scenarios as model_module
from optimizer.ph.incumbents import incumbent_classes
from optimizer.ph.scenarios import inparser_adder, load, scenario_creator, scenario_names_creator

SOLVER = "appsi_highs"
# Rho: the plan mixes units (a project unit costs 1..100s of MUSD, a tonne bought
# 1e-6..1e-3 MUSD), so one rho fits nothing; SEP (|cost| over the spread of the values)
# beat rho = |cost| and constant rho on the shared cases (case_chain: 0.9 % gap in 27
# iterations against 5.3 % and 16 % after 40; us_mexico_demo, 10 iterations: 4.0 %
# against 5.3 %).
RHO_SETTERS = ("sep", "coeff", "default")
DEFAULT_RHO_SETTER = "sep"
DEFAULT_MAX_ITERATIONS = 200
# the share of the time limit iteration 0 may take; the rest is for incumbent tries, more
# iterations, and the plan's evaluation on every scenario after the MPI run
ITER0_SHARE = 0.6


@dataclass(frozen=True)
class Options:
    """What one PH run is asked to do."""

    instance_path: str
    out: str
    bundle: int | None = None
    rel_gap: float = 0.01
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    time_limit: float | None = None
    rho_setter: str = DEFAULT_RHO_SETTER
    default_rho: float = 1.0
    rho_multiplier: float = 1.0
    xhat_every: int = 1
    subproblem_gap: float = 1e-4
    lagrangian: bool = True


def bundle_size(num_scens: int, wanted: int | None) -> int | None:
    """The bundle size used for ``wanted``: the divisor of the scenario count nearest to
    it (proper bundles must be of equal size; the smaller on a tie), up to twice
    ``wanted``; so 11 scenarios make one bundle of 11 for ``wanted = 10``, not plain PH.
    ``None`` for no bundling (``wanted`` below 2, or no divisor from 2 to 2·``wanted``)."""
    if not wanted or wanted < 2:
        return None
    sizes = [d for d in range(2, min(2 * wanted, num_scens) + 1) if num_scens % d == 0]
    return min(sizes, key=lambda d: (abs(d - wanted), d)) if sizes else None


def subproblem_count(num_scens: int, wanted: int | None) -> int:
    """Subproblems of a run: bundles, or scenarios without bundling."""
    bundle = bundle_size(num_scens, wanted)
    return num_scens // bundle if bundle else num_scens


def cylinder_count(lagrangian: bool, n_ranks: int) -> int:
    """Cylinders on ``n_ranks`` ranks: the hub, a Lagrangian spoke when asked and there
    are 2 ranks or more, and an incumbent-finding spoke when the ranks divide by 3."""
    if not lagrangian:
        return 1
    return 3 if n_ranks % 3 == 0 else (2 if n_ranks >= 2 else 1)


def usable_ranks(num_scens: int, wanted: int | None, lagrangian: bool, n_ranks: int) -> int:
    """The ranks a run can use: each cylinder needs a subproblem per rank, so a run with
    fewer subproblems than ranks per cylinder gets fewer ranks (one bundle of all the
    scenarios: one rank per cylinder)."""
    subproblems = subproblem_count(num_scens, wanted)
    while n_ranks > 1 and subproblems < n_ranks // cylinder_count(lagrangian, n_ranks):
        n_ranks -= 1
    return n_ranks


def _config(opts: Options, num_scens: int, bundle: int | None):
    import mpisppy.utils.config as config

    cfg = config.Config()
    cfg.popular_args()
    cfg.two_sided_args()
    cfg.ph_args()
    cfg.lagrangian_args()
    cfg.xhatshuffle_args()
    cfg.proper_bundle_config()
    cfg.mip_options()
    cfg.sep_rho_args()
    cfg.coeff_rho_args()
    inparser_adder(cfg)
    cfg.num_scens = num_scens
    cfg.instance_path = opts.instance_path
    cfg.solver_name = SOLVER
    cfg.max_solver_threads = 1  # HiGHS fixes its thread pool at the first solve
    cfg.default_rho = opts.default_rho
    cfg.max_iterations = opts.max_iterations
    cfg.rel_gap = opts.rel_gap
    cfg.abs_gap = 0.0
    cfg.time_limit = None if opts.time_limit is None else max(1, int(opts.time_limit))
    cfg.linearize_proximal_terms = True  # HiGHS solves no MIQP
    cfg.iter0_mipgap = opts.subproblem_gap
    cfg.iterk_mipgap = opts.subproblem_gap
    cfg.lagrangian_iter0_mipgap = opts.subproblem_gap
    cfg.lagrangian_iterk_mipgap = opts.subproblem_gap
    cfg.scenarios_per_bundle = bundle
    # SEP sets rho from the scenarios' spread around x̄: with one subproblem there is none
    # (mpi-sppy then divides by zero), and PH has nothing to reconcile anyway
    cfg.sep_rho = opts.rho_setter == "sep" and subproblem_count(num_scens, bundle) > 1
    cfg.sep_rho_multiplier = opts.rho_multiplier
    cfg.coeff_rho = opts.rho_setter == "coeff"
    cfg.coeff_rho_multiplier = opts.rho_multiplier
    return cfg


def subproblem_seconds(time_limit: float, subproblems: int, hub_ranks: int) -> float:
    """HiGHS's time limit for one subproblem. mpi-sppy looks at the clock between
    iterations only, and a rank solves its subproblems one after the other: each gets its
    share of :data:`ITER0_SHARE` of the run's limit, so iteration 0 ends in time with
    every subproblem's plan and bound (a MIP stopped by its limit still gives both)."""
    per_rank = -(-subproblems // max(1, hub_ranks))
    return max(1.0, ITER0_SHARE * time_limit / per_rank)


def _cylinders(opts: Options, n_ranks: int) -> tuple[bool, bool, int]:
    """(Lagrangian spoke?, xhatshuffle spoke?, cylinder count) for ``n_ranks``. With
    ``λ > 0`` the CVaR threshold η has no finite bound, so a W-priced subproblem can be
    unbounded and its "bound" wrong: the bound then comes from iteration 0 only."""
    lagrangian = lagrangian_allowed(opts.lagrangian, load(opts.instance_path).index)
    cylinders = cylinder_count(lagrangian, n_ranks)
    return lagrangian, cylinders == 3, cylinders


def lagrangian_allowed(asked: bool, ix) -> bool:
    """The Lagrangian spoke runs when asked and ``λ = 0`` (see :func:`_cylinders`)."""
    return asked and ix.risk_weight == 0


def _wheel(opts: Options, n_ranks: int):
    """The hub and spokes of this run, ready to spin; also the bundle size and the
    cylinders used."""
    import mpisppy.utils.cfg_vanilla as vanilla
    from mpisppy.spin_the_wheel import WheelSpinner

    num_scens = len(load(opts.instance_path).scenarios)
    bundle = bundle_size(num_scens, opts.bundle)
    cfg = _config(opts, num_scens, bundle)
    creator, creator_kwargs = scenario_creator, {"instance_path": opts.instance_path}
    names = scenario_names_creator(num_scens)
    if bundle:
        import mpisppy.utils.proper_bundler as proper_bundler

        cfg.turn_off_names_check = True
        bundler = proper_bundler.ProperBundler(model_module)
        bundler.set_bunBFs(cfg)
        creator, creator_kwargs = bundler.scenario_creator, bundler.kw_creator(cfg)
        names = bundler.bundle_names_creator(num_scens // bundle, cfg=cfg)
    _, shuffle, cylinders = _cylinders(opts, n_ranks)
    if len(names) < n_ranks // cylinders:
        raise ValueError(f"{n_ranks} ranks need at least {n_ranks // cylinders} "
                         f"{'bundles' if bundle else 'scenarios'}; the run has {len(names)}")
    if opts.time_limit is not None:
        seconds = subproblem_seconds(opts.time_limit, len(names), n_ranks // cylinders)
        cfg.solver_options = f"time_limit={seconds:.1f}"

    beans = (cfg, creator, model_module.scenario_denouement, names)
    hub = vanilla.ph_hub(*beans, scenario_creator_kwargs=creator_kwargs)
    hub["opt_kwargs"]["options"]["cfg"] = cfg
    if cfg.sep_rho:
        vanilla.add_sep_rho(hub, cfg)
    if cfg.coeff_rho:
        vanilla.add_coeff_rho(hub, cfg)
    if not shuffle:
        hub_class, extension = incumbent_classes()
        hub["hub_class"] = hub_class
        vanilla.extension_adder(hub, extension)
        hub["opt_kwargs"]["options"]["xhat_closest_options"] = {
            "xhat_solver_options": dict(hub["opt_kwargs"]["options"]["iterk_solver_options"]),
            "keep_solution": True,
            "every": opts.xhat_every,
            "instance_path": opts.instance_path,
        }
    spokes = []
    if cylinders >= 2:
        spokes.append(vanilla.lagrangian_spoke(*beans, scenario_creator_kwargs=creator_kwargs))
    if shuffle:
        spokes.append(vanilla.xhatshuffle_spoke(*beans, scenario_creator_kwargs=creator_kwargs))
    return WheelSpinner(hub, spokes), bundle, cylinders, shuffle


def run_ph(opts: Options, comm=None) -> dict | None:
    """Collective: run PH on every rank; the result dict on global rank 0, else None."""
    from mpisppy import MPI

    comm = comm or MPI.COMM_WORLD
    n_ranks = comm.Get_size()
    t0 = time.perf_counter()
    wheel, bundle, cylinders, shuffle = _wheel(opts, n_ranks)
    t_setup = time.perf_counter()
    wheel.spin()
    t_spin = time.perf_counter()

    # the incumbent lives on the cylinder that found it (the hub or xhatshuffle)
    winner = wheel._determine_innerbound_winner()
    xhat = incumbent_values(wheel) if winner else None
    rss = comm.gather(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, root=0)
    xhats = comm.gather(xhat, root=0)
    if comm.Get_rank() != 0:
        return None
    xhat = next((x for x in xhats if x is not None), None)
    incumbent = _finite(wheel.BestInnerBound)
    bound = _finite(wheel.BestOuterBound)
    abs_gap, rel_gap = wheel.spcomm.compute_gaps()
    both = incumbent is not None and bound is not None
    return {
        "incumbent_musd": incumbent,
        "bound_musd": bound,
        "rel_gap": _finite(rel_gap) if both else None,
        "abs_gap": _finite(abs_gap) if both else None,
        "iterations": int(wheel.spcomm.opt._PHIter),
        "scenarios": len(load(opts.instance_path).scenarios),
        "bundle": bundle,
        "ranks": n_ranks,
        "cylinders": ["ph", "lagrangian"][:cylinders] + (["xhatshuffle"] if shuffle else []),
        "incumbent_finder": "xhatshuffle" if shuffle else "hub (closest to x̄, rounded x̄)",
        "rho_setter": opts.rho_setter,
        "setup_seconds": round(t_setup - t0, 3),
        "ph_seconds": round(t_spin - t_setup, 3),
        "peak_rss_mb": [round(r, 1) for r in rss],
        "first_stage": _first_stage(opts.instance_path, xhat),
    }


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def incumbent_values(wheel) -> list[float] | None:
    """The incumbent's first stage, in nonant order, on the winning cylinder's rank 0."""
    opt = wheel.spcomm.opt
    if not opt.load_best_solution() or opt.cylinder_rank != 0:
        return None
    first = opt.local_scenarios[opt.local_scenario_names[0]]
    return [float(v.value) for v in first._mpisppy_node_list[0].nonant_vardata_list]


def _first_stage(instance_path: str, values: list[float] | None) -> list | None:
    """``[component, index, value]`` in the order of the first-stage variables (a bundle
    keeps its first scenario's order, so one plain scenario names the values)."""
    if values is None:
        return None
    reference = scenario_creator(scenario_names_creator(1)[0], instance_path=instance_path)
    variables = reference._mpisppy_node_list[0].nonant_vardata_list
    if len(variables) != len(values):
        raise RuntimeError(f"the incumbent has {len(values)} first-stage values, "
                           f"the model {len(variables)}")
    rows = []
    for var, value in zip(variables, values, strict=True):
        index = var.index()
        rows.append([var.parent_component().local_name,
                     list(index) if isinstance(index, tuple) else index, value])
    return rows


def write_result(path: str | os.PathLike, result: dict) -> None:
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(path)


def parse_args(argv: list[str] | None = None) -> Options:
    ap = argparse.ArgumentParser(
        prog="mpiexec -n N python -m mpi4py -m optimizer.ph.driver",
        description="Progressive hedging (mpi-sppy + HiGHS) on a saved stockpile instance; "
                    "rank 0 writes the bounds and the incumbent plan as JSON.")
    ap.add_argument("--instance", required=True, help="the saved instance (scenarios.py)")
    ap.add_argument("--out", required=True, help="result JSON path (written by rank 0)")
    ap.add_argument("--bundle", type=int, default=None,
                    help="scenarios per bundle (the divisor of the count nearest to it)")
    ap.add_argument("--rel-gap", type=float, default=0.01, help="stop at this relative gap")
    ap.add_argument("--max-iterations", type=int, default=DEFAULT_MAX_ITERATIONS)
    ap.add_argument("--time-limit", type=float, default=None, help="PH seconds")
    ap.add_argument("--rho-setter", choices=RHO_SETTERS, default=DEFAULT_RHO_SETTER,
                    help="sep: Watson-Woodruff SEP; coeff: rho = |cost coefficient|; "
                         "default: --default-rho everywhere")
    ap.add_argument("--default-rho", type=float, default=1.0,
                    help="rho where the setter has none (zero cost coefficient)")
    ap.add_argument("--rho-multiplier", type=float, default=1.0)
    ap.add_argument("--xhat-every", type=int, default=1,
                    help="PH iterations between the hub's incumbent tries (2 ranks)")
    ap.add_argument("--subproblem-gap", type=float, default=1e-4,
                    help="HiGHS relative MIP gap of each subproblem")
    ap.add_argument("--no-lagrangian", dest="lagrangian", action="store_false",
                    help="every rank runs the hub (bound: iteration 0's, incumbents: hub)")
    a = ap.parse_args(argv)
    return Options(str(Path(a.instance).resolve()), a.out, a.bundle, a.rel_gap,
                   a.max_iterations, a.time_limit, a.rho_setter, a.default_rho,
                   a.rho_multiplier, a.xhat_every, a.subproblem_gap, a.lagrangian)


def _time_limited(record: logging.LogRecord) -> bool:
    """Pyomo warns each time a subproblem stopped at its time limit with a plan, which
    is how a time-limited run is meant to end: not a warning for the planner."""
    return "'aborted' status, but containing a solution" not in record.getMessage()


def main(argv: list[str] | None = None) -> int:
    """Every rank: load the saved instance, run PH; rank 0 writes the JSON result."""
    from mpisppy import MPI

    for name in ("pyomo.core", "pyomo.core.base.PyomoModel"):
        logging.getLogger(name).addFilter(_time_limited)

    t0 = time.perf_counter()
    opts = parse_args(argv)
    comm = MPI.COMM_WORLD
    # every rank reads the same file, so a missing one fails on every rank alike and
    # nobody waits for a rank that died
    try:
        load(opts.instance_path)
        problem = None
    except Exception as exc:  # noqa: BLE001 - reported in the JSON, then a clean exit
        problem = f"{type(exc).__name__}: {exc}"
    if problem is not None:
        if comm.Get_rank() == 0:
            write_result(opts.out, {"error": problem})
        return 1
    try:
        result = run_ph(opts, comm)
    except ValueError as exc:  # a setup the run cannot take (e.g. fewer bundles than ranks)
        if comm.Get_rank() == 0:
            write_result(opts.out, {"error": str(exc)})
        return 1
    if result is not None:
        result["wall_seconds"] = round(time.perf_counter() - t0, 3)
        write_result(opts.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
