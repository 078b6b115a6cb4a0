"""The report as WORKBOOK.md version 2 describes it: Overview first in plain words, the
sheets in order and found by name, Summary's keys, money by member that adds up, no
tonnes added across commodities, sheets that say why they are empty, and every sheet
set to print landscape, fitted to the width, header repeated."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from test_cases import REPORT_SHEETS, contract_summary_keys

from optimizer.io import read_instance
from optimizer.overview import limit_sentences, round_tonnes, status_lines
from optimizer.pipeline import EXAMPLE, solve_instance, solve_workbook
from optimizer.plan_tables import ALL_MEMBERS, empty_results, member_rows
from optimizer.report import build_workbook, number_format
from optimizer.sheets import MUSD, TONNES, Metric, Results, Table
from optimizer.summary import PLAN, TERMINAL

CASES = Path(__file__).parent / "data" / "cases"
GREEK_OR_SIGMA = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff\u2211]")


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example's report (``stockpile solve`` with no argument), solved once."""
    run, path = solve_workbook(EXAMPLE, tmp_path_factory.mktemp("example") / "report.xlsx")
    assert run.outcome.status == "optimal"
    return run, openpyxl.load_workbook(path)


def records(ws, header_row: int = 1) -> list[dict]:
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:] if any(
        v is not None for v in row)]


def test_example_report_sheets_in_order_and_summary_keys(example):
    _, wb = example
    names = wb.sheetnames
    assert names[0] == "Overview"
    assert [n for n in names if n in REPORT_SHEETS] == REPORT_SHEETS
    assert names.index("Inputs") < names.index("Costs") and names[-1] == "Chart data"
    summary = {r["metric"]: r for r in records(wb["Summary"])}
    for key in contract_summary_keys():
        assert key in summary, key
        assert summary[key]["value"] is not None, key
        assert summary[key]["meaning"], key
    assert "expected_shortage_t" not in summary


def test_overview_speaks_plain_words(example):
    """No symbol in any text cell (no Greek letter, no Σ), no Summary key, and the
    headline figures rounded for reading from the exact ones."""
    run, wb = example
    ws = wb["Overview"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert texts and texts[0] == run.results.title
    assert [t for t in texts if GREEK_OR_SIGMA.search(t)] == []
    keys = {k.key for k in PLAN}
    assert [t for t in texts if any(k in t for k in keys)] == []
    assert texts[1].startswith("Status: optimal plan, proven within")
    rows = {row[0].value: row[1].value for row in ws.iter_rows()
            if isinstance(row[0].value, str)}
    objective = run.results.value("objective_musd")
    assert rows["expected total cost"] == round(objective, 1)  # λ = 0: the objective
    for heading in ("What the plan costs the bloc's economy", "What each government spends",
                    "What to fund", "What to stockpile", "Where shortages remain",
                    "What binds hardest"):
        assert heading in texts, heading


def test_members_programme_spend_adds_up(example):
    """Members: each government's expected programme spend adds up to the bloc's row and
    to Summary; the bloc's worst scenario is the costliest scenario of the total, which
    is at most the sum of each member's worst."""
    run, wb = example
    members = {r["member"]: r for r in records(wb["Members"])}
    total = members.pop(ALL_MEMBERS)
    expected = "expected programme spend (MUSD)"
    worst = "worst-scenario programme spend (MUSD)"
    assert set(members) == {"USA", "MEX", "CAN"}
    assert sum(r[expected] for r in members.values()) == pytest.approx(total[expected],
                                                                      rel=1e-12)
    assert total[expected] == pytest.approx(run.results.value("expected_programme_spend_musd"),
                                            rel=1e-12)
    for column in ("first-stage cost (MUSD)", "expected scenario cost (MUSD)",
                   "expected shortage cost (MUSD)", "expected floor support paid (MUSD)"):
        assert sum(r[column] for r in members.values()) == pytest.approx(total[column],
                                                                        rel=1e-12)
    spends = [r["programme spend (MUSD)"] for r in records(wb["Scenarios"])]
    assert total[worst] == pytest.approx(max(spends), rel=1e-12)
    assert total[worst] <= sum(r[worst] for r in members.values()) + 1e-9
    assert all(r[worst] >= r[expected] - 1e-9 for r in members.values())


def tonnes_headers(ws) -> list[tuple[int, str, list[str]]]:
    """Every header cell in tonnes, with its row's other headers: (row, header, row)."""
    found = []
    for row in ws.iter_rows():
        texts = [c.value for c in row if isinstance(c.value, str)]
        for text in texts:
            if re.search(r"\(t\)|\(t,", text):
                found.append((row[0].row, text, texts))
    return found


def test_no_tonnes_added_across_commodities(example):
    """A column in tonnes sits in a table with a commodity column or names its
    commodity; no Summary key or terminal figure is in tonnes."""
    run, wb = example
    commodities = {k.id for k in run.instance.commodities}
    checked = 0
    for ws in wb.worksheets:
        for _row, header, headers in tonnes_headers(ws):
            names = set(re.findall(r"[A-Za-z_]+", header))
            assert "commodity" in headers or names & commodities, (ws.title, header)
            checked += 1
    assert checked > 20
    assert [k.key for k in PLAN if k.unit == "t"] == []
    assert [k for k in TERMINAL if k.endswith("_t")] == []


def test_explained_sheets_are_filled_by_the_extensive_form(example):
    _, wb = example
    limits = records(wb["Limits"])
    assert limits and all(r["what it means"].endswith(".") for r in limits)
    effects = [abs(r["effect of 1 % more (MUSD)"]) for r in limits]
    assert effects == sorted(effects, reverse=True)
    assert records(wb["Not funded"])[0]["least extra cost of one unit (MUSD)"] is not None
    assert {r["scenario"] for r in records(wb["Flows"])} >= {"expected", "baseline"}
    assert records(wb["Imports"])


def test_every_sheet_prints_landscape_fitted_to_the_width(example):
    _, wb = example
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
        if ws.title != "Overview":
            assert ws.print_title_rows == "$1:$1", ws.title


def test_stockpile_charts_only_for_what_is_held(example):
    """One chart per commodity some member holds, a line per member holding it."""
    _, wb = example
    held = {(r["member"], r["commodity"]) for r in records(wb["Stockpiles"])
            if r["planned level (t)"] > 1e-6}
    charts = wb["Stockpiles"]._charts
    assert len(charts) == len({k for _, k in held})
    assert sum(len(c.series) for c in charts) == len(held)


def test_case_budgets_programme_spend_by_hand(tmp_path):
    """case_budgets (one year, two equally likely scenarios): the USA budget of 8 binds
    in both (capex 5 + the 100 t floor bought at 12,000 = 1.2 + holding 0.02 + support
    on its plant's output, 890 t at 2,000 or 296.67 t at 6,000 USD/t: 8); MEX pays half
    its plant (1) and support on its output: 500 t at 2,000 (1) in `normal`, 166.67 t at
    6,000 (1) in `glut`, where the ALL row of 10 binds. Expected spend 10: USA 8, MEX 2,
    the same in the worst scenario."""
    run, path = solve_workbook(CASES / "case_budgets.xlsx", tmp_path / "r.xlsx", mip_gap=1e-7)
    assert run.results.value("expected_programme_spend_musd") == pytest.approx(10.0, abs=1e-6)
    members = {r["member"]: r for r in records(openpyxl.load_workbook(path)["Members"])}
    for member, spend in (("USA", 8.0), ("MEX", 2.0), (ALL_MEMBERS, 10.0)):
        assert members[member]["expected programme spend (MUSD)"] == pytest.approx(spend,
                                                                                  abs=1e-6)
        assert members[member]["worst-scenario programme spend (MUSD)"] == pytest.approx(
            spend, abs=1e-6)
    budgets = {(r["member"], r["year"]): r for r in run.results.table("Budgets").records()}
    assert budgets[("ALL", 2027)]["worst-case spend (MUSD)"] == pytest.approx(10.0, abs=1e-6)


def test_scenarios_give_shortage_and_releases_by_commodity():
    """case_chain: shortage by commodity in tonnes, each column named by its commodity,
    summing (with the probabilities) to the Shortfalls of that commodity."""
    run = solve_instance(read_instance(CASES / "case_chain.xlsx").instance, mip_gap=1e-7)
    scenarios = run.results.table("Scenarios")
    probability = dict(zip(scenarios.column("scenario"), scenarios.column("probability"),
                           strict=True))
    short = [c for c in scenarios.columns if c.startswith("shortage ") and c.endswith("(t)")]
    assert short
    for column in short:
        k = column[len("shortage "):-len(" (t)")]
        by_hand = sum(probability[r["scenario"]] * r["shortage (t)"]
                      for r in run.results.table("Shortfalls").records() if r["commodity"] == k)
        assert sum(p * v for p, v in zip(scenarios.column("probability"),
                                         scenarios.column(column), strict=True)) == \
            pytest.approx(by_hand, rel=1e-9)


def test_sheets_without_marginal_values_say_why():
    """An infeasible workbook's report (and a progressive-hedging one) keeps Not funded,
    Flows and Limits, each with a row that says why it is empty."""
    instance = read_instance(CASES / "case_a.xlsx").instance
    results = empty_results(instance, status="infeasible", build_seconds=0.0,
                            solve_seconds=0.0)
    wb = build_workbook(results, [("input file", "x")])
    assert wb.sheetnames[:2] == ["Overview", "Summary"]
    for name in ("Not funded", "Flows", "Limits"):
        (row,) = records(wb[name])
        assert row["note"].startswith("no plan: the workbook's requirements cannot"), name
    texts = [c.value for row in wb["Overview"].iter_rows() for c in row if c.value]
    assert "Status: no plan. The workbook's requirements cannot all be met together." in texts


def test_status_in_words():
    def status(value, gap, seconds=300.0, tables=()):
        return status_lines(Results("t", [Metric("status", value), Metric("mip_gap", gap),
                                          Metric("solve_seconds", seconds)], list(tables)))

    assert status("optimal", 2.2e-5) == ["Status: optimal plan, proven within 0.01 % of the "
                                         "best possible."]
    assert status("optimal", 0.0) == ["Status: optimal plan, proven the best possible."]
    assert status("feasible", 0.0075) == ["Status: best plan found in 300 s, when the solver "
                                          "stopped at its limit, at most 0.75 % above the "
                                          "optimum."]
    diagnosis = Table("Diagnosis", ("finding",), [("USA 2027 budget short by 2 MUSD.",)])
    assert status("infeasible", None, tables=[diagnosis])[1] == \
        "Why: USA 2027 budget short by 2 MUSD."


def test_limit_sentences_join_limits_that_differ_only_in_where():
    columns = ("limit", "member", "commodity", "applies to", "marginal value", "what it means")
    rows = [("import arc", "USA", "sb", f"from {o}, every year", -94735.0,
             f"Each extra tonne per year of USA's sb import capacity from {o} lowers the "
             "expected total cost by 94,735 USD.") for o in ("ROW", "BEL", "THA")]
    rows.append(("import arc", "USA", "sb", "from CHN, every year", -11754.0,
                 "Each extra tonne per year of USA's sb import capacity from CHN lowers the "
                 "expected total cost by 11,754 USD."))
    assert limit_sentences(Table("Limits", columns, rows)) == [
        "Each extra tonne per year of USA's sb import capacity from ROW, BEL or THA lowers "
        "the expected total cost by 94,735 USD.",
        rows[3][5],
    ]


@pytest.mark.parametrize(("unit", "value", "peak", "shown"), [
    (MUSD, 15182.658, 15182.658, "#,##0.0"),
    (MUSD, 0.218, 0.218, "#,##0.000"),
    (TONNES, 45000.0, 0.0, "#,##0"),
    (TONNES, 2.125, 0.0, "#,##0.0##"),
    (TONNES, 1e-10, 0.0, "#,##0"),
    ("share", 0.08, 0.0, "0.0%"),
])
def test_number_formats_by_unit(unit, value, peak, shown):
    assert number_format(unit, value, peak) == shown


def test_tonnes_rounded_for_reading():
    assert [round_tonnes(v) for v in (13199.0755, 160.4, 2.1347, 0.0061649)] == [
        13199.0, 160.0, 2.13, 0.00616]


def test_member_rows_leave_the_total_out():
    table = Table("Members", ("member", "x"), [("USA", 1.0), (ALL_MEMBERS, 1.0)])
    assert [r["member"] for r in member_rows(table)] == ["USA"]
