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


def arc_floors(instance) -> dict[tuple[str, str, str], float]:
    """Supply-row floors ``f_cko`` (``floor_usd_per_t``) keyed by (country, commodity,
    origin); rows that leave the cell blank are absent."""
    return {(a.country, a.commodity, a.origin): a.floor for a in instance.supply
            if a.floor is not None}


# --------------------------------------------------------------------------- model


class Data:
    """The instance read as MODEL.md's sets, factors and prices (nothing of ``models/``)."""

    def __init__(self, instance, row_floors: dict[tuple[str, str, str], float]):
        st = instance.settings
        self.instance = instance
        self.T = list(range(1, st.horizon_years + 1))
        self.H = st.horizon_years
        self.S = list(instance.scenarios)
        self.N = [c.id for c in instance.countries if c.member]
        self.K = {k.id: k for k in instance.commodities}
        self.P = [p for p in instance.projects if p.eligible]
        self.rate = st.discount_rate
        self.coordinated = st.coordination == "coordinated"
        self.lam, self.alpha = st.risk_weight, st.cvar_alpha
        self.release_any = st.release_rule == "any"
        self.row_floors = row_floors
        self.demand = instance.demand_table
        self.delta = {t: (1 + self.rate) ** -(t - 1) for t in range(1, self.H + 2)}
        self.shocks_of = defaultdict(list)
        for sh in instance.shocks:
            self.shocks_of[sh.scenario].append(sh)
        self.ids: dict[str, int] = {}

    def ix(self, name: str) -> int:
        """A number for an id (ids may hold characters PuLP would rewrite in names)."""
        return self.ids.setdefault(name, len(self.ids))

    # scenario factors: products of the matching Shocks rows, 1 by default
    @staticmethod
    def _matches(sh, k, t) -> bool:
        covers = (sh.start is None or sh.start <= t) and (sh.end is None or t <= sh.end)
        return covers and sh.commodity in (k, WILDCARD)

    def factor(self, s, kind, k, where, t) -> float:
        f = 1.0
        for sh in self.shocks_of[s.id]:
            if sh.kind == kind and self._matches(sh, k, t) and sh.where in (where, WILDCARD):
                f *= sh.factor
        return f

    def disrupted(self, s, k, t) -> bool:
        """``dis[k,t,s]``."""
        for sh in self.shocks_of[s.id]:
            if self._matches(sh, k, t):
                if sh.kind in ("supply", "imports") and sh.factor < 1:
                    return True
                if sh.kind in ("demand", "price") and sh.factor > 1:
                    return True
        return False

    # money and prices
    def crf(self, life) -> float:
        if self.rate == 0:
            return 1.0 / life
        g = (1 + self.rate) ** life
        return self.rate * g / (g - 1)

    def arc_floor(self, c, k, o) -> float | None:
        """``f_cko``: the Supply row's floor, else ``f_k`` from a non-member, else none."""
        if (c, k, o) in self.row_floors:
            return self.row_floors[(c, k, o)]
        return self.K[k].floor if o not in self.N else None

    def arc_base_price(self, a) -> float:
        return a.price if a.price is not None else self.K[a.commodity].price

    def salvage_price(self, c, k) -> float:
        """``pv_ck``: the cheapest arc (floors included), never above ``p0_k``."""
        price = self.K[k].price
        for a in self.instance.supply:
            if a.country == c and a.commodity == k:
                f = self.arc_floor(c, k, a.origin)
                p0 = self.arc_base_price(a)
                price = min(price, p0 if f is None else max(p0, f))
        return price


def first_stage(prob, d: Data) -> dict:
    """``n``, ``z``, ``b`` with unit limits, capacity and floors; ``FS_c`` terms."""
    v = {"n": {}, "z": {}, "b": {}, "fs": defaultdict(list)}
    n, z, b, ix = v["n"], v["z"], v["b"], d.ix
    for p in d.P:
        for t in d.T:
            early = p.earliest_start is not None and t < p.earliest_start
            ub = 0 if early else p.max_units
            n[p.id, t] = pulp.LpVariable(f"n_{ix(p.id)}_{t}", 0, ub, cat=pulp.LpInteger)
        prob += pulp.lpSum(n[p.id, t] for t in d.T) <= p.max_units, f"units_{ix(p.id)}"
        for t in d.T:  # FS: annuity from the start year, fixed O&M once producing
            w = pulp.lpSum(n[p.id, tau] for tau in d.T if tau <= t)
            u = pulp.lpSum(n[p.id, tau] for tau in d.T if tau <= t - p.lead_time)
            cost = d.crf(p.life) * p.capex * w + p.fixed_om * u
            v["fs"][p.sponsor].append(d.delta[t] * cost)
    for sp in d.instance.stockpiles:
        c, k = sp.country, sp.commodity
        if sp.facility_cost > 0:
            z[c, k] = pulp.LpVariable(f"z_{ix(c)}_{ix(k)}", cat=pulp.LpBinary)
            v["fs"][c].append(sp.facility_cost * z[c, k])
        else:
            z[c, k] = 1
        for t in d.T:
            b[c, k, t] = pulp.LpVariable(f"b_{ix(c)}_{ix(k)}_{t}", 0, sp.max_buy)
        for t in d.T:
            level = sp.initial + pulp.lpSum(b[c, k, tau] for tau in d.T if tau <= t)
            name = f"{ix(c)}_{ix(k)}_{t}"
            if sp.capacity is not None:
                prob += level <= sp.capacity * z[c, k], f"capacity_{name}"
            days = (sp.min_days or 0.0) / 365.0 * d.demand.get((c, k, t), 0.0)
            floor = max(sp.min_t or 0.0, days)
            if floor > 0:
                prob += level >= floor, f"floor_{name}"
    return v


def scenario(prob, d: Data, v: dict, si: int, s) -> dict:
    """One scenario's recourse and rows; returns ``Z_cs`` by member."""
    pf = {(k, t): d.factor(s, "price", k, WILDCARD, t) for k in d.K for t in d.T}
    pm = {(k, t): d.K[k].price * pf[k, t] for k in d.K for t in d.T}
    zc, spend = defaultdict(list), defaultdict(list)
    inflow, outflow = defaultdict(list), defaultdict(list)  # balance sides besides D
    for a in d.instance.supply:
        c, k, o = a.country, a.commodity, a.origin
        f = d.arc_floor(c, k, o)
        for t in d.T:
            cap = a.max_t_per_yr * d.factor(s, "supply", k, o, t) * d.factor(s, "imports", k, c, t)
            if cap <= 0:
                continue
            m = pulp.LpVariable(f"m_{d.ix(c)}_{d.ix(k)}_{d.ix(o)}_{t}_{si}", 0, cap)
            price = d.arc_base_price(a) * pf[k, t]
            price = price if f is None else max(price, f)
            inflow[c, k, t].append(m)
            zc[c].append(d.delta[t] * price / 1e6 * m)
    projects(prob, d, v, si, s, pm, (inflow, outflow, zc, spend))
    stockpiles(prob, d, v, si, s, pm, (inflow, outflow, zc, spend))
    for (c, c2, k), tr in transfer_arcs(d).items():
        for t in d.T:
            x = pulp.LpVariable(f"x_{d.ix(c)}_{d.ix(c2)}_{d.ix(k)}_{t}_{si}", 0, tr.max_t_per_yr)
            outflow[c, k, t].append(x)
            inflow[c2, k, t].append(x)
            zc[c2].append(d.delta[t] * tr.cost / 1e6 * x)
    for c in d.N:
        for k, kk in d.K.items():
            for t in d.T:
                need = d.demand.get((c, k, t), 0.0) * d.factor(s, "demand", k, c, t)
                if need > 0:
                    e = pulp.LpVariable(f"e_{d.ix(c)}_{d.ix(k)}_{t}_{si}", 0, need)
                    inflow[c, k, t].append(e)
                    zc[c].append(d.delta[t] * kk.shortage_cost / 1e6 * e)
                if inflow[c, k, t] or outflow[c, k, t] or need > 0:
                    rhs = need + pulp.lpSum(outflow[c, k, t])
                    name = f"balance_{d.ix(c)}_{d.ix(k)}_{t}_{si}"
                    prob += pulp.lpSum(inflow[c, k, t]) == rhs, name
    budgets(prob, d, v, si, spend)
    return {c: pulp.lpSum(zc[c]) for c in d.N}


def projects(prob, d: Data, v: dict, si: int, s, pm: dict, flows) -> None:
    """Project output ``q ≤ Q · avail · u``, its input use, variable cost, floor support."""
    inflow, outflow, zc, spend = flows
    for p in d.P:
        for t in d.T:
            cap = p.capacity * d.factor(s, "supply", p.output, p.country, t)
            if cap <= 0 or t - p.lead_time < 1:
                continue
            q = pulp.LpVariable(f"q_{d.ix(p.id)}_{t}_{si}", 0)
            u = pulp.lpSum(v["n"][p.id, tau] for tau in d.T if tau <= t - p.lead_time)
            prob += q <= cap * u, f"output_{d.ix(p.id)}_{t}_{si}"
            inflow[p.sponsor, p.output, t].append(q)
            if p.input is not None:
                outflow[p.sponsor, p.input, t].append(p.input_ratio * q)
            zc[p.sponsor].append(d.delta[t] * p.variable_cost / 1e6 * q)
            floor = d.K[p.output].floor
            support = 0.0 if floor is None else max(0.0, floor - pm[p.output, t])
            if support > 0:
                spend[p.sponsor, t].append(support / 1e6 * q)


def stockpiles(prob, d: Data, v: dict, si: int, s, pm: dict, flows) -> None:
    """Releases (from the stock held at the start of the year), stock, purchases as a use,
    holding, salvage at ``pv_ck``, purchases in budgets at ``pb = max(pm, f_k)``."""
    inflow, outflow, zc, spend = flows
    b = v["b"]
    for sp in d.instance.stockpiles:
        c, k = sp.country, sp.commodity
        kk = d.K[k]
        pb_floor = kk.floor if kk.floor is not None else float("-inf")
        before = sp.initial  # I[c,k,t−1,s]
        for t in d.T:
            name = f"{d.ix(c)}_{d.ix(k)}_{t}_{si}"
            if not d.release_any and not d.disrupted(s, k, t):
                r = 0
            else:
                r = pulp.LpVariable(f"r_{name}", 0, sp.max_release)
                prob += r <= before, f"release_{name}"
                inflow[c, k, t].append(r)
            stock = pulp.LpVariable(f"I_{name}", 0)
            prob += stock == before + b[c, k, t] - r, f"stock_{name}"
            before = stock
            outflow[c, k, t].append(b[c, k, t])
            zc[c].append(d.delta[t] * kk.holding_cost / 1e6 * stock)
            spend[c, t].append(max(pm[k, t], pb_floor) / 1e6 * b[c, k, t])
            spend[c, t].append(kk.holding_cost / 1e6 * stock)
        zc[c].append(-d.delta[d.H + 1] * d.salvage_price(c, k) / 1e6 * before)


def transfer_arcs(d: Data) -> dict:
    """``X`` with ``*`` expanded; empty in independent mode (transfers fixed to 0)."""
    arcs = {}
    if d.coordinated:
        for tr in d.instance.transfers:
            for k in list(d.K) if tr.commodity == WILDCARD else [tr.commodity]:
                arcs[tr.from_country, tr.to_country, k] = tr
    return arcs


def budgets(prob, d: Data, v: dict, si: int, spend) -> None:
    """``spend[c,t,s] ≤ B`` per Budgets row; ``ALL`` sums the members (coordinated only).
    Adds the government's capex share and the facility costs (year 1) to ``spend``."""
    for p in d.P:
        for t in d.T:
            if p.gov_share * p.capex:
                spend[p.sponsor, t].append(p.gov_share * p.capex * v["n"][p.id, t])
    for sp in d.instance.stockpiles:
        if sp.facility_cost > 0:
            spend[sp.country, 1].append(sp.facility_cost * v["z"][sp.country, sp.commodity])
    for bud in d.instance.budgets:
        if bud.country == ALL:
            if not d.coordinated:
                continue
            terms = [x for c in d.N for x in spend[c, bud.t]]
        else:
            terms = spend[bud.country, bud.t]
        if terms:
            prob += pulp.lpSum(terms) <= bud.musd, f"budget_{d.ix(bud.country)}_{bud.t}_{si}"


def objective(prob, d: Data, fs: dict, cost: dict):
    """``FS + (1−λ) Σ π Z + λ (η + Σ π v / (1−α))``; per member when independent."""

    def risk_term(z_of, owner):
        expected = pulp.lpSum(s.probability * z_of(si) for si, s in enumerate(d.S))
        if d.lam <= 0:
            return expected
        eta = pulp.LpVariable(f"eta_{d.ix(owner)}")
        tail = []
        for si, s in enumerate(d.S):
            excess = pulp.LpVariable(f"v_{d.ix(owner)}_{si}", 0)
            prob.addConstraint(excess >= z_of(si) - eta, f"cvar_{d.ix(owner)}_{si}")
            tail.append(s.probability * excess)
        return (1 - d.lam) * expected + d.lam * (eta + 1 / (1 - d.alpha) * pulp.lpSum(tail))

    if d.coordinated or d.lam <= 0:
        bloc = risk_term(lambda si: pulp.lpSum(cost[si][c] for c in d.N), ALL)
        return pulp.lpSum(fs[c] for c in d.N) + bloc
    return pulp.lpSum(pulp.lpSum(fs[c]) + risk_term(lambda si, c=c: cost[si][c], c) for c in d.N)


def build(instance, row_floors: dict[tuple[str, str, str], float]):
    """The extensive form of MODEL.md version 2 as a ``pulp.LpProblem``."""
    d = Data(instance, row_floors)
    prob = pulp.LpProblem("stockpile_v2", pulp.LpMinimize)
    v = first_stage(prob, d)
    cost = [scenario(prob, d, v, si, s) for si, s in enumerate(d.S)]
    prob += objective(prob, d, v["fs"], cost)
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
    floors = arc_floors(instance)
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
