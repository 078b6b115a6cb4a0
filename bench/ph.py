"""Extensive form versus progressive hedging as the scenario count grows.

A medium case with a risk register (the effects of its own Shocks, as 13 risks) is
sampled at each size (``stockpile sample``, seed 7), then solved twice, each in a fresh
process so peak memory is that run's alone:

* the extensive form with HiGHS (``optimizer.pipeline.solve_instance``) under a time limit;
* progressive hedging on 2 MPI ranks (``optimizer.ph.engine.ProgressiveHedging``), bundles of
  ``--bundle`` scenarios, stopping at ``--rel-gap``.

::

    python bench/ph.py --sizes 100,300,1000 --ef-time-limit 600 --no-lagrangian
    python bench/ph.py --sizes 100 --skip-ef

Columns: engine, scenarios, wall seconds, peak memory (MB; for PH the largest MPI rank and
the evaluating parent), objective (MUSD), bound, relative gap, status. A CSV goes to
``bench/results/ph.csv``. The extensive form is skipped above ``--ef-max-columns`` (its
memory grows with the scenario count; about 8 GB per million columns here).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MEDIUM = ROOT / "tests" / "data" / "perf" / "p_medium.xlsx"
FIELDS = ["engine", "scenarios", "columns", "wall_s", "peak_mb", "objective", "bound", "gap",
          "iterations", "status"]
SEED = 7

# The medium case's shocks as a register: (risk, annual probability, duration, effects);
# probabilities are its occurrences per scenario-year, effects (kind, commodity, where,
# factor) its rows.
RISKS = [
    ("china_ga_ge_controls", 0.09, 2, [("supply", "gallium", "CHN", 0.0),
                                       ("supply", "germanium", "CHN", 0.0),
                                       ("price", "gallium", "*", 2.5),
                                       ("price", "germanium", "*", 2.0)]),
    ("price_glut", 0.085, 2, [("price", "*", "*", 0.65)]),
    ("drc_cobalt_ban", 0.065, 2, [("supply", "cobalt", "COD", 0.0),
                                  ("supply", "cobalt_hydroxide", "COD", 0.0),
                                  ("price", "cobalt", "*", 1.8)]),
    ("indonesia_nickel_ban", 0.0625, 2, [("supply", "nickel", "IDN", 0.0),
                                         ("price", "nickel", "*", 1.4)]),
    ("china_graphite_controls", 0.05, 3, [("supply", "graphite", "CHN", 0.3),
                                          ("supply", "graphite_flake", "CHN", 0.5),
                                          ("price", "graphite", "*", 1.5)]),
    ("mex_border_disruption", 0.05, 1, [("imports", "*", "MEX", 0.5),
                                        ("supply", "*", "MEX", 0.6)]),
    ("chile_lithium_disruption", 0.05, 2, [("supply", "lithium_carbonate", "CHL", 0.5),
                                           ("price", "lithium_carbonate", "*", 1.4)]),
    ("ev_demand_boom", 0.05, 3, [("demand", "lithium_carbonate", "*", 1.3),
                                 ("demand", "graphite", "*", 1.25),
                                 ("demand", "cobalt", "*", 1.2),
                                 ("demand", "nickel", "*", 1.2),
                                 ("price", "lithium_carbonate", "*", 1.5)]),
    ("china_ree_controls", 0.05, 2, [("supply", "ndpr_oxide", "CHN", 0.2),
                                     ("supply", "ndfeb_magnet", "CHN", 0.3),
                                     ("price", "ndpr_oxide", "*", 1.8),
                                     ("price", "ndfeb_magnet", "*", 1.5)]),
    ("us_port_strike", 0.0475, 1, [("imports", "*", "USA", 0.6)]),
    ("brazil_port_strike", 0.0425, 1, [("supply", "*", "BRA", 0.3)]),
    ("defence_surge", 0.04, 2, [("demand", "germanium", "USA", 1.2)]),
    ("china_broad_controls", 0.035, 3, [("supply", "*", "CHN", 0.5),
                                        ("price", "*", "*", 1.5)]),
]


def with_risks(source: Path, target: Path) -> Path:
    """``source`` with a Risks sheet holding :data:`RISKS`."""
    from openpyxl import load_workbook

    wb = load_workbook(source)
    if "Risks" in wb.sheetnames:
        wb.remove(wb["Risks"])
    ws = wb.create_sheet("Risks")
    ws.append(["risk", "annual_probability", "duration_years", "kind", "commodity", "where",
               "factor"])
    for risk, probability, years, effects in RISKS:
        for kind, commodity, where, factor in effects:
            ws.append([risk, probability, years, kind, commodity, where, factor])
    wb.save(target)
    return target


def sampled(size: int, folder: Path, source: Path = MEDIUM) -> Path:
    """The medium case with ``size`` scenarios sampled from its register (cached)."""
    from optimizer.io import read_instance
    from optimizer.sample import write_sample

    path = folder / f"{source.stem}_sampled_{size}_seed{SEED}.xlsx"
    if not path.exists():
        register = with_risks(source, folder / f"{source.stem}_risks.xlsx")
        result = read_instance(register)
        if not result.ok:
            raise SystemExit(f"{register}: {len(result.errors)} problem(s)")
        write_sample(register, result.instance, size, SEED, path)
    return path


def run_ef(path: Path, time_limit: float) -> dict:
    """Read, build and solve the extensive form in this process."""
    from optimizer.pipeline import load, solve_instance

    t0 = time.perf_counter()
    instance, _ = load(path)
    run = solve_instance(instance, time_limit=time_limit, mip_gap=1e-4)
    o = run.outcome
    return {"engine": "ef", "columns": o.columns, "wall_s": time.perf_counter() - t0,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "objective": o.objective, "bound": o.bound, "gap": o.gap, "iterations": "",
            "status": o.status}


def run_ph(path: Path, time_limit: float, bundle: int | None, rel_gap: float,
           lagrangian: bool) -> dict:
    """Progressive hedging on 2 ranks, the plan evaluated and reported as usual."""
    from optimizer.ph.engine import ProgressiveHedging
    from optimizer.pipeline import solve_workbook

    t0 = time.perf_counter()
    with_report = path.with_name(f"{path.stem}-ph-report.xlsx")
    engine = ProgressiveHedging(ranks=2, bundle=bundle, rel_gap=rel_gap, lagrangian=lagrangian,
                                on_line=lambda line: print(line, flush=True))
    run, _ = solve_workbook(path, with_report, engine=engine, time_limit=time_limit)
    o, r = run.outcome, run.results
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ranks = r.value("ph_peak_rss_mb") or 0.0
    return {"engine": "ph", "columns": o.columns, "wall_s": time.perf_counter() - t0,
            "peak_mb": max(parent, ranks), "objective": o.objective, "bound": o.bound,
            "gap": o.gap, "iterations": r.value("iterations"),
            "status": o.status if o.status != "error" else f"error: {o.no_plan_reason}"}


def in_child(args: list[str]) -> dict:
    """One run in a fresh interpreter; its JSON line back."""
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"status": f"failed: {out.stderr.strip().splitlines()[-1:]}"}
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,300,1000")
    ap.add_argument("--ef-time-limit", type=float, default=600.0)
    ap.add_argument("--ph-time-limit", type=float, default=1200.0)
    ap.add_argument("--bundle", type=int, default=10)
    ap.add_argument("--rel-gap", type=float, default=0.01)
    ap.add_argument("--ef-max-columns", type=float, default=1.2e6)
    ap.add_argument("--skip-ef", action="store_true")
    ap.add_argument("--no-lagrangian", dest="lagrangian", action="store_false",
                    help="both ranks run the hub (bound from the bundles' iteration 0)")
    ap.add_argument("--folder", type=Path, default=HERE / "results")
    ap.add_argument("--one", nargs=2, metavar=("ENGINE", "WORKBOOK"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        engine, path = a.one[0], Path(a.one[1])
        row = (run_ef(path, a.ef_time_limit) if engine == "ef"
               else run_ph(path, a.ph_time_limit, a.bundle, a.rel_gap, a.lagrangian))
        print(json.dumps(row))
        return
    a.folder.mkdir(parents=True, exist_ok=True)
    rows = []
    common = ["--ef-time-limit", str(a.ef_time_limit), "--ph-time-limit", str(a.ph_time_limit),
              "--bundle", str(a.bundle), "--rel-gap", str(a.rel_gap)]
    if not a.lagrangian:
        common.append("--no-lagrangian")
    for size in (int(s) for s in a.sizes.split(",")):
        path = sampled(size, a.folder)
        per_scenario = 2150  # columns of one medium scenario
        engines = ["ph"]
        if not a.skip_ef:
            if size * per_scenario <= a.ef_max_columns:
                engines.insert(0, "ef")
            else:
                rows.append({"engine": "ef", "scenarios": size, "status":
                             f"skipped: ~{size * per_scenario:,} columns"})
        for engine in engines:
            row = in_child(["--one", engine, str(path), *common])
            row["scenarios"] = size
            rows.append(row)
            print(f"{engine:3s} {size:5d} scenarios: {row.get('wall_s', 0):8.1f} s "
                  f"{row.get('peak_mb', 0):8.0f} MB  objective {row.get('objective')}  "
                  f"bound {row.get('bound')}  gap {row.get('gap')}  {row.get('status')}",
                  flush=True)
    with open(a.folder / "ph.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for row in rows:
            w.writerow({k: row.get(k, "") for k in FIELDS})


if __name__ == "__main__":
    main()
