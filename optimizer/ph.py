"""Progressive hedging over the scenarios with mpi-sppy: the plan of a workbook too big
for the extensive form.

Three parts, in the order they run:

1. :func:`solve_workbook_ph` (this process): validates the workbook, launches
   ``mpiexec -n R python -m mpi4py -m optimizer.ph …`` and streams its log;
2. :func:`main` (every MPI rank): a progressive-hedging hub, a Lagrangian lower-bound
   spoke and an incumbent finder, each scenario (or bundle of scenarios) a HiGHS MILP
   with linearised proximal terms; rank 0 writes a JSON file with the bounds and the
   incumbent plan (:func:`write_result`);
3. back in this process, the incumbent plan is evaluated on every scenario, one LP at a
   time (:func:`evaluate_plan`), and reported exactly like the extensive form, with the
   Summary keys ``engine = ph``, ``ranks``, ``bundle`` and ``iterations`` added.

The mpi-sppy model module is this module itself: :func:`scenario_creator` builds
``build_model(instance, [alone(s)])`` (objective ``FS + Z_s``, with the CVaR terms when
``λ > 0``), whose first stage is ``first_stage_variables`` plus ``η``; its probability
``π_s`` is set apart, so PH's ``Σ_s π_s (FS + Z_s)`` is MODEL.md's objective.
Scenario names are ``scen0 … scen{S-1}`` in sheet order (what proper bundling needs);
:func:`scenario_ids` maps them back to the workbook's ids.

Incumbents: with a rank count that is a multiple of 3 an ``xhatshuffle`` spoke looks for
plans; otherwise the hub itself tries, every few iterations, the scenario plan closest to
the consensus ``x̄`` and ``x̄`` rounded (:class:`IncumbentHub`'s extension), so two ranks
(hub + Lagrangian) still stop as soon as the relative gap is reached.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from optimizer.pipeline import SolveRun

INSTALL_HINT = (
    "install with: apt-get install openmpi-bin libopenmpi-dev && pip install -e '.[ph]'"
)
SCENARIO_PREFIX = "scen"
SOLVER = "appsi_highs"
# Rho: the plan mixes units (a project unit costs 1..100s of MUSD, a tonne bought
# 1e-6..1e-3 MUSD), so one rho fits nothing; SEP (|cost| over the spread of the values)
# beat rho = |cost| and constant rho on the shared cases (case_chain: 0.9 % gap in 27
# iterations against 5.3 % and 16 % after 40; us_mexico_demo, 10 iterations: 4.0 %
# against 5.3 %).
RHO_SETTERS = ("sep", "coeff", "default")
DEFAULT_RHO_SETTER = "sep"
DEFAULT_MAX_ITERATIONS = 200
# seconds allowed beyond the PH time limit for launch, scenario building and the wrap-up
LAUNCH_MARGIN_S = 120.0


# ============================================================================ model module
# What mpi-sppy calls on every rank: scenario_creator, scenario_names_creator, kw_creator,
# inparser_adder, scenario_denouement.


@dataclass(frozen=True)
class _Workbook:
    """A validated workbook with its index, scenario factors and purchase limits, read
    once per rank."""

    instance: object
    index: object
    scenarios: list
    purchase_limits: dict


def purchase_limits(ix, scenarios) -> dict[tuple[str, str, int], float]:
    """A finite upper bound on each ``b[c,k,t]`` that has none, implied by the model.

    PH prices the first stage with multipliers ``W``; a purchase with no capacity or
    purchase limit would then make a Lagrangian subproblem unbounded. A purchase is a use
    in the holder's balance in every scenario, so in each scenario ``s``
    ``b[c,k,τ] ≤ S[c,k,τ,s] + r[c,k,τ,s]`` with ``S`` the most that imports, the
    sponsor's projects and transfers in can bring (``e ≤ D`` takes nothing from
    consumers that they do not lack), and releases never exceed what was held:
    ``Σ_{τ≤t} r ≤ init_ck + Σ_{τ<t} b``. Summed, ``b[c,k,t] ≤ init_ck + Σ_{τ≤t}
    S[c,k,τ,s]`` for every ``s``: the bound is the least of these over the scenarios,
    and every feasible plan keeps it."""
    open_ended = [key for key, s in ix.stockpiles.items()
                  if s.capacity is None and s.max_buy is None]
    if not open_ended:
        return {}
    inflow: dict[tuple[str, str], float] = {}
    for (_source, to, k), (xcap, _cost) in ix.transfer_arcs.items():
        inflow[(to, k)] = inflow.get((to, k), 0.0) + xcap
    limits: dict[tuple[str, str, int], float] = {}
    for c, k in open_ended:
        best = None
        for sc in scenarios:
            total, cumulative = ix.stockpiles[(c, k)].initial, []
            for t in ix.years:
                total += inflow.get((c, k), 0.0)
                total += sum(ix.arc_capacity[(c, k, o)] * sc.avail.get((k, o, t), 1.0)
                             * sc.gf.get((c, k, t), 1.0)
                             for (cc, kk, o) in ix.arcs if (cc, kk) == (c, k))
                total += sum(p.capacity * p.max_units * sc.avail.get((k, p.country, t), 1.0)
                             for p in ix.projects_by_sponsor_output.get((c, k), ()))
                cumulative.append(total)
            best = cumulative if best is None else [min(x, y) for x, y in zip(best, cumulative,
                                                                            strict=True)]
        for t, limit in zip(ix.years, best, strict=True):
            limits[(c, k, t)] = limit
    return limits


_WORKBOOKS: dict[str, _Workbook] = {}


def _workbook(path: str | os.PathLike) -> _Workbook:
    key = str(Path(path).resolve())
    if key not in _WORKBOOKS:
        from models.factors import scenario_data
        from models.index import ModelIndex
        from optimizer.io import read_instance

        result = read_instance(key)
        if not result.ok:
            first = "; ".join(str(p) for p in result.errors[:3])
            raise ValueError(f"{key}: {len(result.errors)} problem(s) in the workbook: {first}")
        instance = result.instance
        ix, scenarios = ModelIndex(instance), scenario_data(instance)
        _WORKBOOKS[key] = _Workbook(instance, ix, scenarios, purchase_limits(ix, scenarios))
    return _WORKBOOKS[key]


def scenario_names_creator(num_scens: int, start: int | None = None) -> list[str]:
    """``scen{start} … scen{start+num_scens-1}`` (0-based, as proper bundles expect)."""
    start = start or 0
    return [f"{SCENARIO_PREFIX}{i}" for i in range(start, start + num_scens)]


def scenario_number(name: str) -> int:
    """The position in the workbook's Scenarios sheet of the scenario named ``name``."""
    match = re.fullmatch(rf"{SCENARIO_PREFIX}(\d+)", name)
    if match is None:
        raise ValueError(f"not a scenario name: {name!r} (expected {SCENARIO_PREFIX}<n>)")
    return int(match[1])


def scenario_ids(workbook: str | os.PathLike) -> dict[str, str]:
    """PH scenario name → the workbook's scenario id."""
    scenarios = _workbook(workbook).scenarios
    return dict(zip(scenario_names_creator(len(scenarios)), (s.id for s in scenarios),
                    strict=True))


def scenario_creator(scenario_name: str, workbook: str | None = None):
    """The scenario's model: the first stage and this scenario's recourse with
    probability 1 (objective ``FS + Z_s``, CVaR terms when ``λ > 0``), its first stage
    attached as the root node and ``π_s`` as its mpi-sppy probability."""
    import mpisppy.utils.sputils as sputils

    from models.factors import alone
    from models.stockpile import build_model
    from optimizer.data import ALL

    if workbook is None:
        raise ValueError("scenario_creator needs the workbook path (workbook=...)")
    wb = _workbook(workbook)
    i = scenario_number(scenario_name)
    if not 0 <= i < len(wb.scenarios):
        raise ValueError(f"{scenario_name}: the workbook has {len(wb.scenarios)} scenarios")
    sc = wb.scenarios[i]
    model = build_model(wb.instance, [alone(sc)], index=wb.index)
    for key, limit in wb.purchase_limits.items():
        if model.b[key].ub is None:
            model.b[key].setub(limit)
    sputils.attach_root_node(model, model.first_stage_cost[ALL], nonant_components(model))
    model._mpisppy_probability = sc.probability
    return model


def nonant_components(model) -> list:
    """The first stage PH makes agree: ``n``, ``z``, ``b`` and, with ``λ > 0``, ``η``."""
    from models.stockpile import first_stage_variables

    extra = [model.eta] if hasattr(model, "eta") else []
    return first_stage_variables(model) + extra


def kw_creator(cfg) -> dict:
    return {"workbook": cfg.workbook}


def inparser_adder(cfg) -> None:
    cfg.num_scens_required()
    cfg.add_to_config("workbook", description="input workbook (.xlsx)", domain=str,
                      default=None)


def scenario_denouement(rank, scenario_name, scenario) -> None:
    """Nothing per scenario: the plan is evaluated and reported by the parent process."""


# ============================================================================ incumbents


def _incumbent_classes():
    """The hub class and its incumbent extension (built lazily: mpi-sppy is optional)."""
    from mpisppy.cylinders.hub import PHHub
    from mpisppy.cylinders.spwindow import Field
    from mpisppy.extensions.xhatclosest import XhatClosest

    class InHubIncumbents(XhatClosest):
        """Every ``every`` PH iterations (and after iteration 0 and at the end), evaluate
        two candidate plans on all scenarios with W and prox switched off: the scenario
        solution closest to ``x̄`` and ``x̄`` with its integers rounded. The better one
        becomes the hub's incumbent when it improves (``update_best_solution_if_improving``
        caches the whole solution for :func:`_incumbent_values`)."""

        def __init__(self, ph):
            super().__init__(ph)
            self.every = max(1, int(self.options.get("every", 1)))

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

        def post_everything(self):
            self._try_plans()
            best = self.opt.best_solution_obj_val
            if best is not None and self.opt.spcomm is not None:
                spcomm = self.opt.spcomm
                spcomm.BestInnerBound = spcomm.InnerBoundUpdate(best, char="E")

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

    return IncumbentHub, InHubIncumbents


# ============================================================================ driver (MPI)


@dataclass(frozen=True)
class Options:
    """What one PH run is asked to do."""

    workbook: str
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
    """The bundle size used for ``wanted``: the largest divisor of the scenario count not
    above it (proper bundles must be of equal size); ``None`` for no bundling."""
    if not wanted or wanted < 2:
        return None
    size = max(d for d in range(1, min(wanted, num_scens) + 1) if num_scens % d == 0)
    return size if size >= 2 else None


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
    cfg.workbook = opts.workbook
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
    cfg.sep_rho = opts.rho_setter == "sep"
    cfg.sep_rho_multiplier = opts.rho_multiplier
    cfg.coeff_rho = opts.rho_setter == "coeff"
    cfg.coeff_rho_multiplier = opts.rho_multiplier
    return cfg


def run_ph(opts: Options, comm=None) -> dict | None:
    """Collective: run PH on every rank; the result dict on global rank 0, else None."""
    import mpisppy.utils.cfg_vanilla as vanilla
    from mpisppy import MPI
    from mpisppy.spin_the_wheel import WheelSpinner

    comm = comm or MPI.COMM_WORLD
    n_ranks = comm.Get_size()
    t0 = time.perf_counter()
    module = sys.modules[__name__]
    num_scens = len(_workbook(opts.workbook).scenarios)
    bundle = bundle_size(num_scens, opts.bundle)
    cfg = _config(opts, num_scens, bundle)

    creator, creator_kwargs = scenario_creator, kw_creator(cfg)
    denouement, names = scenario_denouement, scenario_names_creator(num_scens)
    if bundle:
        import mpisppy.utils.proper_bundler as proper_bundler

        cfg.turn_off_names_check = True
        bundler = proper_bundler.ProperBundler(module)
        bundler.set_bunBFs(cfg)
        creator, creator_kwargs = bundler.scenario_creator, bundler.kw_creator(cfg)
        names = bundler.bundle_names_creator(num_scens // bundle, cfg=cfg)

    # with λ > 0 the CVaR threshold η has no finite bound, so a W-priced subproblem can be
    # unbounded and its "bound" wrong: the bound then comes from iteration 0 only
    lagrangian = opts.lagrangian and _workbook(opts.workbook).index.risk_weight == 0
    shuffle = lagrangian and n_ranks % 3 == 0
    cylinders = 3 if shuffle else (2 if n_ranks >= 2 and lagrangian else 1)
    if len(names) < n_ranks // cylinders:
        raise ValueError(f"{n_ranks} ranks need at least {n_ranks // cylinders} "
                         f"{'bundles' if bundle else 'scenarios'}; the run has {len(names)}")

    beans = (cfg, creator, denouement, names)
    hub = vanilla.ph_hub(*beans, scenario_creator_kwargs=creator_kwargs)
    hub["opt_kwargs"]["options"]["cfg"] = cfg
    if cfg.sep_rho:
        vanilla.add_sep_rho(hub, cfg)
    if cfg.coeff_rho:
        vanilla.add_coeff_rho(hub, cfg)
    if not shuffle:
        hub_class, extension = _incumbent_classes()
        hub["hub_class"] = hub_class
        vanilla.extension_adder(hub, extension)
        hub["opt_kwargs"]["options"]["xhat_closest_options"] = {
            "xhat_solver_options": dict(hub["opt_kwargs"]["options"]["iterk_solver_options"]),
            "keep_solution": True,
            "every": opts.xhat_every,
        }
    spokes = []
    if cylinders >= 2:
        spokes.append(vanilla.lagrangian_spoke(*beans, scenario_creator_kwargs=creator_kwargs))
    if shuffle:
        spokes.append(vanilla.xhatshuffle_spoke(*beans, scenario_creator_kwargs=creator_kwargs))

    t_setup = time.perf_counter()
    wheel = WheelSpinner(hub, spokes)
    wheel.spin()
    t_spin = time.perf_counter()

    # the incumbent lives on the cylinder that found it (the hub or xhatshuffle)
    winner = wheel._determine_innerbound_winner()
    xhat = _incumbent_values(wheel) if winner else None
    rss = comm.gather(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, root=0)
    xhats = comm.gather(xhat, root=0)
    if comm.Get_rank() != 0:
        return None
    xhat = next((x for x in xhats if x is not None), None)
    spcomm = wheel.spcomm
    incumbent = _finite(wheel.BestInnerBound)
    bound = _finite(wheel.BestOuterBound)
    abs_gap, rel_gap = spcomm.compute_gaps()
    return {
        "incumbent_musd": incumbent,
        "bound_musd": bound,
        "rel_gap": _finite(rel_gap) if incumbent is not None and bound is not None else None,
        "abs_gap": _finite(abs_gap) if incumbent is not None and bound is not None else None,
        "iterations": int(spcomm.opt._PHIter),
        "scenarios": num_scens,
        "bundle": bundle,
        "ranks": n_ranks,
        "cylinders": ["ph", "lagrangian"][:cylinders] + (["xhatshuffle"] if shuffle else []),
        "incumbent_finder": "xhatshuffle" if shuffle else "hub (closest to x̄, rounded x̄)",
        "rho_setter": opts.rho_setter,
        "setup_seconds": round(t_setup - t0, 3),
        "ph_seconds": round(t_spin - t_setup, 3),
        "peak_rss_mb": [round(r, 1) for r in rss],
        "first_stage": _first_stage(opts.workbook, xhat),
    }


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _incumbent_values(wheel) -> list[float] | None:
    """The incumbent's first stage, in nonant order, on the winning cylinder's rank 0."""
    opt = wheel.spcomm.opt
    if not opt.load_best_solution() or opt.cylinder_rank != 0:
        return None
    first = opt.local_scenarios[opt.local_scenario_names[0]]
    return [float(v.value) for v in first._mpisppy_node_list[0].nonant_vardata_list]


def _first_stage(workbook: str, values: list[float] | None) -> list | None:
    """``[component, index, value]`` in the order of the first-stage variables (a bundle
    keeps its first scenario's order, so one plain scenario names the values)."""
    if values is None:
        return None
    reference = scenario_creator(scenario_names_creator(1)[0], workbook=workbook)
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
        prog="mpiexec -n N python -m mpi4py -m optimizer.ph",
        description="Progressive hedging (mpi-sppy + HiGHS) on a stockpile workbook; "
                    "rank 0 writes the bounds and the incumbent plan as JSON.")
    ap.add_argument("--workbook", required=True, help="input workbook (.xlsx)")
    ap.add_argument("--out", required=True, help="result JSON path (written by rank 0)")
    ap.add_argument("--bundle", type=int, default=None,
                    help="scenarios per bundle (largest divisor of the count not above it)")
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
    return Options(str(Path(a.workbook).resolve()), a.out, a.bundle, a.rel_gap,
                   a.max_iterations, a.time_limit, a.rho_setter, a.default_rho,
                   a.rho_multiplier, a.xhat_every, a.subproblem_gap, a.lagrangian)


def main(argv: list[str] | None = None) -> int:
    """Every rank: read the workbook, run PH; rank 0 writes the JSON result."""
    from mpisppy import MPI

    t0 = time.perf_counter()
    opts = parse_args(argv)
    comm = MPI.COMM_WORLD
    # every rank reads the same file, so an invalid workbook fails on every rank alike
    # and nobody waits for a rank that died
    try:
        _workbook(opts.workbook)
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


# ============================================================================ parent process


def missing_requirements() -> str | None:
    """Why PH cannot run here (``None`` when it can)."""
    missing = [name for name in ("mpi4py", "mpisppy") if find_spec(name) is None]
    if shutil.which("mpiexec") is None:
        missing.insert(0, "mpiexec (Open MPI)")
    if not missing:
        return None
    return f"progressive hedging needs {', '.join(missing)}; {INSTALL_HINT}"


def mpiexec_command(ranks: int, args: list[str]) -> list[str]:
    """``mpiexec`` for ``ranks`` ranks of this module, oversubscribed only when the
    machine has fewer cores (spokes busy-wait, so oversubscription is slow)."""
    cmd = [shutil.which("mpiexec") or "mpiexec", "-n", str(ranks)]
    if ranks > (os.cpu_count() or 1):
        cmd.append("--oversubscribe")
    return cmd + [sys.executable, "-m", "mpi4py", "-m", "optimizer.ph", *args]


def run_mpi(
    command: list[str],
    *,
    cwd: Path,
    timeout: float | None,
    on_line: Callable[[str], None] | None = None,
) -> tuple[int | None, list[str]]:
    """Run ``command``, streaming its output lines; ``(return code, last lines)``, the
    code ``None`` when the timeout killed it."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    tail: list[str] = []
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail = (tail + [line])[-40:]
            if on_line:
                on_line(line)
        proc.wait()
    finally:
        if timer:
            timer.cancel()
        if proc.poll() is None:
            kill()
            proc.wait()
    return (None if timed_out.is_set() else proc.returncode), tail


def evaluate_plan(instance, plan: dict[str, dict], *, index=None, on_scenario=None):
    """The plan on every scenario, one LP at a time (fixed first stage, the scenario with
    probability 1, summarised with its true ``π_s``, then dropped). Returns
    ``(first stage summary, scenario summaries, columns, rows, build s, solve s)``;
    raises ``RuntimeError`` naming a scenario where the plan has no recourse."""
    from models.factors import alone, scenario_data
    from models.index import ModelIndex
    from models.stockpile import build_model, fix_first_stage
    from optimizer.results import summarize_first_stage, summarize_scenario
    from optimizer.solve import solve_model

    ix = index or ModelIndex(instance)
    first, summaries = None, []
    columns = rows = 0
    build_s = solve_s = 0.0
    for sc in scenario_data(instance):
        t0 = time.perf_counter()
        m = build_model(instance, [alone(sc)], index=ix)
        fix_first_stage(m, plan)
        build_s += time.perf_counter() - t0
        outcome = solve_model(m)
        solve_s += outcome.handoff_seconds + outcome.solve_seconds
        if not outcome.has_plan:
            raise RuntimeError(f"the PH plan has no recourse in scenario {sc.id} "
                               f"({outcome.termination})")
        columns += outcome.columns
        rows += outcome.rows
        summaries.append(summarize_scenario(m.scenario[sc.id], ix, sc))
        if first is None:
            first = summarize_first_stage(m, ix)
        if on_scenario:
            on_scenario(sc.id)
    return first, summaries, columns, rows, build_s, solve_s


def plan_from_first_stage(rows: list) -> dict[str, dict]:
    """``{"n": {...}, "z": {...}, "b": {...}}`` from the JSON's ``[component, index,
    value]`` rows (``η`` is re-optimised by the evaluation, not fixed)."""
    plan: dict[str, dict] = {"n": {}, "z": {}, "b": {}}
    for name, index, value in rows:
        if name in plan:
            plan[name][tuple(index) if isinstance(index, list) else index] = value
    return plan


def solve_workbook_ph(
    input_path: Path,
    output: Path | None = None,
    *,
    ranks: int = 2,
    bundle: int | None = None,
    rel_gap: float = 0.01,
    time_limit: float | None = None,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    rho_setter: str = DEFAULT_RHO_SETTER,
    lagrangian: bool = True,
    on_line: Callable[[str], None] | None = None,
) -> tuple[SolveRun, Path]:
    """``stockpile solve --engine ph``: validate → PH under MPI → evaluate the incumbent
    on every scenario → write the same report as the extensive form.

    ``lagrangian=False`` gives every rank to the hub (the bound is then iteration 0's:
    with bundles, each bundle's extensive form). ``time_limit`` bounds PH (default:
    Settings ``time_limit_s``); the MPI job is killed
    after it plus a margin. Status ``optimal`` when the gap is at most ``rel_gap``,
    ``feasible`` otherwise, ``error`` (with the reason in ``outcome.no_plan_reason``)
    when MPI or mpi-sppy is missing, the run fails, or no incumbent was found."""
    from models.index import ModelIndex
    from optimizer.pipeline import check_output_path, default_report_path, load, report_inputs
    from optimizer.report import write_report
    from optimizer.results import assemble, empty_results, plan_objective
    from optimizer.solve import ERROR, FEASIBLE, OPTIMAL, SolveOutcome, relative_gap

    output = output or default_report_path(input_path)
    check_output_path(input_path, output)
    instance, _warnings = load(input_path)
    if time_limit is None:
        time_limit = instance.settings.time_limit_s
    solver = "mpi-sppy progressive hedging + HiGHS"
    t0 = time.perf_counter()

    def failed(reason: str, bound=None) -> tuple[SolveRun, Path]:
        seconds = time.perf_counter() - t0
        outcome = SolveOutcome(ERROR, "error", None, bound, None, 0.0, seconds, 0, 0, 0,
                               solver, no_plan_reason=reason)
        results = empty_results(instance, status=ERROR, build_seconds=0.0,
                                solve_seconds=seconds, bound=bound)
        results.set("engine", "ph")
        return SolveRun(instance, outcome, results, 0.0), output

    if reason := missing_requirements():
        return failed(reason)
    if ranks < 1:
        return failed(f"ranks must be at least 1 (got {ranks})")

    with tempfile.TemporaryDirectory(prefix="stockpile-ph-") as tmp:
        result_path = Path(tmp) / "result.json"
        args = ["--workbook", str(Path(input_path).resolve()), "--out", str(result_path),
                "--rel-gap", repr(rel_gap), "--max-iterations", str(max_iterations),
                "--time-limit", repr(float(time_limit)), "--rho-setter", rho_setter,
                # each subproblem a tenth of the requested gap: its bound stays useful
                "--subproblem-gap", repr(min(1e-3, rel_gap / 10))]
        if not lagrangian:
            args.append("--no-lagrangian")
        if bundle:
            args += ["--bundle", str(bundle)]
        # mpi-sppy writes hub.log and friends into the working directory: keep them in tmp
        code, tail = run_mpi(mpiexec_command(ranks, args), cwd=Path(tmp),
                             timeout=time_limit + max(LAUNCH_MARGIN_S, 0.25 * time_limit),
                             on_line=on_line)
        result = json.loads(result_path.read_text()) if result_path.exists() else None
    ph_seconds = time.perf_counter() - t0
    if code is None:
        return failed(f"the MPI run did not finish within {time_limit:g} s plus "
                      f"{max(LAUNCH_MARGIN_S, 0.25 * time_limit):g} s and was stopped")
    if result is None or "error" in result:
        detail = result["error"] if result else "\n".join(tail[-15:])
        return failed(f"the MPI run failed (exit code {code}): {detail}")
    bound = result.get("bound_musd")
    if not result.get("first_stage"):
        return failed("progressive hedging found no incumbent plan "
                      f"(after {result.get('iterations')} iterations)", bound)

    ix = ModelIndex(instance)
    plan = plan_from_first_stage(result["first_stage"])
    try:
        first, summaries, columns, rows, build_s, solve_s = evaluate_plan(instance, plan,
                                                                          index=ix)
    except RuntimeError as exc:
        return failed(str(exc), bound)
    objective = plan_objective(ix, first, summaries)
    # the plan's exact cost never lies below a valid bound; a bound above it is only
    # the subproblems' own tolerance showing
    bound = objective if bound is None else min(bound, objective)
    gap = relative_gap(objective, bound)
    status = OPTIMAL if gap is not None and gap <= rel_gap else FEASIBLE
    iterations = result["iterations"]
    termination = (f"progressive hedging: relative gap {100 * gap:.3f}% after {iterations} "
                   f"iterations on {result['ranks']} ranks")
    outcome = SolveOutcome(status, termination, objective, bound, gap, 0.0,
                           ph_seconds + solve_s, columns, rows,
                           sum(1 for _ in plan["n"]) + len(plan["z"]), solver)
    results = assemble(ix, first, summaries, status=status, objective=objective, bound=bound,
                       gap=gap, build_seconds=build_s, solve_seconds=ph_seconds + solve_s)
    results.set("engine", "ph", "", "progressive hedging (mpi-sppy) over the scenarios")
    results.set("ranks", result["ranks"], "count", "MPI ranks")
    results.set("bundle", result["bundle"] or 1, "scenarios", "scenarios per PH subproblem")
    results.set("iterations", iterations, "count", "PH iterations")
    results.set("ph_seconds", ph_seconds, "s", "the MPI run, launch to result")
    results.set("ph_peak_rss_mb", max(result["peak_rss_mb"]), "MB", "largest rank")
    write_report(output, results, report_inputs(instance, outcome))
    return SolveRun(instance, outcome, results, build_s, plan), output


if __name__ == "__main__":
    sys.exit(main())
