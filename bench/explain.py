"""What explaining the plan costs: the plan's LP and the Limits, Not funded, Flows and
Imports tables, against the solve itself, on the example and named workbooks::

    python bench/explain.py                                   # the example in inputs/
    python bench/explain.py tests/data/perf/p_medium.xlsx

One extensive-form solve per workbook (``marginals=True``, as ``stockpile solve`` runs
it). Printed per workbook: columns, the MIP's seconds, the plan's LP (integers fixed, for
its duals), the tables (Limits re-measures its largest marginal values by warm
re-solves), and their share of the solve.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.factors import scenario_data  # noqa: E402
from models.index import ModelIndex  # noqa: E402
from models.stockpile import build_model  # noqa: E402
from optimizer.explain import explain_tables  # noqa: E402
from optimizer.io import read_instance  # noqa: E402
from optimizer.pipeline import EXAMPLE  # noqa: E402
from optimizer.results import extract  # noqa: E402
from optimizer.solve import solve_model  # noqa: E402


def measure(path: Path, time_limit: float) -> dict:
    instance = read_instance(path).instance
    ix, scenarios = ModelIndex(instance), scenario_data(instance)
    model = build_model(instance, scenarios, index=ix)
    out = solve_model(model, time_limit=time_limit, mip_gap=instance.settings.mip_gap,
                      marginals=True)
    results = extract(model, ix, scenarios, status=out.status, objective=out.objective,
                      bound=out.bound, gap=out.gap, build_seconds=0.0, solve_seconds=0.0)
    costs = dict(zip(*(results.table("Scenarios").column(c)
                       for c in ("scenario", "cost (MUSD)")), strict=True))
    t0 = time.perf_counter()
    tables = explain_tables(model, ix, scenarios, out.marginals, costs)
    seconds = time.perf_counter() - t0
    rows = {t.name: len(t.rows) for t in tables}
    return {"case": path.name, "columns": out.columns, "status": out.status,
            "solve_s": out.solve_seconds, "plan_lp_s": out.marginal_seconds,
            "tables_s": seconds, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbooks", nargs="*", type=Path, default=[EXAMPLE])
    parser.add_argument("--time-limit", type=float, default=600.0)
    args = parser.parse_args()
    print(f"{'workbook':<22} {'columns':>8} {'MIP s':>8} {'plan LP s':>10} {'tables s':>9} "
          f"{'share':>6}  rows")
    for path in args.workbooks:
        r = measure(path, args.time_limit)
        share = (r["plan_lp_s"] + r["tables_s"]) / max(r["solve_s"], 1e-9)
        print(f"{r['case']:<22} {r['columns']:>8,} {r['solve_s']:>8.2f} {r['plan_lp_s']:>10.2f} "
              f"{r['tables_s']:>9.2f} {100 * share:>5.1f}%  {r['rows']} ({r['status']})")


if __name__ == "__main__":
    main()
