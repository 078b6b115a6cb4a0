"""``stockpile template``: an empty workbook generated from the schema, which a planner
(here, a program) fills and which then validates and reads back exactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from instances import small_case
from typer.testing import CliRunner

from optimizer import schema
from optimizer.cli import app
from optimizer.io import read_instance

runner = CliRunner()


@pytest.fixture
def template(tmp_path) -> Path:
    path = tmp_path / "plan.xlsx"
    result = runner.invoke(app, ["template", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_template_has_every_sheet_header_comment_and_dropdown(template):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames[0] == "Instructions"
    for sheet in schema.TABLE_SHEETS:
        ws = wb[sheet.name]
        header = [c.value for c in ws[1]]
        assert header == [c.name for c in sheet.columns]
        assert ws.freeze_panes == "A2"
        assert all(ws.cell(row=1, column=j).comment for j in range(1, len(header) + 1))
        assert ws.max_row == 1  # data starts on row 2, empty
    projects = wb["Projects"]
    lists = {str(dv.sqref): dv.formula1 for dv in projects.data_validations.dataValidation}
    letter = {c.name: openpyxl.utils.get_column_letter(j)
              for j, c in enumerate(schema.PROJECTS.columns, start=1)}
    assert lists[f"{letter['eligible']}2:{letter['eligible']}1001"] == '"yes,no"'
    assert lists[f"{letter['country']}2:{letter['country']}1001"] == "=Countries!$A$2:$A$1001"
    assert "Unit: MUSD" in projects[f"{letter['capex_musd']}1"].comment.text
    shocks = wb["Shocks"]
    kinds = [dv.formula1 for dv in shocks.data_validations.dataValidation]
    assert '"supply,imports,price,demand"' in kinds
    settings = [wb["Settings"].cell(row=r, column=1).value for r in range(2, 14)]
    assert settings[:2] == ["title", "first_year"]
    instructions = [c.value for c in wb["Instructions"]["E"] if c.value]
    assert any("Tonnes of input per tonne of output" in str(v) for v in instructions)


def test_template_refuses_to_overwrite_without_force(template):
    before = template.read_bytes()
    result = runner.invoke(app, ["template", str(template)])
    assert result.exit_code == 1 and "--force" in result.output
    assert template.read_bytes() == before
    assert runner.invoke(app, ["template", str(template), "--force"]).exit_code == 0


def _rows(inst) -> dict[str, list[dict]]:
    """The instance as workbook rows (calendar years, blank = None)."""
    year = inst.settings.calendar_year
    return {
        "Countries": [{"country": c.id, "name": c.name, "member": "yes" if c.member else "no"}
                      for c in inst.countries],
        "Commodities": [{"commodity": k.id, "price_usd_per_t": k.price,
                         "floor_usd_per_t": k.floor, "shortage_cost_usd_per_t": k.shortage_cost,
                         "holding_cost_usd_per_t_yr": k.holding_cost,
                         "stockpilable": "yes" if k.stockpilable else "no"}
                        for k in inst.commodities],
        "Demand": [{"country": d.country, "commodity": d.commodity, "year": year(d.t),
                    "demand_t": d.tonnes} for d in inst.demand],
        "Supply": [{"country": a.country, "commodity": a.commodity, "origin": a.origin,
                    "max_t_per_yr": a.max_t_per_yr, "price_usd_per_t": a.price}
                   for a in inst.supply],
        "Projects": [{"project": p.id, "country": p.country, "sponsor": p.sponsor,
                      "output_commodity": p.output, "capacity_t_per_yr": p.capacity,
                      "max_units": p.max_units, "capex_musd": p.capex, "life_yr": p.life,
                      "variable_cost_usd_per_t": p.variable_cost} for p in inst.projects],
        "Stockpiles": [{"country": s.country, "commodity": s.commodity,
                        "capacity_t": s.capacity, "min_t": s.min_t} for s in inst.stockpiles],
        "Transfers": [{"from_country": t.from_country, "to_country": t.to_country,
                       "commodity": t.commodity, "max_t_per_yr": t.max_t_per_yr,
                       "cost_usd_per_t": t.cost} for t in inst.transfers],
        "Budgets": [{"country": b.country, "year": year(b.t), "budget_musd": b.musd}
                    for b in inst.budgets],
        "Scenarios": [{"scenario": s.id, "probability": s.probability} for s in inst.scenarios],
        "Shocks": [{"scenario": s.scenario, "kind": s.kind, "commodity": s.commodity,
                    "where": s.where, "start_year": year(s.start) if s.start else None,
                    "factor": s.factor} for s in inst.shocks],
    }


def test_filled_template_validates_and_reads_back_exactly(template):
    inst = small_case()
    wb = openpyxl.load_workbook(template)
    settings = wb["Settings"]
    values = {"title": "Filled template", "first_year": inst.settings.first_year,
              "horizon_years": inst.settings.horizon_years,
              "discount_rate": inst.settings.discount_rate}
    for r in range(2, settings.max_row + 1):
        name = settings.cell(row=r, column=1).value
        if name in values:
            settings.cell(row=r, column=2).value = values[name]
    for sheet, rows in _rows(inst).items():
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        for i, row in enumerate(rows, start=2):
            for name, value in row.items():
                ws.cell(row=i, column=header.index(name) + 1).value = value
    wb.save(template)
    result = runner.invoke(app, ["validate", str(template)])
    assert result.exit_code == 0, result.output
    back = read_instance(template).instance
    expected = replace(inst, settings=replace(inst.settings, title="Filled template"),
                       source_name=back.source_name, source_sha256=back.source_sha256)
    assert back == expected
