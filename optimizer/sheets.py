"""The plain figures every report is made of (no Pyomo, no openpyxl): a :class:`Table` per
sheet, the Summary's :class:`Metric` rows, :class:`Results` holding both, and the plan and
its scenarios summarised in plain numbers (:class:`FirstStage`, :class:`ScenarioSummary`),
from which :mod:`optimizer.plan_tables` builds the tables and :mod:`optimizer.report`
writes them."""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.summary import KEYS, Key

MUSD, TONNES, SHARE, FIGURE = "MUSD", "t", "share", "figure"
"""Unit formats a table may give a column (FIGURE: a column of mixed units, each figure
shown by its size): the report writer turns each into a number format that suits the
figures (:func:`optimizer.report.number_format`). Any other format is an Excel number
format, used as it is."""


@dataclass(frozen=True)
class Table:
    """A sheet of the report: a header row and plain rows. ``formats`` maps a column to
    a unit format (:data:`MUSD`, :data:`TONNES`, :data:`SHARE`, :data:`FIGURE`) or an
    Excel number format; ``note``, a sentence written under the table."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple]
    formats: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def records(self) -> list[dict]:
        """The rows by column name: how a table is read (never by position)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list:
        """One column's values, by its name."""
        j = self.columns.index(name)
        return [row[j] for row in self.rows]


def note_table(name: str, note: str) -> Table:
    """A sheet that has nothing to show, saying why in its one row."""
    return Table(name, ("note",), [(note,)])


@dataclass(frozen=True)
class Metric:
    """One Summary row: key, value, unit and meaning."""

    key: str
    value: object
    unit: str = ""
    note: str = ""


def metric(key: str, value, note: str | None = None, keys: dict[str, Key] = KEYS) -> Metric:
    """A Summary row for ``key``, with its unit and meaning from :mod:`optimizer.summary`
    (``note`` replaces the meaning)."""
    k = keys[key]
    return Metric(key, value, k.unit, k.meaning if note is None else note)


@dataclass
class Results:
    """Everything a report shows: Summary metrics first, then tables."""

    title: str
    summary: list[Metric]
    tables: list[Table]

    def value(self, key: str):
        return next((m.value for m in self.summary if m.key == key), None)

    def set(self, key: str | Key, value) -> None:
        """Set a Summary key (one of :data:`optimizer.summary.KEYS`, or a :class:`Key`
        made from :data:`optimizer.summary.PER_MEMBER`), adding its row."""
        if isinstance(key, Key):
            new = Metric(key.key, value, key.unit, key.meaning)
        else:
            new = metric(key, value)
        for i, m in enumerate(self.summary):
            if m.key == new.key:
                self.summary[i] = new
                return
        self.summary.append(new)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def replace(self, table: Table) -> None:
        """Put ``table`` in place of the table of the same name (at the end if none)."""
        for i, t in enumerate(self.tables):
            if t.name == table.name:
                self.tables[i] = table
                return
        self.tables.append(table)


def cvar(values: list[float], probabilities: list[float], alpha: float) -> float:
    """``CVaR_α`` of a discrete cost distribution:
    ``min_η η + 1/(1−α) Σ_s π_s max(0, Z_s − η)`` (the minimum is at some ``Z_s``)."""
    pairs = [(z, p) for z, p in zip(values, probabilities, strict=True) if p > 0]
    if not pairs:
        return 0.0
    return min(
        eta + sum(p * max(0.0, z - eta) for z, p in pairs) / (1.0 - alpha) for eta, _ in pairs
    )


@dataclass
class ScenarioSummary:
    """What one scenario's recourse did, in plain numbers (so a scenario's model can be
    dropped once summarised, as the decomposition engine's evaluation does). Costs in
    MUSD (``cost``, ``member_cost`` and their terms discounted; floor support and
    programme spend undiscounted, as budgets count them); tonnes by commodity, never
    added across commodities."""

    id: str
    probability: float
    cost: float
    member_cost: dict[str, float]
    shortage_cost: float = 0.0
    member_shortage_cost: dict[str, float] = field(default_factory=dict)
    shortage: dict[str, float] = field(default_factory=dict)
    release: dict[str, float] = field(default_factory=dict)
    support: float = 0.0
    member_support: dict[str, float] = field(default_factory=dict)
    member_spend: dict[str, float] = field(default_factory=dict)
    shortfalls: list[tuple] = field(default_factory=list)
    budget_spend: dict[int, float] = field(default_factory=dict)
    terms: dict[str, float] = field(default_factory=dict)

    @property
    def spend(self) -> float:
        """The governments' programme spend in this scenario, every member and year."""
        return sum(self.member_spend.values())


@dataclass
class FirstStage:
    """The plan in plain numbers: ``FS``, ``FS_c``, investments, purchases, cost terms."""

    cost: float
    member_cost: dict[str, float]
    investments: list[tuple]
    stockpiles: list[tuple]
    capex: float
    units: int
    terms: dict[str, float]
