"""``--engine auto``: the engine that fits the workbook's size.

The extensive form (:class:`~optimizer.extensive.ExtensiveForm`) proves optimality and is
the better engine whenever HiGHS can take the whole model; for workbooks too big for
that, the L-shaped method (:class:`~optimizer.benders.Benders`) decomposes it by scenario
and proves its gap (p_large: 0.149 % in 491 s, where progressive hedging's plan and
bound stood 0.34 % apart after 500 s), or, with a risk weight (which its cuts do not
bound), progressive hedging (:class:`~optimizer.ph.engine.ProgressiveHedging`).

The size is known before anything is built: :func:`estimated_columns` counts, for every
scenario and year, an import per Supply arc, an output per project, a stock per
stockpile, a transfer per transfer arc and a shortage per member–commodity balance
(p_medium: 97,200 against the 90,192 HiGHS receives). Up to :func:`ef_max_columns`
(300,000 on a 2-core machine with 24 GB: the extensive form of p_medium solves in 2–3
minutes; p_large, 824,000 estimated, is still at the root after 15 minutes) the extensive
form is chosen; above it, the L-shaped method without a risk weight; with one, PH when MPI
and mpi-sppy are installed, else the extensive form with the reason PH could not be used.

:class:`AutoEngine` is an engine like the others: it chooses, says which and why
(``on_choice``, one terminal line), solves with the chosen one and writes the reason into
the meaning of the Summary key ``engine``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from instance import Instance
from models.index import ModelIndex
from optimizer.benders import Benders
from optimizer.extensive import ExtensiveForm
from optimizer.ph.engine import ProgressiveHedging
from optimizer.ph.launcher import missing_requirements
from optimizer.run import SolveRun
from optimizer.summary import KEYS, Key

EF_MAX_COLUMNS = 300_000
THRESHOLD_ENV = "STOCKPILE_EF_MAX_COLUMNS"


def ef_max_columns() -> int:
    """The largest model the extensive form is given: :data:`EF_MAX_COLUMNS`, or the
    environment variable ``STOCKPILE_EF_MAX_COLUMNS`` when set (a whole number)."""
    text = os.environ.get(THRESHOLD_ENV, "").strip()
    return int(float(text)) if text else EF_MAX_COLUMNS


def estimated_columns(instance: Instance) -> int:
    """The extensive form's columns, estimated before building: scenarios × years ×
    (import arcs + projects + stockpiles + transfer arcs + balances)."""
    ix = ModelIndex(instance)
    per_year = (len(ix.arcs) + len(ix.projects) + len(ix.stockpiles)
                + len(ix.transfer_arcs) + len(ix.balance_pairs))
    return len(instance.scenarios) * ix.horizon * per_year


@dataclass(frozen=True)
class EngineChoice:
    """The engine chosen and why, in words."""

    engine: ExtensiveForm | ProgressiveHedging | Benders
    reason: str

    @property
    def line(self) -> str:
        """The terminal line: which engine, and why."""
        name = {"ef": "extensive form (ef)", "benders": "L-shaped method (benders)"}.get(
            self.engine.name) or f"progressive hedging (ph, {self.engine.ranks} ranks)"
        return f"engine: {name}: {self.reason}"


def choose_engine(instance: Instance, ph: ProgressiveHedging | None = None,
                  benders: Benders | None = None) -> EngineChoice:
    """The extensive form up to :func:`ef_max_columns` estimated columns; above,
    ``benders`` without a risk weight; with one, ``ph`` (default: 2 ranks, bundles of
    about 10 scenarios) when MPI and mpi-sppy are here, else the extensive form, saying
    why."""
    columns, limit = estimated_columns(instance), ef_max_columns()
    size = f"about {columns:,} columns, {'within' if columns <= limit else 'above'} the " \
           f"extensive form's limit of {limit:,} on this machine"
    if columns <= limit:
        return EngineChoice(ExtensiveForm(), f"{size} (it proves optimality)")
    if ModelIndex(instance).risk_weight == 0:
        return EngineChoice(benders or Benders(), f"{size}: the L-shaped method splits "
                                                  "the problem by scenario and proves its gap")
    size += ", with a risk weight"
    missing = missing_requirements()
    if missing:
        return EngineChoice(ExtensiveForm(), f"{size}, but {missing}; the extensive form "
                                             "is used instead and may take long")
    ph = ph or ProgressiveHedging()
    return EngineChoice(ph, f"{size}: progressive hedging splits the problem by scenario")


@dataclass(frozen=True)
class AutoEngine:
    """Chooses the engine for each instance it solves (:func:`choose_engine`), tells
    ``on_choice`` which and why, and records the reason in Summary's ``engine``."""

    ph: ProgressiveHedging | None = None
    benders: Benders | None = None
    on_choice: Callable[[EngineChoice], None] | None = field(default=None, compare=False)
    name: str = "auto"

    def choose(self, instance: Instance) -> EngineChoice:
        choice = choose_engine(instance, self.ph, self.benders)
        if self.on_choice:
            self.on_choice(choice)
        return choice

    def solve(self, instance: Instance, **kwargs) -> SolveRun:
        engine, choice = resolve(self, instance)
        run = engine.solve(instance, **kwargs)
        record_choice(run, choice)
        return run


def takes_the_machine(engine) -> bool:
    """A decomposition engine's solves run alone, in the calling process: PH starts its
    own MPI ranks, and the L-shaped method holds every scenario's LP (p_large: 200) and
    prints its progress."""
    return engine.name in ("ph", "benders")


def resolve(engine, instance: Instance) -> tuple[object, EngineChoice | None]:
    """The engine that solves ``instance``: ``engine`` itself, or the one an
    :class:`AutoEngine` chooses for it (told once), with the choice to record on the runs
    it makes (:func:`record_choice`); ``None`` for an engine given outright."""
    if isinstance(engine, AutoEngine):
        choice = engine.choose(instance)
        return choice.engine, choice
    return engine, None


def record_choice(run: SolveRun, choice: EngineChoice | None) -> None:
    """Summary's ``engine``, its meaning followed by why ``--engine auto`` chose it
    (nothing when the engine was not chosen by auto)."""
    if choice is None:
        return
    base = KEYS["engine"]
    run.results.set(Key(base.key, base.unit, f"{base.meaning}. Chosen by --engine auto: "
                                              f"{choice.reason}."), choice.engine.name)
