"""The report's Summary keys, once: each key's spelling, unit and meaning.

Other people's scripts read these keys (WORKBOOK.md); the results (:mod:`optimizer.results`),
the report writer, the terminal summary (:mod:`optimizer.cli`) and the tests all take them
from here. A key missing from this list cannot be set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One Summary row: ``key`` in column A, its ``unit`` in C and ``meaning`` in D."""

    key: str
    unit: str = ""
    meaning: str = ""


PLAN = (
    Key("status", "", "optimal, feasible (stopped at a limit with a plan), infeasible or "
                      "error"),
    Key("objective_musd", "MUSD", "the objective value of the plan"),
    Key("best_bound_musd", "MUSD", "the solver's best bound"),
    Key("mip_gap", "fraction", "relative gap between plan and bound"),
    Key("first_stage_cost_musd", "MUSD", "FS: projects and facilities (purchases are paid "
                                         "in the scenarios)"),
    Key("expected_scenario_cost_musd", "MUSD", "Σ π_s Z_s"),
    Key("cvar_musd", "MUSD", "CVaR_α of Z_s over the scenarios, computed from the plan"),
    Key("expected_shortage_t", "t", "Σ_s π_s Σ e"),
    Key("expected_shortage_cost_musd", "MUSD", "discounted, expected"),
    Key("capex_committed_musd", "MUSD", "Σ C_p n[p,t], undiscounted"),
    Key("units_built", "count", "Σ n[p,t]"),
    Key("coordination", "", "the mode solved"),
    Key("risk_weight", "", "λ"),
    Key("build_seconds", "s", "time to build the model"),
    Key("solve_seconds", "s", "time to solve it"),
    Key("engine", "", "ef: the extensive form, one HiGHS solve; ph: progressive hedging "
                      "(mpi-sppy) over the scenarios"),
)
"""Every solve's Summary, in this order (WORKBOOK.md's keys and a few more)."""

PROGRESSIVE_HEDGING = (
    Key("ranks", "count", "MPI ranks"),
    Key("bundle", "scenarios", "scenarios per PH subproblem"),
    Key("iterations", "count", "PH iterations"),
    Key("ph_seconds", "s", "the MPI run, launch to result"),
    Key("ph_peak_rss_mb", "MB", "largest rank"),
)
"""Added by ``solve --engine ph``."""

ANALYSIS = (
    Key("independent_objective_musd", "MUSD", "The expected total cost to the bloc's "
        "economy (imports, shortage damage and the programme) if each member plans alone, "
        "with no transfers between members and no joint (ALL) budget."),
    Key("value_of_coordination_musd", "MUSD", "What coordinating saves the bloc's economy: "
        "the expected total cost planning alone minus planning together."),
    Key("eev_musd", "MUSD", "The expected total cost, across the scenarios, of the best "
        "plan made for the average scenario (EEV)."),
    Key("vss_musd", "MUSD", "What planning for uncertainty is worth: EEV minus the "
        "stochastic plan's expected total cost (VSS)."),
    Key("ws_musd", "MUSD", "The expected total cost if the bloc knew in advance which "
        "scenario comes and planned for it (wait-and-see, WS)."),
    Key("evpi_musd", "MUSD", "What perfect foresight would be worth: the stochastic plan's "
        "expected total cost minus WS (EVPI)."),
    Key("coordinated_objective_musd", "MUSD", "The expected total cost to the bloc's "
        "economy (imports, shortage damage and the programme) when the bloc plans "
        "together and shares stock."),
    Key("ev_objective_musd", "MUSD", "The total cost a plan made for the average "
        "scenario promises if the future is that scenario (EV)."),
)
"""Added by ``stockpile analyze``, in the order of its Analysis sheet."""

COALITIONS = (
    Key("grand_coalition_cost_musd", "MUSD", "What the full bloc's plan costs (the "
        "objective, every member planning together)."),
    Key("grand_coalition_savings_musd", "MUSD", "What planning together saves against each "
        "member planning alone (negative: it costs more)."),
    Key("core_stable", "", "yes: no group of members would pay less by leaving the bloc at "
        "the fair shares; no: some would (see Stability); undefined: a coalition has no "
        "plan."),
    Key("coalitions_solved", "count", "Coalitions of the members solved (every non-empty "
        "group)."),
)
"""Added by ``stockpile coalitions``, with :data:`PER_MEMBER` for each member played."""

PER_MEMBER = (
    Key("standalone_cost_{member}_musd", "MUSD", "What {member} pays planning alone, the "
        "other members outside the bloc."),
    Key("shapley_share_{member}_musd", "MUSD", "{member}'s fair share of the full bloc's "
        "savings (Shapley)."),
)
"""Keys spelt with a member's id (``standalone_cost_USA_musd``)."""


def member_key(template: Key, member: str) -> Key:
    """One of :data:`PER_MEMBER` for ``member``."""
    return Key(template.key.format(member=member), template.unit,
               template.meaning.format(member=member))


SWEEP = (
    Key("status", "", "optimal when every run is; feasible when some run has a plan"),
    Key("sweep", "", "the swept parameter"),
    Key("runs", "count", "plans solved"),
    Key("runs_with_plan", "count", "runs that found a plan"),
    Key("best_value", "", "the swept value with the lowest objective (absent when the "
        "objective does not move: see finding)"),
    Key("best_objective_musd", "MUSD", "the lowest objective of the sweep"),
    Key("coordination", "", "the mode solved"),
    Key("finding", "", "what the sweep shows, in words: how the objective moves, or that "
        "the swept limit never binds in the range"),
)
"""A sweep report's Summary."""

TERMINAL = ("status", "objective_musd", "best_bound_musd", "mip_gap", "first_stage_cost_musd",
            "expected_scenario_cost_musd", "cvar_musd", "expected_shortage_t", "units_built",
            "capex_committed_musd")
"""The keys ``stockpile solve`` prints, in this order."""

KEYS: dict[str, Key] = {
    k.key: k for k in (*PLAN, *PROGRESSIVE_HEDGING, *ANALYSIS, *COALITIONS)
}
"""Every fixed key of a solve, analysis or coalitions report (a sweep's have their own
meanings)."""
