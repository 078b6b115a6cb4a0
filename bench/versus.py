"""`stockpile solve` against the plain PuLP + CBC script, side by side in one run.

    python bench/versus.py                                  # tests/data/perf/p_medium.xlsx
    python bench/versus.py WORKBOOK --expected 44292.4194   # also check the objective
    python bench/versus.py --only cbc                       # one side only

Both sides run one after the other (never at the same time), each in a fresh process, with
the workbook's `mip_gap` and `time_limit_s` unless `--mip-gap` / `--time-limit` say
otherwise. For `stockpile solve`: wall seconds of the whole command, build and solve seconds
and objective, bound and gap from the report's Summary sheet, peak memory of the process.
For PuLP + CBC (`bench/pulp_cbc.py`): wall seconds of the whole script (read, build, CBC)
and the objective. CPU seconds (user + system, children included) are printed beside the
wall time: on a loaded machine they move less. Then the ratios.

The machine may be shared: the load average (1 min) is sampled every 5 s during each run
and printed next to its figures as mean / max. One JSON line per run is appended to
`bench/results/versus.jsonl` (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from measure import read_summary, run_measured  # noqa: E402

DEFAULT = ROOT / "tests" / "data" / "perf" / "p_medium.xlsx"


def stockpile_side(workbook: Path, options: list[str]) -> dict:
    exe = Path(sys.executable).with_name("stockpile")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xlsx"
        cmd = [str(exe), "solve", str(workbook), "-o", str(report), *options]
        code, out, err, figures = run_measured(cmd)
        row = {"side": "stockpile solve", **figures}
        if not report.exists():
            tail = (err or out).strip().splitlines()[-1:]
            return {**row, "status": f"exit {code}: {tail}"}
        s = read_summary(report)
    return {
        **row,
        "build_s": s.get("build_seconds"),
        "solve_s": s.get("solve_seconds"),
        "status": s.get("status"),
        "objective": s.get("objective_musd"),
        "bound": s.get("best_bound_musd"),
        "gap": s.get("mip_gap"),
    }


def cbc_side(workbook: Path, options: list[str]) -> dict:
    cmd = [sys.executable, str(HERE / "pulp_cbc.py"), "--json", str(workbook), *options]
    code, out, err, figures = run_measured(cmd)
    row = {"side": "PuLP + CBC", **figures}
    if code != 0:
        return {**row, "status": f"exit {code}: {(err or out).strip().splitlines()[-1:]}"}
    got = json.loads(out.strip().splitlines()[-1])
    return {
        **row,
        "build_s": got["read_s"] + got["build_s"],
        "solve_s": got["cbc_s"],
        "status": got["status"],
        "objective": got["objective"],
    }


def fmt(value, spec: str) -> str:
    return "-" if not isinstance(value, int | float) else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workbook", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--time-limit", type=float)
    ap.add_argument("--mip-gap", type=float)
    ap.add_argument("--expected", type=float, help="known optimum: check each objective")
    ap.add_argument("--rtol", type=float, default=2e-4, help="for --expected (relative)")
    ap.add_argument("--only", choices=["stockpile", "cbc"])
    ap.add_argument("--log", type=Path, default=HERE / "results" / "versus.jsonl")
    a = ap.parse_args(argv)

    options = []
    if a.time_limit is not None:
        options += ["--time-limit", str(a.time_limit)]
    if a.mip_gap is not None:
        options += ["--mip-gap", str(a.mip_gap)]

    print(f"{a.workbook} on {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start")
    header = (
        f"{'':<16} {'wall s':>8} {'CPU s':>8} {'build s':>8} {'solve s':>8} {'peak MB':>8} "
        f"{'objective':>14} {'gap':>9} {'load mean/max':>14}  status"
    )
    print(header, flush=True)
    rows = []
    sides = [("stockpile", stockpile_side), ("cbc", cbc_side)]
    for name, side in sides:
        if a.only and a.only != name:
            continue
        row = side(a.workbook.resolve(), options)
        if a.expected is not None and isinstance(row.get("objective"), int | float):
            row["matches"] = abs(row["objective"] - a.expected) <= 1e-6 + a.rtol * abs(a.expected)
        rows.append(row)
        check = {True: " (matches)", False: " (DIFFERS)"}.get(row.get("matches"), "")
        print(
            f"{row['side']:<16} {row['wall_s']:>8.1f} {row['cpu_s']:>8.1f} "
            f"{fmt(row.get('build_s'), '8.2f'):>8} {fmt(row.get('solve_s'), '8.1f'):>8} "
            f"{row['peak_mb']:>8.0f} "
            f"{fmt(row.get('objective'), '14.4f'):>14} {fmt(row.get('gap'), '9.2e'):>9} "
            f"{row['load']:>14}  {row['status']}{check}",
            flush=True,
        )
    if len(rows) == 2:
        wall = rows[0]["wall_s"] / rows[1]["wall_s"]
        cpu = rows[0]["cpu_s"] / rows[1]["cpu_s"]
        print(f"ratio stockpile / PuLP + CBC: wall {wall:.2f}, CPU {cpu:.2f}")
    a.log.parent.mkdir(parents=True, exist_ok=True)
    with a.log.open("a") as fh:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        for row in rows:
            fh.write(json.dumps({"when": stamp, "workbook": str(a.workbook), **row}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
