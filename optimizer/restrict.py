"""The workbook restricted to a coalition of members (MODEL.md, *Coalitions*).

A pure function on the plain data layer: it takes an :class:`~instance.Instance` and
returns another one, with no workbook edited and nothing solved. For a coalition
``S ⊆ N``:

* the members of ``N \\ S`` become non-members (their Countries row says ``member = no``);
* their Demand, Stockpiles and Budgets rows, their Supply rows as importers, every
  Transfers row that names them, and the projects they sponsor are dropped; a project
  located in one of them but sponsored by a member of ``S`` stays, now located outside
  the bloc;
* they remain origins of supply: a Supply row of a member of ``S`` with one of them as
  origin stays, and now pays the commodity floor (the arc's origin is no longer a member);
* ``ALL`` budget rows apply only to the full bloc ``S = N`` (every member of the
  workbook) and are dropped otherwise;
* everything else is unchanged: Settings, Commodities, Scenarios, and Shocks exactly as
  they are (a shock on a country outside ``S`` still marks the disruption years of its
  commodity, and an ``imports`` or ``demand`` shock on it has no balance left to act on).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from instance import ALL, Instance


class NotMembers(ValueError):
    """A coalition names ids that are not members of the workbook (or names none)."""


def restrict(instance: Instance, coalition: Iterable[str]) -> Instance:
    """The workbook restricted to ``coalition`` (a non-empty set of member ids)."""
    inside = frozenset(coalition)
    strangers = sorted(inside - instance.member_set)
    if strangers or not inside:
        raise NotMembers(
            f"a coalition is a non-empty set of members ({', '.join(instance.members)}); "
            f"found {', '.join(strangers) or 'none'}"
        )
    full_bloc = inside == instance.member_set
    return replace(
        instance,
        countries=tuple(
            replace(c, member=False) if c.member and c.id not in inside else c
            for c in instance.countries
        ),
        demand=tuple(d for d in instance.demand if d.country in inside),
        supply=tuple(a for a in instance.supply if a.country in inside),
        projects=tuple(p for p in instance.projects if p.sponsor in inside),
        stockpiles=tuple(s for s in instance.stockpiles if s.country in inside),
        transfers=tuple(
            x for x in instance.transfers if x.from_country in inside and x.to_country in inside
        ),
        budgets=tuple(
            b for b in instance.budgets
            if b.country in inside or (b.country == ALL and full_bloc)
        ),
    )
