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
    Key("status", "", "optimal: the best plan, proven within the gap asked; feasible: the "
                      "solver stopped at a limit with a plan that may not be the best; "
                      "infeasible: the workbook's requirements cannot all be met together; "
                      "error: no plan"),
    Key("objective_musd", "MUSD", "what the plan minimises: the expected total cost (with a "
                                  "risk weight above 0, partly the cost of the costliest "
                                  "scenarios); discounted"),
    Key("best_bound_musd", "MUSD", "no plan can have a lower objective than this (the "
                                   "solver's proof)"),
    Key("mip_gap", "fraction", "how far the objective may be above the best possible, as a "
                               "fraction of it"),
    Key("first_stage_cost_musd", "MUSD", "what the plan costs whatever happens: project "
        "capital (as yearly payments from the start of construction), the projects' fixed "
        "running costs and stockpile facilities; discounted (stockpile purchases are paid "
        "for in the scenarios)"),
    Key("expected_scenario_cost_musd", "MUSD", "what supplying the members costs in each "
        "scenario (imports, project running costs, holding, transfers, the damage of "
        "shortage, less the value of stock left at the end), averaged with the scenarios' "
        "probabilities; discounted"),
    Key("cvar_musd", "MUSD", "the average scenario cost over the costliest scenarios (CVaR), "
                             "for this plan; discounted"),
    Key("expected_shortage_cost_musd", "MUSD", "the economic damage of demand left unmet, "
        "averaged over the scenarios; discounted"),
    Key("expected_programme_spend_musd", "MUSD", "what the governments pay from their "
        "budgets (their share of project capital, facilities, stockpile purchases at the "
        "market price or the floor, holding, support to producers below the floor price), "
        "every member and year, averaged over the scenarios; not discounted"),
    Key("capex_committed_musd", "MUSD", "the capital cost of every project unit the plan "
                                        "builds; not discounted"),
    Key("units_built", "count", "project units the plan builds"),
    Key("coordination", "", "coordinated: the members plan together and may transfer stock; "
                            "independent: each member plans alone"),
    Key("risk_weight", "", "the weight of the costliest scenarios in the objective (0: the "
                           "expected cost only)"),
    Key("build_seconds", "s", "time to build the model"),
    Key("solve_seconds", "s", "time to solve it"),
    Key("engine", "", "ef: one model of every scenario, solved by HiGHS; ph: progressive "
                      "hedging (mpi-sppy) over the scenarios; benders: the L-shaped "
                      "method, one cost estimate per scenario refined until the plan is "
                      "proven"),
)
"""Every solve's Summary, in this order (WORKBOOK.md's keys and a few more)."""

PROGRESSIVE_HEDGING = (
    Key("ranks", "count", "MPI ranks"),
    Key("bundle", "scenarios", "scenarios per PH subproblem"),
    Key("iterations", "count", "PH iterations"),
    Key("ph_seconds", "s", "the MPI run, launch to result"),
    Key("ph_peak_rss_mb", "MB", "largest rank"),
    Key("ph_bound_musd", "MUSD", "PH's own lower bound on the optimum (each bundle of "
                                 "scenarios with its own plan)"),
    Key("lp_bound_musd", "MUSD", "a lower bound on the optimum from the model with whole "
                                 "project units relaxed to fractions; best_bound_musd is "
                                 "the highest of the bounds listed here"),
    Key("lp_bound_seconds", "s", "time to compute that bound"),
)
"""Added by ``solve --engine ph``."""

L_SHAPED = (
    Key("master_rounds", "count", "plans chosen with whole project units against the "
                                  "scenarios' cost estimates, each then costed exactly"),
    Key("master_bound_musd", "MUSD", "a lower bound on the optimum from those choices"),
    Key("master_seconds", "s", "time spent choosing and costing those plans"),
)
"""Added by ``solve --engine benders``, with ``lp_bound_musd`` and ``lp_bound_seconds``."""

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
            "expected_scenario_cost_musd", "cvar_musd", "expected_shortage_cost_musd",
            "expected_programme_spend_musd", "units_built", "capex_committed_musd")
"""The keys ``stockpile solve`` prints, in this order."""

KEYS: dict[str, Key] = {
    k.key: k for k in (*PLAN, *L_SHAPED, *PROGRESSIVE_HEDGING, *ANALYSIS, *COALITIONS)
}
"""Every fixed key of a solve, analysis or coalitions report (a sweep's have their own
meanings)."""
