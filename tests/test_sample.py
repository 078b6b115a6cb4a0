"""``stockpile sample``: a risk register becomes N equally likely scenarios."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.io import read_instance

CASES = Path(__file__).parent / "data" / "cases"
runner = CliRunner()


@pytest.fixture
def register(tmp_path) -> Path:
    wb = openpyxl.load_workbook(CASES / "case_chain.xlsx")
    ws = wb.create_sheet("Risks")
    ws.append(["risk", "annual_probability", "duration_years", "kind", "commodity", "where",
               "factor"])
    ws.append(["cn_ban", 0.3, 2, "supply", "ndpr_oxide", "CHN", 0])
    ws.append(["cn_ban", 0.3, 2, "price", "ndpr_oxide", "*", 1.5])
    ws.append(["boom", 0.2, 1, "demand", "*", "USA", 1.2])
    path = tmp_path / "register.xlsx"
    wb.save(path)
    return path


def sample(register: Path, out: Path, n: int, seed: int):
    return runner.invoke(app, ["sample", str(register), "--scenarios", str(n), "--seed",
                               str(seed), "-o", str(out)])


def test_sample_writes_a_valid_workbook_of_equally_likely_scenarios(register, tmp_path):
    out = tmp_path / "sampled.xlsx"
    result = sample(register, out, 40, 11)
    assert result.exit_code == 0, result.output
    inst = read_instance(out).instance
    assert len(inst.scenarios) == 40
    assert all(s.probability == pytest.approx(1 / 40) for s in inst.scenarios)
    assert inst.risks == ()
    assert inst.settings.sampled_from == "register.xlsx" and inst.settings.sample_seed == 11
    assert "Risks" not in openpyxl.load_workbook(out).sheetnames
    # each occurrence of cn_ban gives two rows lasting two years (cut at the horizon)
    bans = [s for s in inst.shocks if s.kind == "supply"]
    assert bans and all(s.end - s.start <= 1 and s.end <= 5 for s in bans)
    prices = [s for s in inst.shocks if s.kind == "price"]
    assert len(prices) == len(bans)
    # with p = 0.3 a year over 5 years, most of 40 scenarios see a ban
    assert 20 <= len({s.scenario for s in bans}) <= 40


def test_same_seed_same_sample_other_seed_other_sample(register, tmp_path):
    def shocks(path):
        ws = openpyxl.load_workbook(path)["Shocks"]
        return list(ws.iter_rows(values_only=True))

    a, b, c = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    assert sample(register, a, 25, 5).exit_code == 0
    assert sample(register, b, 25, 5).exit_code == 0
    assert sample(register, c, 25, 6).exit_code == 0
    assert shocks(a) == shocks(b)
    assert shocks(a) != shocks(c)


def test_sample_without_risks_is_refused(tmp_path):
    src = tmp_path / "a.xlsx"
    src.write_bytes((CASES / "case_a.xlsx").read_bytes())
    result = runner.invoke(app, ["sample", str(src), "-o", str(tmp_path / "o.xlsx")])
    assert result.exit_code == 1
    assert "found no Risks rows" in result.output


def test_sampled_workbook_solves(register, tmp_path):
    out = tmp_path / "sampled.xlsx"
    assert sample(register, out, 10, 2).exit_code == 0
    result = runner.invoke(app, ["solve", str(out), "-o", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
