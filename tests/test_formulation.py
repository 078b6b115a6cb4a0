"""Rows and variables added for the solver's sake change no plan: they follow from the
plan and leave every optimum where it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.stockpile import build_model
from optimizer.io import read_instance
from optimizer.solve import solve_model

CHAIN = Path(__file__).parent / "data" / "cases" / "case_chain.xlsx"
OPTIMUM = 382.904911057  # expected.json: lead times, earliest starts, multi-unit projects


def test_units_committed_are_the_running_sum_of_units_started():
    instance = read_instance(CHAIN).instance
    m = build_model(instance)
    out = solve_model(m, mip_gap=1e-9)
    assert out.objective == pytest.approx(OPTIMUM, rel=1e-9)
    built = 0
    for (pid, t), w in m.w.items():
        running = sum(round(v.value) for (q, tau), v in m.n.items() if q == pid and tau <= t)
        assert round(w.value) == running
        built = max(built, running)
    assert built >= 2  # a project with more than one unit, so the sum is exercised

