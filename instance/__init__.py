"""The plain data layer between the workbook and the model.

An :class:`Instance` is a validated planning problem: frozen dataclasses and tuples, no
Pyomo and no openpyxl objects. This package imports nothing from the project: the reader
(:mod:`optimizer.io`) builds an instance from a workbook, the model (:mod:`models`) reads
only this, and tests build one in a few lines of Python. Data flows one way:
``optimizer`` → ``models`` → ``instance``, and ``optimizer`` → ``instance``.

Conventions (symbols of MODEL.md):

* Years are plan years ``t = 1..H``; calendar year ``first_year + t - 1``. Shock years
  may fall outside ``1..H`` (a shock that started before the plan); ``None`` is open.
* Quantities in t, prices and per-tonne costs in USD/t, money in MUSD.
* Wildcards ``*`` in Shocks (commodity, where) and Transfers (commodity) are kept as
  ``"*"`` for the model to expand.
* Optional numbers are ``None`` when the workbook leaves them blank; defaults that
  WORKBOOK.md gives are applied by the reader (:func:`optimizer.io.read_instance`),
  in one place, so every field here holds its final value.
* Every row read from a workbook carries its :class:`Source` (sheet, row, column
  letters), so a message about a row can name its cells; equality ignores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

WILDCARD = "*"
ALL = "ALL"

COORDINATED = "coordinated"
INDEPENDENT = "independent"
RELEASE_IN_DISRUPTION = "disruption"
RELEASE_ANY = "any"
SHOCK_KINDS = ("supply", "imports", "price", "demand")


@dataclass(frozen=True, eq=False)
class Source:
    """Where a row was read: its sheet (as the workbook spells it), its row number and
    the column letter of each field read (field name → letter). A row built in Python
    has none; rows that differ only in their source are equal."""

    sheet: str
    row: int
    letters: Mapping[str, str]

    def cell(self, attribute: str) -> str | None:
        """``Sheet!C5``: the cell of one field, ``None`` when the sheet has no column
        for it."""
        letter = self.letters.get(attribute)
        return None if letter is None else f"{self.sheet}!{letter}{self.row}"


def cell_of(record, attribute: str) -> str | None:
    """The workbook cell a row's field was read from (``None`` without a source)."""
    source = getattr(record, "source", None)
    return None if source is None else source.cell(attribute)


def _source():
    """The field every row carries: where it was read, ignored by equality."""
    return field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Settings:
    """Settings sheet: ``H = horizon_years``, ``r = discount_rate``, ``λ = risk_weight``,
    ``α = cvar_alpha``."""

    first_year: int
    horizon_years: int
    title: str = ""
    discount_rate: float = 0.05
    coordination: str = COORDINATED
    risk_weight: float = 0.0
    cvar_alpha: float = 0.9
    mip_gap: float = 1e-4
    time_limit_s: float = 600.0
    release_rule: str = RELEASE_IN_DISRUPTION
    sampled_from: str | None = None
    sample_seed: int | None = None

    @property
    def years(self) -> range:
        """``T = 1..H``."""
        return range(1, self.horizon_years + 1)

    def calendar_year(self, t: int) -> int:
        return self.first_year + t - 1

    def plan_year(self, calendar_year: int) -> int:
        return calendar_year - self.first_year + 1


@dataclass(frozen=True)
class Country:
    id: str
    member: bool
    name: str = ""
    source: Source | None = _source()


@dataclass(frozen=True)
class Commodity:
    """``p0_k`` = price, ``f_k`` = floor, ``φ_k`` = shortage_cost, ``h_k`` = holding_cost."""

    id: str
    price: float
    shortage_cost: float
    floor: float | None = None
    holding_cost: float = 0.0
    stockpilable: bool = True
    mineral: str = ""
    stage: str = ""
    source: Source | None = _source()


@dataclass(frozen=True)
class Demand:
    """``demand_ckt`` in t."""

    country: str
    commodity: str
    t: int
    tonnes: float
    source: Source | None = _source()


@dataclass(frozen=True)
class SupplyArc:
    """Import arc ``(c,k,o) ∈ A`` with capacity ``cap_cko``, own price ``p0_ako`` and own
    floor ``f_cko`` (``None``: the commodity's floor when ``o ∉ N``; 0 exempts the arc)."""

    country: str
    commodity: str
    origin: str
    max_t_per_yr: float
    price: float | None = None
    floor: float | None = None
    source: Source | None = _source()


@dataclass(frozen=True)
class Project:
    """Candidate project ``p``: ``loc_p`` = country, ``sp_p`` = sponsor, ``Q_p`` = capacity,
    ``U_p`` = max_units, ``C_p`` = capex, ``FOM_p`` = fixed_om, ``v_p`` = variable_cost,
    ``L_p`` = lead_time, ``ℓ_p`` = life, ``g_p`` = gov_share, ``a_p`` = input_ratio.
    ``earliest_start`` is a plan year (may be ``<= 1`` or ``> H``) or ``None``."""

    id: str
    country: str
    sponsor: str
    output: str
    capacity: float
    capex: float
    max_units: int = 1
    input: str | None = None
    input_ratio: float = 0.0
    fixed_om: float = 0.0
    variable_cost: float = 0.0
    lead_time: int = 0
    life: int = 20
    earliest_start: int | None = None
    gov_share: float = 1.0
    eligible: bool = True
    name: str = ""
    stage: str = ""
    note: str = ""
    source: Source | None = _source()


@dataclass(frozen=True)
class Stockpile:
    """Stockpile ``(c,k) ∈ SP``: ``init_ck``, ``cap_ck``, floors ``min_t``/``min_days``,
    ``maxbuy_ck``, ``maxrel_ck`` and facility cost ``F_ck``."""

    country: str
    commodity: str
    initial: float = 0.0
    capacity: float | None = None
    min_t: float | None = None
    min_days: float | None = None
    max_buy: float | None = None
    max_release: float | None = None
    facility_cost: float = 0.0
    source: Source | None = _source()


@dataclass(frozen=True)
class Transfer:
    """Transfer arc row; ``commodity`` may be ``*``. ``xcap`` = max_t_per_yr, ``xc`` = cost."""

    from_country: str
    to_country: str
    commodity: str
    max_t_per_yr: float
    cost: float = 0.0
    source: Source | None = _source()


@dataclass(frozen=True)
class Budget:
    """Budget row ``(c, t, B)``; ``country`` may be ``ALL``."""

    country: str
    t: int
    musd: float
    source: Source | None = _source()


@dataclass(frozen=True)
class Scenario:
    id: str
    probability: float
    description: str = ""
    source: Source | None = _source()


@dataclass(frozen=True)
class Shock:
    """Shock row; ``commodity``/``where`` may be ``*``; ``start``/``end`` are plan years or
    ``None`` (open)."""

    scenario: str
    kind: str
    factor: float
    commodity: str = WILDCARD
    where: str = WILDCARD
    start: int | None = None
    end: int | None = None
    source: Source | None = _source()

    def covers(self, t: int) -> bool:
        return (self.start is None or self.start <= t) and (self.end is None or t <= self.end)


@dataclass(frozen=True)
class Risk:
    """One effect of a risk-register event (Risks sheet, used by ``stockpile sample``)."""

    risk: str
    annual_probability: float
    kind: str
    factor: float
    duration_years: int = 1
    commodity: str = WILDCARD
    where: str = WILDCARD
    source: Source | None = _source()


@dataclass(frozen=True)
class Instance:
    """A validated planning problem (every sheet of WORKBOOK.md)."""

    settings: Settings
    countries: tuple[Country, ...]
    commodities: tuple[Commodity, ...]
    scenarios: tuple[Scenario, ...]
    demand: tuple[Demand, ...] = ()
    supply: tuple[SupplyArc, ...] = ()
    projects: tuple[Project, ...] = ()
    stockpiles: tuple[Stockpile, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    budgets: tuple[Budget, ...] = ()
    shocks: tuple[Shock, ...] = ()
    risks: tuple[Risk, ...] = ()
    source_name: str = ""
    source_sha256: str = ""

    # Lookups derived from the tuples above (read-only views).
    @cached_property
    def members(self) -> tuple[str, ...]:
        """``N``: the member countries, in sheet order."""
        return tuple(c.id for c in self.countries if c.member)

    @cached_property
    def member_set(self) -> frozenset[str]:
        return frozenset(self.members)

    @cached_property
    def commodity(self) -> dict[str, Commodity]:
        return {k.id: k for k in self.commodities}

    @cached_property
    def eligible_projects(self) -> tuple[Project, ...]:
        """``P``: projects with ``eligible = yes``."""
        return tuple(p for p in self.projects if p.eligible)

    @cached_property
    def screened_projects(self) -> tuple[Project, ...]:
        return tuple(p for p in self.projects if not p.eligible)

    @cached_property
    def demand_table(self) -> dict[tuple[str, str, int], float]:
        """``demand_ckt`` (absent = 0)."""
        return {(d.country, d.commodity, d.t): d.tonnes for d in self.demand}

    def with_settings(self, **changes) -> Instance:
        """A copy with some settings changed (e.g. ``coordination``, ``risk_weight``)."""
        return replace(self, settings=replace(self.settings, **changes))

    def scaled(self, *, budget: float = 1.0, floor: float = 1.0) -> Instance:
        """A copy with every budget and/or every price floor (the commodities' and the
        Supply rows' own) multiplied."""
        budgets = tuple(replace(b, musd=b.musd * budget) for b in self.budgets)
        commodities = tuple(
            replace(k, floor=None if k.floor is None else k.floor * floor)
            for k in self.commodities
        )
        supply = tuple(
            replace(a, floor=None if a.floor is None else a.floor * floor) for a in self.supply
        )
        return replace(self, budgets=budgets, commodities=commodities, supply=supply)
