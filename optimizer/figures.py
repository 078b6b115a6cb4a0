"""What an analysis figure rests on, and the words that say so.

Every figure of ``stockpile analyze`` comes from one or more solves (WS from one per
scenario, a difference such as VSS from the solves of both its terms). A figure carries
their :class:`Basis`: how many solves, the worst status among them and the largest
relative gap. A figure from a solve stopped at a limit says so; one from a failed or
infeasible solve is not a number.

A difference of two objectives each solved to a relative gap ``g`` is uncertain by about
``g`` times the larger objective, and MODEL.md puts EEV (so VSS) at about 0.1 %: a VSS,
EVPI or value of coordination smaller than that accuracy is "not distinguishable from 0
at this accuracy" (the number stays, for scripts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimizer.solve import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL, SolveOutcome

# worst last: a figure is as good as the worst solve behind it
SEVERITY = {OPTIMAL: 0, FEASIBLE: 1, INFEASIBLE: 2, ERROR: 3}
EEV_ACCURACY = 1e-3  # MODEL.md: "EEV and VSS are meaningful to about 0.1%"
NUMERIC_ACCURACY = 1e-6  # the solver's own tolerances, relative
NOT_DISTINGUISHABLE = "not distinguishable from 0 at this accuracy"


@dataclass(frozen=True)
class Basis:
    """The solves behind a figure: their number, the worst status among them, the
    largest relative gap of those with a plan, and why the worst one stopped
    (HiGHS's termination, or why it has no plan)."""

    solves: int
    status: str
    gap: float | None
    why: str = ""

    @classmethod
    def of(cls, outcome: SolveOutcome) -> Basis:
        why = outcome.no_plan_reason or outcome.termination
        return cls(1, outcome.status, outcome.gap if outcome.has_plan else None, why)

    def __add__(self, other: Basis) -> Basis:
        if not self.solves or not other.solves:
            return other if not self.solves else self
        worst = max((self, other), key=lambda b: SEVERITY.get(b.status, 3))
        gaps = [g for g in (self.gap, other.gap) if g is not None]
        return Basis(self.solves + other.solves, worst.status,
                     max(gaps) if gaps else None, worst.why)


NOTHING = Basis(0, OPTIMAL, None)


@dataclass(frozen=True)
class Figure:
    """One analysis figure: its value (MUSD; the text ``infeasible``; ``None`` when a
    solve behind it failed), the solves behind it, and for a difference of objectives its
    accuracy (MUSD)."""

    value: float | str | None
    basis: Basis
    accuracy: float | None = None

    @property
    def status(self) -> str:
        return self.basis.status

    @property
    def gap(self) -> float | None:
        return self.basis.gap

    @property
    def indistinguishable(self) -> bool:
        """A difference smaller than its accuracy."""
        return (isinstance(self.value, float) and self.accuracy is not None
                and abs(self.value) <= self.accuracy)


def objective(outcome: SolveOutcome) -> Figure:
    """A solve's objective as a figure: a number only when the solve has a plan."""
    if outcome.has_plan:
        value = outcome.objective
    else:
        value = INFEASIBLE if outcome.status == INFEASIBLE else None
    return Figure(value, Basis.of(outcome))


def difference(a: Figure, b: Figure, *, floor: float = NUMERIC_ACCURACY) -> Figure:
    """``a − b``, uncertain by ``(floor + largest gap) · max(|a|, |b|)``; ``floor`` is a
    relative accuracy of the terms themselves (0.1 % for EEV)."""
    basis = a.basis + b.basis
    if isinstance(a.value, float) and isinstance(b.value, float):
        scale = max(abs(a.value), abs(b.value))
        accuracy = (floor + (basis.gap or 0.0)) * scale + 1e-9
        return Figure(a.value - b.value, basis, accuracy)
    value = INFEASIBLE if INFEASIBLE in (a.value, b.value) else None
    return Figure(value, basis)


def weighted_sum(parts: list[tuple[float, Figure]]) -> Figure:
    """``Σ w · figure`` (WS), a number only when every part is one."""
    basis, total = NOTHING, 0.0
    for weight, fig in parts:
        basis = basis + fig.basis
        if not isinstance(fig.value, float):
            return Figure(fig.value, basis)
        total += weight * fig.value
    return Figure(total, basis)


def percent(gap: float) -> str:
    """A relative gap in words: ``0.01 %``; tiny ones as ``below 0.0001 %``."""
    if gap <= 0:
        return "0 %"
    text = f"{100 * gap:.4f}".rstrip("0").rstrip(".")
    return "below 0.0001 %" if text == "0" else f"{text} %"


def money(x: float) -> str:
    """An accuracy in MUSD to three figures, never in exponent notation."""
    if x < 1e-6:
        return "0.000001"
    return f"{x:,.{max(0, 2 - math.floor(math.log10(x)))}f}"


def _stopped(why: str) -> str:
    return "stopped at the time limit" if "time" in why.lower() else f"stopped early ({why})"


def basis_words(basis: Basis) -> str:
    """The solves behind a figure, in a sentence."""
    many = basis.solves > 1
    gap = "" if basis.gap is None else (
        f" ({'largest gap' if many else 'gap'} {percent(basis.gap)})")
    if basis.status == OPTIMAL:
        return (f"From {basis.solves} optimal solves{gap}." if many
                else f"From an optimal solve{gap}.")
    if basis.status == FEASIBLE:
        return (f"Not proven optimal: of its {basis.solves} solves, at least one "
                f"{_stopped(basis.why)} with a plan{gap}." if many
                else f"Not proven optimal: its solve {_stopped(basis.why)} with a "
                     f"plan{gap}.")
    if basis.status == INFEASIBLE:
        return "Not a number: a solve behind it has no feasible plan."
    return f"Not a number: a solve behind it failed ({basis.why})."


def accuracy_words(fig: Figure) -> str:
    """For a difference: whether it can be told from 0, and its accuracy."""
    if fig.accuracy is None or not isinstance(fig.value, float):
        return ""
    if fig.indistinguishable:
        return (f"{NOT_DISTINGUISHABLE[0].upper()}{NOT_DISTINGUISHABLE[1:]} (about "
                f"±{money(fig.accuracy)} MUSD).")
    return f"Accurate to about ±{money(fig.accuracy)} MUSD."


def sentence(fig: Figure) -> str:
    """Everything a figure's reader should know about how far to trust it."""
    return " ".join(w for w in (basis_words(fig.basis), accuracy_words(fig)) if w)


def remark(fig: Figure) -> str:
    """The same, short, for the terminal (empty for an optimal figure that is clear)."""
    words = []
    if fig.status == FEASIBLE:
        words.append(f"{_stopped(fig.basis.why)}, gap up to {percent(fig.gap or 0.0)}")
    elif fig.status == INFEASIBLE:
        words.append("no feasible plan behind it (the Analysis sheet says why)")
    elif fig.status == ERROR:
        words.append(f"a solve behind it failed: {fig.basis.why}")
    if fig.indistinguishable:
        words.append(f"{NOT_DISTINGUISHABLE} (±{money(fig.accuracy)} MUSD)")
    return "; ".join(words)
