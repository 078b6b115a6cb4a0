"""Property-based fuzzing of the reader: any damaged workbook gives a clean report of
problems naming cells, or a valid instance that solves. Never a traceback, never a hang.

The default run is a few hundred examples; set ``STOCKPILE_FUZZ_EXAMPLES=5000`` for the
long profile.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.io import read_instance
from optimizer.pipeline import solve_instance
from optimizer.safe_open import UnreadableWorkbook

CASES = Path(__file__).parent / "data" / "cases"
SOURCES = ["case_transfers.xlsx", "case_budgets.xlsx", "case_chain.xlsx"]
EXAMPLES = int(os.environ.get("STOCKPILE_FUZZ_EXAMPLES", "150"))
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1,
               max_size=12)
CELL = re.compile(r"^('?[^!']+'?)(!([A-Z]{1,3}\d+|\d+))?$")

VALUES = st.one_of(
    st.none(),
    st.just("   "),
    st.sampled_from(["abc", "nan", "NaN", "inf", "-inf", "1e400", "lots", "yes", "no", "*",
                     "ALL", "=1/0", "=A1+1", "+cmd", "@x", "-", "12,5", " 12.5 ", "0x10"]),
    TEXT,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, 1e-300, -1.0, 0.0, 1e12, 1e13, 0.5, 2027, 2030, 1e-9]),
    st.booleans(),
    st.just(dt.datetime(2027, 1, 1)),
)


def load(name: str):
    return openpyxl.load_workbook(CASES / name)


@st.composite
def damaged_workbook(draw):
    wb = load(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        ws = wb[draw(st.sampled_from(wb.sheetnames))]
        kind = draw(st.sampled_from(["cell", "cell", "cell", "header", "duplicate", "delete",
                                     "sheet", "blank_row", "wide"]))
        rows = max(ws.max_row, 1)
        cols = max(ws.max_column, 1)
        if kind == "cell":
            r = draw(st.integers(min_value=1, max_value=rows + 1))
            c = draw(st.integers(min_value=1, max_value=cols + 1))
            # a text starting with "=" becomes a formula with no saved value
            ws.cell(row=r, column=c).value = draw(VALUES)
        elif kind == "header":
            c = draw(st.integers(min_value=1, max_value=cols))
            ws.cell(row=1, column=c).value = draw(st.sampled_from(
                ["", "Country ", "COMMODITY", "foo", "factor", "probability", None, "max_t"]))
        elif kind == "duplicate" and rows >= 2:
            r = draw(st.integers(min_value=2, max_value=rows))
            ws.append([cell.value for cell in ws[r]])
        elif kind == "delete" and rows >= 2:
            ws.delete_rows(draw(st.integers(min_value=1, max_value=rows)))
        elif kind == "sheet" and len(wb.sheetnames) > 1:
            del wb[ws.title]
        elif kind == "blank_row":
            ws.insert_rows(draw(st.integers(min_value=2, max_value=rows + 1)))
        elif kind == "wide":
            ws.cell(row=1, column=cols + 3).value = draw(TEXT)
    return wb


def _is_clean(problem) -> bool:
    """Names a sheet (and a cell where one is at fault) and says what was expected."""
    text = str(problem)
    return bool(CELL.match(problem.where)) and "expected" in text


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(wb=damaged_workbook())
def test_damaged_workbook_gives_clean_problems_or_solves(wb, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "damaged.xlsx"
    wb.save(path)
    try:
        result = read_instance(path)
    except UnreadableWorkbook as exc:  # a clear one-line refusal is a clean outcome
        assert "\n" not in str(exc)
        return
    for problem in result.errors + result.warnings:
        assert _is_clean(problem), str(problem)
    if result.ok:
        # every cost is bounded below and the cases are tiny: a plan or a proof that none
        # exists, never an error
        run = solve_instance(result.instance, time_limit=20, mip_gap=1e-4)
        assert run.outcome.status in ("optimal", "feasible", "infeasible"), run.outcome
        if run.outcome.has_plan and result.instance.settings.risk_weight == 0:
            costs = run.results.table("Costs").column("MUSD (discounted, expected)")
            assert sum(costs) == pytest.approx(run.outcome.objective, rel=1e-6, abs=1e-6)
    else:
        assert result.errors and result.instance is None


@settings(max_examples=max(20, EXAMPLES // 5), deadline=None, derandomize=True)
@given(data=st.binary(min_size=0, max_size=2000), keep=st.integers(min_value=0, max_value=9000))
def test_random_and_truncated_bytes_are_refused_cleanly(data, keep, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bytes")
    real = (CASES / "case_a.xlsx").read_bytes()
    for name, content in (("random.xlsx", data), ("truncated.xlsx", real[:keep] + data[:50])):
        path = folder / name
        path.write_bytes(content)
        try:
            result = read_instance(path)
        except UnreadableWorkbook as exc:
            assert "\n" not in str(exc)
            continue
        assert result.ok or result.errors
