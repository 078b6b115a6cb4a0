"""Reading workbooks into an Instance: every reference case reads clean, defaults are
applied, calendar years become plan years t = 1..H."""

from __future__ import annotations

import zipfile

import pytest
from workbooks import (
    CASES,
    all_cases,
    case_path,
    damaged,
    set_cell,
    sheet,
    small_workbook,
    stale_dimensions,
    write_workbook,
)

from instance import ALL, WILDCARD
from optimizer.io import read_instance
from optimizer.safe_open import UnreadableWorkbook

CASE_FILES = all_cases()


def test_reference_cases_are_there():
    assert len(CASE_FILES) >= 10, f"reference cases missing from {CASES}"
    assert case_path("us_mexico_demo.xlsx") in CASE_FILES


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_reference_case_validates(validate, path):
    v = validate(path)
    assert v.exit_code == 0, v.output
    assert v.errors == ()
    assert "valid (" in v.stdout


@pytest.mark.parametrize("path", [p for p in CASE_FILES if p.parent == CASES], ids=lambda p: p.name)
def test_reference_case_reads(path):
    result = read_instance(path)
    assert result.ok, [str(p) for p in result.errors]
    inst = result.instance
    assert inst.source_name == path.name
    assert len(inst.source_sha256) == 64
    horizon = inst.settings.horizon_years
    assert all(1 <= d.t <= horizon for d in inst.demand)
    assert all(1 <= b.t <= horizon for b in inst.budgets)
    assert abs(sum(s.probability for s in inst.scenarios) - 1) <= 1e-6


@pytest.fixture
def small(tmp_path):
    """The small workbook read into an Instance."""
    result = read_instance(write_workbook(tmp_path / "small.xlsx", small_workbook()))
    assert result.ok, [str(p) for p in result.errors]
    return result.instance


def test_project_defaults(small):
    refinery = next(p for p in small.projects if p.id == "refinery")
    assert refinery.max_units == 1
    assert refinery.life == 20
    assert refinery.gov_share == 1.0
    assert refinery.lead_time == 0
    assert refinery.fixed_om == 0.0
    assert refinery.variable_cost == 0.0
    assert refinery.eligible is True
    assert refinery.earliest_start is None
    assert refinery.sponsor == "USA"  # blank sponsor = the location
    assert refinery.input == "ore" and refinery.input_ratio == 3.0


def test_project_values_given(small):
    offtake = next(p for p in small.projects if p.id == "offtake")
    assert (offtake.country, offtake.sponsor) == ("CHN", "MEX")
    assert offtake.max_units == 2 and offtake.life == 10 and offtake.gov_share == 0.5
    assert offtake.lead_time == 1
    assert offtake.eligible is False and offtake.note == "screened"
    assert offtake.input is None and offtake.input_ratio == 0.0
    assert offtake not in small.eligible_projects


def test_other_defaults(small):
    s = small.settings
    assert (s.first_year, s.horizon_years, s.title) == (2030, 2, "small")
    assert s.discount_rate == 0.05
    assert s.coordination == "coordinated"
    assert s.release_rule == "disruption"
    assert (s.risk_weight, s.cvar_alpha, s.mip_gap, s.time_limit_s) == (0.0, 0.9, 1e-4, 600.0)
    gallium = next(k for k in small.commodities if k.id == "gallium")
    assert gallium.stockpilable is True and gallium.holding_cost == 0.0
    assert gallium.floor is None
    ore = next(k for k in small.commodities if k.id == "ore")
    assert ore.stockpilable is False
    (stock,) = small.stockpiles
    assert stock.facility_cost == 0.0 and stock.max_buy is None and stock.min_days is None
    (transfer,) = small.transfers
    assert transfer.cost == 0.0 and transfer.commodity == WILDCARD
    arcs = {(a.commodity, a.origin): a.price for a in small.supply}
    assert arcs[("gallium", "CHN")] is None  # blank = the commodity price


def test_blank_shock_commodity_and_where_are_wildcards(small):
    price = next(s for s in small.shocks if s.kind == "price")
    assert price.commodity == WILDCARD and price.where == WILDCARD
    assert price.start is None and price.end is None
    supply = next(s for s in small.shocks if s.kind == "supply")
    assert (supply.commodity, supply.where) == ("gallium", "CHN")


def test_calendar_years_become_plan_years(small):
    assert sorted(d.t for d in small.demand) == [1, 2]  # 2030, 2031
    assert {(b.country, b.t) for b in small.budgets} == {("USA", 1), (ALL, 2)}
    supply = next(s for s in small.shocks if s.kind == "supply")
    assert supply.start == 2  # 2031
    offtake = next(p for p in small.projects if p.id == "offtake")
    assert offtake.earliest_start == 2


def test_shock_years_may_lie_before_the_horizon(tmp_path):
    book = small_workbook()
    book["Shocks"][0].update(start_year=2028, end_year=2030)
    inst = read_instance(write_workbook(tmp_path / "s.xlsx", book)).instance
    supply = next(s for s in inst.shocks if s.kind == "supply")
    assert (supply.start, supply.end) == (-1, 1)


def test_risks_read(small):
    assert [(r.risk, r.kind, r.duration_years) for r in small.risks] == [
        ("ban", "supply", 2),
        ("ban", "price", 2),
    ]
    assert small.risks[0].annual_probability == 0.1


def test_default_title_is_the_file_name(tmp_path):
    book = small_workbook()
    del book["Settings"]["title"]
    inst = read_instance(write_workbook(tmp_path / "my plan.xlsx", book)).instance
    assert inst.settings.title == "my plan"


def test_case_defaults_and_years():
    inst = read_instance(case_path("case_budgets.xlsx")).instance
    usa_li = next(p for p in inst.projects if p.id == "usa_li")
    assert (usa_li.max_units, usa_li.gov_share, usa_li.lead_time, usa_li.life) == (1, 1.0, 0, 5)
    assert usa_li.sponsor == "USA"
    assert inst.settings.discount_rate == 0.0
    assert {(b.country, b.t, b.musd) for b in inst.budgets} == {
        ("USA", 1, 8.0),
        ("MEX", 1, 3.0),
        (ALL, 1, 10.0),
    }
    chain = read_instance(case_path("case_chain.xlsx")).instance
    assert chain.settings.discount_rate == 0.05  # not in the workbook
    sep = next(p for p in chain.projects if p.id == "sep_plant")
    assert (sep.earliest_start, sep.max_units, sep.gov_share) == (2, 3, 1.0)
    assert sorted(d.t for d in chain.demand) == [1, 2, 3, 4, 5]


def test_ids_trimmed_and_numeric_text_read(tmp_path):
    def edit(wb):
        ws = sheet(wb, "Demand")
        ws["A2"] = " USA "
        ws["D2"] = " 12.5 "

    inst = read_instance(damaged(tmp_path, "case_chain.xlsx", edit)).instance
    first = next(d for d in inst.demand if d.t == 1)
    assert (first.country, first.tonnes) == ("USA", 12.5)


def test_blank_rows_do_not_change_the_instance(tmp_path):
    def blank_rows(wb):
        for name in ("Demand", "Projects", "Scenarios"):
            ws = sheet(wb, name)
            ws.insert_rows(2, 2)
            ws["B2"] = "   "

    before = read_instance(case_path("case_chain.xlsx")).instance
    after = read_instance(damaged(tmp_path, "case_chain.xlsx", blank_rows)).instance
    assert after.demand == before.demand
    assert after.projects == before.projects
    assert after.scenarios == before.scenarios


def test_invalid_workbook_gives_errors_not_an_instance(tmp_path):
    result = read_instance(set_cell(tmp_path, "case_chain.xlsx", "Projects", "J2", 0))
    assert not result.ok and result.instance is None
    assert [p.where for p in result.errors] == ["Projects!J2"]


def test_unreadable_file_raises_one_kind(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(UnreadableWorkbook):
        read_instance(path)


@pytest.mark.parametrize("ref", ["A1", "A1:B2"])
def test_stale_sheet_size_reads_every_row(tmp_path, ref):
    path = stale_dimensions(tmp_path, "case_chain.xlsx", ref)
    assert b'<dimension ref="%s"/>' % ref.encode() in zipfile.ZipFile(path).read(
        "xl/worksheets/sheet4.xml"
    )
    result = read_instance(path)
    assert result.ok, [str(p) for p in result.errors]
    before = read_instance(case_path("case_chain.xlsx")).instance
    assert result.instance.demand == before.demand
    assert result.instance.projects == before.projects
