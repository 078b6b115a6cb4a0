"""`stockpile analyze` end to end, then `stockpile solve`, on one workbook, with the load.

    python bench/analyze.py                                   # tests/data/perf/p_medium.xlsx
    python bench/analyze.py WORKBOOK --jobs 2 --time-limit 240
    python bench/analyze.py --no-solve                        # analyze only

Each command runs in a fresh process, one after the other (never at the same time), with
the workbook's `mip_gap` and `time_limit_s` unless `--mip-gap` / `--time-limit` say
otherwise. For `analyze`: wall and CPU seconds of the whole command, every solve's line as
it finished (seconds since the start, status, objective, gap, its own seconds), and the six
figures of the Analysis sheet with the status and largest gap of the solves behind each.
For `solve`: wall and CPU seconds, build and solve seconds, status, objective, bound and
gap from Summary. The machine may be shared: the 1-minute load average is sampled every
5 s during each run and printed next to its figures as mean / max, with the core count.
One JSON line per run is appended to `bench/results/analyze.jsonl` (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from measure import read_summary, run_measured, sheet  # noqa: E402

DEFAULT = ROOT / "tests" / "data" / "perf" / "p_medium.xlsx"
SIX = ("value_of_coordination_musd", "eev_musd", "vss_musd", "ws_musd", "evpi_musd",
       "independent_objective_musd")
LINE = re.compile(r"^\s+(\d+\.\d) s  (.+?): (optimal|feasible|infeasible|error)(.*) "
                  r"\((\d+\.\d) s\)$")


def run_streamed(cmd: list[str], on_line, tail: int | None = 3) -> dict:
    """Run ``cmd``, passing each stdout line to ``on_line``; its exit code, wall and CPU
    seconds (children included), peak MB of the largest process, the load during it and
    the last ``tail`` lines of its stderr (None: all of them)."""
    code, _, err, figures = run_measured(cmd, on_line)
    lines = err.strip().splitlines()
    return {"exit": code, "wall_s": round(figures["wall_s"], 1),
            "cpu_s": round(figures["cpu_s"], 1), "peak_mb": round(figures["peak_mb"]),
            "load": figures["load"], "stderr": lines[-tail:] if tail else lines}


def analyze_side(workbook: Path, options: list[str]) -> dict:
    exe = Path(sys.executable).with_name("stockpile")
    steps = []

    def on_line(line: str, seconds: float) -> None:
        if m := LINE.match(line):
            steps.append({"at_s": float(m[1]), "solve": m[2], "status": m[3],
                          "figures": m[4].lstrip(", "), "seconds": float(m[5])})
            print(f"  {line.strip()}", flush=True)
        elif line.startswith("engine:"):
            print(f"  {line}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "analysis.xlsx"
        row = run_streamed([str(exe), "analyze", str(workbook), "-o", str(report), *options],
                           on_line)
        analysis = sheet(report, "Analysis") if report.exists() else []
    figures = {r[0]: {"value": r[1], "status": r[3], "gap": r[4]} for r in analysis}
    return {"side": "analyze", **row, "steps": steps, "figures": figures}


def solve_side(workbook: Path, options: list[str], tail: int | None = 3) -> dict:
    exe = Path(sys.executable).with_name("stockpile")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xlsx"
        row = run_streamed([str(exe), "solve", str(workbook), "-o", str(report), *options],
                           lambda line, s: print(f"  {line}", flush=True)
                           if line.startswith("engine:") else None, tail)
        summary = read_summary(report) if report.exists() else {}
    keys = ("status", "objective_musd", "best_bound_musd", "mip_gap", "build_seconds",
            "solve_seconds", "engine")
    return {"side": "solve", **row, **{k: summary.get(k) for k in keys}}


def num(v, fmt: str) -> str:
    return "-" if not isinstance(v, int | float) else format(v, fmt)


def show_analyze(r: dict) -> None:
    print(f"analyze: exit {r['exit']}, {r['wall_s']} s wall, {r['cpu_s']} s CPU, peak "
          f"{r['peak_mb']} MB (largest process), load {r['load']} (mean / max) on "
          f"{os.cpu_count()} cores")
    print(f"  {'figure':<28} {'value (MUSD)':>16}  {'status':<9} largest gap")
    for key in SIX + ("coordinated_objective_musd", "ev_objective_musd"):
        f = r["figures"].get(key)
        if f is None:
            print(f"  {key:<28} {'missing':>16}")
            continue
        value = num(f["value"], ",.6f") if not isinstance(f["value"], str) else f["value"]
        print(f"  {key:<28} {value:>16}  {f['status'] or '-':<9} {num(f['gap'], '.4%')}")
    if r["stderr"]:
        print("  stderr: " + " | ".join(r["stderr"]))


def show_solve(r: dict) -> None:
    print(f"solve: exit {r['exit']}, {r['wall_s']} s wall, {r['cpu_s']} s CPU, peak "
          f"{r['peak_mb']} MB, load {r['load']} (mean / max) on {os.cpu_count()} cores")
    print(f"  engine {r['engine']}, status {r['status']}, objective "
          f"{num(r['objective_musd'], ',.6f')}, bound {num(r['best_bound_musd'], ',.6f')}, "
          f"gap {num(r['mip_gap'], '.2e')}, build {num(r['build_seconds'], '.1f')} s, "
          f"solve {num(r['solve_seconds'], '.1f')} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workbook", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--jobs", type=int, default=None, help="analyze --jobs (default: all)")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--mip-gap", type=float, default=None)
    ap.add_argument("--no-solve", action="store_true", help="time analyze only")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "analyze.jsonl")
    a = ap.parse_args(argv)
    common = [*(["--time-limit", str(a.time_limit)] if a.time_limit is not None else []),
              *(["--mip-gap", str(a.mip_gap)] if a.mip_gap is not None else [])]
    print(f"{a.workbook.name}: stockpile analyze{' ' + ' '.join(common) if common else ''}"
          f"{f' --jobs {a.jobs}' if a.jobs else ''} (load now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)
    rows = [analyze_side(a.workbook, common + (["--jobs", str(a.jobs)] if a.jobs else []))]
    show_analyze(rows[0])
    if not a.no_solve:
        print(f"{a.workbook.name}: stockpile solve (load now {os.getloadavg()[0]:.1f})",
              flush=True)
        rows.append(solve_side(a.workbook, common))
        show_solve(rows[1])
    a.out.parent.mkdir(parents=True, exist_ok=True)
    with a.out.open("a") as f:
        for row in rows:
            f.write(json.dumps({"workbook": a.workbook.name, "when": time.strftime(
                "%Y-%m-%d %H:%M:%S"), "options": common, "jobs": a.jobs, **row}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
