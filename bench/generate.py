"""A seeded generator of planning workbooks for timing and scaling (WORKBOOK.md layout).

The structure follows the performance cases in tests/data/perf: processing chains
(concentrate → refined → component), price floors on some commodities, member and ``ALL``
budgets, ``*`` transfers between every pair of members, stockpile facilities with a cost
and a capacity, ``min_days`` floors, screened projects, and scenarios whose shocks use
all four kinds (``supply``, ``imports``, ``price``, ``demand``).

The same arguments always give the same workbook::

    python bench/generate.py -o bench/results/g.xlsx --members 3 --commodities 12 \
        --years 8 --scenarios 50 --projects 25 --seed 1
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import openpyxl

from optimizer import schema

MEMBERS = ["USA", "MEX", "CAN", "AUS", "JPN", "KOR", "GBR", "DEU", "FRA", "IND"]
OUTSIDERS = ["CHN", "ROW", "BRA", "CHL", "COD", "IDN", "ZAF"]
STAGES = ["concentrate", "refined", "component"]
FIRST_YEAR = 2027


def _commodities(rng: random.Random, count: int) -> list[dict]:
    """Commodities in chains of up to three stages; only the last stage has demand."""
    out, chain = [], 0
    while len(out) < count:
        length = min(rng.choice([1, 2, 3]), count - len(out))
        price = rng.choice([700, 1200, 4000, 17000, 33000, 70000, 650000])
        for i in range(length):
            stage = STAGES[len(STAGES) - length + i]
            last = i == length - 1
            out.append(
                {
                    "commodity": f"m{chain:02d}_{stage}",
                    "mineral": f"mineral {chain:02d}",
                    "stage": stage,
                    "price": price * (1.5**i),
                    "floor": round(price * (1.5**i) * 1.15)
                    if last and rng.random() < 0.3
                    else None,
                    "shortage": price * (1.5**i) * (rng.choice([3, 5, 10]) if last else 0),
                    "holding": round(price * (1.5**i) * 0.01, 2),
                    "stockpilable": last,
                    "input": out[-1]["commodity"] if i > 0 else None,
                    "final": last,
                }
            )
        chain += 1
    return out


def _sheet(wb, name: str, header: list[str], rows: list[tuple]) -> None:
    ws = wb.create_sheet(name)
    ws.append(header)
    for row in rows:
        ws.append(list(row))


def _header(sheet: schema.Sheet) -> list[str]:
    return [c.name for c in sheet.columns]


def _demand(rng: random.Random, mem: list[str], final: list[dict], cal: list[int]) -> dict:
    """Demand of the last-stage commodities, growing a few percent a year."""
    demand = {}
    for c in mem:
        for g in final:
            if rng.random() < 0.8:
                base = rng.uniform(1, 20) * 1e6 / g["price"] * (3 if c == mem[0] else 1)
                growth = rng.uniform(0.0, 0.06)
                for t, year in enumerate(cal):
                    demand[(c, g["commodity"], year)] = round(base * (1 + growth) ** t, 1)
    return demand


def _supply(rng: random.Random, mem: list[str], goods: list[dict], need: dict) -> list[tuple]:
    """One to three outside origins and one other member for each member and commodity."""
    supply = []
    for c in mem:
        for g in goods:
            scale = max(need[(c, g["commodity"])], 1e6 / g["price"])
            for o in rng.sample(OUTSIDERS, rng.choice([1, 2, 3])) + rng.sample(
                [m for m in mem if m != c], min(1, len(mem) - 1)
            ):
                price = round(g["price"] * rng.uniform(0.95, 1.2)) if rng.random() < 0.3 else None
                supply.append(
                    (c, g["commodity"], o, round(scale * rng.uniform(0.3, 1.0), 1), price)
                )
    return supply


def _projects(rng: random.Random, mem: list[str], goods: list[dict], need: dict,
              count: int) -> list[tuple]:
    """Projects along the chains, some abroad, one in ten screened out."""
    rows = []
    for i in range(count):
        g = rng.choice(goods)
        sponsor = rng.choice(mem)
        where = sponsor if rng.random() < 0.6 else rng.choice(OUTSIDERS)
        sink = g if g["final"] else next(x for x in goods if x["input"] == g["commodity"])
        size = max(need.get((sponsor, sink["commodity"]), 0.0), 5e6 / g["price"])
        eligible = rng.random() > 0.1
        rows.append(
            (
                f"p{i:03d}",
                f"{g['commodity']} project",
                where,
                sponsor,
                "processing",
                g["commodity"],
                g["input"],
                1.5 if g["input"] else None,
                round(size * rng.uniform(0.2, 0.8), 1),
                rng.choice([1, 1, 2, 3]),
                round(rng.uniform(5, 300), 2),
                round(rng.uniform(0.1, 3), 3),
                round(g["price"] * rng.uniform(0.4, 0.9)),
                rng.choice([0, 1, 2, 3]),
                rng.choice([15, 20, 25]),
                rng.choice([None, FIRST_YEAR + 1]),
                round(rng.uniform(0.3, 1.0), 2),
                "yes" if eligible else "no",
                None if eligible else "screened: environmental review",
            )
        )
    return rows


def _stockpiles(rng: random.Random, mem: list[str], final: list[dict], need: dict) -> list:
    """Stockpiles of some last-stage commodities, a quarter of them new facilities."""
    piles = []
    for c in mem:
        for g in final:
            if need[(c, g["commodity"])] <= 0 or rng.random() < 0.4:
                continue
            cap = round(need[(c, g["commodity"])] * rng.uniform(0.3, 1.0), 1)
            facility = round(rng.uniform(0.5, 30), 2) if rng.random() < 0.25 else None
            piles.append(
                (
                    c,
                    g["commodity"],
                    None if facility else round(cap * rng.uniform(0, 0.3), 1),
                    cap,
                    None,
                    rng.choice([None, 15, 30]) if not facility else None,
                    None,
                    round(cap * 0.6, 1) if rng.random() < 0.3 else None,
                    facility,
                )
            )
    return piles


def _shocks(rng: random.Random, names: list[str], goods: list[dict], mem: list[str],
            cal: list[int]) -> list[tuple]:
    """One to six shocks per scenario, of all four kinds."""
    shocks = []
    for s in names:
        for _ in range(rng.randint(1, 6)):
            kind = rng.choice(["supply", "supply", "imports", "price", "demand"])
            g = rng.choice(goods)
            start = rng.choice(cal)
            end = min(cal[-1], start + rng.randint(0, 2))
            commodity = g["commodity"]
            if kind == "supply":
                where, factor = rng.choice(OUTSIDERS), rng.choice([0, 0.3, 0.6])
            elif kind == "imports":
                commodity, where, factor = "*", rng.choice(mem), rng.choice([0.5, 0.8])
            elif kind == "price":
                where, factor = "*", rng.choice([0.6, 1.5, 2.5])
            else:
                where, factor = rng.choice(mem), rng.choice([1.2, 1.5])
            shocks.append((s, kind, commodity, where, start, end, factor))
    return shocks


def generate(
    path: Path,
    *,
    members: int = 3,
    commodities: int = 12,
    years: int = 8,
    scenarios: int = 50,
    projects: int = 25,
    seed: int = 1,
) -> Path:
    """Write one workbook to ``path`` and return it."""
    rng = random.Random(seed)
    mem = MEMBERS[:members]
    goods = _commodities(rng, commodities)
    final = [g for g in goods if g["final"]]
    cal = [FIRST_YEAR + t for t in range(years)]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Settings", ["setting", "value"], [
        ("title", f"generated m{members} k{commodities} y{years} s{scenarios} seed {seed}"),
        ("first_year", FIRST_YEAR), ("horizon_years", years), ("discount_rate", 0.05),
        ("mip_gap", 0.0001), ("time_limit_s", 900),
    ])
    _sheet(wb, "Countries", ["country", "name", "member"],
           [(c, c, "yes") for c in mem] + [(c, c, "no") for c in OUTSIDERS])
    _sheet(wb, "Commodities", _header(schema.COMMODITIES), [
        (g["commodity"], g["mineral"], g["stage"], g["price"], g["floor"], g["shortage"],
         g["holding"], "yes" if g["stockpilable"] else "no")
        for g in goods
    ])
    demand = _demand(rng, mem, final, cal)
    _sheet(wb, "Demand", ["country", "commodity", "year", "demand_t"],
           [(c, k, y, d) for (c, k, y), d in demand.items()])
    need = {
        (c, g["commodity"]): max((demand.get((c, g["commodity"], y), 0.0) for y in cal),
                                 default=0.0)
        for c in mem
        for g in goods
    }
    _sheet(wb, "Supply", _header(schema.SUPPLY), _supply(rng, mem, goods, need))
    _sheet(wb, "Projects", _header(schema.PROJECTS), _projects(rng, mem, goods, need, projects))
    _sheet(wb, "Stockpiles", _header(schema.STOCKPILES), _stockpiles(rng, mem, final, need))
    _sheet(wb, "Transfers", _header(schema.TRANSFERS), [
        (a, b, "*", rng.choice([5000, 20000]), rng.choice([100, 150, 200]))
        for a in mem
        for b in mem
        if a != b
    ])
    budgets = [(c, y, round(rng.uniform(200, 600))) for c in mem for y in cal]
    budgets += [("ALL", y, round(rng.uniform(600, 1500))) for y in cal]
    _sheet(wb, "Budgets", _header(schema.BUDGETS), budgets)
    names = [f"s{i + 1:03d}" for i in range(scenarios)]
    _sheet(wb, "Scenarios", _header(schema.SCENARIOS),
           [(s, 1.0 / scenarios, "sampled") for s in names])
    _sheet(wb, "Shocks", _header(schema.SHOCKS), _shocks(rng, names, goods, mem, cal))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--members", type=int, default=3)
    ap.add_argument("--commodities", type=int, default=12)
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--scenarios", type=int, default=50)
    ap.add_argument("--projects", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    generate(
        a.output,
        members=a.members,
        commodities=a.commodities,
        years=a.years,
        scenarios=a.scenarios,
        projects=a.projects,
        seed=a.seed,
    )
    print(a.output)


if __name__ == "__main__":
    main()
