"""``stockpile coalitions``: who should be in the bloc (MODEL.md, *Coalitions*).

The chain, on one screen (:func:`coalitions_workbook`):

    read + validate once → choose the members (``--members``, at most 10)
      → for every coalition, smallest first: restrict the instance
        (:func:`optimizer.restrict.restrict`), build, solve coordinated (independent
        solves, ``--jobs`` at a time across the cores: :mod:`optimizer.parallel`)
      → the game arithmetic (:class:`optimizer.game.Game`)
      → Summary keys, the Coalitions, Shares and Stability sheets, written with the full
        bloc's plan (by the pipeline's :func:`optimizer.pipeline.run_workbook`).

What is the same for every coalition is computed once: the workbook is read and validated
once, and the scenario factors (``avail``, ``gf``, ``pf``, ``df`` and the disruption years)
come from the whole workbook: a restricted workbook keeps every Shocks row, and the model
looks factors up by key, so the factors of the countries a coalition leaves out are simply
not read. The singletons are solved first, so each later coalition's savings can be shown
as soon as it is solved. The full bloc is solved last, through the ordinary solve path, and
its plan fills the usual report sheets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from instance import COORDINATED, Instance
from models.factors import ScenarioData, scenario_data
from models.index import ModelIndex
from models.stockpile import build_model
from optimizer.engines import (
    AutoEngine,
    estimated_columns,
    record_choice,
    resolve,
    takes_the_machine,
)
from optimizer.game import CORE_TOLERANCE, Coalition, Game, all_coalitions, coalition_name
from optimizer.parallel import Done, Runner, Task, worker_count
from optimizer.pipeline import EXTENSIVE_FORM, Engine, run_workbook, solve_instance
from optimizer.restrict import restrict
from optimizer.results import Results, Table
from optimizer.run import EXIT_FAILURE, EXIT_INFEASIBLE, EXIT_OK, SolveRun
from optimizer.sheets import MUSD
from optimizer.solve import ERROR, FEASIBLE, INFEASIBLE, SolveOutcome, solve_model
from optimizer.summary import COALITIONS, PER_MEMBER, member_key

MAX_MEMBERS = 10
MAX_SENTENCES = 10


class CoalitionRequest(Exception):
    """The members asked for cannot be played (unknown ids, more than 10): one line,
    exit 1, nothing solved."""


def choose_members(instance: Instance, members: Sequence[str] | None = None) -> tuple[str, ...]:
    """The members whose coalitions are solved: every member of the workbook, or those
    listed (in the workbook's order). Unknown ids and more than :data:`MAX_MEMBERS` are
    refused."""
    if members is None:
        chosen = instance.members
    else:
        listed = [m.strip() for m in members if m.strip()]
        unknown = [m for m in dict.fromkeys(listed) if m not in instance.member_set]
        if unknown:
            raise CoalitionRequest(
                f"--members: found {', '.join(unknown)}, which "
                f"{'is not a member' if len(unknown) == 1 else 'are not members'} of the "
                f"workbook; expected ids among its members: {', '.join(instance.members)}")
        if not listed:
            raise CoalitionRequest("--members: found no ids; expected members of the "
                                   f"workbook separated by commas, e.g. "
                                   f"{','.join(instance.members[:2])}")
        chosen = tuple(m for m in instance.members if m in set(listed))
    if len(chosen) > MAX_MEMBERS:
        raise CoalitionRequest(
            f"{len(chosen)} members give {2 ** len(chosen) - 1:,} coalitions to solve; "
            f"stockpile coalitions takes at most {MAX_MEMBERS} members "
            f"({2 ** MAX_MEMBERS - 1:,} coalitions): choose them with --members A,B,…")
    return chosen


@dataclass(frozen=True)
class CoalitionSolve:
    """One coalition solved: its status and, with a plan, its cost (MUSD)."""

    coalition: Coalition
    name: str
    status: str
    cost: float | None
    bound: float | None
    seconds: float
    reason: str = ""


@dataclass
class CoalitionRun:
    """Every coalition of ``members`` solved, the game they make, and the full bloc's run
    (its plan fills the report's ordinary sheets)."""

    instance: Instance
    members: tuple[str, ...]
    solves: dict[Coalition, CoalitionSolve]
    grand: SolveRun
    game: Game

    @property
    def exit_code(self) -> int:
        """3 when a solve failed with no plan, 2 when a coalition is infeasible (shares
        undefined; the report says so), 0 otherwise."""
        statuses = {s.status for s in self.solves.values()}
        if ERROR in statuses:
            return EXIT_FAILURE
        if INFEASIBLE in statuses:
            return EXIT_INFEASIBLE
        return EXIT_OK

    @property
    def results(self) -> Results:
        """The report's results: the full bloc's, with the coalitions' keys and sheets
        once :func:`coalition_results` added them."""
        return self.grand.results

    @property
    def outcome(self) -> SolveOutcome:
        """The full bloc's solve (diagnosed when infeasible)."""
        return self.grand.outcome

    @property
    def extra_inputs(self) -> tuple[tuple[str, object], ...]:
        return (("coalition members", ", ".join(self.members)),)

    report_on_error: ClassVar[bool] = True  # every coalition's figures, even then

    @property
    def full_workbook_bloc(self) -> bool:
        """The members played are every member of the workbook (``ALL`` rows apply to the
        full bloc)."""
        return frozenset(self.members) == self.instance.member_set


OnStart = Callable[[int, int, str], None]
OnSolved = Callable[[CoalitionSolve, float | None], None]


def coalition_solve(instance: Instance, scenarios: list[ScenarioData], *, time_limit,
                    mip_gap, progress=None) -> tuple[str, float | None, float | None, str]:
    """One coalition's restricted workbook by the extensive form: status, cost, bound
    and why there is no plan (``scenarios``: the factors of the whole workbook)."""
    ix = ModelIndex(instance)
    model = build_model(instance, scenarios, index=ix)
    out = solve_model(model, time_limit=time_limit, mip_gap=mip_gap, progress=progress)
    cost = out.objective if out.has_plan else None
    return out.status, cost, out.bound, out.no_plan_reason


def coalition_tasks(base: Instance, scenarios: list[ScenarioData], order: list[Coalition],
                    members, engine, kw: dict, progress) -> list[Task]:
    """One task per coalition, in ``order``; the full bloc through the ordinary solve
    path by ``engine`` (its report's plan), a PH engine alone on the machine."""
    tasks = []
    for coalition in order:
        restricted = restrict(base, coalition)
        name = coalition_name(coalition, members)
        columns = estimated_columns(restricted)
        extra = {"progress": progress} if progress else {}
        if coalition == base.member_set:
            tasks.append(Task(coalition, name, solve_instance, (restricted,),
                              {"engine": engine, **kw, **extra}, columns,
                              exclusive=takes_the_machine(engine)))
        else:
            tasks.append(Task(coalition, name, coalition_solve, (restricted, scenarios),
                              {**kw, **extra}, columns))
    return tasks


def solve_coalitions(
    instance: Instance,
    members: Sequence[str],
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress=None,
    on_start: OnStart | None = None,
    on_solved: OnSolved | None = None,
    jobs: int | None = 1,
    engine: Engine | AutoEngine = EXTENSIVE_FORM,
) -> CoalitionRun:
    """Solve the ``2^n − 1`` coalitions of ``members``, smallest first (``jobs`` at a
    time, :mod:`optimizer.parallel`), each restricted workbook solved coordinated; the
    full bloc through the ordinary solve path (by ``engine``; an
    :class:`~optimizer.engines.AutoEngine` chooses for it)."""
    st = instance.settings
    kw = {"time_limit": st.time_limit_s if time_limit is None else time_limit,
          "mip_gap": st.mip_gap if mip_gap is None else mip_gap}
    members = tuple(members)
    # the game's members only; the workbook's other members are outside every coalition
    base = restrict(instance, members).with_settings(coordination=COORDINATED)
    chosen, choice = resolve(engine, base)
    order = all_coalitions(members)
    workers = worker_count(jobs, len(order), estimated_columns(base))
    tasks = coalition_tasks(base, scenario_data(instance), order, members,
                            chosen, kw,
                            progress if workers == 1 else None)
    solves: dict[Coalition, CoalitionSolve] = {}
    started = {task.key: i for i, task in enumerate(tasks, start=1)}

    def start(task: Task) -> None:
        if on_start:
            on_start(started[task.key], len(tasks), task.label)

    def done(d: Done) -> None:
        coalition, result = d.task.key, d.result
        if isinstance(result, SolveRun):
            out = result.outcome
            result = (out.status, out.objective if out.has_plan else None, out.bound,
                      out.no_plan_reason)
        solves[coalition] = CoalitionSolve(coalition, d.task.label, *result[:3], d.seconds,
                                           result[3])
        if on_solved:
            on_solved(solves[coalition], _savings_so_far(solves, coalition))

    finished = Runner(workers, on_start=start, on_done=done).run(tasks)
    grand = finished[base.member_set].result
    record_choice(grand, choice)
    game = Game(members, {c: solves[c].cost for c in order})
    return CoalitionRun(instance, members, {c: solves[c] for c in order}, grand, game)


def _savings_so_far(solves: dict[Coalition, CoalitionSolve], coalition: Coalition):
    """The coalition's savings against its members alone, once they are all solved."""
    found = [solves.get(frozenset([j])) for j in coalition] + [solves[coalition]]
    parts = [s.cost if s is not None else None for s in found]
    if any(p is None for p in parts):
        return None
    return sum(parts[:-1]) - parts[-1]


# ====================================================================== the report


def _musd(x: float) -> str:
    """A MUSD figure for reading: 0.1 above 10, three decimals below."""
    if abs(x) >= 10:
        return f"{x:,.1f} MUSD"
    return f"{x:,.3f} MUSD".replace("-0.000", "0.000")


def _list(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _status_words(solve: CoalitionSolve) -> str:
    if solve.status == INFEASIBLE:
        return (f"{solve.name} has no feasible plan on its own: its requirements (budgets, "
                "stockpile floors and the rest) cannot all be met together")
    return f"no plan was found for {solve.name} ({solve.reason or solve.status})"


def findings(run: CoalitionRun) -> list[str]:
    """The report's sentences: savings of the bloc, what is undefined and why, stability
    and the coalitions that would rather leave, and which partner's joining saves most."""
    game, members, solves = run.game, run.members, run.solves
    grand = game.grand
    out = []
    if not run.full_workbook_bloc:
        outside = [m for m in run.instance.members if m not in grand]
        one_in, one_out = len(members) == 1, len(outside) == 1
        out.append(f"Only {_list(members)} {'is' if one_in else 'are'} played: "
                   f"{_list(outside)} {'is' if one_out else 'are'} treated as "
                   f"{'an outside country' if one_out else 'outside countries'} in every "
                   "coalition, and budget rows for ALL members are not applied.")
    savings = game.savings(grand)
    if savings is not None and len(members) > 1:
        alone = sum(game.cost([j]) for j in members)
        together = game.cost(grand)
        if savings >= 0:
            out.append(f"Planning together, the full bloc ({coalition_name(grand, members)}) "
                       f"costs {_musd(together)}; each member planning alone would cost "
                       f"{_musd(alone)} in all, so the bloc saves {_musd(savings)}.")
        else:
            out.append(f"Planning together, the full bloc ({coalition_name(grand, members)}) "
                       f"costs {_musd(together)}, {_musd(-savings)} more than its members "
                       f"planning alone ({_musd(alone)} in all): joint rules, such as a "
                       "budget for ALL members, can cost more than cooperation saves.")
    if not game.defined:
        missing = [solves[c] for c in game.undefined_coalitions]
        for solve in missing[:MAX_SENTENCES]:
            words = _status_words(solve)
            out.append(words[0].upper() + words[1:] + ".")
        if len(missing) > MAX_SENTENCES:
            out.append(f"… and {len(missing) - MAX_SENTENCES} more coalitions without a plan "
                       "(see the Coalitions sheet).")
        out.append("Because a coalition has no cost, the fair shares of the savings and "
                   "their stability are undefined.")
        return out

    shares, fair = game.shapley, game.fair_costs
    for j in members:
        if shares[j] < -1e-9 * max(1.0, abs(game.cost([j]))):
            out.append(f"{j}'s fair share of the savings is negative ({_musd(shares[j])}): "
                       f"the bloc costs {j} more ({_musd(fair[j])}) than planning alone "
                       f"({_musd(game.cost([j]))}).")
    tolerance = max((s.cost - s.bound for s in solves.values()
                     if s.cost is not None and s.bound is not None), default=0.0)
    if game.stable:
        if len(members) > 1:
            out.append("The fair shares are stable: no group of members would pay less by "
                       "leaving the bloc and planning on its own.")
    else:
        blocking = game.blocking
        groups = "one group" if len(blocking) == 1 else f"{len(blocking)} groups"
        out.append(f"The fair shares are not stable: {groups} of members would pay less on "
                   "their own than their fair costs in the full bloc.")
        for b in blocking[:MAX_SENTENCES]:
            note = " (within the solver's tolerance)" if b.excess <= tolerance else ""
            who = coalition_name(b.coalition, members)
            plural = len(b.coalition) > 1
            out.append(f"{who} would rather leave: at fair shares "
                       f"{'they pay' if plural else 'it pays'} {_musd(b.fair_cost)} in the "
                       f"full bloc, but only {_musd(b.cost)} on "
                       f"{'their' if plural else 'its'} own ({_musd(b.excess)} less){note}.")
        if len(blocking) > MAX_SENTENCES:
            out.append(f"… and {len(blocking) - MAX_SENTENCES} more (see the Coalitions "
                       "sheet, column 'would rather leave').")
    if len(members) > 1:
        out.extend(_joining_sentences(game, members))
    unproven = [s for s in solves.values() if s.status == FEASIBLE]
    if unproven:
        out.append(f"{len(unproven)} coalition(s) stopped at the time limit with a plan not "
                   "proven optimal: their costs are upper bounds, so savings and shares are "
                   "approximate.")
    if tolerance > CORE_TOLERANCE * max(1.0, abs(game.cost(grand))):
        out.append(f"Each cost is proven optimal to within the solver's gap (at most "
                   f"{_musd(tolerance)} on any coalition): differences smaller than that are "
                   "within the solver's tolerance.")
    return out


def _joining_sentences(game: Game, members: Sequence[str]) -> list[str]:
    """Which partner's joining the others saves the most, and what the others' save."""
    grand = game.grand
    values = {j: game.joining_the_others(j) for j in members}
    ranked = sorted(members, key=lambda j: -values[j])
    best = ranked[0]
    ties = [j for j in ranked if values[best] - values[j] <= 1e-9 * max(1.0, abs(values[best]))]
    if len(ties) == len(members):
        return [f"Each member's joining the others saves the same: {_musd(values[best])}."]
    others = grand - {best}
    out = [f"{_list(ties)}'s joining the others saves the most: {_musd(values[best])} "
           f"(the others without {best}: {_musd(game.cost(others))}; {best} alone: "
           f"{_musd(game.cost([best]))}; all together: {_musd(game.cost(grand))})."
           if len(ties) == 1 else
           f"{_list(ties)} save the most by joining the others: {_musd(values[best])} each."]
    rest = [j for j in ranked if j not in ties]
    out.append("Joining the others saves " + ", ".join(
        f"{_musd(values[j])} for {j}" for j in rest) + ".")
    return out


def coalition_tables(run: CoalitionRun) -> list[Table]:
    """The Coalitions, Shares and Stability sheets."""
    game, members = run.game, run.members
    blocking = {b.coalition for b in game.blocking or []}
    fair = game.fair_costs
    rows = []
    for coalition, solve in run.solves.items():
        savings = game.savings(coalition)
        fair_sum = (sum(fair[j] for j in coalition) if fair is not None else "undefined")
        rather_leave = ("undefined" if fair is None else
                        "yes" if coalition in blocking else "no")
        rows.append((solve.name, len(coalition),
                     solve.cost if solve.cost is not None else solve.status,
                     savings if savings is not None else "undefined",
                     fair_sum, rather_leave, solve.status, solve.seconds))
    coalitions = Table(
        "Coalitions",
        ("coalition", "members (count)", "cost (MUSD)", "savings (MUSD)",
         "members' fair cost in the full bloc (MUSD)", "would rather leave", "status",
         "solve time (s)"),
        rows,
        {"cost (MUSD)": MUSD, "savings (MUSD)": MUSD,
         "members' fair cost in the full bloc (MUSD)": MUSD, "solve time (s)": "0.00"},
    )
    share_rows = []
    for j in members:
        alone = game.cost([j])
        joining = game.joining_the_others(j)
        share_rows.append((
            j,
            alone if alone is not None else run.solves[frozenset([j])].status,
            game.shapley[j] if game.defined else "undefined",
            fair[j] if fair is not None else "undefined",
            joining if joining is not None else "undefined",
        ))
    shares = Table(
        "Shares",
        ("member", "stand-alone cost (MUSD)", "Shapley share of the savings (MUSD)",
         "fair cost in the bloc (MUSD)", "value of joining the others (MUSD)"),
        share_rows,
        {"stand-alone cost (MUSD)": MUSD, "Shapley share of the savings (MUSD)": MUSD,
         "fair cost in the bloc (MUSD)": MUSD, "value of joining the others (MUSD)": MUSD},
    )
    stability = Table("Stability", ("finding",), [(s,) for s in findings(run)])
    return [stability, shares, coalitions]


def coalition_results(run: CoalitionRun) -> Results:
    """The full bloc's results with the coalitions' Summary keys
    (:data:`optimizer.summary.COALITIONS`, :data:`optimizer.summary.PER_MEMBER`) and
    sheets added."""
    results = run.grand.results
    game, members = run.game, run.members
    grand_solve = run.solves[game.grand]
    savings = game.savings(game.grand)
    stable = game.stable
    values = {
        "grand_coalition_cost_musd":
            grand_solve.cost if grand_solve.cost is not None else grand_solve.status,
        "grand_coalition_savings_musd": "undefined" if savings is None else savings,
        "core_stable": "undefined" if stable is None else ("yes" if stable else "no"),
        "coalitions_solved": len(run.solves),
    }
    standalone, shapley = PER_MEMBER
    for key in COALITIONS[:3]:
        results.set(key.key, values[key.key])
    for j in members:
        alone = run.solves[frozenset([j])]
        results.set(member_key(standalone, j),
                    alone.cost if alone.cost is not None else alone.status)
    for j in members:
        results.set(member_key(shapley, j), game.shapley[j] if game.defined else "undefined")
    results.set("coalitions_solved", values["coalitions_solved"])
    results.tables[:0] = coalition_tables(run)
    return results


def coalitions_workbook(
    input_path: Path,
    output: Path | None = None,
    *,
    members: Sequence[str] | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress=None,
    on_start: OnStart | None = None,
    on_solved: OnSolved | None = None,
    jobs: int | None = 1,
    engine: Engine | AutoEngine = EXTENSIVE_FORM,
) -> tuple[CoalitionRun, Path]:
    """``stockpile coalitions``: the pipeline's chain with, between reading and writing,
    the members chosen, every coalition solved and the game's figures added."""

    def compute(instance: Instance) -> CoalitionRun:
        chosen = choose_members(instance, members)
        run = solve_coalitions(instance, chosen, time_limit=time_limit, mip_gap=mip_gap,
                               progress=progress, on_start=on_start, on_solved=on_solved,
                               jobs=jobs, engine=engine)
        coalition_results(run)
        return run

    return run_workbook(input_path, output, compute, suffix="coalitions")
