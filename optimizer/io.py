"""Reading an input workbook: the whole chain in one place.

:func:`read_instance` runs ``open_workbook`` (the safe opening of an untrusted file,
:mod:`optimizer.safe_open`) → ``read_tables`` (every cell parsed by the schema,
:mod:`optimizer.parse`) → ``validate`` (rules across cells, :mod:`optimizer.validate`) →
``to_instance`` (one builder per sheet, defaults applied, years mapped to ``t = 1..H``,
:mod:`optimizer.builders`). It never raises for bad input: it returns every problem at
once, and raises only :class:`~optimizer.safe_open.UnreadableWorkbook` for a file it
cannot open.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from instance import Instance
from optimizer.builders import to_instance
from optimizer.parse import read_tables
from optimizer.safe_open import open_workbook
from optimizer.tables import Problem
from optimizer.validate import validate


@dataclass(frozen=True)
class ReadResult:
    """What reading a workbook gives: the instance (``None`` when there are errors) and
    every problem and warning found."""

    instance: Instance | None
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.instance is not None


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_instance(path: str | os.PathLike) -> ReadResult:
    """Read, parse and validate a workbook. Raises only ``UnreadableWorkbook``."""
    sheets = open_workbook(path)
    tables = read_tables(sheets)
    validate(tables)
    errors = tuple(p for p in tables.problems if not p.warning)
    warnings = tuple(p for p in tables.problems if p.warning)
    if errors:
        return ReadResult(None, errors, warnings)
    instance = to_instance(tables, Path(path).name, sha256_of(path))
    return ReadResult(instance, (), warnings)
