"""Honest analysis figures: each says how far it can be trusted (the status and gap of
the solves behind it; for VSS, EVPI and the value of coordination, whether it can be
told from 0), and a figure from a failed solve is no number."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from instances import case_a
from typer.testing import CliRunner

import optimizer.analysis as analysis_module
from optimizer.analysis import add_analysis, analyze_instance
from optimizer.cli import app
from optimizer.figures import remark
from optimizer.io import read_instance
from optimizer.solve import ERROR, FEASIBLE, INFEASIBLE
from optimizer.xlsx import save_atomically, write_instance

CASES = Path(__file__).parent / "data" / "cases"
GAP = 1e-7


def case_analysis():
    """RP 0.218, EEV 0.670977, VSS 0.452977, WS 0.182, EVPI 0.036 (expected.json)."""
    return read_instance(CASES / "case_analysis.xlsx").instance


def summary_meanings(analysis) -> dict[str, tuple[object, str]]:
    results = analysis.results
    add_analysis(results, analysis)
    return {m.key: (m.value, m.note) for m in results.summary}


def stopped_at_the_time_limit(outcome, gap):
    """What HiGHS gives when the time limit stops it with a plan ``gap`` above its bound."""
    return replace(outcome, status=FEASIBLE, termination="Time limit reached", gap=gap)


def alone_in(model) -> str | None:
    """The scenario a wait-and-see model holds (``None`` for a model of several)."""
    scenarios = list(model.scenario.keys())
    return scenarios[0] if len(scenarios) == 1 else None


def test_a_time_limited_eev_says_so_and_so_does_vss(monkeypatch):
    real = analysis_module.expected_result_of_ev_plans
    monkeypatch.setattr(analysis_module, "expected_result_of_ev_plans",
                        lambda *a, **kw: stopped_at_the_time_limit(real(*a, **kw), 0.008))
    a = analyze_instance(case_analysis(), mip_gap=GAP)
    eev, vss = a.figures["eev_musd"], a.figures["vss_musd"]
    assert (eev.status, eev.gap, eev.value) == (FEASIBLE, 0.008, pytest.approx(0.670977,
                                                                                abs=1e-6))
    assert a.figures["ws_musd"].status == "optimal"
    said = summary_meanings(a)
    assert said["eev_musd"][0] == pytest.approx(0.670977, abs=1e-6)  # still a number
    assert said["eev_musd"][1].endswith(
        "(EEV). Not proven optimal: of its 2 solves, at least one stopped at the time limit "
        "with a plan (largest gap 0.8 %).")
    # VSS = EEV − RP over 3 solves: uncertain by (0.1 % + 0.8 %) of EEV, about 0.00604
    assert vss.accuracy == pytest.approx(0.009 * 0.670977, rel=1e-3)
    assert said["vss_musd"][1].endswith(
        "Not proven optimal: of its 3 solves, at least one stopped at the time limit with a "
        "plan (largest gap 0.8 %). Accurate to about ±0.00604 MUSD.")
    sheet = {r["figure"]: r for r in a.results.table("Analysis").records()}
    assert (sheet["eev_musd"]["status"], sheet["eev_musd"]["largest gap"]) == (FEASIBLE, 0.008)
    assert "stopped at the time limit" in sheet["eev_musd"]["meaning"]
    assert sheet["ws_musd"]["status"] == "optimal"


def test_wait_and_see_carries_the_worst_of_its_solves(monkeypatch):
    """WS is a sum over scenarios: one solve stopped at the time limit with a 2 % gap
    marks WS and EVPI, even though the other WS solve is optimal."""
    real = analysis_module.solve_model

    def solve(model, **kwargs):  # the wait-and-see solves; `embargo` stops at its limit
        out = real(model, **kwargs)
        return stopped_at_the_time_limit(out, 0.02) if alone_in(model) == "embargo" else out

    monkeypatch.setattr(analysis_module, "solve_model", solve)
    a = analyze_instance(case_analysis(), mip_gap=GAP)
    ws, evpi = a.figures["ws_musd"], a.figures["evpi_musd"]
    assert (ws.status, ws.gap, ws.basis.solves) == (FEASIBLE, 0.02, 2)
    assert (evpi.status, evpi.gap, evpi.basis.solves) == (FEASIBLE, 0.02, 3)
    assert a.figures["eev_musd"].status == "optimal"
    said = summary_meanings(a)
    assert ("(wait-and-see, WS). Not proven optimal: of its 2 solves, at least one stopped "
            "at the time limit with a plan (largest gap 2 %).") in said["ws_musd"][1]


def test_a_figure_from_a_failed_solve_is_not_a_number(monkeypatch):
    real = analysis_module.solve_model

    def solve(model, **kwargs):
        out = real(model, **kwargs)
        if alone_in(model) == "embargo":  # the second wait-and-see solve: no plan in time
            return replace(out, status=ERROR, objective=None, gap=None,
                           termination="Time limit reached", no_plan_reason=(
                               "the time limit (5 s) was reached before any plan was found"))
        return out

    monkeypatch.setattr(analysis_module, "solve_model", solve)
    a = analyze_instance(case_analysis(), mip_gap=GAP)
    said = summary_meanings(a)
    for key in ("ws_musd", "evpi_musd"):
        assert a.figures[key].value is None
        assert said[key][0] == "not solved"
        assert said[key][1].endswith(
            "Not a number: a solve behind it failed (the time limit (5 s) was reached "
            "before any plan was found).")
    assert said["vss_musd"][0] == pytest.approx(0.452977, abs=1e-5)
    sheet = {r["figure"]: r for r in a.results.table("Analysis").records()}
    assert (sheet["ws_musd"]["status"], sheet["ws_musd"]["largest gap"]) == (ERROR, None)
    assert remark(a.figures["evpi_musd"]) == (
        "a solve behind it failed: the time limit (5 s) was reached before any plan was found")


def test_an_infeasible_eev_is_no_number_and_says_why(monkeypatch):
    """No EV-optimal plan survives every scenario: EEV and VSS read `infeasible`."""
    real = analysis_module.expected_result_of_ev_plans
    monkeypatch.setattr(analysis_module, "expected_result_of_ev_plans", lambda *a, **kw: replace(
        real(*a, **kw), status=INFEASIBLE, objective=None, gap=None,
        termination="Infeasible"))
    a = analyze_instance(case_analysis(), mip_gap=GAP)
    said = summary_meanings(a)
    assert said["eev_musd"][0] == said["vss_musd"][0] == "infeasible"
    assert said["vss_musd"][1].endswith(
        "(VSS). Not a number: a solve behind it has no feasible plan.")
    assert "so EEV and VSS do not exist" in said["eev_musd"][1]
    assert remark(a.figures["vss_musd"]) == (
        "no feasible plan behind it (the Analysis sheet says why)")


def test_a_really_time_limited_analysis_shows_no_numbers():
    """A time limit too short for any plan: every figure is `not solved`."""
    a = analyze_instance(case_analysis(), time_limit=1e-9)
    said = summary_meanings(a)
    assert {said[k][0] for k in a.figures} == {"not solved"}
    assert "the time limit (1e-09 s) was reached before any plan was found" in said[
        "eev_musd"][1]


def test_vss_and_evpi_below_their_accuracy_are_not_distinguishable_from_zero():
    """Case A: EEV = RP = WS = 0.2, so VSS = EVPI = 0; VSS is uncertain by 0.1 % of EEV
    (0.0002 MUSD), EVPI by the solver's tolerance. The numbers stay for scripts."""
    a = analyze_instance(case_a(), mip_gap=GAP)
    said = summary_meanings(a)
    assert said["vss_musd"][0] == pytest.approx(0.0, abs=1e-7)
    assert said["vss_musd"][1].endswith(
        "(VSS). From 3 optimal solves (largest gap 0 %). Not distinguishable from 0 at this "
        "accuracy (about ±0.000200 MUSD).")
    assert said["evpi_musd"][0] == pytest.approx(0.0, abs=1e-7)
    assert "Not distinguishable from 0 at this accuracy" in said["evpi_musd"][1]
    assert "Not distinguishable" not in said["ws_musd"][1]


def test_clear_figures_state_their_accuracy():
    a = analyze_instance(case_analysis(), mip_gap=GAP)
    said = summary_meanings(a)
    assert not a.figures["vss_musd"].indistinguishable
    assert said["vss_musd"][1].endswith("Accurate to about ±0.000671 MUSD.")
    assert said["evpi_musd"][1].endswith("Accurate to about ±0.000001 MUSD.")


def test_analysis_speaks_of_the_economy_and_the_terminal_of_the_accuracy(tmp_path):
    src = save_atomically(write_instance(case_a()), tmp_path / "case_a.xlsx")
    out = tmp_path / "analysis.xlsx"
    result = CliRunner().invoke(app, ["analyze", str(src), "-o", str(out), "--mip-gap",
                                      "1e-7"])
    assert result.exit_code == 0, result.output
    (vss,) = [line for line in result.stdout.splitlines() if "vss_musd" in line]
    assert vss.endswith(
        "not distinguishable from 0 at this accuracy (±0.000200 MUSD)")
    sheet = openpyxl.load_workbook(out)["Analysis"]
    meanings = {r[0]: r[-1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert meanings["coordinated_objective_musd"].startswith(
        "The expected total cost to the bloc's economy (imports, shortage damage and the "
        "programme)")
    assert not any("what the programme costs" in m.lower() for m in meanings.values())
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(out)["Summary"].iter_rows(
        values_only=True)}
    assert isinstance(summary["vss_musd"], float | int)  # scripts still read a number
