"""Restricting an instance to a coalition of members (:func:`optimizer.restrict.restrict`):
what goes with the members left out, what stays."""

from __future__ import annotations

from dataclasses import replace

import pytest

from instance import (
    ALL,
    Budget,
    Country,
    Project,
    SupplyArc,
)
from optimizer.restrict import NotMembers, restrict
from tests.instances import small_case

USA, MEX, CAN = "USA", "MEX", "CAN"


def S(*ids: str) -> frozenset[str]:
    return frozenset(ids)


def test_restriction_drops_the_rows_of_members_outside():
    """``small_case`` restricted to USA: MEX becomes a non-member; its Demand, Supply
    (as importer), Budgets rows, the MEX→USA transfer and the MEX-sponsored project go;
    USA's rows, the non-member CHN and the Shocks stay as they are."""
    full = small_case()
    usa = restrict(full, [USA])
    assert usa.members == (USA,)
    assert {c.id: c.member for c in usa.countries} == {USA: True, MEX: False, "CHN": False}
    assert {d.country for d in usa.demand} == {USA}
    assert len(usa.demand) == 4
    assert [(a.country, a.origin) for a in usa.supply] == [(USA, "CHN"), (USA, "CHN")]
    assert usa.projects == ()
    assert usa.transfers == ()
    assert usa.budgets == (Budget(USA, 1, 5.0),)
    assert usa.stockpiles == full.stockpiles
    assert usa.shocks == full.shocks and usa.scenarios == full.scenarios
    assert usa.settings == full.settings and usa.commodities == full.commodities
    mex = restrict(full, [MEX])
    assert mex.stockpiles == () and [p.id for p in mex.projects] == ["mx_li"]
    assert mex.budgets == (Budget(MEX, 1, 3.0),)


def test_restriction_keeps_a_project_sponsored_inside_and_all_rows_for_the_full_bloc():
    """A project located in MEX but sponsored by USA stays with USA, now located outside
    the bloc; a USA Supply row with origin MEX stays (MEX is now an origin outside); the
    ALL row applies to the full bloc only, and never when the game has fewer members
    than the workbook."""
    base = small_case()
    inst = replace(
        base,
        countries=(*base.countries, Country(CAN, True)),
        supply=(*base.supply, SupplyArc(USA, "li", MEX, 50.0)),
        projects=(*base.projects,
                  Project("us_in_mx", MEX, USA, "li", capacity=10.0, capex=1.0)),
        budgets=(*base.budgets, Budget(ALL, 1, 7.0)),
    )
    usa = restrict(inst, [USA])
    assert [p.id for p in usa.projects] == ["us_in_mx"]
    assert usa.projects[0].country == MEX and MEX not in usa.member_set
    assert (USA, "li", MEX) in {(a.country, a.commodity, a.origin) for a in usa.supply}
    assert Budget(ALL, 1, 7.0) not in usa.budgets
    assert Budget(ALL, 1, 7.0) in restrict(inst, [USA, MEX, CAN]).budgets
    # the game played on USA and MEX only: CAN is outside, so no coalition is the full bloc
    assert Budget(ALL, 1, 7.0) not in restrict(inst, [USA, MEX]).budgets
    with pytest.raises(NotMembers, match="CHN"):
        restrict(inst, [USA, "CHN"])
    with pytest.raises(NotMembers):
        restrict(inst, [])


