"""MODEL.md (version 2) written plainly in PuLP and solved with CBC: a comparison point.

This is an independent implementation of the contract, not a wrapper of ``models/``: it
shares only the workbook reader (:func:`optimizer.io.read_instance`) with the project and
writes every equation again from ``docs/MODEL.md``. It answers two questions: how fast is
the obvious script a user could write, and does our model give the same optimum?
PuLP is an optional extra (``pip install -e ".[bench]"``)::

    python bench/pulp_cbc.py tests/data/perf/p_medium.xlsx
    python bench/pulp_cbc.py --cases tests/data/cases        # every case against expected.json

Each workbook prints one row: read, build and CBC seconds, wall seconds, CBC's peak memory,
status and objective (MUSD). With ``--cases`` (a folder holding ``expected.json``), each
case is solved to a relative gap of 1e-7 and compared with its expected status and
objective (``|got - want| <= 1e-6 + 1e-4 |want|``); the exit status is 0 only when all
match. ``--json`` prints one JSON line per workbook instead of the table.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pulp  # noqa: E402

from optimizer.io import read_instance  # noqa: E402

ALL = "ALL"
WILDCARD = "*"


# --------------------------------------------------------------------------- reading


def _number(value) -> float | None:
    """A cell as a number: numbers, numeric text; blank (or only spaces) is None."""
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    return float(text) if text else None


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def supply_floors(path: Path) -> dict[tuple[str, str, str], float]:
    """Supply-row floors ``f_cko`` given in the workbook (``floor_usd_per_t``), keyed by
    (country, commodity, origin). Rows that leave the cell blank are absent."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = next((ws for ws in wb.worksheets if ws.title.strip().lower() == "supply"), None)
        if sheet is None:
            return {}
        rows = sheet.iter_rows(values_only=True)
        header = [_text(h).lower() for h in next(rows, ())]
        if "floor_usd_per_t" not in header:
            return {}
        col = {name: header.index(name) for name in ("country", "commodity", "origin")}
        fcol = header.index("floor_usd_per_t")
        floors = {}
        for row in rows:
            row = list(row) + [None] * (len(header) - len(row))
            floor = _number(row[fcol])
            if floor is not None:
                key = tuple(_text(row[col[name]]) for name in ("country", "commodity", "origin"))
                floors[key] = floor
        return floors
    finally:
        wb.close()


def arc_floors(instance, path: Path) -> dict[tuple[str, str, str], float]:
    """Supply-row floors: from the reader when its Supply arcs carry them, else read here."""
    if instance.supply and hasattr(instance.supply[0], "floor"):
        return {
            (a.country, a.commodity, a.origin): a.floor
            for a in instance.supply
            if a.floor is not None
        }
    return supply_floors(path)


# --------------------------------------------------------------------------- model


def build(instance, row_floors: dict[tuple[str, str, str], float]):
    """The extensive form of MODEL.md version 2 as a ``pulp.LpProblem``."""
    st = instance.settings
    T = list(range(1, st.horizon_years + 1))
    H = st.horizon_years
    S = [s for s in instance.scenarios]
    N = [c.id for c in instance.countries if c.member]
    members = set(N)
    K = {k.id: k for k in instance.commodities}
    P = [p for p in instance.projects if p.eligible]
    rate = st.discount_rate
    coordinated = st.coordination == "coordinated"
    lam, alpha = st.risk_weight, st.cvar_alpha

    # ---- scenario factors (products of the matching Shocks rows; 1 by default)
    shocks_of = defaultdict(list)
    for sh in instance.shocks:
        shocks_of[sh.scenario].append(sh)

    def matches(sh, k, t):
        covers = (sh.start is None or sh.start <= t) and (sh.end is None or t <= sh.end)
        return covers and sh.commodity in (k, WILDCARD)

    def factor(s, kind, k, where, t):
        f = 1.0
        for sh in shocks_of[s.id]:
            if sh.kind == kind and matches(sh, k, t) and sh.where in (where, WILDCARD):
                f *= sh.factor
        return f

    def disrupted(s, k, t):
        for sh in shocks_of[s.id]:
            if matches(sh, k, t):
                if sh.kind in ("supply", "imports") and sh.factor < 1:
                    return True
                if sh.kind in ("demand", "price") and sh.factor > 1:
                    return True
        return False

    # ---- money over time
    delta = {t: (1 + rate) ** -(t - 1) for t in range(1, H + 2)}

    def crf(life):
        if rate == 0:
            return 1.0 / life
        g = (1 + rate) ** life
        return rate * g / (g - 1)

    # ---- prices
    def arc_floor(c, k, o):
        if (c, k, o) in row_floors:
            return row_floors[(c, k, o)]
        if o not in members:
            return K[k].floor
        return None

    def arc_base_price(a):
        return a.price if a.price is not None else K[a.commodity].price

    pv = {}  # salvage price pv_ck
    for sp in instance.stockpiles:
        c, k = sp.country, sp.commodity
        price = K[k].price
        for a in instance.supply:
            if a.country == c and a.commodity == k:
                f = arc_floor(c, k, a.origin)
                p0 = arc_base_price(a)
                price = min(price, p0 if f is None else max(p0, f))
        pv[c, k] = price

    demand = instance.demand_table
    ids: dict[str, int] = {}

    def ix(name: str) -> int:  # ids may hold characters PuLP would rewrite in names
        return ids.setdefault(name, len(ids))

    prob = pulp.LpProblem("stockpile_v2", pulp.LpMinimize)

    # ---- first stage
    n = {}
    for p in P:
        for t in T:
            early = p.earliest_start is not None and t < p.earliest_start
            n[p.id, t] = pulp.LpVariable(
                f"n_{ix(p.id)}_{t}", 0, 0 if early else p.max_units, cat=pulp.LpInteger
            )
        prob += pulp.lpSum(n[p.id, t] for t in T) <= p.max_units, f"max_units_{ix(p.id)}"

    def committed(p, t):  # w[p,t]
        return pulp.lpSum(n[p.id, tau] for tau in T if tau <= t)

    def producing(p, t):  # u[p,t]
        return pulp.lpSum(n[p.id, tau] for tau in T if tau <= t - p.lead_time)

    z, b, level = {}, {}, {}
    for sp in instance.stockpiles:
        c, k = sp.country, sp.commodity
        z[c, k] = (
            pulp.LpVariable(f"z_{ix(c)}_{ix(k)}", cat=pulp.LpBinary) if sp.facility_cost > 0 else 1
        )
        for t in T:
            b[c, k, t] = pulp.LpVariable(f"b_{ix(c)}_{ix(k)}_{t}", 0, sp.max_buy)
        for t in T:
            level[c, k, t] = sp.initial + pulp.lpSum(b[c, k, tau] for tau in T if tau <= t)
            if sp.capacity is not None:
                prob += level[c, k, t] <= sp.capacity * z[c, k], f"capacity_{ix(c)}_{ix(k)}_{t}"
            floor = max(sp.min_t or 0.0, (sp.min_days or 0.0) / 365.0 * demand.get((c, k, t), 0.0))
            if floor > 0:
                prob += level[c, k, t] >= floor, f"floor_{ix(c)}_{ix(k)}_{t}"

    # first-stage cost, by member (a project's to its sponsor, a facility's to its holder)
    fs = defaultdict(list)
    for p in P:
        for t in T:
            fs[p.sponsor].append(
                delta[t] * (crf(p.life) * p.capex * committed(p, t) + p.fixed_om * producing(p, t))
            )
    for sp in instance.stockpiles:
        if sp.facility_cost > 0:
            fs[sp.country].append(sp.facility_cost * z[sp.country, sp.commodity])

    # transfer arcs X (coordinated only: fixed to 0 in independent mode)
    X = {}
    if coordinated:
        for tr in instance.transfers:
            ks = list(K) if tr.commodity == WILDCARD else [tr.commodity]
            for k in ks:
                X[tr.from_country, tr.to_country, k] = tr

    # ---- second stage, one scenario at a time
    scen_cost = {}  # Z_cs as a list of terms per (member, scenario)
    for si, s in enumerate(S):
        pf = {(k, t): factor(s, "price", k, WILDCARD, t) for k in K for t in T}
        pm = {(k, t): K[k].price * pf[k, t] for k in K for t in T}
        zc = defaultdict(list)
        inflow = defaultdict(list)  # balance left-hand side terms
        outflow = defaultdict(list)  # right-hand side terms besides demand
        spend = defaultdict(list)  # spend[c,t,s] terms
        I_prev = {(sp.country, sp.commodity): sp.initial for sp in instance.stockpiles}

        for a in instance.supply:
            c, k, o = a.country, a.commodity, a.origin
            f = arc_floor(c, k, o)
            for t in T:
                cap = a.max_t_per_yr * factor(s, "supply", k, o, t) * factor(s, "imports", k, c, t)
                if cap <= 0:
                    continue
                m = pulp.LpVariable(f"m_{ix(c)}_{ix(k)}_{ix(o)}_{t}_{si}", 0, cap)
                price = arc_base_price(a) * pf[k, t]
                if f is not None:
                    price = max(price, f)
                inflow[c, k, t].append(m)
                zc[c].append(delta[t] * price / 1e6 * m)

        for p in P:
            for t in T:
                cap = p.capacity * factor(s, "supply", p.output, p.country, t)
                if cap <= 0 or t - p.lead_time < 1:
                    continue
                q = pulp.LpVariable(f"q_{ix(p.id)}_{t}_{si}", 0)
                prob += q <= cap * producing(p, t), f"output_{ix(p.id)}_{t}_{si}"
                inflow[p.sponsor, p.output, t].append(q)
                if p.input is not None:
                    outflow[p.sponsor, p.input, t].append(p.input_ratio * q)
                zc[p.sponsor].append(delta[t] * p.variable_cost / 1e6 * q)
                floor = K[p.output].floor
                support = 0.0 if floor is None else max(0.0, floor - pm[p.output, t])
                if support > 0:
                    spend[p.sponsor, t].append(support / 1e6 * q)

        for sp in instance.stockpiles:
            c, k = sp.country, sp.commodity
            kk = K[k]
            pb_floor = kk.floor if kk.floor is not None else float("-inf")
            for t in T:
                if st.release_rule == "disruption" and not disrupted(s, k, t):
                    r = 0
                else:
                    r = pulp.LpVariable(f"r_{ix(c)}_{ix(k)}_{t}_{si}", 0, sp.max_release)
                    prob += r <= I_prev[c, k], f"release_{ix(c)}_{ix(k)}_{t}_{si}"
                    inflow[c, k, t].append(r)
                stock = pulp.LpVariable(f"I_{ix(c)}_{ix(k)}_{t}_{si}", 0)
                prob += stock == I_prev[c, k] + b[c, k, t] - r, f"stock_{ix(c)}_{ix(k)}_{t}_{si}"
                I_prev[c, k] = stock
                outflow[c, k, t].append(b[c, k, t])
                zc[c].append(delta[t] * kk.holding_cost / 1e6 * stock)
                spend[c, t].append(max(pm[k, t], pb_floor) / 1e6 * b[c, k, t])
                spend[c, t].append(kk.holding_cost / 1e6 * stock)
            zc[c].append(-delta[H + 1] * pv[c, k] / 1e6 * I_prev[c, k])

        for (c, c2, k), tr in X.items():
            for t in T:
                x = pulp.LpVariable(f"x_{ix(c)}_{ix(c2)}_{ix(k)}_{t}_{si}", 0, tr.max_t_per_yr)
                outflow[c, k, t].append(x)
                inflow[c2, k, t].append(x)
                zc[c2].append(delta[t] * tr.cost / 1e6 * x)

        for c in N:
            for k, kk in K.items():
                for t in T:
                    need = demand.get((c, k, t), 0.0) * factor(s, "demand", k, c, t)
                    if need > 0:
                        e = pulp.LpVariable(f"e_{ix(c)}_{ix(k)}_{t}_{si}", 0, need)
                        inflow[c, k, t].append(e)
                        zc[c].append(delta[t] * kk.shortage_cost / 1e6 * e)
                    if inflow[c, k, t] or outflow[c, k, t] or need > 0:
                        prob += (
                            pulp.lpSum(inflow[c, k, t]) == need + pulp.lpSum(outflow[c, k, t]),
                            f"balance_{ix(c)}_{ix(k)}_{t}_{si}",
                        )

        # budgets: government capex share, facility costs in year 1, purchases, holding,
        # floor support
        for p in P:
            for t in T:
                if p.gov_share * p.capex:
                    spend[p.sponsor, t].append(p.gov_share * p.capex * n[p.id, t])
        for sp in instance.stockpiles:
            if sp.facility_cost > 0:
                spend[sp.country, 1].append(sp.facility_cost * z[sp.country, sp.commodity])
        for bud in instance.budgets:
            if bud.country == ALL:
                if not coordinated:
                    continue
                terms = [x for c in N for x in spend[c, bud.t]]
            else:
                terms = spend[bud.country, bud.t]
            if not terms:
                continue
            prob += pulp.lpSum(terms) <= bud.musd, f"budget_{ix(bud.country)}_{bud.t}_{si}"

        for c in N:
            scen_cost[c, si] = pulp.lpSum(zc[c])

    # ---- objective
    def risk_term(z_of, name):  # (1-λ) Σ π Z + λ (η + 1/(1-α) Σ π v)
        expected = pulp.lpSum(s.probability * z_of(si) for si, s in enumerate(S))
        if lam <= 0:
            return expected
        eta = pulp.LpVariable(f"eta_{ix(name)}")
        tail = []
        for si, s in enumerate(S):
            v = pulp.LpVariable(f"v_{ix(name)}_{si}", 0)
            prob.addConstraint(v >= z_of(si) - eta, f"cvar_{ix(name)}_{si}")
            tail.append(s.probability * v)
        return (1 - lam) * expected + lam * (eta + 1 / (1 - alpha) * pulp.lpSum(tail))

    if coordinated or lam <= 0:
        objective = pulp.lpSum(fs[c] for c in N) + risk_term(
            lambda si: pulp.lpSum(scen_cost[c, si] for c in N), "bloc"
        )
    else:
        objective = pulp.lpSum(
            pulp.lpSum(fs[c]) + risk_term(lambda si, c=c: scen_cost[c, si], c) for c in N
        )
    prob += objective
    return prob


# --------------------------------------------------------------------------- solving


STATUS = {
    pulp.LpSolutionOptimal: "optimal",
    pulp.LpSolutionIntegerFeasible: "feasible",
    pulp.LpSolutionInfeasible: "infeasible",
    pulp.LpSolutionUnbounded: "unbounded",
    pulp.LpSolutionNoSolutionFound: "not solved",
}


def solve_workbook(
    path: Path, *, mip_gap: float | None = None, time_limit: float | None = None
) -> dict:
    """Read, build and solve one workbook; the figures as a dict."""
    wall0 = time.perf_counter()
    result = read_instance(path)
    if not result.ok:
        raise SystemExit(f"{path}: {len(result.errors)} problem(s) in the workbook")
    instance = result.instance
    floors = arc_floors(instance, path)
    read_s = time.perf_counter() - wall0

    t0 = time.perf_counter()
    prob = build(instance, floors)
    build_s = time.perf_counter() - t0

    gap = instance.settings.mip_gap if mip_gap is None else mip_gap
    limit = instance.settings.time_limit_s if time_limit is None else time_limit
    solver = pulp.PULP_CBC_CMD(msg=False, gapRel=gap, timeLimit=limit)
    t0 = time.perf_counter()
    prob.solve(solver)
    solve_s = time.perf_counter() - t0
    status = STATUS.get(prob.sol_status, "error")
    objective = pulp.value(prob.objective) if status in ("optimal", "feasible") else None
    return {
        "case": path.name,
        "columns": len(prob.variables()),
        "rows": len(prob.constraints),
        "integers": sum(1 for v in prob.variables() if v.cat == pulp.LpInteger),
        "read_s": round(read_s, 3),
        "build_s": round(build_s, 3),
        "cbc_s": round(solve_s, 3),
        "wall_s": round(time.perf_counter() - wall0, 3),
        "cbc_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "python_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "status": status,
        "objective": objective,
        "mip_gap": gap,
    }


HEADER = (
    f"{'case':<34} {'columns':>8} {'rows':>8} {'int':>5} {'read':>6} {'build':>6} "
    f"{'CBC':>8} {'wall':>8} {'CBC MB':>7} {'status':<10} {'objective':>16}"
)


def show(row: dict) -> str:
    obj = "-" if row["objective"] is None else f"{row['objective']:16.6f}"
    return (
        f"{row['case']:<34} {row['columns']:>8,} {row['rows']:>8,} {row['integers']:>5} "
        f"{row['read_s']:>6.2f} {row['build_s']:>6.2f} {row['cbc_s']:>8.2f} "
        f"{row['wall_s']:>8.2f} {row['cbc_peak_mb']:>7.0f} {row['status']:<10} {obj:>16}"
    )


def check_cases(folder: Path, *, as_json: bool) -> int:
    """Solve every case of ``folder/expected.json`` and compare status and objective."""
    expected = json.loads((folder / "expected.json").read_text())
    matching = 0
    if not as_json:
        print(f"{'case':<34} {'expected':>16} {'PuLP + CBC':>16} {'difference':>11} {'':<6} status")
    for name, want in expected.items():
        row = solve_workbook(folder / name, mip_gap=1e-7)
        want_obj = want.get("objective_musd")
        ok = row["status"] == want["status"]
        diff = None
        if isinstance(want_obj, int | float) and row["objective"] is not None:
            diff = row["objective"] - want_obj
            ok = ok and abs(diff) <= 1e-6 + 1e-4 * abs(want_obj)
        matching += ok
        if as_json:
            print(json.dumps({**row, "expected": want_obj, "match": ok}))
            continue
        got = "-" if row["objective"] is None else f"{row['objective']:16.6f}"
        d = "-" if diff is None else f"{diff:11.2e}"
        print(
            f"{name:<34} {want_obj:>16} {got:>16} {d:>11} {'ok' if ok else 'DIFFER':<6} "
            f"{row['status']}",
            flush=True,
        )
    print(f"cases matching: {matching}/{len(expected)}")
    return 0 if matching == len(expected) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workbooks", nargs="*", type=Path)
    ap.add_argument("--cases", type=Path, help="a folder with expected.json: check every case")
    ap.add_argument("--mip-gap", type=float, default=None, help="default: the workbook's")
    ap.add_argument("--time-limit", type=float, default=None, help="default: the workbook's")
    ap.add_argument("--json", action="store_true", help="one JSON line per workbook")
    a = ap.parse_args(argv)

    code = 0
    if a.cases:
        code = check_cases(a.cases, as_json=a.json)
    if a.workbooks and not a.json:
        print(HEADER, flush=True)
    for path in a.workbooks:
        row = solve_workbook(path, mip_gap=a.mip_gap, time_limit=a.time_limit)
        print(json.dumps(row) if a.json else show(row), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
