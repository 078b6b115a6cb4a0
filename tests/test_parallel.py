"""Independent solves across the cores: the same figures as one after the other, the
worker count, a task that starts another, a dropped group, and a worker's error."""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import optimizer.parallel as parallel
from optimizer.analysis import analyze_instance
from optimizer.cli import app
from optimizer.coalitions import solve_coalitions
from optimizer.io import read_instance
from optimizer.parallel import Runner, Task, worker_count
from optimizer.solve import SolveInterrupted
from optimizer.sweeps import sweep_instance

CASES = Path(__file__).parent / "data" / "cases"


def read(name: str):
    return read_instance(CASES / name).instance


@pytest.mark.parametrize("name", ["case_analysis.xlsx", "case_chain.xlsx"])
def test_parallel_analysis_gives_the_serial_figures(name):
    """WS (each scenario in a worker), the other coordination mode, EV, EEV and RP:
    the same numbers, statuses and gaps on two workers as on one."""
    instance = read(name)
    serial = analyze_instance(instance, mip_gap=1e-7, jobs=1).figures
    lines = []
    spread = analyze_instance(instance, mip_gap=1e-7, jobs=2,
                              solved=lambda label, outcome, s: lines.append(label)).figures
    assert set(serial) == set(spread)
    for key, fig in serial.items():
        assert spread[key].value == pytest.approx(fig.value, abs=1e-9), key
        assert (spread[key].status, spread[key].basis.solves) == (fig.status,
                                                                  fig.basis.solves), key
        assert spread[key].gap == pytest.approx(fig.gap, abs=1e-9), key
    assert serial["ws_musd"].basis.solves == 2  # one solve per scenario
    assert sorted(lines) == sorted([
        "expected-value problem (EV)", "stochastic problem (RP)", "independent variant",
        "EV-optimal plans in the uncertain world (EEV)",
        *(f"wait-and-see: {s.id}" for s in instance.scenarios)])


def test_parallel_sweep_and_coalitions_keep_their_order_and_values():
    instance = read("case_budgets.xlsx")
    values = [0.5, 1.0, 2.0]
    one = sweep_instance(instance, "budget_scale", values, mip_gap=1e-7, jobs=1)
    two = sweep_instance(instance, "budget_scale", values, mip_gap=1e-7, jobs=2)
    assert [r[0] for r in two.rows] == values
    for a, b in zip(one.records(), two.records(), strict=True):
        assert b["objective (MUSD)"] == pytest.approx(a["objective (MUSD)"], abs=1e-9)
        assert (b["status"], b["plan"]) == (a["status"], a["plan"])
    chain = read("case_transfers.xlsx")
    c1 = solve_coalitions(chain, chain.members, mip_gap=1e-7, jobs=1)
    c2 = solve_coalitions(chain, chain.members, mip_gap=1e-7, jobs=2)
    assert list(c1.solves) == list(c2.solves)  # smallest first, whoever finished first
    for coalition, s in c1.solves.items():
        assert c2.solves[coalition].cost == pytest.approx(s.cost, abs=1e-9)
    assert c2.grand.results.value("objective_musd") == pytest.approx(
        c1.grand.results.value("objective_musd"), abs=1e-9)


def test_jobs_1_runs_in_this_process_and_prints_a_line_per_solve(tmp_path):
    out = tmp_path / "analysis.xlsx"
    result = CliRunner().invoke(app, ["analyze", str(CASES / "case_analysis.xlsx"), "-o",
                                      str(out), "--jobs", "1", "--mip-gap", "1e-7"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.strip().endswith(
        "wait-and-see: embargo: optimal, 0.200000 MUSD, gap 0 % (0.0 s)") or
        "wait-and-see: embargo: optimal, 0.200000 MUSD" in line for line in lines)
    assert sum("wait-and-see:" in line for line in lines) == 2
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(out)["Summary"].iter_rows(
        values_only=True)}
    assert summary["ws_musd"] == pytest.approx(0.182, abs=1e-9)


def test_jobs_must_be_a_whole_number_of_at_least_one(tmp_path):
    result = CliRunner().invoke(app, ["analyze", str(CASES / "case_a.xlsx"), "-o",
                                      str(tmp_path / "a.xlsx"), "--jobs", "0"])
    assert result.exit_code != 0
    assert not (tmp_path / "a.xlsx").exists()


def test_worker_count(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 8)
    monkeypatch.setattr(parallel, "available_bytes", lambda: 64e9)
    assert worker_count(None, 50, 100_000) == 8  # every core
    assert worker_count(3, 50, 100_000) == 3  # --jobs
    assert worker_count(None, 2, 100_000) == 2  # no more than the tasks
    assert worker_count(None, 50, 100) == 1  # a tiny model: not worth a worker
    assert worker_count(4, 50, 100) == 4  # unless asked
    # 3 GB free, ~1.25 GB a solve of 100,000 columns: two workers
    monkeypatch.setattr(parallel, "available_bytes", lambda: 3e9)
    assert worker_count(None, 50, 100_000) == 2
    monkeypatch.setattr(parallel, "available_bytes", lambda: 0.1e9)
    assert worker_count(None, 50, 100_000) == 1


def square(x):
    return x * x


def fail(x):
    raise ValueError(f"no plan for {x}")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_task_starts_another_and_a_group_is_dropped(jobs):
    runner = Runner(jobs)
    tasks = [Task("first", "first", square, (3,)),
             *(Task(("g", i), f"g{i}", square, (i,), group="g") for i in range(4))]

    def react(done):
        if done.task.key == "first":
            return [Task("then", "then", square, (done.result,))]
        if done.task.group == "g":
            runner.drop("g")
        return []

    results = runner.run(tasks, react)
    assert results["first"].result == 9 and results["then"].result == 81
    started_in_group = [k for k in results if isinstance(k, tuple)]
    assert 1 <= len(started_in_group) <= jobs  # the rest were dropped


def test_a_worker_error_is_raised_here():
    with pytest.raises(ValueError, match="no plan for 2"):
        Runner(2).run([Task(1, "one", square, (1,)), Task(2, "two", fail, (2,))])


def test_an_interrupt_stops_every_worker_and_says_so():
    """Ctrl-C while workers solve: the pool is killed at once (not after the long task)
    and the caller gets the solver's interrupt, so nothing is written."""
    def interrupted(done):
        raise KeyboardInterrupt

    t0 = time.perf_counter()
    runner = Runner(2, on_done=interrupted)
    with pytest.raises(SolveInterrupted):
        runner.run([Task("long", "long", time.sleep, (60,)),
                    Task("short", "short", square, (2,))])
    assert time.perf_counter() - t0 < 30
