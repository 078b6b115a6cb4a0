"""What the benchmark scripts measure a command with, and how they read its report.

* :class:`LoadSampler`: the 1-minute load average sampled while a run lasts;
* :func:`run_measured`: one command in a fresh process, its output and its figures (wall
  and CPU seconds, peak MB, the load during it);
* :func:`sheet` and :func:`read_summary`: a report's sheet rows and its Summary keys.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class LoadSampler:
    """The 1-minute load average every ``every`` seconds while a run lasts."""

    def __init__(self, every: float = 5.0):
        self.every = every
        self.samples = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> str:
        return f"{sum(self.samples) / len(self.samples):.1f} / {max(self.samples):.1f}"


def run_measured(cmd: list[str], on_line=None) -> tuple[int, str, str, dict]:
    """Run ``cmd`` from the project's root; return code, stdout, stderr and its figures:
    wall and CPU seconds and peak MB (the process and the children it waited for), the
    load average during it (mean / max).

    With ``on_line``, each stdout line goes to ``on_line(line, seconds since the start)``
    as it comes: the command then runs unbuffered, on a 200-column terminal width."""
    env = None if on_line is None else dict(os.environ, COLUMNS="200", PYTHONUNBUFFERED="1")
    lines = []
    with LoadSampler() as load, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, cwd=ROOT,
                                text=True, env=env)
        for line in proc.stdout:
            lines.append(line)
            if on_line is not None:
                on_line(line.rstrip("\n"), time.perf_counter() - t0)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err.seek(0)
        stderr = err.read()
    figures = {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "load": load.summary(),
    }
    return os.waitstatus_to_exitcode(status), "".join(lines), stderr, figures


def sheet(report: Path, name: str) -> list[tuple]:
    """The rows below the header of the report's sheet ``name`` (found by its name, case
    and surrounding blanks aside) whose first cell is filled."""
    import openpyxl

    wb = openpyxl.load_workbook(report, read_only=True, data_only=True)
    try:
        ws = next(ws for ws in wb.worksheets
                  if ws.title.strip().lower() == name.strip().lower())
        return [tuple(r) for r in ws.iter_rows(min_row=2, values_only=True) if r and r[0]]
    finally:
        wb.close()


def read_summary(report: Path) -> dict:
    """Column A -> column B of the report's Summary sheet."""
    return {str(r[0]).strip(): r[1] for r in sheet(report, "Summary")}
