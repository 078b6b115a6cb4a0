"""Rules across cells of an input workbook (WORKBOOK.md), one ``check_*`` per rule.

Cell-level rules (types, ranges, required cells, headers) are applied while parsing
(:func:`optimizer.parse.read_tables`); the checks here need several cells or sheets. Each
adds problems to the :class:`~optimizer.tables.Tables` and never changes the data. Cells that
already failed to parse are blank here, so a bad cell is reported once.
"""

from __future__ import annotations

import difflib
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


ID_SHEETS = {"country": ("Countries", "country"), "member": ("Countries", "country"),
             "commodity": ("Commodities", "commodity"), "scenario": ("Scenarios", "scenario")}
LIST_IDS_UP_TO = 12  # below this many valid ids, a message lists them all


def _edits(a: str, b: str) -> int:
    """Optimal-string-alignment distance, case-insensitive: insertions, deletions,
    substitutions and swaps of two neighbours (``UAS`` is one edit from ``USA``)."""
    a, b = a.lower(), b.lower()
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def closest_id(value: str, candidates: set[str]) -> str | None:
    """The candidate ``value`` most likely misspells: within one edit (two for ids
    longer than five characters), else a close match by difflib's ratio."""
    candidates = {c for c in candidates if isinstance(c, str)}
    limit = 1 if len(value) <= 5 else 2
    scored = sorted((_edits(value, c), c) for c in candidates)
    if scored and scored[0][0] <= limit and (len(scored) == 1 or scored[1][0] > scored[0][0]):
        return scored[0][1]
    close = difflib.get_close_matches(value, sorted(candidates), n=1, cutoff=0.8)
    return close[0] if close else None


def _suggestion(value: str, valid: set[str]) -> str:
    """"; did you mean 'X'?" for a close id, and the valid ids when there are few."""
    close = closest_id(value, valid)
    text = f"; did you mean {close!r}?" if close else ""
    valid = {v for v in valid if isinstance(v, str)}
    if valid and len(valid) <= LIST_IDS_UP_TO:
        text += f" (valid: {', '.join(sorted(valid))})"
    return text


def check_references(tables: Tables) -> None:
    """Every reference names a country, member, commodity or scenario that exists.

    A wrong id gets "did you mean" and, when there are few, the valid ids. When several
    references name the same unknown id and a defined id close to it is named by no
    reference at all, the definition is the likelier typo: one error at the defining
    cell replaces the cascade."""
    universe = {
        "country": _ids(tables, "Countries", "country"),
        "member": _members(tables),
        "commodity": _ids(tables, "Commodities", "commodity"),
        "scenario": _ids(tables, "Scenarios", "scenario"),
    }
    countries = universe["country"]
    unknown: dict[tuple[str, str], list[tuple[Row, schema.Column]]] = defaultdict(list)
    used: dict[str, set[str]] = defaultdict(set)
    for spec in schema.TABLE_SHEETS:
        refs = [c for c in spec.columns if c.kind == "ref"]
        for row in _rows(tables, spec.name):
            for col in refs:
                value = row[col.name]
                if value is None or (col.wildcard and value == WILDCARD) or (
                        col.allow_all and value == ALL):
                    continue
                kind = "country" if col.ref == "member" else col.ref
                if value in universe[col.ref]:
                    used[kind].add(value)
                elif col.ref == "member" and value in countries:
                    tables.error(row.cell(col.name), found(
                        value, f"{col.expectation()} ({value} is not a member)"))
                else:
                    unknown[(kind, value)].append((row, col))
    for (kind, value), places in unknown.items():
        sheet, column = ID_SHEETS[kind]
        defined = universe[kind]
        root = _misspelt_definition(value, defined - used[kind], len(places))
        if root is not None:
            definition = next(r for r in _rows(tables, sheet) if r[column] == root)
            cells = ", ".join(row.cell(col.name) for row, col in places[:3])
            more = f" and {len(places) - 3} more" if len(places) > 3 else ""
            tables.error(definition.cell(column), (
                f"found {root!r}; expected {value!r}? {len(places)} cells name {value!r} "
                f"({cells}{more}) and none names {root!r}: correct the id here, or those "
                "cells"))
            continue
        for row, col in places:
            tables.error(row.cell(col.name), found(value, col.expectation())
                         + _suggestion(value, universe[col.ref]))


def _misspelt_definition(value: str, unused: set[str], references: int) -> str | None:
    """The defined but never referenced id that ``value`` most likely misspells."""
    if references < 2 or not unused:
        return None
    return closest_id(value, unused)


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


FACTOR_PLAUSIBLE = 10.0
PRICE_PLAUSIBLE = (1e-2, 1e8)  # USD/t
DEMAND_JUMP_PLAUSIBLE = 100.0


def check_plausibility(tables: Tables) -> None:
    """Warnings (not errors) for figures that are legal but most likely typing
    mistakes: a shock factor above 10 (a percentage typed as a factor), a price outside
    1e-2 to 1e8 USD/t (a unit slip), demand jumping 100-fold from one year to the next."""
    for sheet in ("Shocks", "Risks"):
        for row in _rows(tables, sheet):
            factor = row["factor"]
            if factor is not None and factor > FACTOR_PLAUSIBLE:
                tables.warn(row.cell("factor"), (
                    f"found {describe(factor)}; expected a factor such as 1.3 (+30 %): a "
                    f"factor above {FACTOR_PLAUSIBLE:g} multiplies by more than ten; was a "
                    "percentage typed?"))
    low, high = PRICE_PLAUSIBLE
    for sheet, columns in (("Commodities", ("price_usd_per_t", "floor_usd_per_t")),
                           ("Supply", ("price_usd_per_t", "floor_usd_per_t"))):
        for row in _rows(tables, sheet):
            for column in columns:
                price = row[column]
                if price is not None and price != 0 and not low <= price <= high:
                    tables.warn(row.cell(column), (
                        f"found {describe(price)}; expected a price in USD per tonne, "
                        f"between {low:g} and {high:g}: is the unit right?"))
    series = defaultdict(dict)
    for row in _rows(tables, "Demand"):
        key = (row["country"], row["commodity"])
        if None not in key and row["year"] is not None and row["demand_t"] is not None:
            series[key][row["year"]] = row
    for (country, commodity), by_year in series.items():
        for year, row in by_year.items():
            before = by_year.get(year - 1)
            if before is None:
                continue
            a, b = before["demand_t"], row["demand_t"]
            if a > 0 and b > 0 and max(a / b, b / a) >= DEMAND_JUMP_PLAUSIBLE:
                tables.warn(row.cell("demand_t"), (
                    f"found {describe(b)} t after {describe(a)} t in {year - 1}; expected "
                    f"a demand within {DEMAND_JUMP_PLAUSIBLE:g} times the year before "
                    f"({country} {commodity}): a unit or a digit slipped?"))


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
    check_plausibility,
)


def validate(tables: Tables) -> None:
    """Run every check; problems are added to ``tables.problems``."""
    for check in CHECKS:
        check(tables)
