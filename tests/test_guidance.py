"""Validation that guides: close ids suggested, one root error for an id misspelt where
it is defined, and warnings for figures that are legal but most likely typing mistakes."""

from __future__ import annotations

from workbooks import damaged, set_cell

CHAIN = "case_chain.xlsx"  # Commodities!A2 = ndpr_oxide, named on many rows


def test_misspelt_reference_suggests_the_id_and_lists_the_valid_ones(tmp_path, validate):
    v = validate(set_cell(tmp_path, CHAIN, "Demand", "B3", "ndpr_oxid"))
    assert v.error_cells() == ["Demand!B3"]
    assert v.error_at("Demand!B3") == (
        "found 'ndpr_oxid'; expected a commodity from Commodities; did you mean "
        "'ndpr_oxide'? (valid: ndpr_oxide, re_concentrate)")


def test_id_misspelt_at_its_definition_is_one_error_there(tmp_path, validate):
    """Commodities!A2 says 'ndpr_oxid' while every other sheet says 'ndpr_oxide': one
    error at the definition, not one per reference."""
    v = validate(set_cell(tmp_path, CHAIN, "Commodities", "A2", "ndpr_oxid"))
    assert v.error_cells() == ["Commodities!A2"], v.output
    message = v.error_at("Commodities!A2")
    assert message.startswith("found 'ndpr_oxid'; expected 'ndpr_oxide'? ")
    assert "cells name 'ndpr_oxide' (Demand!B2, Demand!B3, Demand!B4 and " in message


def test_unrelated_unknown_id_gets_no_suggestion(tmp_path, validate):
    v = validate(set_cell(tmp_path, CHAIN, "Demand", "B3", "copper"))
    assert v.error_at("Demand!B3") == ("found 'copper'; expected a commodity from "
                                       "Commodities (valid: ndpr_oxide, re_concentrate)")


def test_shock_factor_of_130_is_a_warning(tmp_path, validate):
    """130 where 1.3 was meant: valid, but warned about."""
    v = validate(set_cell(tmp_path, CHAIN, "Shocks", "G3", 130))
    assert v.exit_code == 0, v.output
    assert v.warning_at("Shocks!G3") == (
        "found 130; expected a factor such as 1.3 (+30 %): a factor above 10 multiplies by "
        "more than ten; was a percentage typed?")


def test_price_in_the_wrong_unit_is_a_warning(tmp_path, validate):
    v = validate(set_cell(tmp_path, CHAIN, "Commodities", "D2", 6e10))
    assert v.exit_code == 0, v.output
    assert "expected a price in USD per tonne, between 0.01 and 1e+08: is the unit right?" in (
        v.warning_at("Commodities!D2"))


def test_demand_jumping_a_hundredfold_is_a_warning(tmp_path, validate):
    v = validate(set_cell(tmp_path, CHAIN, "Demand", "D4", 120_000))
    assert v.exit_code == 0, v.output
    assert v.warning_at("Demand!D4") == (
        "found 120000 t after 1000 t in 2028; expected a demand within 100 times the year "
        "before (USA ndpr_oxide): a unit or a digit slipped?")
    # the fall back to 1,200 t in 2030 is the same slip, seen from the next year
    assert "after 120000 t in 2029" in v.warning_at("Demand!D5")


def test_member_typo_in_countries_is_one_error(tmp_path, validate):
    """A member defined as 'UAS' and named 'USA' everywhere else."""
    def edit(wb):
        wb["Countries"]["A2"] = "UAS"

    v = validate(damaged(tmp_path, CHAIN, edit))
    assert v.error_cells() == ["Countries!A2"], v.output
