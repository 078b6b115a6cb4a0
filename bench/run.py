"""Build and solve growing instances and print where the time and memory go.

Each instance runs in its own Python process (``--one``), so peak memory (``ru_maxrss``)
is that instance's alone. Generated instances grow in the number of scenarios
(:mod:`bench.generate`); named workbooks (``--workbook``) are added as they are::

    python bench/run.py --sizes 10,25,50,100 --time-limit 120
    python bench/run.py --sizes 0 --workbook tests/data/perf/p_medium.xlsx

Columns: variables and constraints handed to HiGHS, build seconds (scenario factors +
Pyomo model), hand-off seconds (matrices to highspy), solve seconds (HiGHS), µs per
variable of build + hand-off, the ratio (build + hand-off) / solve, peak memory, the
objective (MUSD), the relative gap and the status. A CSV goes to ``bench/results/``.
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

FIELDS = [
    "case",
    "variables",
    "constraints",
    "integers",
    "build_s",
    "handoff_s",
    "solve_s",
    "us_per_var",
    "build_solve_ratio",
    "peak_mb",
    "objective",
    "gap",
    "status",
]


def run_one(path: Path, time_limit: float, mip_gap: float | None, threads: int | None) -> dict:
    """Read, build and solve one workbook in this process; the figures as a dict."""
    from models.factors import scenario_data
    from models.stockpile import build_model
    from optimizer.io import read_instance
    from optimizer.solve import solve_model

    result = read_instance(path)
    if not result.ok:
        raise SystemExit(f"{path}: {len(result.errors)} problem(s) in the workbook")
    instance = result.instance
    t0 = time.perf_counter()
    model = build_model(instance, scenario_data(instance))
    build = time.perf_counter() - t0
    gap = instance.settings.mip_gap if mip_gap is None else mip_gap
    out = solve_model(model, time_limit=time_limit, mip_gap=gap, threads=threads)
    setup = build + out.handoff_seconds
    return {
        "case": path.stem,
        "variables": out.columns,
        "constraints": out.rows,
        "integers": out.integers,
        "build_s": round(build, 3),
        "handoff_s": round(out.handoff_seconds, 3),
        "solve_s": round(out.solve_seconds, 3),
        "us_per_var": round(setup / max(out.columns, 1) * 1e6, 1),
        "build_solve_ratio": round(setup / out.solve_seconds, 3) if out.solve_seconds else None,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "objective": out.objective,
        "gap": out.gap,
        "status": out.status,
    }


def show(row: dict) -> str:
    def num(v, fmt):
        return "-" if v is None else format(v, fmt)

    return (
        f"{row['case']:<28} {row['variables']:>9,} {row['constraints']:>9,} "
        f"{row['build_s']:>7.2f} {row['handoff_s']:>7.2f} {row['solve_s']:>8.2f} "
        f"{row['us_per_var']:>7.1f} {num(row['build_solve_ratio'], '7.3f'):>7} "
        f"{row['peak_mb']:>8.0f} {num(row['objective'], '14.4f'):>14} "
        f"{num(row['gap'], '9.2e'):>9} {row['status']}"
    )


HEADER = (
    f"{'case':<28} {'vars':>9} {'rows':>9} {'build':>7} {'handoff':>7} {'solve':>8} "
    f"{'us/var':>7} {'b/s':>7} {'peak MB':>8} {'objective':>14} {'gap':>9} status"
)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        default="10,25,50",
        help="scenario counts of generated instances (0 or empty: none)",
    )
    ap.add_argument("--members", type=int, default=3)
    ap.add_argument("--commodities", type=int, default=12)
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--projects", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--workbook",
        type=Path,
        action="append",
        default=[],
        help="a workbook to time as well (repeatable)",
    )
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument(
        "--mip-gap", type=float, default=None, help="relative gap (default: the workbook's mip_gap)"
    )
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--csv", type=Path, default=HERE / "results" / "bench.csv")
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    return ap


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)

    if a.one:
        print(json.dumps(run_one(a.one, a.time_limit, a.mip_gap, a.threads)))
        return 0

    from bench.generate import generate

    cases = []
    sizes = [int(s) for s in a.sizes.split(",") if s.strip() and int(s) > 0]
    for n in sizes:
        path = (
            HERE
            / "results"
            / (f"gen_m{a.members}_k{a.commodities}_y{a.years}_s{n}_p{a.projects}_seed{a.seed}.xlsx")
        )
        generate(
            path,
            members=a.members,
            commodities=a.commodities,
            years=a.years,
            scenarios=n,
            projects=a.projects,
            seed=a.seed,
        )
        cases.append(path)
    cases += a.workbook

    print(HEADER, flush=True)
    rows = []
    for path in cases:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--one",
            str(path),
            "--time-limit",
            str(a.time_limit),
        ]
        if a.mip_gap is not None:
            cmd += ["--mip-gap", str(a.mip_gap)]
        if a.threads:
            cmd += ["--threads", str(a.threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(f"{path.stem:<28} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(show(row), flush=True)

    a.csv.parent.mkdir(parents=True, exist_ok=True)
    with a.csv.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"written {a.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
