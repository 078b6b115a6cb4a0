"""Shared fixtures: a workbook's problems as the reader returns them (``check``), and
``stockpile validate`` run in-process with its output parsed (``validate``, for the tests
of what the command prints)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.io import read_instance

_PROBLEM = re.compile(r"^(error|warning)\s+(.+?): (.*)$")
_COUNT = re.compile(r"^(\d+) error\(s\), (\d+) warning\(s\)$")


@dataclass(frozen=True)
class Validation:
    """What ``stockpile validate`` printed, and its exit code."""

    exit_code: int
    stdout: str
    stderr: str
    errors: tuple[tuple[str, str], ...]
    """``(where, message)`` of each error line."""
    warnings: tuple[tuple[str, str], ...]
    counts: tuple[int, int] | None
    """``(errors, warnings)`` from the count line, ``None`` without one."""

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def error_cells(self) -> list[str]:
        return [where for where, _ in self.errors]

    def warning_cells(self) -> list[str]:
        return [where for where, _ in self.warnings]

    def error_at(self, where: str) -> str:
        """The message of the one error at ``where`` (fails the test otherwise)."""
        messages = [m for w, m in self.errors if w == where]
        assert len(messages) == 1, f"expected one error at {where}; got:\n{self.output}"
        return messages[0]

    def warning_at(self, where: str) -> str:
        messages = [m for w, m in self.warnings if w == where]
        assert len(messages) == 1, f"expected one warning at {where}; got:\n{self.output}"
        return messages[0]


def parse_validation(exit_code: int, stdout: str, stderr: str) -> Validation:
    errors, warnings, counts = [], [], None
    for line in stderr.splitlines():
        line = line.rstrip()
        if m := _PROBLEM.match(line):
            (errors if m[1] == "error" else warnings).append((m[2], m[3]))
        elif m := _COUNT.match(line):
            counts = (int(m[1]), int(m[2]))
    return Validation(exit_code, stdout, stderr, tuple(errors), tuple(warnings), counts)


_runner = CliRunner()


def run_validate(path: Path | str) -> Validation:
    """``stockpile validate PATH`` in-process (the same Typer app the command runs)."""
    result = _runner.invoke(app, ["validate", str(path)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return parse_validation(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def validate():
    """Run ``stockpile validate`` on a path; returns a :class:`Validation`."""
    return run_validate


@dataclass(frozen=True)
class Checked:
    """The problems :func:`optimizer.io.read_instance` returned for a workbook."""

    ok: bool
    errors: tuple[tuple[str, str], ...]
    """``(where, message)`` of each error."""
    warnings: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        lines = [f"error   {w}: {m}" for w, m in self.errors]
        lines += [f"warning {w}: {m}" for w, m in self.warnings]
        return "\n".join(lines) or "no problems"

    def error_cells(self) -> list[str]:
        return [where for where, _ in self.errors]

    def warning_cells(self) -> list[str]:
        return [where for where, _ in self.warnings]

    def error_at(self, where: str) -> str:
        """The message of the one error at ``where`` (fails the test otherwise)."""
        messages = [m for w, m in self.errors if w == where]
        assert len(messages) == 1, f"expected one error at {where}; got:\n{self}"
        return messages[0]

    def warning_at(self, where: str) -> str:
        messages = [m for w, m in self.warnings if w == where]
        assert len(messages) == 1, f"expected one warning at {where}; got:\n{self}"
        return messages[0]


def check_workbook(path: Path | str) -> Checked:
    """Read and validate ``path``; its problems."""
    result = read_instance(path)
    return Checked(result.ok, tuple((p.where, p.message) for p in result.errors),
                   tuple((p.where, p.message) for p in result.warnings))


@pytest.fixture
def check():
    """Read and validate a path; returns a :class:`Checked`."""
    return check_workbook
