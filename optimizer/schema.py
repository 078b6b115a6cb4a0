"""The input workbook's schema: every sheet, column and setting of WORKBOOK.md, once.

The reader (:mod:`optimizer.io`), the validator (:mod:`optimizer.validate`), the template
and its Instructions sheet (:mod:`optimizer.template`) are all driven by these tables, so
they cannot disagree.

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

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _num(name, *, required=False, default=None, unit="", help="", symbol="", **bounds):
    return Column(
        name, "number", required, default, unit, help, symbol=symbol, **bounds
    )


def _int(name, *, required=False, default=None, unit="", help="", symbol="", **bounds):
    return Column(
        name, "integer", required, default, unit, help, symbol=symbol, **bounds
    )


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
        Column("country", "id", True, help="Short code, e.g. USA, MEX, CHN. ALL and * are "
                                           "reserved."),
        Column("name", "text", help="Full name."),
        Column("member", "yesno", True, help="yes = member of the bloc (has demand, "
                                             "budgets, stockpiles, projects)."),
    ),
    help="Every country that appears anywhere: members and origins of supply.",
    key=("country",),
)

COMMODITIES = Sheet(
    "Commodities",
    (
        Column("commodity", "id", True, help="e.g. gallium_metal."),
        Column("mineral", "text", help="Grouping for reports, e.g. gallium."),
        Column("stage", "text", help="e.g. concentrate, refined, component."),
        _num("price_usd_per_t", required=True, unit="USD/t", minimum=0,
             exclusive_minimum=True, symbol="p0_k", help="Baseline market price."),
        _num("floor_usd_per_t", unit="USD/t", minimum=0, exclusive_minimum=True,
             symbol="f_k", help="Price floor on imports from outside the bloc; blank = "
                                "none."),
        _num("shortage_cost_usd_per_t", required=True, unit="USD/t", minimum=0,
             symbol="φ_k", help="Economic damage of one tonne of unmet demand."),
        _num("holding_cost_usd_per_t_yr", default=0.0, unit="USD/t/yr", minimum=0,
             symbol="h_k", help="Cost of holding one tonne in stock for a year."),
        Column("stockpilable", "yesno", default=True, help="Whether it may be stockpiled."),
    ),
    help="Commodities: a mineral at one stage of processing.",
    key=("commodity",),
)

DEMAND = Sheet(
    "Demand",
    (
        _ref("country", "member", help="Member with the demand."),
        _ref("commodity", "commodity"),
        Column("year", "year", True, unit="year", help="Calendar year inside the horizon."),
        _num("demand_t", required=True, unit="t", minimum=0, symbol="demand_ckt",
             help="Demand in the year; a missing row means zero."),
    ),
    help="Yearly demand of each member.",
    key=("country", "commodity", "year"),
)

SUPPLY = Sheet(
    "Supply",
    (
        _ref("country", "member", help="Importing member."),
        _ref("commodity", "commodity"),
        _ref("origin", "country", help="Country of origin (any country)."),
        _num("max_t_per_yr", required=True, unit="t/yr", minimum=0, symbol="cap_cko",
             help="Import capacity in a normal year."),
        _num("price_usd_per_t", unit="USD/t", minimum=0, exclusive_minimum=True,
             symbol="p0_ako", help="Import price; blank = commodity price."),
        _num("floor_usd_per_t", unit="USD/t", minimum=0, symbol="f_cko",
             help="Price floor on this arc only, whatever the origin; blank = the "
                  "commodity's floor when the origin is not a member, none otherwise; "
                  "0 = exempt."),
    ),
    help="Import arcs: which member may import what from where.",
    key=("country", "commodity", "origin"),
)

PROJECTS = Sheet(
    "Projects",
    (
        Column("project", "id", True, help="Project id."),
        Column("name", "text", help="Descriptive name."),
        _ref("country", "country", help="Location loc_p."),
        _ref("sponsor", "member", required=False,
             help="Member that pays and receives the output; blank = country (must then "
                  "be a member)."),
        Column("stage", "text", help="mining / processing / manufacturing / recycling."),
        _ref("output_commodity", "commodity", help="Output commodity out_p."),
        _ref("input_commodity", "commodity", required=False,
             help="Input commodity in_p; must differ from the output."),
        _num("input_t_per_t", unit="t/t", minimum=0, exclusive_minimum=True, symbol="a_p",
             help="Tonnes of input per tonne of output (required with an input)."),
        _num("capacity_t_per_yr", required=True, unit="t/yr", minimum=0,
             exclusive_minimum=True, symbol="Q_p", help="Output capacity per unit."),
        _int("max_units", default=1, minimum=1, symbol="U_p", help="Most units that may "
                                                                   "be built."),
        _num("capex_musd", required=True, unit="MUSD", minimum=0, symbol="C_p",
             help="Capital cost per unit."),
        _num("fixed_om_musd_per_yr", default=0.0, unit="MUSD/yr", minimum=0, symbol="FOM_p",
             help="Fixed O&M per producing unit."),
        _num("variable_cost_usd_per_t", default=0.0, unit="USD/t", minimum=0, symbol="v_p",
             help="Variable cost per tonne of output."),
        _int("lead_time_yr", default=0, unit="years", minimum=0, symbol="L_p",
             help="Years from construction start to first output."),
        _int("life_yr", default=20, unit="years", minimum=1, symbol="ℓ_p",
             help="Economic life (sets the capital annuity)."),
        Column("earliest_start_year", "year", unit="year",
               help="First calendar year construction may start."),
        _num("gov_share", default=1.0, unit="fraction", minimum=0, maximum=1, symbol="g_p",
             help="Government share of capex (counts against the sponsor's budget)."),
        Column("eligible", "yesno", default=True,
               help="no = screened out, never built, listed in the report."),
        Column("note", "text", help="e.g. the screening reason."),
    ),
    help="Candidate mining, processing, manufacturing and recycling projects.",
    key=("project",),
)

STOCKPILES = Sheet(
    "Stockpiles",
    (
        _ref("country", "member", help="Member holding the stock."),
        _ref("commodity", "commodity", help="A stockpilable commodity."),
        _num("initial_t", default=0.0, unit="t", minimum=0, symbol="init_ck",
             help="Stock held at the start."),
        _num("capacity_t", unit="t", minimum=0, exclusive_minimum=True, symbol="cap_ck",
             help="Storage capacity; blank = unlimited."),
        _num("min_t", unit="t", minimum=0, help="Legal floor in tonnes."),
        _num("min_days", unit="days", minimum=0, help="Legal floor in days of demand."),
        _num("max_buy_t_per_yr", unit="t/yr", minimum=0, symbol="maxbuy_ck",
             help="Most tonnes bought per year."),
        _num("max_release_t_per_yr", unit="t/yr", minimum=0, symbol="maxrel_ck",
             help="Most tonnes released per year."),
        _num("facility_cost_musd", default=0.0, unit="MUSD", minimum=0, symbol="F_ck",
             help="One-time cost to open the facility (needs a capacity and no initial "
                  "stock)."),
    ),
    required=False,
    help="Where each member may hold stock, and its floors and limits.",
    key=("country", "commodity"),
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
        _num("cost_usd_per_t", default=0.0, unit="USD/t", minimum=0, symbol="xc",
             help="Transfer cost, paid by the receiver."),
    ),
    required=False,
    help="Transfer arcs between members in a disruption.",
    key=("from_country", "to_country", "commodity"),
)

BUDGETS = Sheet(
    "Budgets",
    (
        _ref("country", "member", allow_all=True, help="Member, or ALL for the bloc."),
        Column("year", "year", True, unit="year", help="Calendar year inside the horizon."),
        _num("budget_musd", required=True, unit="MUSD", minimum=0, symbol="B",
             help="Most the government spends in the year, in every scenario."),
    ),
    required=False,
    help="Yearly budgets. Years or members without a row are not capped.",
    key=("country", "year"),
)

SCENARIOS = Sheet(
    "Scenarios",
    (
        Column("scenario", "id", True, help="Scenario id."),
        _num("probability", required=True, minimum=0, maximum=1, symbol="π_s",
             help="Probabilities must sum to 1."),
        Column("description", "text", help="What happens."),
    ),
    help="Disruption scenarios and their probabilities.",
    key=("scenario",),
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
        Column("start_year", "year", unit="year", help="First year; blank = open."),
        Column("end_year", "year", unit="year", help="Last year; blank = open."),
        _num("factor", required=True, minimum=0,
             help="Multiplies capacity, price or demand (< 1 cuts, > 1 raises)."),
    ),
    required=False,
    help="What changes in each scenario; factors of matching rows multiply.",
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
