"""The report's first sheet, **Overview**: the plan in plain language for the planner.

Built from the report's own tables (no Pyomo, no new figures): the status in words, what
the plan costs the bloc's economy and what it is made of, what each government spends,
the costliest scenario, what to fund, what to stockpile, where shortages remain and the
limits that bind hardest. Figures are rounded for reading (MUSD to 0.1, tonnes to whole
tonnes or three significant figures below 100 t); the exact values are in Summary and
the other sheets. No symbols and no internal key names: every line is a sentence or a
labelled figure.

:func:`overview` gives the content as :class:`Block` s; :mod:`optimizer.report` writes
them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimizer.plan_tables import ALL_MEMBERS, shortage_commodity
from optimizer.sheets import MUSD, TONNES, Results

HARDEST_LIMITS = 5
COST_WORDS = {
    "project capital (annuity)": "project capital, paid yearly from the start of building",
    "project fixed O&M": "projects' fixed running costs",
    "stockpile facilities": "stockpile facilities",
    "imports": "imports",
    "project operating cost": "projects' output costs",
    "stock holding": "keeping stock",
    "transfers": "transfers between members",
    "shortage (economic damage)": "damage from demand left unmet (shortage)",
    "stock value left at the end": "less the value of stock left at the end",
}


@dataclass
class Block:
    """One piece of the Overview: a ``title``, a ``heading``, a ``line`` of text, or a
    ``table`` (``columns``, ``rows`` and each column's unit format)."""

    kind: str
    text: str = ""
    columns: tuple[str, ...] = ()
    rows: list[tuple] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)


def round_musd(value: float) -> float:
    return round(value, 1)


def round_tonnes(value: float) -> float:
    """Whole tonnes from 100 t up, three significant figures below."""
    if abs(value) >= 100:
        return float(round(value))
    return float(f"{value:.3g}")


def _percent(fraction: float) -> str:
    """A gap in words, rounded up to two significant figures (never below 0.01 %)."""
    value = 100 * fraction
    if value <= 0.01:
        return "0.01 %"
    step = 10 ** (math.floor(math.log10(value)) - 1)
    return f"{math.ceil(value / step - 1e-9) * step:.{max(0, -int(math.log10(step)))}f} %"


def status_lines(results: Results) -> list[str]:
    """The status in words: optimal within its gap, stopped at a limit, or no plan."""
    status = results.value("status")
    gap = results.value("mip_gap")
    seconds = results.value("solve_seconds") or 0.0
    if status == "optimal":
        if not gap:
            return ["Status: optimal plan, proven the best possible."]
        return [f"Status: optimal plan, proven within {_percent(gap)} of the best possible."]
    if status == "feasible":
        above = f", at most {_percent(gap)} above the optimum" if gap is not None else ""
        return [f"Status: best plan found in {seconds:,.0f} s, when the solver stopped at "
                f"its limit{above}."]
    if status == "infeasible":
        lines = ["Status: no plan. The workbook's requirements cannot all be met together."]
        diagnosis = results.table("Diagnosis")
        if diagnosis is not None and "finding" in diagnosis.columns:
            lines += [f"Why: {finding}" for finding in diagnosis.column("finding")]
        return lines
    return ["Status: no plan. The solve ended without one."]


def _cost_blocks(results: Results) -> list[Block]:
    costs = results.table("Costs")
    scenarios = results.table("Scenarios")
    if costs is None or scenarios is None:
        return []
    value = "MUSD (discounted, expected)"
    total = sum(costs.column(value))
    rows = [("expected total cost", round_musd(total))]
    rows += [(f"  {COST_WORDS.get(r['cost'], r['cost'])}", round_musd(r[value]))
             for r in costs.records() if abs(r[value]) >= 0.05]
    rest = round_musd(total - sum(r[value] for r in costs.records() if abs(r[value]) >= 0.05))
    if rest:  # the items too small to show one by one, so that the list adds up
        rows.append(("  other items, each below 0.05", rest))
    first = results.value("first_stage_cost_musd") or 0.0
    worst = max(scenarios.records(), key=lambda r: r["cost (MUSD)"])
    lines = [
        Block("heading", "What the plan costs the bloc's economy"),
        Block("line", "Averaged over the scenarios with their probabilities and discounted "
                      "to the first year, in MUSD (million US dollars)."),
        Block("table", columns=("cost", "MUSD"), rows=rows, formats={"MUSD": MUSD}),
        Block("line", f"The costliest scenario is {worst['scenario']} (probability "
                      f"{100 * worst['probability']:.0f} %): the plan then costs "
                      f"{round_musd(first + worst['cost (MUSD)']):,.1f} MUSD in all."),
    ]
    lam = results.value("risk_weight") or 0.0
    if lam > 0:
        lines.append(Block("line", f"The plan also weighs the costliest scenarios (risk "
                                   f"weight {lam:g}), so it may cost more on average than "
                                   "the cheapest plan on average."))
    return lines


def _spend_blocks(results: Results) -> list[Block]:
    members = results.table("Members")
    if members is None:
        return []
    columns = ("member", "expected (MUSD)", "in the worst scenario (MUSD)",
               "of which floor support, expected (MUSD)")
    rows = [(r["member"], round_musd(r["expected programme spend (MUSD)"]),
             round_musd(r["worst-scenario programme spend (MUSD)"]),
             round_musd(r["expected floor support paid (MUSD)"]))
            for r in members.records()]
    return [
        Block("heading", "What each government spends"),
        Block("line", "Budget money over the whole horizon, not discounted: each "
                      "government's share of project capital, stockpile facilities, "
                      "stockpile purchases (at the market price, or the floor price where it "
                      "is higher), keeping stock, and support paid to producers when the "
                      "market price falls below the floor. Part of it pays for the costs "
                      "above and part moves money within the bloc, so it is not added to "
                      "them."),
        Block("table", columns=columns, rows=rows,
              formats={name: MUSD for name in columns[1:]}),
        Block("line", f"The '{ALL_MEMBERS}' row of the worst scenario is the bloc's own "
                      "worst scenario, which need not be the sum of each member's worst."),
    ]


def _fund_blocks(results: Results) -> list[Block]:
    investments = results.table("Investments")
    if investments is None:
        return []
    columns = ("project", "where", "who pays", "output", "units", "start year",
               "first output year", "capital cost (MUSD)")
    rows = [(r["name"] or r["project"], r["location"], r["sponsor"], r["output"], r["units"],
             r["start year"], r["first output year"], round_musd(r["capex (MUSD)"]))
            for r in investments.records()]
    blocks = [Block("heading", "What to fund")]
    if not rows:
        return [*blocks, Block("line", "No project: the plan funds none.")]
    not_funded = results.table("Not funded")
    left = len(not_funded.rows) if not_funded and "project" in not_funded.columns else 0
    more = (f" {left} eligible project(s) are left out; the Not funded sheet says what "
            "forcing each would cost." if left else "")
    return [*blocks, Block("table", columns=columns, rows=rows,
                           formats={"capital cost (MUSD)": MUSD}),
            Block("line", f"{len(rows)} project(s), {sum(r[4] for r in rows)} unit(s)."
                          f"{more}")]


def _stock_blocks(results: Results) -> list[Block]:
    """Planned levels (t) at the end of each year, one row per member and commodity
    that holds stock."""
    stock = results.table("Stockpiles")
    if stock is None:
        return []
    records = stock.records()
    years = sorted({r["year"] for r in records})
    level = {(r["member"], r["commodity"], r["year"]): r["planned level (t)"] for r in records}
    pairs = sorted({(r["member"], r["commodity"]) for r in records
                    if r["planned level (t)"] > 1e-6}, key=lambda p: (p[1], p[0]))
    blocks = [Block("heading", "What to stockpile")]
    if not pairs:
        return [*blocks, Block("line", "No stockpile: the plan holds no stock.")]
    columns = ("commodity", "member", *[str(y) for y in years])
    rows = [(k, c, *[round_tonnes(level.get((c, k, y), 0.0)) for y in years])
            for c, k in pairs]
    return [*blocks,
            Block("line", "Planned stock at the end of each year, in tonnes (bought as "
                          "planned, before any release in a disruption)."),
            Block("table", columns=columns, rows=rows,
                  formats={str(y): TONNES for y in years})]


def _shortage_blocks(results: Results) -> list[Block]:
    """Expected shortage by commodity, and its worst scenario (never tonnes added across
    commodities)."""
    scenarios = results.table("Scenarios")
    if scenarios is None:
        return []
    short = results.table("Shortfalls").records()
    records = scenarios.records()
    rows = []
    for name in scenarios.columns:
        k = shortage_commodity(name)
        if k is None:
            continue
        expected = sum(r["probability"] * r[name] for r in records)
        worst = max(records, key=lambda r: r[name])
        who = sorted({r["member"] for r in short
                      if r["scenario"] == worst["scenario"] and r["commodity"] == k})
        rows.append((k, round_tonnes(expected), worst["scenario"], round_tonnes(worst[name]),
                     ", ".join(who)))
    blocks = [Block("heading", "Where shortages remain")]
    if not rows:
        return [*blocks, Block("line", "None: every scenario meets all demand.")]
    columns = ("commodity", "expected shortage over the horizon (t)", "worst scenario",
               "shortage in it (t)", "members short in it")
    return [*blocks, Block("table", columns=columns, rows=rows,
                           formats={columns[1]: TONNES, columns[3]: TONNES})]


def _listed(items: list[str]) -> str:
    """``a, b or c`` (a shared leading ``from`` said once)."""
    prefix = "from " if all(i.startswith("from ") for i in items) else ""
    items = [i[len(prefix):] for i in items]
    body = items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
    return prefix + body


def limit_sentences(limits) -> list[str]:
    """The Limits sheet's sentences, largest effect first, limits that differ only in
    where or when they apply and have the same marginal value said in one sentence."""
    groups: dict[tuple, list[dict]] = {}
    for row in limits.records():
        key = (row["limit"], row["member"], row["commodity"],
               float(f"{row['marginal value']:.4g}"))
        groups.setdefault(key, []).append(row)
    sentences = []
    for rows in groups.values():
        first = rows[0]["what it means"]
        where = [str(r["applies to"]).split(",")[0] for r in rows]
        if len(rows) > 1 and where[0] in first and len(set(where)) == len(where):
            first = first.replace(where[0], _listed(where), 1)
        sentences.append(first)
    return sentences


def _limit_blocks(results: Results) -> list[Block]:
    limits = results.table("Limits")
    if limits is None:
        return []
    blocks = [Block("heading", "What binds hardest")]
    if "what it means" not in limits.columns:
        return [*blocks, Block("line", f"Not known: {limits.rows[0][0]}.")]
    sentences = limit_sentences(limits)
    if not sentences:
        return [*blocks, Block("line", "No limit binds: raising any would save nothing.")]
    shown = sentences[:HARDEST_LIMITS]
    tail = ([Block("line", f"The Limits sheet lists every binding limit "
                           f"({len(limits.rows)}) with its marginal value.")]
            if len(sentences) > len(shown) else [])
    return [*blocks, *[Block("line", s) for s in shown], *tail]


def _more_blocks(results: Results) -> list[Block]:
    """What a coalition game or an analysis adds, pointed to in words."""
    blocks = []
    stability = results.table("Stability")
    if stability is not None and "finding" in stability.columns:
        blocks += [Block("heading", "Who should be in the bloc")]
        blocks += [Block("line", f) for f in stability.column("finding")[:HARDEST_LIMITS]]
        blocks.append(Block("line", "The Shares and Coalitions sheets give each member's "
                                    "fair share and every coalition's cost."))
    if results.table("Analysis") is not None:
        blocks += [Block("heading", "What planning together and for uncertainty is worth"),
                   Block("line", "The Analysis sheet compares this plan with each member "
                                 "planning alone, with a plan made for the average "
                                 "scenario, and with perfect foresight.")]
    return blocks


def overview(results: Results) -> list[Block]:
    """The Overview's content, top to bottom."""
    blocks = [Block("title", results.title or "Stockpile plan")]
    blocks += [Block("line", line) for line in status_lines(results)]
    if results.value("status") in ("optimal", "feasible"):
        for part in (_cost_blocks, _spend_blocks, _fund_blocks, _stock_blocks,
                     _shortage_blocks, _limit_blocks, _more_blocks):
            blocks += part(results)
        blocks.append(Block("line", "Figures are rounded for reading; the exact values are "
                                    "in Summary and the other sheets."))
    elif results.table("Diagnosis") is not None:
        blocks.append(Block("line", "The Diagnosis sheet lists each requirement that cannot "
                                    "be met, by how much, and in which scenario."))
    return blocks


def is_plan_report(results: Results) -> bool:
    """Whether the report is a plan's (a solve, an analysis, a coalition game), which
    opens on an Overview; a sweep's is not."""
    return any(m.key == "objective_musd" for m in results.summary)

