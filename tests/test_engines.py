"""``--engine auto`` (the extensive form, or the L-shaped method, or with a risk weight
progressive hedging, when the workbook is too big for it, saying which and why) and what a
PH status means."""

from __future__ import annotations

import json
import math
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner
from workbooks import damaged

import optimizer.engines as engines
from optimizer.cli import app
from optimizer.engines import choose_engine, estimated_columns
from optimizer.io import read_instance
from optimizer.lp_bound import LpBound
from optimizer.ph.engine import best_bound
from optimizer.ph.launcher import missing_requirements
from optimizer.plan_report import plan_status as ph_status
from optimizer.solve import FEASIBLE, OPTIMAL

CASES = Path(__file__).parent / "data" / "cases"
PERF = Path(__file__).parent / "data" / "perf"
MISSING = missing_requirements()
EXPECTED = json.loads((CASES / "expected.json").read_text())


def summary_rows(path: Path) -> dict:
    ws = openpyxl.load_workbook(path, read_only=True)["Summary"]
    return {row[0]: row[1:] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]}


def test_the_size_is_estimated_before_building():
    """p_medium: 50 scenarios × 8 years × (97 arcs + 22 projects + 16 stockpiles + 72
    transfer arcs + 36 balances) = 97,200, against the 90,192 columns HiGHS receives."""
    instance = read_instance(PERF / "p_medium.xlsx").instance
    assert estimated_columns(instance) == 97_200
    assert choose_engine(instance).engine.name == "ef"


def test_auto_picks_the_extensive_form_on_a_small_case_and_says_so(tmp_path):
    out = tmp_path / "a.xlsx"
    result = CliRunner().invoke(app, ["solve", str(CASES / "case_a.xlsx"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("engine:")]
    columns = estimated_columns(read_instance(CASES / "case_a.xlsx").instance)
    assert line == (f"engine: extensive form (ef): about {columns:,} columns, within the "
                    "extensive form's limit of 300,000 on this machine (it proves "
                    "optimality)")
    value, _unit, meaning = summary_rows(out)["engine"][:3]
    assert value == "ef"
    assert meaning.endswith(f"Chosen by --engine auto: about {columns:,} columns, within "
                            "the extensive form's limit of 300,000 on this machine (it "
                            "proves optimality).")


def test_engine_ef_is_not_announced(tmp_path):
    result = CliRunner().invoke(app, ["solve", str(CASES / "case_a.xlsx"), "-o",
                                      str(tmp_path / "a.xlsx"), "--engine", "ef"])
    assert result.exit_code == 0, result.output
    assert "engine:" not in result.stdout


def with_risk_weight(tmp_path: Path) -> Path:
    """case_chain with ``risk_weight = 0.5`` (the L-shaped cuts bound the expected cost
    only, so auto gives such a workbook to PH)."""
    def edit(wb):
        wb["Settings"].append(["risk_weight", 0.5])

    return damaged(tmp_path, "case_chain.xlsx", edit, "weighted.xlsx")


def test_a_low_threshold_picks_the_l_shaped_method(monkeypatch):
    monkeypatch.setenv("STOCKPILE_EF_MAX_COLUMNS", "10")
    choice = choose_engine(read_instance(CASES / "case_chain.xlsx").instance)
    assert choice.engine.name == "benders"
    assert choice.line.startswith("engine: L-shaped method (benders): about ")
    assert choice.line.endswith("above the extensive form's limit of 10 on this machine: "
                                "the L-shaped method splits the problem by scenario and "
                                "proves its gap")


def test_auto_solves_by_the_l_shaped_method_when_the_threshold_is_low(monkeypatch, tmp_path):
    """The same optimum as the extensive form, proven within the workbook's gap."""
    monkeypatch.setenv("STOCKPILE_EF_MAX_COLUMNS", "10")
    out = tmp_path / "chain.xlsx"
    result = CliRunner().invoke(app, ["solve", str(CASES / "case_chain.xlsx"), "-o", str(out),
                                      "--time-limit", "60"])
    assert result.exit_code == 0, result.output
    assert "engine: L-shaped method (benders)" in result.stdout
    assert "whole units: master MIPs over the cuts" in result.stdout
    summary = summary_rows(out)
    assert summary["engine"][0] == "benders"
    assert summary["status"][0] == OPTIMAL
    assert summary["objective_musd"][0] == pytest.approx(
        EXPECTED["case_chain.xlsx"]["objective_musd"], rel=1e-4)
    assert summary["master_rounds"][0] >= 1
    assert summary["lp_bound_musd"][0] <= summary["best_bound_musd"][0] + 1e-9


def test_a_low_threshold_without_mpi_falls_back_to_the_extensive_form(monkeypatch, tmp_path):
    monkeypatch.setenv("STOCKPILE_EF_MAX_COLUMNS", "10")
    monkeypatch.setattr(engines, "missing_requirements",
                        lambda: "progressive hedging needs mpiexec (Open MPI); install with: "
                                "apt-get install openmpi-bin")
    choice = choose_engine(read_instance(with_risk_weight(tmp_path)).instance)
    assert choice.engine.name == "ef"
    assert choice.line.startswith("engine: extensive form (ef): about ")
    assert choice.line.endswith(
        "columns, above the extensive form's limit of 10 on this machine, with a risk "
        "weight, but progressive hedging needs mpiexec (Open MPI); install with: apt-get "
        "install openmpi-bin; the extensive form is used instead and may take long")


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_a_low_threshold_with_a_risk_weight_picks_progressive_hedging(monkeypatch, tmp_path):
    monkeypatch.setenv("STOCKPILE_EF_MAX_COLUMNS", "10")
    choice = choose_engine(read_instance(with_risk_weight(tmp_path)).instance)
    assert choice.engine.name == "ph"
    assert (choice.engine.ranks, choice.engine.bundle) == (2, 10)
    assert choice.line.startswith("engine: progressive hedging (ph, 2 ranks): about ")
    assert choice.line.endswith("above the extensive form's limit of 10 on this machine, "
                                "with a risk weight: progressive hedging splits the problem "
                                "by scenario")


@pytest.mark.ph
@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_auto_solves_by_progressive_hedging_when_the_threshold_is_low(monkeypatch, tmp_path):
    monkeypatch.setenv("STOCKPILE_EF_MAX_COLUMNS", "10")
    out = tmp_path / "chain.xlsx"
    result = CliRunner().invoke(app, ["solve", str(with_risk_weight(tmp_path)), "-o", str(out),
                                      "--bundle", "2", "--time-limit", "60"])
    assert result.exit_code == 0, result.output
    assert "engine: progressive hedging (ph, 2 ranks)" in result.stdout
    summary = summary_rows(out)
    assert summary["engine"][0] == "ph"
    assert "Chosen by --engine auto" in summary["engine"][2]
    # the workbook asks mip_gap = 1e-4: optimal only if PH proved that much
    gap = summary["mip_gap"][0]
    assert summary["status"][0] == (OPTIMAL if gap is not None and gap <= 1e-4 else FEASIBLE)


def test_the_l_shaped_engine_refuses_a_risk_weight(tmp_path):
    out = tmp_path / "w.xlsx"
    result = CliRunner().invoke(app, ["solve", str(with_risk_weight(tmp_path)), "-o", str(out),
                                      "--engine", "benders"])
    assert result.exit_code == 3, result.output
    assert "bounds the expected cost only" in result.output


def test_ph_status_means_what_the_workbook_asked():
    # a 1 % gap: PH may have stopped at its --rel-gap, but the workbook asked 1e-4
    assert ph_status(100.0, 99.0, 1e-4) == (FEASIBLE, 99.0, pytest.approx(0.01))
    assert ph_status(100.0, 99.0, 0.02) == (OPTIMAL, 99.0, pytest.approx(0.01))
    assert ph_status(100.0, 99.995, 1e-4)[0] == OPTIMAL
    # no bound: no gap, never optimal
    assert ph_status(100.0, None, 1e-4) == (FEASIBLE, None, None)
    assert ph_status(100.0, -math.inf, 1.0) == (FEASIBLE, None, None)
    # a bound above the plan's exact cost is the subproblems' tolerance: gap 0
    assert ph_status(100.0, 100.0000001, 1e-4) == (OPTIMAL, 100.0, 0.0)


def test_the_better_bound_is_reported():
    """PH's bound and the LP relaxation's both prove the optimum is at least that much:
    the higher one counts; one missing (or infinite) leaves the other; none, none."""
    lp = LpBound(99.5, 20, 1.0, True, 0)
    assert best_bound(99.0, lp) == 99.5
    assert best_bound(99.8, lp) == 99.8
    assert best_bound(None, lp) == 99.5
    assert best_bound(-math.inf, lp) == 99.5
    assert best_bound(99.0, LpBound(None, 0, 0.0, False, 0)) == 99.0
    assert best_bound(None, LpBound(None, 0, 0.0, False, 0)) is None
