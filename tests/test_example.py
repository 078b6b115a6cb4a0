"""The example workbook in inputs/ is generated from the tables in inputs/example_data/:
the committed file must hold exactly what the generator writes from them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openpyxl

from optimizer.pipeline import EXAMPLE

GENERATOR = Path(__file__).resolve().parent.parent / "inputs" / "make_example.py"


def load_generator():
    spec = importlib.util.spec_from_file_location("make_example", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb}


def test_committed_example_is_what_the_tables_give(tmp_path):
    generator = load_generator()
    fresh = tmp_path / "example.xlsx"
    generator.save_deterministic(generator.build_workbook(), fresh)
    committed, generated = cells(EXAMPLE), cells(fresh)
    assert list(committed) == list(generated)
    for sheet in generated:
        assert committed[sheet] == generated[sheet], (
            f"{sheet} differs: run python inputs/make_example.py"
        )


def test_every_about_source_has_a_title_and_an_address():
    generator = load_generator()
    about = openpyxl.load_workbook(EXAMPLE, read_only=True)["About"]
    rows = list(about.iter_rows(values_only=True))
    start = rows.index(tuple(generator.ABOUT_HEADER)) + 1
    lines = [row for row in rows[start:] if row[0]]
    assert lines
    for sheet, item, _value, _unit, source, url, _note in lines:
        assert source, (sheet, item)
        if source != generator.ILLUSTRATIVE:
            assert url and url.startswith("http"), (sheet, item)
