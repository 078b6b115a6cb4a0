"""Rules across cells of an input workbook (WORKBOOK.md), one ``check_*`` per rule.

Cell-level rules (types, ranges, required cells, headers) are applied while parsing
(:func:`optimizer.parse.read_tables`); the checks here need several cells or sheets. Each
adds problems to the :class:`~optimizer.tables.Tables` and never changes the data. Cells that
already failed to parse are blank here, so a bad cell is reported once.
"""

from __future__ import annotations

from collections import defaultdict

from instance import ALL, WILDCARD
from optimizer import schema
from optimizer.tables import Row, Tables, describe, found

PROBABILITY_TOLERANCE = 1e-6


def _rows(tables: Tables, sheet: str) -> list[Row]:
    return tables.rows.get(sheet, [])


def _ids(tables: Tables, sheet: str, column: str) -> set[str]:
    return {r[column] for r in _rows(tables, sheet) if r[column] is not None}


def _members(tables: Tables) -> set[str]:
    """Countries not marked member = no. A blank member (a bad cell or a missing column,
    both already reported) counts as a member, so the one problem is not also reported
    on every row that names the country."""
    return {r["country"] for r in _rows(tables, "Countries") if r["member"] is not False}


def check_unique_keys(tables: Tables) -> None:
    """Ids are unique in their own sheet; so are the key columns of Demand, Supply,
    Stockpiles, Budgets (the later duplicate is named)."""
    for spec in schema.TABLE_SHEETS:
        if not spec.key or spec.name == "Transfers":
            continue
        first: dict[tuple, Row] = {}
        for row in _rows(tables, spec.name):
            key = tuple(row[c] for c in spec.key)
            if any(v is None for v in key):
                continue
            if key in first:
                shown = ", ".join(describe(v) for v in key)
                tables.error(
                    row.cell(spec.key[-1]),
                    f"found {shown} a second time; expected one row per "
                    f"({', '.join(spec.key)}) (first in row {first[key].number})",
                )
            else:
                first[key] = row


def check_reserved_country_ids(tables: Tables) -> None:
    """``ALL`` and ``*`` are reserved and cannot name a country."""
    for row in _rows(tables, "Countries"):
        if row["country"] in (ALL, WILDCARD):
            tables.error(row.cell("country"), found(row["country"], "a country code other "
                                                                    "than ALL and *"))


def check_references(tables: Tables) -> None:
    """Every reference names a country, member, commodity or scenario that exists."""
    universe = {
        "country": _ids(tables, "Countries", "country"),
        "member": _members(tables),
        "commodity": _ids(tables, "Commodities", "commodity"),
        "scenario": _ids(tables, "Scenarios", "scenario"),
    }
    countries = universe["country"]
    for spec in schema.TABLE_SHEETS:
        refs = [c for c in spec.columns if c.kind == "ref"]
        for row in _rows(tables, spec.name):
            for col in refs:
                value = row[col.name]
                if value is None:
                    continue
                if col.wildcard and value == WILDCARD:
                    continue
                if col.allow_all and value == ALL:
                    continue
                if value in universe[col.ref]:
                    continue
                expected = col.expectation()
                if col.ref == "member" and value in countries:
                    expected += f" ({value} is not a member)"
                tables.error(row.cell(col.name), found(value, expected))


def check_years_in_horizon(tables: Tables) -> None:
    """Demand and Budgets years lie inside ``first_year .. first_year + H - 1``; a
    project's earliest start after the horizon is allowed but warned about."""
    first, horizon = tables.settings.get("first_year"), tables.settings.get("horizon_years")
    if first is None or horizon is None:
        return
    last = first + horizon - 1
    for sheet in ("Demand", "Budgets"):
        for row in _rows(tables, sheet):
            year = row["year"]
            if year is not None and not first <= year <= last:
                tables.error(row.cell("year"), found(year, f"a year from {first} to {last} "
                                                           "(the planning horizon)"))
    for row in _rows(tables, "Projects"):
        year = row["earliest_start_year"]
        if year is not None and year > last:
            tables.warn(row.cell("earliest_start_year"),
                        f"found {year}; expected a year up to {last}: after the horizon "
                        f"({first}-{last}) the project can never be built")


def check_demand_series(tables: Tables) -> None:
    """Warn when a member's demand for a commodity skips years of the horizon."""
    first, horizon = tables.settings.get("first_year"), tables.settings.get("horizon_years")
    if first is None or horizon is None:
        return
    years = defaultdict(set)
    for row in _rows(tables, "Demand"):
        if row["country"] is not None and row["commodity"] is not None and row["year"]:
            years[(row["country"], row["commodity"])].add(row["year"])
    for (country, commodity), have in years.items():
        missing = sorted(set(range(first, first + horizon)) - have)
        if missing:
            shown = ", ".join(str(y) for y in missing[:6]) + (" …" if len(missing) > 6 else "")
            tables.warn("Demand", f"found no row for {country} {commodity} in {shown}; "
                                  "expected one per year (demand is taken as 0 there)")


def check_probabilities(tables: Tables) -> None:
    """At least one scenario, and probabilities sum to 1 within 1e-6."""
    if "Scenarios" not in tables.present:
        return
    rows = _rows(tables, "Scenarios")
    if not rows:
        tables.error("Scenarios", "found no scenario; expected at least one row")
        return
    if any(r["probability"] is None for r in rows):
        return
    total = sum(r["probability"] for r in rows)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE:
        where = rows[0].cell("probability").split("!")[0] + "!" + \
            rows[0].letters.get("probability", "B") + "1"
        tables.error(where, f"found probabilities summing to {total:.10g}; expected a sum "
                            "of 1 (within 1e-6)")


def check_required_rows(tables: Tables) -> None:
    """Countries and Commodities need at least one row, and one member."""
    for sheet in ("Countries", "Commodities"):
        if sheet in tables.present and not _rows(tables, sheet):
            tables.error(sheet, "found no rows; expected at least one")
    rows = _rows(tables, "Countries")
    if rows and not _members(tables):
        tables.error("Countries", "found no member; expected at least one country with "
                                  "member = yes")


def check_projects(tables: Tables) -> None:
    """Sponsor defaults to the location, which must then be a member; the input differs
    from the output and comes with ``input_t_per_t``."""
    members = _members(tables)
    countries = _ids(tables, "Countries", "country")
    for row in _rows(tables, "Projects"):
        loc = row["country"]
        if row["sponsor"] is None and loc in countries and loc not in members:
            if "sponsor" in row.letters:
                tables.error(row.cell("sponsor"),
                             found(None, f"a member country as sponsor (the location {loc} "
                                         "is not a member)"))
            else:
                tables.error(row.cell("country"),
                             found(loc, "a member country, as the sheet has no sponsor "
                                        "column (the sponsor is the location)"))
        out, inp = row["output_commodity"], row["input_commodity"]
        if inp is not None and inp == out:
            tables.error(row.cell("input_commodity"),
                         found(inp, "an input commodity different from the output"))
        if inp is not None and row["input_t_per_t"] is None and row.valid:
            if "input_t_per_t" in row.letters:
                tables.error(row.cell("input_t_per_t"),
                             found(None, "a number > 0 (tonnes of input per tonne of output)"))
            else:
                tables.error(row.cell("input_commodity"),
                             found(inp, "an input with its input_t_per_t, but the sheet has "
                                        "no input_t_per_t column"))
        if inp is None and row["input_t_per_t"] is not None:
            tables.warn(row.cell("input_t_per_t"),
                        f"found {describe(row['input_t_per_t'])} with no input_commodity; "
                        "expected it only with an input commodity (it is ignored)")


def check_stockpiles(tables: Tables) -> None:
    """Stockpiles hold stockpilable commodities; floors and initial stock fit the
    capacity; a facility cost needs a capacity and no initial stock."""
    stockpilable = {
        r["commodity"]: r["stockpilable"] is not False for r in _rows(tables, "Commodities")
    }
    demand = defaultdict(list)
    for r in _rows(tables, "Demand"):
        if r["demand_t"] is not None:
            demand[(r["country"], r["commodity"])].append(r["demand_t"])
    for row in _rows(tables, "Stockpiles"):
        k = row["commodity"]
        if k in stockpilable and not stockpilable[k]:
            tables.error(row.cell("commodity"),
                         found(k, "a stockpilable commodity (Commodities stockpilable = no)"))
        cap = row["capacity_t"]
        if cap is not None:
            if row["min_t"] is not None and row["min_t"] > cap:
                tables.error(row.cell("min_t"),
                             found(row["min_t"], f"a floor at most the capacity {describe(cap)} t"))
            if row["min_days"] is not None:
                peak = max(demand.get((row["country"], k), [0.0]))
                need = row["min_days"] / 365 * peak
                if need > cap:
                    tables.error(row.cell("min_days"),
                                 found(row["min_days"], f"days of demand that fit the capacity "
                                       f"{describe(cap)} t (peak demand {describe(peak)} t/yr "
                                       f"needs {need:,.4g} t)"))
            if row["initial_t"] is not None and row["initial_t"] > cap:
                tables.error(row.cell("initial_t"),
                             found(row["initial_t"], f"at most the capacity {describe(cap)} t"))
        fee = row["facility_cost_musd"]
        if fee is not None and fee > 0:
            if cap is None:
                tables.error(row.cell("facility_cost_musd"),
                             found(fee, "0 or blank when capacity_t is blank (a new facility "
                                        "needs a capacity)"))
            if row["initial_t"]:
                tables.error(row.cell("initial_t"),
                             found(row["initial_t"], "0 or blank with a facility cost (a "
                                   "facility that holds stock already exists)"))


def check_transfers(tables: Tables) -> None:
    """Transfers run between two different members; no two rows cover the same
    (from, to, commodity), a ``*`` row included."""
    commodities = sorted(_ids(tables, "Commodities", "commodity"))
    covered: dict[tuple[str, str, str], Row] = {}
    for row in _rows(tables, "Transfers"):
        a, b, k = row["from_country"], row["to_country"], row["commodity"] or WILDCARD
        if a is not None and a == b:
            tables.error(row.cell("to_country"), found(b, "a member other than from_country"))
            continue
        if a is None or b is None:
            continue
        clash = None
        for kk in commodities if k == WILDCARD else [k]:
            if (a, b, kk) in covered:
                clash = covered[(a, b, kk)]
                break
        if clash is not None:
            tables.error(row.cell("commodity"),
                         found(k, f"a commodity not already covered from {a} to {b} (row "
                                  f"{clash.number})"))
            continue
        for kk in commodities if k == WILDCARD else [k]:
            covered[(a, b, kk)] = row


def check_shocks(tables: Tables) -> None:
    """``where`` fits the kind (a member for imports and demand, only ``*`` for price);
    ``start_year <= end_year``."""
    members = _members(tables)
    for sheet in ("Shocks", "Risks"):
        for row in _rows(tables, sheet):
            kind, where = row["kind"], row["where"]
            if kind == "price" and where not in (None, WILDCARD):
                tables.error(row.cell("where"), found(where, "* or blank for a price shock"))
            elif kind in ("imports", "demand") and where not in (None, WILDCARD):
                if where not in members and where in _ids(tables, "Countries", "country"):
                    tables.error(row.cell("where"),
                                 found(where, f"a member for an {kind} shock"
                                       if kind == "imports" else f"a member for a {kind} shock"))
            if sheet == "Shocks":
                start, end = row["start_year"], row["end_year"]
                if start is not None and end is not None and start > end:
                    tables.error(row.cell("end_year"),
                                 found(end, f"a year at or after start_year {start}"))


def check_risks(tables: Tables) -> None:
    """Rows of one risk share its annual probability and duration."""
    first: dict[str, Row] = {}
    for row in _rows(tables, "Risks"):
        risk = row["risk"]
        if risk is None:
            continue
        if risk not in first:
            first[risk] = row
            continue
        ref = first[risk]
        for col in ("annual_probability", "duration_years"):
            if row[col] is not None and ref[col] is not None and row[col] != ref[col]:
                tables.error(row.cell(col),
                             found(row[col], f"{describe(ref[col])}, as on the risk's first "
                                             f"row {ref.number}"))


CHECKS = (
    check_required_rows,
    check_reserved_country_ids,
    check_unique_keys,
    check_references,
    check_years_in_horizon,
    check_demand_series,
    check_probabilities,
    check_projects,
    check_stockpiles,
    check_transfers,
    check_shocks,
    check_risks,
)


def validate(tables: Tables) -> None:
    """Run every check; problems are added to ``tables.problems``."""
    for check in CHECKS:
        check(tables)
