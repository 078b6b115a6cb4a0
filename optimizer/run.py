"""What one solve of an instance gives, whatever the engine: the solver's outcome, the
results for the report and the plan; and the exit codes of WORKBOOK.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from instance import Instance
from optimizer.results import Results
from optimizer.solve import FEASIBLE, INFEASIBLE, OPTIMAL, SolveOutcome

# Exit codes of WORKBOOK.md
EXIT_OK, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_FAILURE = 0, 1, 2, 3


@dataclass
class SolveRun:
    """The outcome of one solve of an instance, for the terminal and the report."""

    instance: Instance
    outcome: SolveOutcome
    results: Results
    build_seconds: float
    plan: dict = field(default_factory=dict)
    extra_inputs: ClassVar[tuple] = ()
    report_on_error: ClassVar[bool] = False

    @property
    def exit_code(self) -> int:
        if self.outcome.status in (OPTIMAL, FEASIBLE):
            return EXIT_OK
        if self.outcome.status == INFEASIBLE:
            return EXIT_INFEASIBLE
        return EXIT_FAILURE
