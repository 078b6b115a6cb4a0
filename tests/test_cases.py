"""The reference cases: every workbook gives its known optimal objective, and the
report's Summary carries every key other people's scripts read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from optimizer.io import read_instance
from optimizer.pipeline import solve_instance, solve_workbook
from optimizer.summary import PLAN

CASES = Path(__file__).parent / "data" / "cases"
EXPECTED = json.loads((CASES / "expected.json").read_text())
REPORT_SHEETS = ["Overview", "Summary", "Investments", "Not funded", "Screened", "Stockpiles",
                 "Flows", "Limits", "Scenarios", "Shortfalls", "Budgets", "Members", "Inputs"]
"""WORKBOOK.md's report sheets, in its order."""


def contract_summary_keys() -> list[str]:
    """The Summary keys of WORKBOOK.md's table (column A, in backquotes)."""
    text = (Path(__file__).parent.parent / "docs" / "WORKBOOK.md").read_text()
    lines = text[text.index("| metric | unit | meaning |"):].splitlines()[2:]
    keys = []
    for line in lines:
        if not line.startswith("|"):
            break
        keys += re.findall(r"`([a-z_]+)`", line.split("|")[1])
    return keys


# keys of WORKBOOK.md's table that the report does not carry yet
NOT_YET_REPORTED: set[str] = set()


def test_summary_keys_hold_every_key_of_the_contract():
    keys = contract_summary_keys()
    assert "objective_musd" in keys and "solve_seconds" in keys
    assert set(keys) - {k.key for k in PLAN} == NOT_YET_REPORTED


def summary_of(path: Path) -> dict:
    ws = openpyxl.load_workbook(path, read_only=True)["Summary"]
    return {row[0]: row[1] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_case_objective_and_summary(name, tmp_path):
    want = EXPECTED[name]
    run, report = solve_workbook(CASES / name, tmp_path / "report.xlsx", mip_gap=1e-6)
    assert run.outcome.status == "optimal"
    summary = summary_of(report)
    assert list(summary)[:len(PLAN)] == [k.key for k in PLAN]  # every key, in order
    assert summary["status"] == "optimal"
    assert summary["objective_musd"] == pytest.approx(want["objective_musd"], rel=1e-4, abs=1e-6)
    for key in ("first_stage_cost_musd", "expected_scenario_cost_musd",
                "expected_programme_spend_musd", "capex_committed_musd", "units_built"):
        if key in want:
            assert summary[key] == pytest.approx(want[key], rel=1e-4, abs=1e-6), key
    assert "expected_shortage_t" not in summary  # tonnes of different commodities
    assert summary["coordination"] == want["coordination"]
    sheets = openpyxl.load_workbook(report, read_only=True).sheetnames
    assert [s for s in sheets if s in REPORT_SHEETS] == REPORT_SHEETS
    costs = run.results.table("Costs").column("MUSD (discounted, expected)")
    assert sum(costs) == pytest.approx(summary["objective_musd"], rel=1e-7, abs=1e-7)


def test_transfers_costs_by_member(tmp_path):
    """Hand figures: first stage MEX 0.05, USA 0; expected scenario cost USA 0.371,
    MEX 1.53 (the transfer cost belongs to the receiver)."""
    run, _ = solve_workbook(CASES / "case_transfers.xlsx", tmp_path / "r.xlsx", mip_gap=1e-7)
    members = {row["member"]: row for row in run.results.table("Members").records()}
    first, scenario = "first-stage cost (MUSD)", "expected scenario cost (MUSD)"
    assert members["MEX"][first] == pytest.approx(0.05, abs=1e-7)
    assert members["USA"][first] == pytest.approx(0.0, abs=1e-7)
    assert members["USA"][scenario] == pytest.approx(0.371, abs=1e-7)
    assert members["MEX"][scenario] == pytest.approx(1.53, abs=1e-7)


def test_transfers_share_stock_only_when_coordinated(tmp_path):
    """Hand figures (reference cases README): coordinated 1.951 with transfers paid;
    independent 4.12, no transfer between members."""
    instance = read_instance(CASES / "case_transfers.xlsx").instance
    for mode, objective, transfers in (("coordinated", 1.951, True),
                                       ("independent", 4.12, False)):
        run = solve_instance(instance.with_settings(coordination=mode), mip_gap=1e-7)
        assert run.outcome.objective == pytest.approx(objective, abs=1e-7), mode
        costs = dict(zip(*(run.results.table("Costs").column(c) for c in (
            "cost", "MUSD (discounted, expected)")), strict=True))
        assert (costs["transfers"] > 1e-9) is transfers, mode


def test_example_in_inputs_solves_to_optimal(tmp_path):
    """`stockpile solve` with no arguments solves this workbook."""
    from optimizer.pipeline import EXAMPLE

    run, report = solve_workbook(EXAMPLE, tmp_path / "example.xlsx")
    assert run.outcome.status == "optimal"
    assert run.outcome.objective == pytest.approx(15182.66, rel=2e-4)
    assert summary_of(report)["units_built"] >= 1
    members = run.results.table("Members").column("member")
    assert members == ["USA", "MEX", "CAN", "all members"]
    about = openpyxl.load_workbook(EXAMPLE, read_only=True)["About"]
    assert any("USGS" in str(v) for row in about.iter_rows(values_only=True) for v in row)
    assert_no_release_from_same_year_purchase(run, report)


def assert_no_release_from_same_year_purchase(run, report) -> None:
    """The report's purchases are the plan's, and with that plan fixed no scenario
    releases more in a year than the stock it held at the start of that year (so no tonne
    bought in a year is released in the same year)."""
    from models.factors import scenario_data
    from models.index import ModelIndex
    from models.stockpile import build_model, fix_first_stage
    from optimizer.solve import solve_model

    ws = openpyxl.load_workbook(report, read_only=True)["Stockpiles"]
    rows = list(ws.iter_rows(values_only=True))
    col = {name: i for i, name in enumerate(rows[0])}
    first = run.instance.settings.first_year
    bought = {(r[col["member"]], r[col["commodity"]], r[col["year"]] - first + 1):
              r[col["purchase (t)"]] for r in rows[1:]}
    assert any(v > 1e-6 for v in bought.values())
    assert bought == pytest.approx(run.plan["b"], abs=1e-6)
    m = build_model(run.instance, scenario_data(run.instance))
    fix_first_stage(m, run.plan)
    assert solve_model(m, mip_gap=1e-6).status == "optimal"
    initial = ModelIndex(run.instance).stockpiles
    released = 0.0
    for blk in m.scenario.values():
        for (c, k, t), r in blk.release.items():
            start = blk.stock[c, k, t - 1].value if t > 1 else initial[(c, k)].initial
            assert r.value <= start + 1e-6, (blk.name, c, k, t)
            released += r.value
    assert released > 1e-6
