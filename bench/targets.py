"""The project's speed targets, measured one after the other and shown in one table.

    python bench/targets.py                      # a, b, c and d: about 35-40 min
    python bench/targets.py --only d             # the cases only
    python bench/targets.py --only a,b --p-medium WORKBOOK

a. `stockpile solve` against the PuLP + CBC script (`bench/versus.py`) on p_medium, each to
   the workbook's gap: stockpile's wall time at most 0.3 of CBC's, both optimal.
b. `stockpile analyze` on p_medium (`bench/analyze.py`): all six Analysis figures present,
   each with the status and gap of the solves behind it, within 300 s wall.
c. `stockpile solve` on p_large with `--time-limit 900 --mip-gap 0.002` (engine auto): a
   proven gap (Summary `mip_gap`) of at most 0.002 within 900 s wall.
d. Each workbook of the cases folder's expected.json: `stockpile solve --engine ph
   --time-limit 60` proves a gap of at most 1 % within 60 s wall, or `--engine auto`
   chooses the extensive form (ef) for it; the table says which of the two holds.

Every command runs in a fresh process, never two at the same time. The 1-minute load
average is sampled every 5 s during each run and printed beside its figure as mean / max,
with the core count. One JSON line per row of the table (its verdict and the runs behind
it) is appended to `bench/results/targets.jsonl` (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from analyze import SIX, analyze_side, solve_side  # noqa: E402
from versus import cbc_side, stockpile_side  # noqa: E402

PERF = ROOT / "tests" / "data" / "perf"
RATIO = 0.3
ANALYZE_S = 300.0
LARGE_GAP, LARGE_S = 0.002, 900.0
PH_GAP, PH_S = 0.01, 60.0
COLUMNS = ("", "what", "figure", "target", "result", "wall s", "load mean/max", "cores")


def num(v, spec: str) -> str:
    return "-" if not isinstance(v, int | float) else format(v, spec)


def met(ok: bool) -> str:
    return "met" if ok else "not met"


def failure(r: dict) -> str:
    """Why a run failed, in a line: stockpile's own error line, cut short, and the last
    exception its stderr names (an MPI run's ends in MPI's own notice)."""
    said = next((" ".join(line.split())[:100] for line in r["stderr"]
                 if line.startswith("error")), "")
    raised = next((line for line in reversed(r["stderr"])
                   if re.match(r"\w+(Error|Exception)\b", line)), "")
    why = "; ".join(x for x in (said, raised) if x) or " | ".join(r["stderr"][-3:])
    return f"exit {r['exit']}: {why}"


def started(what: str) -> None:
    print(f"{what} (load now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)


def part_a(workbook: Path) -> list[dict]:
    """`stockpile solve` / PuLP + CBC, wall time, each to the workbook's gap."""
    started(f"a: stockpile solve, then PuLP + CBC, on {workbook.name}")
    ours = stockpile_side(workbook, [])
    cbc = cbc_side(workbook, [])
    ratio = ours["wall_s"] / cbc["wall_s"]
    both = ours["status"] == "optimal" and cbc["status"] == "optimal"
    detail = (f"stockpile {ours['status']}, {num(ours.get('objective'), '.4f')}, gap "
              f"{num(ours.get('gap'), '.1e')}; CBC {cbc['status']}, "
              f"{num(cbc.get('objective'), '.4f')}")
    return [{"part": "a", "what": f"{workbook.name}: solve / PuLP + CBC, wall",
             "figure": f"{ratio:.2f}", "target": f"<= {RATIO}, both optimal",
             "result": met(both and ratio <= RATIO),
             "wall": f"{ours['wall_s']:.1f} / {cbc['wall_s']:.1f}",
             "load": f"{ours['load']}, {cbc['load']}", "detail": detail,
             "runs": [ours, cbc]}]


def part_b(workbook: Path) -> list[dict]:
    """`stockpile analyze`: the six figures, each with status and gap, and the wall time."""
    started(f"b: stockpile analyze on {workbook.name}")
    r = analyze_side(workbook, [])
    figures = r["figures"]

    def complete(key: str) -> bool:
        f = figures.get(key)
        return (f is not None and isinstance(f["value"], int | float)
                and f["status"] is not None and isinstance(f["gap"], int | float))

    def proven_infeasible(key: str) -> bool:
        """EEV (and so VSS) is `infeasible` when no EV-optimal plan has recourse in
        some scenario (MODEL.md): a proven answer, not a missing figure."""
        f = figures.get(key)
        return f is not None and f["status"] == "infeasible"

    numbers = sum(complete(key) for key in SIX)
    n = numbers + sum(proven_infeasible(key) for key in SIX)
    rows = [{"part": "b", "what": f"{workbook.name}: analyze, six figures",
             "figure": f"{n} / 6 ({numbers} numbers), {r['wall_s']:.1f} s",
             "target": f"6 / 6, <= {ANALYZE_S:.0f} s",
             "result": met(n == 6 and r["wall_s"] <= ANALYZE_S), "wall": f"{r['wall_s']:.1f}",
             "load": r["load"], "detail": f"exit {r['exit']}", "runs": [r]}]
    for key in SIX:
        f = figures.get(key) or {"value": None, "status": None, "gap": None}
        rows.append({"part": "", "what": f"  {key}", "figure": num(f["value"], ",.6f"),
                     "target": "", "result": "", "wall": "", "load": "",
                     "detail": f"{f['status'] or 'missing'}, gap {num(f['gap'], '.4%')}"})
    if r["stderr"]:
        rows[0]["detail"] += ": " + " | ".join(r["stderr"])
    return rows


def part_c(workbook: Path) -> list[dict]:
    """`stockpile solve` with a 900 s limit and a 0.002 gap: the proven gap in time."""
    started(f"c: stockpile solve {workbook.name} --time-limit {LARGE_S:.0f} "
            f"--mip-gap {LARGE_GAP}")
    r = solve_side(workbook, ["--time-limit", f"{LARGE_S:.0f}", "--mip-gap", str(LARGE_GAP)],
                   tail=None)
    gap = r["mip_gap"]
    ok = isinstance(gap, int | float) and gap <= LARGE_GAP and r["wall_s"] <= LARGE_S
    detail = (f"engine {r['engine']}, {r['status'] or 'no report'}, objective "
              f"{num(r['objective_musd'], ',.4f')}, bound {num(r['best_bound_musd'], ',.4f')}")
    if r["exit"] != 0:
        detail += f"; {failure(r)}"
    return [{"part": "c", "what": f"{workbook.name}: proven gap",
             "figure": f"{num(gap, '.2e')} in {r['wall_s']:.1f} s",
             "target": f"<= {LARGE_GAP} in <= {LARGE_S:.0f} s", "result": met(ok),
             "wall": f"{r['wall_s']:.1f}", "load": r["load"], "detail": detail, "runs": [r]}]


def one_case(path: Path, expected: float | None) -> dict:
    """Which engine auto picks for ``path``, and what PH proves in 60 s."""
    started(f"d: {path.name}: stockpile solve (engine auto), then --engine ph")
    auto = solve_side(path, [])
    ph = solve_side(path, ["--engine", "ph", "--time-limit", f"{PH_S:.0f}"], tail=None)
    gap = ph["mip_gap"]
    by_ph = isinstance(gap, int | float) and gap <= PH_GAP and ph["wall_s"] <= PH_S
    by_ef = auto["engine"] == "ef"
    held = [name for name, ok in (("PH", by_ph), ("auto ef", by_ef)) if ok]
    obj = ph["objective_musd"]
    off = (f" ({(obj - expected) / abs(expected):+.2%})"
           if isinstance(obj, int | float) and expected else "")
    detail = (f"PH {ph['status'] or 'no report'}, objective {num(obj, ',.4f')} vs expected "
              f"{num(expected, ',.4f')}{off}")
    if ph["exit"] != 0:
        detail += f"; PH {failure(ph)}"
    return {"part": "d", "what": f"{path.name}: PH gap, or auto ef",
            "figure": f"PH {num(gap, '.2%')} in {ph['wall_s']:.1f} s; auto {auto['engine']}",
            "target": f"PH <= {PH_GAP:.0%} in <= {PH_S:.0f} s, or auto ef",
            "result": f"met ({' and '.join(held)})" if held else "not met",
            "wall": f"{ph['wall_s']:.1f}", "load": f"{auto['load']}, {ph['load']}",
            "detail": detail, "runs": [auto, ph]}


def part_d(folder: Path) -> list[dict]:
    """Every workbook that ``folder``'s expected.json lists."""
    expected = json.loads((folder / "expected.json").read_text())
    rows = []
    for name, figures in expected.items():
        path = folder / name
        if not path.exists():
            rows.append({"part": "d", "what": f"{name}: PH gap, or auto ef",
                         "figure": "-", "target": "", "result": "not met", "wall": "",
                         "load": "", "detail": f"no workbook {path}", "runs": []})
            continue
        rows.append(one_case(path.resolve(), figures.get("objective_musd")))
    return rows


def table(rows: list[dict]) -> None:
    """One table: the figure, the target, met or not, the wall time and the load."""
    cores = str(os.cpu_count())
    cells = [COLUMNS] + [(r["part"], r["what"], r["figure"], r["target"], r["result"],
                          r["wall"], r["load"], cores if r["load"] else "") for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    for cell, r in zip(cells, [{"detail": "detail"}] + rows, strict=True):
        line = "  ".join(c.rjust(w) if i in (5, 7) else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cell, widths, strict=True)))
        print(f"{line}  {r['detail']}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="a,b,c,d", help="the parts to run, e.g. a,d")
    ap.add_argument("--cases", type=Path, default=ROOT / "tests" / "data" / "cases")
    ap.add_argument("--p-medium", type=Path, default=PERF / "p_medium.xlsx")
    ap.add_argument("--p-large", type=Path, default=PERF / "p_large.xlsx")
    ap.add_argument("--log", type=Path, default=HERE / "results" / "targets.jsonl")
    a = ap.parse_args(argv)
    only = [p.strip() for p in a.only.split(",") if p.strip()]
    if not only or set(only) - set("abcd"):
        ap.error(f"--only takes parts among a, b, c, d: {a.only!r}")
    parts = {"a": lambda: part_a(a.p_medium.resolve()),
             "b": lambda: part_b(a.p_medium.resolve()),
             "c": lambda: part_c(a.p_large.resolve()),
             "d": lambda: part_d(a.cases.resolve())}
    rows = []
    a.log.parent.mkdir(parents=True, exist_ok=True)
    for name in "abcd":
        if name not in only:
            continue
        got = parts[name]()
        rows += got
        with a.log.open("a") as fh:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            for row in got:
                if row["part"]:
                    fh.write(json.dumps({"when": stamp, **row}, default=str) + "\n")
    print()
    table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
