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
from optimizer.xlsx import row_values

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
    # each row typed into the template's own sheets, under its headers and drop-downs
    for sheet in schema.TABLE_SHEETS:
        ws = wb[sheet.name]
        for i, record in enumerate(getattr(inst, sheet.field), start=2):
            values = row_values(sheet, record, inst.settings.calendar_year)
            for j, value in enumerate(values, start=1):
                ws.cell(row=i, column=j).value = value
    wb.save(template)
    result = runner.invoke(app, ["validate", str(template)])
    assert result.exit_code == 0, result.output
    back = read_instance(template).instance
    expected = replace(inst, settings=replace(inst.settings, title="Filled template"),
                       source_name=back.source_name, source_sha256=back.source_sha256)
    assert back == expected
