"""Sparse index sets and scenario-independent parameters of MODEL.md, built once.

Everything here is plain Python computed from an :class:`~instance.Instance`: the
model builder (:mod:`models.stockpile`) and the result extraction both use it, so the model
carries no hidden data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from instance import ALL, INDEPENDENT, RELEASE_ANY, WILDCARD, Budget, Instance, Project

MUSD_PER_USD = 1e-6


def crf(rate: float, life: int) -> float:
    """Capital recovery factor ``crf_p = r(1+r)^ℓ / ((1+r)^ℓ − 1)``, ``1/ℓ`` when r = 0."""
    if rate == 0:
        return 1.0 / life
    g = (1.0 + rate) ** life
    return rate * g / (g - 1.0)


@dataclass(frozen=True)
class ModelIndex:
    """Index sets ``A``, ``SP``, ``X``, ``P``, the years and the money factors."""

    instance: Instance

    @cached_property
    def years(self) -> tuple[int, ...]:
        return tuple(self.instance.settings.years)

    @cached_property
    def horizon(self) -> int:
        return self.instance.settings.horizon_years

    @cached_property
    def members(self) -> tuple[str, ...]:
        return self.instance.members

    @cached_property
    def independent(self) -> bool:
        return self.instance.settings.coordination == INDEPENDENT

    @cached_property
    def release_any(self) -> bool:
        return self.instance.settings.release_rule == RELEASE_ANY

    @cached_property
    def delta(self) -> dict[int, float]:
        """Discount factors ``δ_t = (1+r)^−(t−1)`` for ``t = 1..H+1``."""
        r = self.instance.settings.discount_rate
        return {t: (1.0 + r) ** -(t - 1) for t in range(1, self.horizon + 2)}

    # ---------------------------------------------------------------- commodities, prices
    @cached_property
    def commodity(self):
        return self.instance.commodity

    # ---------------------------------------------------------------- import arcs A
    @cached_property
    def arcs(self) -> tuple[tuple[str, str, str], ...]:
        """``A``: (member c, commodity k, origin o)."""
        return tuple((a.country, a.commodity, a.origin) for a in self.instance.supply)

    @cached_property
    def arc_capacity(self) -> dict[tuple[str, str, str], float]:
        return {(a.country, a.commodity, a.origin): a.max_t_per_yr for a in self.instance.supply}

    @cached_property
    def arc_base_price(self) -> dict[tuple[str, str, str], float]:
        """``p0_ako``: the Supply row's price, else ``p0_k``."""
        return {
            (a.country, a.commodity, a.origin): (
                a.price if a.price is not None else self.commodity[a.commodity].price
            )
            for a in self.instance.supply
        }

    @cached_property
    def arc_floor(self) -> dict[tuple[str, str, str], float]:
        """``f_cko`` for arcs that have a floor: the Supply row's own floor when given
        (whatever the origin; 0 exempts the arc), else ``f_k`` when ``o ∉ N``."""
        members = self.instance.member_set
        out = {}
        for a in self.instance.supply:
            arc = (a.country, a.commodity, a.origin)
            if a.floor is not None:
                out[arc] = a.floor
            elif a.origin not in members and self.commodity[a.commodity].floor is not None:
                out[arc] = self.commodity[a.commodity].floor
        return out

    @cached_property
    def salvage_price(self) -> dict[tuple[str, str], float]:
        """``pv_ck = min(p0_k, min_{o:(c,k,o)∈A} max(p0_ako, f_cko))`` for every stockpile:
        what the member would pay to replace a tonne in normal times, never above the
        world price (USD/t)."""
        cheapest: dict[tuple[str, str], float] = {}
        for arc, base in self.arc_base_price.items():
            price = max(base, self.arc_floor.get(arc, base))
            key = (arc[0], arc[1])
            cheapest[key] = min(price, cheapest.get(key, price))
        return {
            (c, k): min(self.commodity[k].price, cheapest.get((c, k), self.commodity[k].price))
            for (c, k) in self.stockpiles
        }

    # ---------------------------------------------------------------- projects P
    @cached_property
    def projects(self) -> tuple[Project, ...]:
        return self.instance.eligible_projects

    def start_years(self, p: Project) -> tuple[int, ...]:
        """Years ``t`` in which ``n[p,t]`` may be non-zero (from the earliest start)."""
        first = max(1, p.earliest_start or 1)
        return tuple(t for t in self.years if t >= first)

    @cached_property
    def build_keys(self) -> tuple[tuple[str, int], ...]:
        """Index of ``n[p,t]``."""
        return tuple((p.id, t) for p in self.projects for t in self.start_years(p))

    def producing_years(self, p: Project) -> tuple[int, ...]:
        """Years in which ``u[p,t]`` can be positive (``t ≥ first start + L_p``)."""
        starts = self.start_years(p)
        if not starts:
            return ()
        return tuple(t for t in self.years if t >= starts[0] + p.lead_time)

    @cached_property
    def project_crf(self) -> dict[str, float]:
        r = self.instance.settings.discount_rate
        return {p.id: crf(r, p.life) for p in self.projects}

    @cached_property
    def projects_by_sponsor_output(self) -> dict[tuple[str, str], list[Project]]:
        out = defaultdict(list)
        for p in self.projects:
            out[(p.sponsor, p.output)].append(p)
        return out

    @cached_property
    def projects_by_sponsor_input(self) -> dict[tuple[str, str], list[Project]]:
        out = defaultdict(list)
        for p in self.projects:
            if p.input is not None:
                out[(p.sponsor, p.input)].append(p)
        return out

    def capital_cost(self, p: Project, start: int) -> float:
        """Discounted capital (MUSD) of one unit of ``p`` started in ``start``:
        ``Σ_{t≥start} δ_t crf_p C_p``, the coefficient of ``n[p,start]`` in the capital
        term of ``FS`` once ``w`` is written out."""
        annuity = self.project_crf[p.id] * p.capex
        return sum(self.delta[t] * annuity for t in self.years if t >= start)

    def fixed_om_cost(self, p: Project, start: int) -> float:
        """Discounted fixed O&M (MUSD) of one unit of ``p`` started in ``start``:
        ``Σ_{t≥start+L_p} δ_t FOM_p``, its coefficient once ``u`` is written out."""
        return sum(self.delta[t] * p.fixed_om for t in self.years if t >= start + p.lead_time)

    # ---------------------------------------------------------------- stockpiles SP
    @cached_property
    def stockpiles(self):
        """``SP``: (member, commodity) → Stockpile row, for stockpilable commodities."""
        return {
            (s.country, s.commodity): s
            for s in self.instance.stockpiles
            if self.commodity[s.commodity].stockpilable
        }

    def purchase_limit(self, c: str, k: str) -> float | None:
        """The most stockpile ``(c,k)`` can buy in a year: its purchase limit, and the
        room its capacity leaves above the initial stock; ``None`` = no bound."""
        s = self.stockpiles[(c, k)]
        ub = s.max_buy
        if s.capacity is not None:
            room = max(0.0, s.capacity - s.initial)
            ub = room if ub is None else min(ub, room)
        return ub

    @cached_property
    def facilities(self) -> tuple[tuple[str, str], ...]:
        """Stockpiles with a facility cost > 0: ``z[c,k]`` is a binary variable."""
        return tuple(key for key, s in self.stockpiles.items() if s.facility_cost > 0)

    @cached_property
    def floors(self) -> dict[tuple[str, str, int], float]:
        """``fl[c,k,t] = max(min_t, min_days/365 · demand[c,k,t])`` where positive."""
        demand = self.instance.demand_table
        out = {}
        for (c, k), s in self.stockpiles.items():
            for t in self.years:
                fl = max(s.min_t or 0.0, (s.min_days or 0.0) / 365.0 * demand.get((c, k, t), 0.0))
                if fl > 0:
                    out[(c, k, t)] = fl
        return out

    # ---------------------------------------------------------------- transfers X
    @cached_property
    def transfer_arcs(self) -> dict[tuple[str, str, str], tuple[float, float]]:
        """``X``: (from c, to c', k) → (xcap, xc), ``*`` expanded; empty when independent."""
        if self.independent:
            return {}
        out = {}
        for row in self.instance.transfers:
            ks = (
                [k.id for k in self.instance.commodities]
                if row.commodity == WILDCARD
                else [row.commodity]
            )
            for k in ks:
                if row.max_t_per_yr > 0:
                    out[(row.from_country, row.to_country, k)] = (row.max_t_per_yr, row.cost)
        return out

    # ---------------------------------------------------------------- balances, budgets
    @cached_property
    def balance_pairs(self) -> tuple[tuple[str, str], ...]:
        """Member–commodity pairs whose balance has any term."""
        pairs = {(c, k) for c, k, _ in self.arcs}
        pairs |= {(c, k) for c, k, _ in self.instance.demand_table}
        pairs |= set(self.stockpiles)
        pairs |= set(self.projects_by_sponsor_output) | set(self.projects_by_sponsor_input)
        pairs |= {(c, k) for c, _, k in self.transfer_arcs}
        pairs |= {(c, k) for _, c, k in self.transfer_arcs}
        members = self.instance.member_set
        return tuple(sorted(p for p in pairs if p[0] in members))

    @cached_property
    def budget_rows(self) -> tuple[Budget, ...]:
        """The Budgets rows in force; ``ALL`` rows dropped when independent."""
        return tuple(b for b in self.instance.budgets
                     if not (self.independent and b.country == ALL))

    @cached_property
    def budgets(self) -> tuple[tuple[str, int, float], ...]:
        """Budget rows ``(c or ALL, t, B)``, in the order of :attr:`budget_rows`."""
        return tuple((b.country, b.t, b.musd) for b in self.budget_rows)

    @cached_property
    def risk_weight(self) -> float:
        return self.instance.settings.risk_weight

    @cached_property
    def cvar_alpha(self) -> float:
        return self.instance.settings.cvar_alpha
