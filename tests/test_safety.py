"""Nothing a planner wrote is lost: inputs untouched, reports written whole or not at all,
text never turned into formulas, the same input giving the same plan, and clear ends at
solver limits and on Ctrl-C."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from optimizer import report as report_module
from optimizer.cli import app
from optimizer.pipeline import solve_workbook
from optimizer.results import Metric, Results, Table

CASES = Path(__file__).parent / "data" / "cases"
PERF = Path(__file__).parent / "data" / "perf"
STOCKPILE = Path(sys.executable).parent / "stockpile"
runner = CliRunner()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_case(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    dst.write_bytes((CASES / name).read_bytes())
    return dst


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "{input}"],
        ["solve", "{input}", "-o", "{out}"],
        ["analyze", "{input}", "-o", "{out}"],
        ["sweep", "{input}", "--risk-weight", "0,0.5", "-o", "{out}"],
        ["solve", "{input}", "-o", "{input}"],
        ["template", "{input}"],
    ],
)
def test_input_is_never_modified(tmp_path, args):
    src = copy_case(tmp_path, "case_transfers.xlsx")
    before = sha(src)
    argv = [a.format(input=src, out=tmp_path / "out.xlsx") for a in args]
    result = runner.invoke(app, argv)
    assert sha(src) == before
    refused = argv[0] == "template" or (argv[0] != "validate" and argv[-1] == str(src))
    if refused:
        assert result.exit_code == 1  # refused: the file exists / is the input
    else:
        assert result.exit_code == 0, result.output


def test_report_path_may_not_be_the_input(tmp_path):
    src = copy_case(tmp_path, "case_a.xlsx")
    result = runner.invoke(app, ["solve", str(src), "-o", str(src)])
    assert result.exit_code == 1
    assert "is the input file" in result.output


def test_formula_like_project_name_is_written_as_text(tmp_path):
    src = tmp_path / "inject.xlsx"
    wb = openpyxl.load_workbook(CASES / "case_b_project.xlsx")
    ws = wb["Projects"]
    header = [c.value for c in ws[1]]
    evil = '=HYPERLINK("http://example.invalid","click")'
    cell = ws.cell(row=2, column=header.index("name") + 1)
    cell.value = evil
    cell.data_type = "s"  # typed as text in Excel, as a planner pasting it would
    ws.cell(row=2, column=header.index("note") + 1).value = "+cmd|' /C calc'!A0"
    wb.save(src)
    out = tmp_path / "report.xlsx"
    run, _ = solve_workbook(src, out)
    assert run.results.table("Investments").column("project")  # the project is built
    report = openpyxl.load_workbook(out)
    names = [c for c in report["Investments"]["B"] if c.value == evil]
    assert names and all(c.data_type == "s" for c in names)
    with zipfile.ZipFile(out) as z:
        for member in z.namelist():
            if member.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(member), member


def test_interrupted_write_leaves_previous_report_intact(tmp_path, monkeypatch):
    out = tmp_path / "report.xlsx"
    results = Results("t", [Metric("status", "optimal")], [Table("T", ("a",), [(1,)])])
    report_module.write_report(out, results, [("input file", "x")])
    before = sha(out)

    def broken_save(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a report")
        raise KeyboardInterrupt

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        report_module.write_report(out, results, [("input file", "y")])
    assert sha(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_same_input_gives_same_plan_and_report(tmp_path):
    src = copy_case(tmp_path, "case_chain.xlsx")
    first, a = solve_workbook(src, tmp_path / "a.xlsx", mip_gap=1e-6)
    second, b = solve_workbook(src, tmp_path / "b.xlsx", mip_gap=1e-6)
    assert first.plan == second.plan

    def content(path):
        wb = openpyxl.load_workbook(path)
        skip = {"build_seconds", "solve_seconds", "written"}
        return {
            ws.title: [row for row in ws.iter_rows(values_only=True) if row[0] not in skip]
            for ws in wb.worksheets
        }

    assert content(a) == content(b)


def _generated(tmp_path: Path) -> Path:
    """A large case: the medium performance workbook."""
    src = tmp_path / "p_medium.xlsx"
    src.write_bytes((PERF / "p_medium.xlsx").read_bytes())
    return src


@pytest.mark.slow
def test_time_limit_gives_a_plan_or_a_clear_no_plan_message(tmp_path):
    src = _generated(tmp_path)
    out = tmp_path / "r.xlsx"
    proc = subprocess.run(
        [str(STOCKPILE), "solve", str(src), "-o", str(out), "--time-limit", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text
    if proc.returncode == 0:
        summary = {
            r[0]: r[1] for r in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True)
        }
        assert summary["status"] == "feasible"
        assert summary["mip_gap"] is not None and summary["best_bound_musd"] is not None
        assert "warning" in text
    else:
        assert proc.returncode == 3, text
        assert "time limit" in text and "no plan" in text
        assert not out.exists()


@pytest.mark.slow
def test_ctrl_c_stops_the_solver_and_writes_nothing(tmp_path):
    src = _generated(tmp_path)
    out = tmp_path / "r.xlsx"
    proc = subprocess.Popen(
        [str(STOCKPILE), "solve", str(src), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    # wait until the solver runs (the build phase has printed), then press Ctrl-C
    line = ""
    while time.time() < deadline and "build" not in line:
        line = proc.stdout.readline()
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".part"]
    assert os.path.exists(src)


def _zip_with_sheet(path: Path, sheet_xml_chunks, declared_rows: int = 0) -> None:
    """An .xlsx whose first sheet's XML is streamed from ``sheet_xml_chunks``."""
    src = CASES / "case_a.xlsx"
    with zipfile.ZipFile(src) as z_in, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in z_in.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with z.open(item.filename, "w", force_zip64=True) as fh:
                    for chunk in sheet_xml_chunks():
                        fh.write(chunk)
            else:
                z.writestr(item, z_in.read(item.filename))


def test_zip_bomb_is_refused_quickly_in_little_memory(tmp_path):
    import tracemalloc

    bomb = tmp_path / "bomb.xlsx"
    block = b"\0" * (1 << 20)

    def chunks():  # 1 GiB of zeros compresses to about 1 MiB
        for _ in range(1024):
            yield block

    _zip_with_sheet(bomb, chunks)
    assert bomb.stat().st_size < 5 * 2**20
    tracemalloc.start()
    t0 = time.perf_counter()
    result = runner.invoke(app, ["validate", str(bomb)])
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.exit_code == 1
    assert "expands to 1024 MiB; the limit is 100 MiB" in result.output
    assert seconds < 5 and peak < 50 * 2**20


def test_million_row_sheet_is_refused_quickly(tmp_path):
    big = tmp_path / "rows.xlsx"
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
            b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')

    def chunks():
        yield head
        for start in range(1, 1_000_001, 10_000):
            yield b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i)
                           for i in range(start, start + 10_000))
        yield b"</sheetData></worksheet>"

    _zip_with_sheet(big, chunks)
    t0 = time.perf_counter()
    result = runner.invoke(app, ["validate", str(big)])
    assert result.exit_code == 1
    assert "more than 200,000 rows" in result.output
    assert time.perf_counter() - t0 < 10


def test_macro_workbook_is_read_as_data_only(tmp_path):
    xlsm = tmp_path / "plan.xlsm"
    with zipfile.ZipFile(CASES / "case_a.xlsx") as z_in, zipfile.ZipFile(xlsm, "w") as z:
        for item in z_in.infolist():
            z.writestr(item, z_in.read(item.filename))
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not run, never read")
    result = runner.invoke(app, ["validate", str(xlsm)])
    assert result.exit_code == 0, result.output


def test_wide_span_of_quantities_is_warned_about_not_refused():
    """Tonnes of gallium next to millions of tonnes of graphite: a warning naming the
    columns at both ends, and the plan is still solved."""
    from dataclasses import replace

    from instances import case_a

    from instance import Commodity, Demand, SupplyArc
    from optimizer.pipeline import solve_instance

    inst = case_a()
    inst = replace(
        inst,
        commodities=inst.commodities + (Commodity("graphite", 700.0, 2100.0),),
        demand=(Demand("USA", "ga", 1, 0.0004), Demand("USA", "graphite", 1, 5e6)),
        supply=inst.supply + (SupplyArc("USA", "graphite", "CHN", 6e6),),
    )
    run = solve_instance(inst, mip_gap=1e-6)
    assert run.outcome.status == "optimal"
    text = " ".join(run.outcome.warnings)
    assert "quantities span" in text and "graphite" in text and "ga" in text


def test_wide_span_within_a_budget_row_is_warned_about():
    """A holding cost of 0.0001 USD/t/yr (1e-10 MUSD) beside 10 MUSD of capex in one
    budget row spans 1e11."""
    from dataclasses import replace

    from instances import case_b

    from instance import Budget, Stockpile
    from optimizer.pipeline import solve_instance

    inst = case_b(with_project=True)
    inst = replace(
        inst,
        commodities=(replace(inst.commodities[0], holding_cost=0.0001),),
        projects=(replace(inst.projects[0], capex=10.0),),
        stockpiles=(Stockpile("USA", "ga"),),
        budgets=(Budget("USA", 1, 100.0),),
    )
    run = solve_instance(inst, mip_gap=1e-6)
    assert run.outcome.status == "optimal"
    text = " ".join(run.outcome.warnings)
    assert "within one row span 1.0e+11" in text and "stock" in text and " n" in text


def test_wrong_option_is_invalid_input_exit_1_without_traceback():
    """Exit 2 means infeasible (WORKBOOK.md), so a wrong option exits 1."""
    proc = subprocess.run([str(STOCKPILE), "solve", "--mip-gap", "-1"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    assert "--mip-gap" in proc.stderr and "Traceback" not in proc.stderr
