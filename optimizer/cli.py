"""The ``stockpile`` command line.

    stockpile template PATH            an empty input workbook with instructions
    stockpile validate INPUT           every problem in a workbook, with its cell
    stockpile solve [INPUT] [-o OUT]   the plan, written as an Excel report

Exit codes (WORKBOOK.md): 0 a report with status optimal or feasible; 1 invalid input
(nothing solved, nothing written); 2 infeasible (a report explains why); 3 any other
failure.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from optimizer import __version__
from optimizer.engines import AutoEngine
from optimizer.extensive import ExtensiveForm
from optimizer.io import read_instance
from optimizer.options import (
    Engine,
    EngineOpt,
    InputArg,
    JobsOpt,
    MipGapOpt,
    OutputOpt,
    TimeLimitOpt,
    auto_engine,
    benders_engine,
    ph_engine,
    said,
    solve_line,
)
from optimizer.pipeline import EXAMPLE, InvalidInput, solve_workbook
from optimizer.run import EXIT_FAILURE, EXIT_INFEASIBLE, EXIT_INVALID, EXIT_OK
from optimizer.safe_open import UnreadableWorkbook
from optimizer.summary import ANALYSIS
from optimizer.terminal import Phases, err, fmt, out, print_problems, print_run
from optimizer.xlsx import OutputPathError, check_output

app = typer.Typer(
    name="stockpile",
    help="Plan critical-mineral projects and stockpiles for a bloc of countries under "
    "disruption risk (two-stage stochastic MILP, Pyomo + HiGHS). Excel in, Excel out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

@app.command()
def validate(
    input: Annotated[Path, typer.Argument(help="Input workbook (.xlsx).")],
) -> None:
    """Check a workbook and print every problem with its cell (exit 0 clean, 1 problems).

    Example: stockpile validate inputs/north_america.xlsx
    """
    try:
        result = read_instance(input)
    except UnreadableWorkbook as exc:
        err.print(f"error   {exc}", markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    if result.errors or result.warnings:
        print_problems(result.errors, result.warnings)
    if result.errors:
        raise typer.Exit(EXIT_INVALID)
    inst = result.instance
    out.print(
        f"{input}: valid ({len(inst.members)} members, {len(inst.commodities)} commodities, "
        f"{inst.settings.horizon_years} years, {len(inst.scenarios)} scenarios, "
        f"{len(inst.eligible_projects)} eligible projects)"
    )


@app.command()
def template(
    path: Annotated[Path, typer.Argument(help="Where to write the empty workbook.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write an empty input workbook with every sheet, header, drop-down and an
    Instructions sheet.

    Example: stockpile template my_plan.xlsx
    """
    from optimizer.template import write_template

    try:
        check_output(path, "template path")
    except OutputPathError as exc:
        err.print(f"error   {exc}", markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    if path.exists() and not force:
        err.print(f"error   {path} exists; not overwritten (use --force to replace it)")
        raise typer.Exit(EXIT_INVALID)
    write_template(path)
    out.print(f"wrote {path}: fill the sheets, then `stockpile validate {path}`")


def _solve_decomposed(input: Path, output, time_limit, mip_gap, engine, what: str) -> None:
    """``solve --engine ph`` or ``benders``: ``engine`` prints its own progress lines,
    the same report."""
    out.print(f"stockpile {__version__}: {what} on {input}")
    run, path = _handle_input_errors(lambda: solve_workbook(
        input, output, engine=engine, time_limit=time_limit, mip_gap=mip_gap))
    print_run(run, path)
    raise typer.Exit(run.exit_code)


@app.command()
def solve(
    input: InputArg = None,
    output: OutputOpt = None,
    time_limit: TimeLimitOpt = None,
    mip_gap: MipGapOpt = None,
    engine: EngineOpt = Engine.auto,
    ranks: Annotated[int, typer.Option("--ranks", min=1, help="MPI ranks for progressive "
                                                              "hedging (default 2).")] = 2,
    bundle: Annotated[int | None, typer.Option(
        "--bundle", min=1, help="Scenarios per bundle for progressive hedging, about "
                                "(the nearest divisor of the scenario count); 1: no "
                                "bundles. Default about 10: up to 13 scenarios "
                                "make one bundle, solved exactly.")
    ] = None,
    rel_gap: Annotated[float, typer.Option(
        "--rel-gap", min=0.0, help="Relative gap at which progressive hedging stops; the "
                                   "status is optimal only within --mip-gap.")] = 0.01,
    lagrangian: Annotated[bool, typer.Option(
        "--lagrangian/--no-lagrangian",
        help="Run the Lagrangian lower-bound spoke beside the PH hub (default off: with "
             "bundles, the bundles' own bound was as good in every measurement, and the "
             "hub gets every rank).")] = False,
) -> None:
    """Validate, build, solve and write the report.

    Example: stockpile solve inputs/north_america.xlsx -o reports/plan.xlsx --mip-gap 1e-4

    Many scenarios: stockpile solve big.xlsx --engine benders (or --engine ph --ranks 2)
    """
    input = input or EXAMPLE
    _check_output(input, output)
    if engine == Engine.ph:
        ph = ph_engine(ranks, bundle, rel_gap, lagrangian)
        _solve_decomposed(input, output, time_limit, mip_gap, ph, (
            f"progressive hedging (up to {ranks} ranks, "
            + (f"bundles of about {ph.bundle} scenarios)" if ph.bundle > 1
               else "no bundles)")))
        return
    if engine == Engine.benders:
        _solve_decomposed(input, output, time_limit, mip_gap, benders_engine(),
                          "the L-shaped method")
        return
    phases = Phases(out)
    out.print(f"stockpile {__version__}: solving {input}")
    chosen = ExtensiveForm() if engine == Engine.ef else AutoEngine(
        ph=ph_engine(ranks, bundle, rel_gap, lagrangian), benders=benders_engine(),
        on_choice=said)
    with out.status("solving…") as status:
        phases.status = status
        run, path = _handle_input_errors(lambda: solve_workbook(
            input, output, engine=chosen, time_limit=time_limit, mip_gap=mip_gap,
            progress=phases.progress, on_phase=phases.phase))
    print_run(run, path)
    raise typer.Exit(run.exit_code)


def _check_output(input: Path, output: Path | None) -> None:
    """An output path that cannot take the report is invalid input: one line, exit 1,
    before anything is shown, read or solved (the pipeline checks the default path)."""
    from optimizer.pipeline import check_output_path

    if output is not None:
        _handle_input_errors(lambda: check_output_path(input, output))


def _handle_input_errors(func):
    """Run ``func``; turn input problems into messages and exit code 1."""
    try:
        return func()
    except UnreadableWorkbook as exc:
        err.print(f"error   {exc}", markup=False)
    except InvalidInput as exc:
        print_problems(exc.errors, exc.warnings)
        err.print("nothing was solved; fix the workbook and run again")
    except OutputPathError as exc:  # checked before anything is read or solved
        err.print(f"error   {exc}", markup=False)
    except KeyboardInterrupt:
        err.print("interrupted: the solver was stopped and nothing was written")
        raise typer.Exit(130) from None
    raise typer.Exit(EXIT_INVALID)


@app.command()
def analyze(
    input: InputArg = None,
    output: OutputOpt = None,
    time_limit: TimeLimitOpt = None,
    mip_gap: MipGapOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """Solve the plan and answer the planner's questions: value of coordination, VSS and
    EVPI (writes an Analysis sheet and six Summary keys). The solves are independent and
    run --jobs at a time, one line each as it finishes.

    Example: stockpile analyze inputs/north_america.xlsx -o reports/north_america-analysis.xlsx
    """
    from optimizer.analysis import analyze_workbook

    input = input or EXAMPLE
    _check_output(input, output)
    out.print(f"stockpile {__version__}: analysing {input}")
    t0 = time.perf_counter()
    with out.status("analysing…") as status:
        phases = Phases(out)
        phases.status = status
        running: list[str] = []

        def step(name):
            running.append(name)
            status.update("solving: " + "; ".join(running))

        def solved(name, outcome, seconds):
            running.remove(name)
            status.update("solving: " + "; ".join(running) if running else "writing…")
            out.print(f"  {time.perf_counter() - t0:7.1f} s  "
                      f"{solve_line(name, outcome, seconds)}", markup=False)

        analysis, path = _handle_input_errors(lambda: analyze_workbook(
            input, output, time_limit=time_limit, mip_gap=mip_gap,
            progress=phases.progress, step=step, solved=solved, jobs=jobs,
            engine=auto_engine()))
    print_run(analysis.rp, path)
    from optimizer.figures import remark

    out.print("Analysis (MUSD)")
    for k in ANALYSIS:  # one line each, the remark never wrapped away from its figure
        fig = analysis.figures[k.key]
        value = fmt(fig.value if fig.value is not None else "not solved")
        out.print(f"  {k.key:<28} {value:>18}  {remark(fig)}".rstrip(), markup=False)
    raise typer.Exit(analysis.rp.exit_code)


def _coalition_columns() -> tuple:
    """The coalitions progress bar: what is solving, the bar, done of all, times."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("coalitions"), TimeElapsedColumn(), TextColumn("left"),
            TimeRemainingColumn())


@app.command()
def coalitions(
    input: InputArg = None,
    output: OutputOpt = None,
    members: Annotated[str | None, typer.Option(
        "--members", help="Comma-separated member ids to play (default: every member of the "
                          "workbook; at most 10). The others are outside every coalition.")
    ] = None,
    time_limit: TimeLimitOpt = None,
    mip_gap: MipGapOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """Solve every coalition of the members and answer who should be in the bloc: each
    member's stand-alone cost, its fair (Shapley) share of the savings, whether any group
    would rather leave, and whose joining saves the most.

    Example: stockpile coalitions inputs/us_mexico.xlsx -o reports/us_mexico-coalitions.xlsx
    """
    from rich.progress import Progress

    from optimizer.coalitions import CoalitionRequest, coalitions_workbook

    input = input or EXAMPLE
    _check_output(input, output)
    listed = None if members is None else members.split(",")
    out.print(f"stockpile {__version__}: coalitions of {input}")
    with Progress(*_coalition_columns(), console=out, transient=True) as bar:
        task = bar.add_task("reading the workbook", total=None)

        current = {"name": "", "last": 0.0}

        def on_start(i, total, name):
            current["name"] = name
            bar.update(task, total=total, description=f"solving {name}")

        def progress(event):
            now = time.monotonic()
            if now - current["last"] >= 0.5:
                current["last"] = now
                gap = "" if event.gap is None else f", gap {100 * event.gap:.2f} %"
                bar.update(task, description=f"solving {current['name']}: "
                                             f"{event.seconds:.0f} s{gap}")

        def on_solved(solve, savings):
            cost = "-" if solve.cost is None else f"{solve.cost:,.6f} MUSD"
            saved = "" if savings is None or len(solve.coalition) == 1 else \
                f", saves {savings:,.6f} MUSD"
            bar.console.print(f"  {solve.name:<24} {solve.status:<10} cost {cost}{saved} "
                              f"({solve.seconds:.1f} s)", markup=False)
            bar.advance(task)

        def run():
            try:
                return coalitions_workbook(input, output, members=listed, time_limit=time_limit,
                                           mip_gap=mip_gap, progress=progress, jobs=jobs,
                                           engine=auto_engine(),
                                           on_start=on_start, on_solved=on_solved)
            except CoalitionRequest as exc:
                err.print(f"error   {exc}", markup=False)
                raise typer.Exit(EXIT_INVALID) from None

        result, path = _handle_input_errors(run)
    table = RichTable(title="Shares (MUSD)", box=None)
    shares = result.results.table("Shares")
    for name in shares.columns:
        table.add_column(name, justify="left" if name == "member" else "right")
    for row in shares.rows:
        table.add_row(*(fmt(v) for v in row))
    out.print(table)
    for sentence in result.results.table("Stability").column("finding"):
        out.print(sentence, markup=False)
    out.print(f"report: {path}")
    raise typer.Exit(result.exit_code)


def _values(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"found {text!r}; expected numbers separated by commas, "
                                 "e.g. 0.5,1,1.5") from None
    if not values:
        raise typer.BadParameter("expected at least one value")
    return values


@app.command()
def sweep(
    input: InputArg = None,
    budget_scale: Annotated[str | None, typer.Option(
        "--budget-scale", help="Comma-separated factors for every budget, e.g. 0.5,1,1.5")] = None,
    floor_scale: Annotated[str | None, typer.Option(
        "--floor-scale", help="Comma-separated factors for every price floor.")] = None,
    risk_weight: Annotated[str | None, typer.Option(
        "--risk-weight", help="Comma-separated risk weights λ in [0,1] (the expected-cost "
                              "versus CVaR trade-off curve).")] = None,
    output: OutputOpt = None,
    time_limit: TimeLimitOpt = None,
    mip_gap: MipGapOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """Solve one plan per value of a budget scale, price-floor scale or risk weight and
    write a Frontier sheet with a chart.

    Example: stockpile sweep inputs/north_america.xlsx --risk-weight 0,0.25,0.5,0.75,1
    """
    from rich.progress import Progress

    from optimizer.sweeps import sweep_workbook

    chosen = [(name, text) for name, text in (("budget_scale", budget_scale),
                                              ("floor_scale", floor_scale),
                                              ("risk_weight", risk_weight)) if text]
    if len(chosen) != 1:
        err.print("error   give exactly one of --budget-scale, --floor-scale, --risk-weight")
        raise typer.Exit(EXIT_INVALID)
    parameter, text = chosen[0]
    values = _values(text)
    if parameter == "risk_weight" and any(not 0 <= v <= 1 for v in values):
        err.print(f"error   --risk-weight: found {text!r}; expected values in [0, 1]")
        raise typer.Exit(EXIT_INVALID)
    if any(v < 0 for v in values):
        err.print(f"error   --{parameter.replace('_', '-')}: found {text!r}; expected values >= 0")
        raise typer.Exit(EXIT_INVALID)
    input = input or EXAMPLE
    _check_output(input, output)
    with Progress(console=out, transient=False) as bar:
        task = bar.add_task(f"sweep {parameter}", total=len(values))

        def advance(value, run):
            bar.console.print(f"  {parameter} = {value:g}: {run.outcome.status}, objective "
                              f"{fmt(run.outcome.objective, 3)} MUSD")
            bar.advance(task)

        swept, path = _handle_input_errors(lambda: sweep_workbook(
            input, parameter, values, output, time_limit=time_limit, mip_gap=mip_gap,
            advance=advance, jobs=jobs, engine=auto_engine()))
    out.print(swept.results.value("finding"), markup=False)
    out.print(f"report: {path}")
    raise typer.Exit(EXIT_OK if swept.results.value("runs_with_plan") else EXIT_INFEASIBLE)


@app.command()
def sample(
    input: Annotated[Path, typer.Argument(help="Workbook with a Risks sheet.")],
    scenarios: Annotated[int, typer.Option("--scenarios", min=1, max=100_000,
                                           help="How many scenarios to draw.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same "
                                                     "sample).")] = 1,
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Sampled workbook to write.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUT if it exists.")] = False,
) -> None:
    """Turn the Risks sheet (a risk register) into N equally likely sampled scenarios,
    written as an ordinary input workbook.

    Example: stockpile sample inputs/north_america.xlsx --scenarios 1000 --seed 7 -o big.xlsx
    """
    from optimizer.pipeline import check_output_path, load
    from optimizer.sample import write_sample

    output = output or input.with_name(f"{input.stem}-sampled-{scenarios}.xlsx")

    def run():
        check_output_path(input, output, "sampled workbook path")
        return load(input)

    instance, _ = _handle_input_errors(run)
    if not instance.risks:
        err.print(f"error   {input}: found no Risks rows; expected a risk register in a "
                  "sheet named Risks (see stockpile template)")
        raise typer.Exit(EXIT_INVALID)
    if output.exists() and not force:
        err.print(f"error   {output} exists; not overwritten (use --force to replace it)")
        raise typer.Exit(EXIT_INVALID)
    path = write_sample(input, instance, scenarios, seed, output)
    out.print(f"wrote {path}: {scenarios} equally likely scenarios from "
              f"{len({r.risk for r in instance.risks})} risks (seed {seed})")


def main() -> None:
    """Entry point: a wrong option is invalid input (exit 1, as WORKBOOK.md's codes say,
    since 2 means infeasible), and no failure reaches the planner as a traceback."""
    from typer.exceptions import TyperException

    try:
        code = app(standalone_mode=False)
    except TyperException as exc:  # a wrong command or option
        if type(exc).__name__ == "NoArgsIsHelpError":
            out.print(exc.ctx.get_help(), markup=False)
            code = EXIT_OK
        else:
            exc.show()
            code = EXIT_INVALID
    except (KeyboardInterrupt, typer.Abort):
        err.print("interrupted: nothing was written")
        code = 130
    except Exception as exc:  # last line of defence: no traceback for a planner
        err.print(f"error   {type(exc).__name__}: {exc}", markup=False)
        err.print("this is a bug in stockpile; please report it with the workbook")
        code = EXIT_FAILURE
    sys.exit(code or 0)


__all__ = ["app", "main", "EXIT_OK"]
