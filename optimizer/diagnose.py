"""Explaining an infeasible workbook (placeholder: filled in by the elastic re-solve)."""

from __future__ import annotations

from optimizer.data import Instance
from optimizer.results import Results, Table


def diagnose(instance: Instance) -> Results:
    table = Table("Diagnosis", ("finding",), [("The requirements cannot all be met.",)])
    return Results(instance.settings.title, [], [table])
