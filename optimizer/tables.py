"""The workbook as parsed tables: what the cell parser (:mod:`optimizer.parse`) produces,
the validator (:mod:`optimizer.validate`) checks and the instance builders
(:mod:`optimizer.builders`) read, with the problems found along the way.

Nothing here reads a file or knows a sheet's columns; the types only carry typed cell
values and where each came from, so every problem can name its cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem in a workbook: ``where`` is ``Sheet!Cell`` or ``Sheet``."""

    where: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def describe(value) -> str:
    """How a found value is shown in a message."""
    if value is None:
        return "blank"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def found(value, expected: str) -> str:
    """The one shape of every message: ``found <value>; expected <what>``."""
    return f"found {describe(value)}; expected {expected}"


@dataclass(frozen=True)
class Row:
    """A parsed data row: typed values (``None`` = blank) and where each came from.
    ``valid`` is false when a cell of the row failed to parse (and was reported): rules
    that need the whole row skip it, so the one problem is not reported twice."""

    sheet: str
    number: int
    values: dict
    letters: dict
    valid: bool = True

    def cell(self, column: str) -> str:
        letter = self.letters.get(column)
        if letter is None:
            return f"{self.sheet}!{self.number}"  # a column the sheet does not have
        return f"{self.sheet}!{letter}{self.number}"

    def __getitem__(self, column: str):
        return self.values.get(column)


@dataclass
class Tables:
    """Parsed rows of every sheet, the settings and the problems found so far."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)
    setting_cells: dict[str, str] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def warn(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message, warning=True))
