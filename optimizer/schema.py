"""The input workbook's schema: every sheet, column and setting of WORKBOOK.md, once.

The reader (:mod:`optimizer.io`), the validator (:mod:`optimizer.validate`), the instance
builders (:mod:`optimizer.builders`), the writer (:func:`optimizer.xlsx.write_instance`),
the template and its Instructions sheet (:mod:`optimizer.template`) are all driven by
these tables, so they cannot disagree. Column names appear nowhere else in the code.

Each sheet names the data class a row becomes (``record``) and the :class:`~instance.Instance`
attribute that holds the rows (``field``); each column names the field it fills
(``field``, default: the column's own name). A blank cell takes the column's ``default``,
else the value of the column ``blank_means`` names (a blank sponsor is the location),
else the data class's own default (none, empty text, ``*``). A column with ``only_with``
is read only when that other column has a value (``input_t_per_t`` without an input is
ignored).

A column's ``kind`` says how a cell is parsed:

``id``       text identifier of the row (trimmed, case-sensitive, unique in its sheet)
``text``     free text
``number``   a finite number (or numeric text), ``|x| <= 1e12``
``integer``  a whole number
``year``     a calendar year (a whole number)
``yesno``    yes/no, y/n, true/false, 1/0
``enum``     one of ``choices`` (case-insensitive)
``ref``      an id that must exist in the sheet named by ``ref`` (``country``, ``member``,
             ``commodity``, ``scenario``); ``wildcard`` allows ``*`` (and blank = ``*``),
             ``allow_all`` allows ``ALL``
"""

from __future__ import annotations

from dataclasses import dataclass

from instance import (
    Budget,
    Commodity,
    Country,
    Demand,
    Project,
    Risk,
    Scenario,
    Shock,
    Stockpile,
    SupplyArc,
    Transfer,
)

MAX_MAGNITUDE = 1e12
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False
    default: object = None
    unit: str = ""
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None
    wildcard: bool = False
    allow_all: bool = False
    symbol: str = ""
    field: str = ""
    blank_means: str = ""
    only_with: str = ""

    @property
    def attribute(self) -> str:
        """The data-class field this column fills."""
        return self.field or self.name

    def expectation(self) -> str:
        """What a valid cell holds, in words (used in messages and Instructions)."""
        if self.kind == "yesno":
            return "yes or no"
        if self.kind == "enum":
            return " or ".join(self.choices)
        if self.kind in ("id", "text"):
            return "text" if self.kind == "text" else "an identifier (text)"
        if self.kind == "ref":
            what = {
                "country": "a country from Countries",
                "member": "a member country (Countries member = yes)",
                "commodity": "a commodity from Commodities",
                "scenario": "a scenario from Scenarios",
            }[self.ref]
            if self.wildcard:
                what += ", * or blank"
            if self.allow_all:
                what += " or ALL"
            return what
        if self.kind == "year":
            return "a calendar year"
        noun = "a whole number" if self.kind == "integer" else "a number"
        return noun + _range_words(self)


def _range_words(col: Column) -> str:
    lo, hi = col.minimum, col.maximum
    if lo is not None and hi is not None:
        left = "(" if col.exclusive_minimum else "["
        right = ")" if col.exclusive_maximum else "]"
        return f" in {left}{_fmt(lo)}, {_fmt(hi)}{right}"
    if lo is not None:
        return f" {'>' if col.exclusive_minimum else '>='} {_fmt(lo)}"
    if hi is not None:
        return f" {'<' if col.exclusive_maximum else '<='} {_fmt(hi)}"
    return ""


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    required: bool = True
    help: str = ""
    key: tuple[str, ...] = ()
    """Columns whose combination must be unique in the sheet."""
    record: type | None = None
    """The data class one row becomes."""
    field: str = ""
    """The :class:`~instance.Instance` attribute holding the rows."""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _num(name, *, required=False, default=None, unit="", help="", symbol="", **extra):
    return Column(name, "number", required, default, unit, help, symbol=symbol, **extra)


def _int(name, *, required=False, default=None, unit="", help="", symbol="", **extra):
    return Column(name, "integer", required, default, unit, help, symbol=symbol, **extra)


def _ref(name, ref, *, required=True, help="", **extra):
    return Column(name, "ref", required, help=help, ref=ref, **extra)


SETTINGS = Sheet(
    "Settings",
    (
        Column("title", "text", help="Title shown on the report (default: the file name)."),
        _int("first_year", required=True, unit="year", minimum=1900, maximum=2200,
             help="Calendar year of plan year t = 1."),
        _int("horizon_years", required=True, unit="years", minimum=1, maximum=100,
             symbol="H", help="Number of planning years H."),
        _num("discount_rate", default=0.05, unit="fraction per year", minimum=0, maximum=1,
             symbol="r", help="Discount rate r (0.05 = 5 % a year)."),
        Column("coordination", "enum", default="coordinated",
               choices=("coordinated", "independent"),
               help="coordinated: members share stock and ALL budgets; independent: each "
                    "member plans alone, no transfers."),
        _num("risk_weight", default=0.0, minimum=0, maximum=1, symbol="λ",
             help="Weight λ on CVaR of scenario cost (0 = expected cost only)."),
        _num("cvar_alpha", default=0.9, minimum=0, maximum=1, exclusive_minimum=True,
             exclusive_maximum=True, symbol="α", help="CVaR level α (0.9 = worst 10 %)."),
        _num("mip_gap", default=1e-4, minimum=0, unit="fraction",
             help="Relative MIP gap at which the solver stops."),
        _num("time_limit_s", default=600.0, minimum=0, exclusive_minimum=True, unit="s",
             help="Solver time limit in seconds."),
        Column("release_rule", "enum", default="disruption", choices=("disruption", "any"),
               help="disruption: stock may be released only in disruption years; any: "
                    "in every year."),
        Column("sampled_from", "text", help="Written by stockpile sample (informational)."),
        _int("sample_seed", help="Written by stockpile sample (informational)."),
    ),
    help="Two columns: setting, value. One row per setting.",
)

COUNTRIES = Sheet(
    "Countries",
    (
        Column("country", "id", True, field="id",
               help="Short code, e.g. USA, MEX, CHN. ALL and * are "
                                           "reserved."),
        Column("name", "text", help="Full name."),
        Column("member", "yesno", True, help="yes = member of the bloc (has demand, "
                                             "budgets, stockpiles, projects)."),
    ),
    help="Every country that appears anywhere: members and origins of supply.",
    key=("country",),
    record=Country,
    field="countries",
)

COMMODITIES = Sheet(
    "Commodities",
    (
        Column("commodity", "id", True, field="id", help="e.g. gallium_metal."),
        Column("mineral", "text", help="Grouping for reports, e.g. gallium."),
        Column("stage", "text", help="e.g. concentrate, refined, component."),
        _num("price_usd_per_t", field="price", required=True, unit="USD/t", minimum=0,
             exclusive_minimum=True, symbol="p0_k", help="Baseline market price."),
        _num("floor_usd_per_t", field="floor", unit="USD/t", minimum=0, exclusive_minimum=True,
             symbol="f_k", help="Price floor on imports from outside the bloc; blank = "
                                "none."),
        _num("shortage_cost_usd_per_t", field="shortage_cost",
             required=True, unit="USD/t", minimum=0,
             symbol="φ_k", help="Economic damage of one tonne of unmet demand."),
        _num("holding_cost_usd_per_t_yr", field="holding_cost",
             default=0.0, unit="USD/t/yr", minimum=0,
             symbol="h_k", help="Cost of holding one tonne in stock for a year."),
        Column("stockpilable", "yesno", default=True, help="Whether it may be stockpiled."),
    ),
    help="Commodities: a mineral at one stage of processing.",
    key=("commodity",),
    record=Commodity,
    field="commodities",
)

DEMAND = Sheet(
    "Demand",
    (
        _ref("country", "member", help="Member with the demand."),
        _ref("commodity", "commodity"),
        Column("year", "year", True, unit="year", field="t",
               help="Calendar year inside the horizon."),
        _num("demand_t", field="tonnes", required=True, unit="t", minimum=0, symbol="demand_ckt",
             help="Demand in the year; a missing row means zero."),
    ),
    help="Yearly demand of each member.",
    key=("country", "commodity", "year"),
    record=Demand,
    field="demand",
)

SUPPLY = Sheet(
    "Supply",
    (
        _ref("country", "member", help="Importing member."),
        _ref("commodity", "commodity"),
        _ref("origin", "country", help="Country of origin (any country)."),
        _num("max_t_per_yr", required=True, unit="t/yr", minimum=0, symbol="cap_cko",
             help="Import capacity in a normal year."),
        _num("price_usd_per_t", field="price", unit="USD/t", minimum=0, exclusive_minimum=True,
             symbol="p0_ako", help="Import price; blank = commodity price."),
        _num("floor_usd_per_t", field="floor", unit="USD/t", minimum=0, symbol="f_cko",
             help="Price floor on this arc only, whatever the origin; blank = the "
                  "commodity's floor when the origin is not a member, none otherwise; "
                  "0 = exempt."),
    ),
    help="Import arcs: which member may import what from where.",
    key=("country", "commodity", "origin"),
    record=SupplyArc,
    field="supply",
)

PROJECTS = Sheet(
    "Projects",
    (
        Column("project", "id", True, field="id", help="Project id."),
        Column("name", "text", help="Descriptive name."),
        _ref("country", "country", help="Location loc_p."),
        _ref("sponsor", "member", required=False, blank_means="country",
             help="Member that pays and receives the output; blank = country (must then "
                  "be a member)."),
        Column("stage", "text", help="mining / processing / manufacturing / recycling."),
        _ref("output_commodity", "commodity", field="output", help="Output commodity out_p."),
        _ref("input_commodity", "commodity", required=False, field="input",
             help="Input commodity in_p; must differ from the output."),
        _num("input_t_per_t", field="input_ratio", only_with="input_commodity",
             unit="t/t", minimum=0, exclusive_minimum=True, symbol="a_p",
             help="Tonnes of input per tonne of output (required with an input)."),
        _num("capacity_t_per_yr", field="capacity", required=True, unit="t/yr", minimum=0,
             exclusive_minimum=True, symbol="Q_p", help="Output capacity per unit."),
        _int("max_units", default=1, minimum=1, symbol="U_p", help="Most units that may "
                                                                   "be built."),
        _num("capex_musd", field="capex", required=True, unit="MUSD", minimum=0, symbol="C_p",
             help="Capital cost per unit."),
        _num("fixed_om_musd_per_yr", field="fixed_om",
             default=0.0, unit="MUSD/yr", minimum=0, symbol="FOM_p",
             help="Fixed O&M per producing unit."),
        _num("variable_cost_usd_per_t", field="variable_cost",
             default=0.0, unit="USD/t", minimum=0, symbol="v_p",
             help="Variable cost per tonne of output."),
        _int("lead_time_yr", field="lead_time", default=0, unit="years", minimum=0, symbol="L_p",
             help="Years from construction start to first output."),
        _int("life_yr", field="life", default=20, unit="years", minimum=1, symbol="ℓ_p",
             help="Economic life (sets the capital annuity)."),
        Column("earliest_start_year", "year", unit="year", field="earliest_start",
               help="First calendar year construction may start."),
        _num("gov_share", default=1.0, unit="fraction", minimum=0, maximum=1, symbol="g_p",
             help="Government share of capex (counts against the sponsor's budget)."),
        Column("eligible", "yesno", default=True,
               help="no = screened out, never built, listed in the report."),
        Column("note", "text", help="e.g. the screening reason."),
    ),
    help="Candidate mining, processing, manufacturing and recycling projects.",
    key=("project",),
    record=Project,
    field="projects",
)

STOCKPILES = Sheet(
    "Stockpiles",
    (
        _ref("country", "member", help="Member holding the stock."),
        _ref("commodity", "commodity", help="A stockpilable commodity."),
        _num("initial_t", field="initial", default=0.0, unit="t", minimum=0, symbol="init_ck",
             help="Stock held at the start."),
        _num("capacity_t", field="capacity",
             unit="t", minimum=0, exclusive_minimum=True, symbol="cap_ck",
             help="Storage capacity; blank = unlimited."),
        _num("min_t", unit="t", minimum=0, help="Legal floor in tonnes."),
        _num("min_days", unit="days", minimum=0, help="Legal floor in days of demand."),
        _num("max_buy_t_per_yr", field="max_buy", unit="t/yr", minimum=0, symbol="maxbuy_ck",
             help="Most tonnes bought per year."),
        _num("max_release_t_per_yr", field="max_release",
             unit="t/yr", minimum=0, symbol="maxrel_ck",
             help="Most tonnes released per year."),
        _num("facility_cost_musd", field="facility_cost",
             default=0.0, unit="MUSD", minimum=0, symbol="F_ck",
             help="One-time cost to open the facility (needs a capacity and no initial "
                  "stock)."),
    ),
    required=False,
    help="Where each member may hold stock, and its floors and limits.",
    key=("country", "commodity"),
    record=Stockpile,
    field="stockpiles",
)

TRANSFERS = Sheet(
    "Transfers",
    (
        _ref("from_country", "member", help="Sending member."),
        _ref("to_country", "member", help="Receiving member (not the sender)."),
        _ref("commodity", "commodity", wildcard=True,
             help="A commodity, or * for every commodity."),
        _num("max_t_per_yr", required=True, unit="t/yr", minimum=0, symbol="xcap",
             help="Most tonnes a year, per commodity."),
        _num("cost_usd_per_t", field="cost", default=0.0, unit="USD/t", minimum=0, symbol="xc",
             help="Transfer cost, paid by the receiver."),
    ),
    required=False,
    help="Transfer arcs between members in a disruption.",
    key=("from_country", "to_country", "commodity"),
    record=Transfer,
    field="transfers",
)

BUDGETS = Sheet(
    "Budgets",
    (
        _ref("country", "member", allow_all=True, help="Member, or ALL for the bloc."),
        Column("year", "year", True, unit="year", field="t",
               help="Calendar year inside the horizon."),
        _num("budget_musd", field="musd", required=True, unit="MUSD", minimum=0, symbol="B",
             help="Most the government spends in the year, in every scenario."),
    ),
    required=False,
    help="Yearly budgets. Years or members without a row are not capped.",
    key=("country", "year"),
    record=Budget,
    field="budgets",
)

SCENARIOS = Sheet(
    "Scenarios",
    (
        Column("scenario", "id", True, field="id", help="Scenario id."),
        _num("probability", required=True, minimum=0, maximum=1, symbol="π_s",
             help="Probabilities must sum to 1."),
        Column("description", "text", help="What happens."),
    ),
    help="Disruption scenarios and their probabilities.",
    key=("scenario",),
    record=Scenario,
    field="scenarios",
)

_SHOCK_KINDS = ("supply", "imports", "price", "demand")

SHOCKS = Sheet(
    "Shocks",
    (
        _ref("scenario", "scenario"),
        Column("kind", "enum", True, choices=_SHOCK_KINDS,
               help="supply: output of a place; imports: every import into a member; "
                    "price: market price; demand: a member's demand."),
        _ref("commodity", "commodity", required=False, wildcard=True,
             help="A commodity, * or blank = all."),
        _ref("where", "country", required=False, wildcard=True,
             help="A country (supply), the importing member (imports), a member (demand); "
                  "* or blank = everywhere (price: only * or blank)."),
        Column("start_year", "year", unit="year", field="start", help="First year; blank = open."),
        Column("end_year", "year", unit="year", field="end", help="Last year; blank = open."),
        _num("factor", required=True, minimum=0,
             help="Multiplies capacity, price or demand (< 1 cuts, > 1 raises)."),
    ),
    required=False,
    help="What changes in each scenario; factors of matching rows multiply.",
    record=Shock,
    field="shocks",
)

RISKS = Sheet(
    "Risks",
    (
        Column("risk", "id", True, help="Risk id; rows with the same id are one event."),
        _num("annual_probability", required=True, minimum=0, maximum=1,
             help="Chance the event starts in any given year."),
        _int("duration_years", default=1, unit="years", minimum=1,
             help="Years the effects last once started."),
        Column("kind", "enum", True, choices=_SHOCK_KINDS, help="As in Shocks."),
        _ref("commodity", "commodity", required=False, wildcard=True, help="As in Shocks."),
        _ref("where", "country", required=False, wildcard=True, help="As in Shocks."),
        _num("factor", required=True, minimum=0, help="As in Shocks."),
    ),
    required=False,
    help="Risk register for stockpile sample (ignored by solve).",
    record=Risk,
    field="risks",
)

SHEETS: tuple[Sheet, ...] = (
    SETTINGS,
    COUNTRIES,
    COMMODITIES,
    DEMAND,
    SUPPLY,
    PROJECTS,
    STOCKPILES,
    TRANSFERS,
    BUDGETS,
    SCENARIOS,
    SHOCKS,
    RISKS,
)
SHEET = {s.name: s for s in SHEETS}
TABLE_SHEETS = tuple(s for s in SHEETS if s is not SETTINGS)
SETTINGS_HEADER = ("setting", "value")
