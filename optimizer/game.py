"""The arithmetic of MODEL.md's *Coalitions* section: savings, Shapley shares, stability
(the core) and the value of a partner joining.

Plain numbers in, plain numbers out: no Pyomo, no files. A coalition is a ``frozenset`` of
member ids; :class:`Game` holds the cost (MUSD) of every non-empty coalition, or ``None``
for one without a cost (infeasible, or no plan found).

* ``savings(S) = Σ_{j∈S} cost({j}) − cost(S)``; ``savings({j}) = 0``.
* ``φ_j = Σ_{S ⊆ N\\{j}} |S|! (|N|−|S|−1)! / |N|! · (savings(S ∪ {j}) − savings(S))``;
  member ``j``'s fair cost in the full bloc is ``cost({j}) − φ_j``.
* Stable (in the core) when ``Σ_{j∈S} (cost({j}) − φ_j) ≤ cost(S) + 1e-6·max(1, |cost(S)|)``
  for every ``S``; the coalitions that break it would rather leave.
* Value of ``j`` joining ``S``: ``cost(S) + cost({j}) − cost(S ∪ {j})``.

Shares and savings are computed exactly with :class:`fractions.Fraction` (every float is
an exact binary fraction) and rounded once at the end, so ``Σ_j φ_j = savings(N)`` up to
the rounding of each figure: cancellation in the differences of large costs cannot creep
in. When any coalition has no cost, shares and stability are undefined (``None``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from itertools import combinations
from math import factorial

Coalition = frozenset[str]
CORE_TOLERANCE = 1e-6


def all_coalitions(members: Sequence[str]) -> list[Coalition]:
    """Every non-empty coalition of ``members`` (``2^n − 1``), smallest first, then in
    the members' order."""
    return [frozenset(combo) for size in range(1, len(members) + 1)
            for combo in combinations(members, size)]


def coalition_name(coalition: Iterable[str], members: Sequence[str]) -> str:
    """``USA+MEX``: the members in the workbook's order, joined by ``+``."""
    inside = set(coalition)
    return "+".join(m for m in members if m in inside)


@dataclass(frozen=True)
class Blocking:
    """A coalition that would rather leave: its members' fair costs in the full bloc add
    up to more than the coalition costs on its own (MUSD)."""

    coalition: Coalition
    fair_cost: float
    cost: float

    @property
    def excess(self) -> float:
        """How much more the coalition pays in the full bloc than alone (MUSD)."""
        return self.fair_cost - self.cost


@dataclass(frozen=True)
class Game:
    """The cost of every non-empty coalition of ``members`` (MUSD, ``None`` = no cost)."""

    members: tuple[str, ...]
    costs: Mapping[Coalition, float | None]

    def __post_init__(self) -> None:
        missing = [c for c in all_coalitions(self.members) if c not in self.costs]
        if missing:
            raise ValueError(f"no cost given for {len(missing)} coalition(s), e.g. "
                             f"{coalition_name(missing[0], self.members)}")

    @property
    def grand(self) -> Coalition:
        """``N``: every member."""
        return frozenset(self.members)

    def cost(self, coalition: Iterable[str]) -> float | None:
        """``cost(S)``; 0 for the empty coalition."""
        s = frozenset(coalition)
        return 0.0 if not s else self.costs[s]

    @cached_property
    def defined(self) -> bool:
        """Every coalition has a cost: shares and stability are defined."""
        return all(self.costs[s] is not None for s in all_coalitions(self.members))

    @cached_property
    def undefined_coalitions(self) -> list[Coalition]:
        """The coalitions without a cost, smallest first."""
        return [s for s in all_coalitions(self.members) if self.costs[s] is None]

    # ------------------------------------------------------------------ exact arithmetic
    def _exact_cost(self, coalition: Coalition) -> Fraction:
        return Fraction(self.cost(coalition))

    def _exact_savings(self, coalition: Coalition) -> Fraction:
        return (sum((self._exact_cost(frozenset([j])) for j in coalition), Fraction(0))
                - self._exact_cost(coalition))

    def savings(self, coalition: Iterable[str]) -> float | None:
        """``savings(S) = Σ_{j∈S} cost({j}) − cost(S)``; ``None`` when a cost is missing."""
        s = frozenset(coalition)
        if self.cost(s) is None or any(self.cost([j]) is None for j in s):
            return None
        return float(self._exact_savings(s))

    @cached_property
    def _exact_shares(self) -> dict[str, Fraction] | None:
        if not self.defined:
            return None
        n = len(self.members)
        weight = [Fraction(factorial(k) * factorial(n - k - 1), factorial(n)) for k in range(n)]
        value = {s: self._exact_savings(s) for s in all_coalitions(self.members)}
        value[frozenset()] = Fraction(0)
        shares = {}
        for j in self.members:
            others = [m for m in self.members if m != j]
            total = Fraction(0)
            for k in range(n):
                for combo in combinations(others, k):
                    s = frozenset(combo)
                    total += weight[k] * (value[s | {j}] - value[s])
            shares[j] = total
        return shares

    @cached_property
    def shapley(self) -> dict[str, float] | None:
        """``φ_j``, the Shapley share of the savings of each member (MUSD)."""
        shares = self._exact_shares
        return None if shares is None else {j: float(v) for j, v in shares.items()}

    @cached_property
    def fair_costs(self) -> dict[str, float] | None:
        """``cost({j}) − φ_j``: what member ``j`` fairly pays in the full bloc (MUSD)."""
        shares = self._exact_shares
        if shares is None:
            return None
        return {j: float(self._exact_cost(frozenset([j])) - shares[j]) for j in self.members}

    @cached_property
    def blocking(self) -> list[Blocking] | None:
        """The coalitions that break stability, the largest excess first."""
        shares = self._exact_shares
        if shares is None:
            return None
        out = []
        for s in all_coalitions(self.members):
            fair = sum((self._exact_cost(frozenset([j])) - shares[j] for j in s), Fraction(0))
            cost = self._exact_cost(s)
            if fair - cost > Fraction(CORE_TOLERANCE) * max(1, abs(cost)):
                out.append(Blocking(s, float(fair), float(cost)))
        return sorted(out, key=lambda b: -b.excess)

    @property
    def stable(self) -> bool | None:
        """The shares are in the core (``None`` when undefined)."""
        return None if self.blocking is None else not self.blocking

    def joining_value(self, coalition: Iterable[str], member: str) -> float | None:
        """``cost(S) + cost({j}) − cost(S ∪ {j})``: what partner ``j`` joining ``S``
        saves (0 for the empty ``S``); ``None`` when a cost is missing."""
        s = frozenset(coalition) - {member}
        parts = (self.cost(s), self.cost([member]), self.cost(s | {member}))
        if any(p is None for p in parts):
            return None
        a, b, c = (Fraction(p) for p in parts)
        return float(a + b - c)

    def joining_the_others(self, member: str) -> float | None:
        """What ``member`` joining all the other members saves (MUSD)."""
        return self.joining_value(self.grand - {member}, member)
