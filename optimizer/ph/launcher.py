"""The parent side of a PH run: whether MPI can run here, the ``mpiexec`` command for the
driver (:mod:`optimizer.ph.driver`), and running it with its log streamed and a time
limit that kills the whole process group.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

INSTALL_HINT = (
    "install with: apt-get install openmpi-bin libopenmpi-dev && pip install -e '.[ph]'"
)
# seconds allowed beyond the PH time limit for launch, scenario building and the wrap-up
LAUNCH_MARGIN_S = 120.0


def missing_requirements() -> str | None:
    """Why PH cannot run here (``None`` when it can)."""
    missing = [name for name in ("mpi4py", "mpisppy") if find_spec(name) is None]
    if shutil.which("mpiexec") is None:
        missing.insert(0, "mpiexec (Open MPI)")
    if not missing:
        return None
    return f"progressive hedging needs {', '.join(missing)}; {INSTALL_HINT}"


def mpiexec_command(ranks: int, args: list[str]) -> list[str]:
    """``mpiexec`` for ``ranks`` ranks of this module, oversubscribed only when the
    machine has fewer cores (spokes busy-wait, so oversubscription is slow)."""
    cmd = [shutil.which("mpiexec") or "mpiexec", "-n", str(ranks)]
    if ranks > (os.cpu_count() or 1):
        cmd.append("--oversubscribe")
    return cmd + [sys.executable, "-m", "mpi4py", "-m", "optimizer.ph.driver", *args]


def run_mpi(
    command: list[str],
    *,
    cwd: Path,
    timeout: float | None,
    on_line: Callable[[str], None] | None = None,
) -> tuple[int | None, list[str]]:
    """Run ``command``, streaming its output lines; ``(return code, last lines)``, the
    code ``None`` when the timeout killed it."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    tail: list[str] = []
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail = (tail + [line])[-40:]
            if on_line:
                on_line(line)
        proc.wait()
    finally:
        if timer:
            timer.cancel()
        if proc.poll() is None:
            kill()
            proc.wait()
    return (None if timed_out.is_set() else proc.returncode), tail
