"""Independent solves across the machine's cores.

``stockpile analyze`` (RP, the other coordination mode, EV then EEV, one wait-and-see
solve per scenario), ``sweep`` (one solve per value) and ``coalitions`` (one solve per
coalition) are made of solves that do not need each other's answers. :class:`Runner` runs
such :class:`Task` s either one after the other in this process (one job: the order they
are given, nothing pickled), or in a pool of spawned worker processes, each task's
function and arguments pickled to a worker and its result (plain numbers, a
:class:`~optimizer.solve.SolveOutcome`, a :class:`~optimizer.run.SolveRun`) pickled back.

* Workers: ``--jobs N`` (default: every core), never more than the tasks, and never more
  than the memory available holds at the size of the largest task (:func:`worker_count`).
  With more than one worker, each HiGHS runs on one thread: the MIP search is serial, and
  N solves on N cores beat one solve with N threads.
* A task may start others when it finishes (EEV once EV gives its optimum and plan), and
  a group of tasks may be dropped (the other wait-and-see scenarios once one has no plan).
* Ctrl-C stops everything: workers ignore the interrupt, the main process catches it,
  kills the pool and raises :class:`~optimizer.solve.SolveInterrupted` (nothing is
  written). A worker's exception is raised in the main process, the pool killed.
* ``on_done`` hears of each finished task (one line per solve in the terminal).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace

from optimizer import solve as solve_module
from optimizer.solve import SolveInterrupted

# Memory of one solve: the interpreter and libraries, plus about 10 kB per model column
# (p_medium's extensive form, 90,000 columns, peaks at about 0.9 GB).
BASE_BYTES = 250e6
BYTES_PER_COLUMN = 10e3
# a model this small solves in well under the second or two a spawned worker takes to
# start (importing Pyomo and HiGHS)
SMALL_COLUMNS = 3_000
WAIT_S = 0.2  # how often the main process looks up from waiting (to catch Ctrl-C)


@dataclass(frozen=True)
class Task:
    """One independent solve: ``func(*args)`` (a module-level function, so it can be
    pickled), called ``label`` in progress lines, of about ``columns`` model columns;
    ``group`` names tasks that can be dropped together; ``exclusive`` tasks (a PH run
    that takes every core itself) run in this process while no worker runs."""

    key: Hashable
    label: str
    func: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    columns: int = 0
    group: str = ""
    exclusive: bool = False


@dataclass(frozen=True)
class Done:
    """A finished task: its result and the seconds it took."""

    task: Task
    result: object
    seconds: float


def available_bytes() -> float | None:
    """``MemAvailable`` of ``/proc/meminfo`` (``None`` where there is no such file)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def worker_count(jobs: int | None, tasks: int, columns: int) -> int:
    """Workers for ``tasks`` tasks of at most ``columns`` columns: ``jobs`` (``None``:
    every core, but one for a model under :data:`SMALL_COLUMNS`, solved faster than a
    worker starts), at most one per task, at most what the available memory holds."""
    if jobs is None and columns < SMALL_COLUMNS:
        return 1
    n = jobs or os.cpu_count() or 1
    memory = available_bytes()
    if memory is not None:
        n = min(n, max(1, int(memory // (BASE_BYTES + BYTES_PER_COLUMN * columns))))
    return max(1, min(n, tasks))


def _init_worker() -> None:
    """A worker leaves Ctrl-C to the main process and gives HiGHS one thread."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    solve_module.DEFAULT_THREADS = 1


def _portable(result):
    """A result fit to pickle back: the plan's LP (marginal values, a live HiGHS) stays
    in the worker."""
    if isinstance(result, tuple):
        return result
    outcome = getattr(result, "outcome", result)
    if getattr(outcome, "marginals", None) is not None:
        if outcome is result:
            return replace(result, marginals=None)
        result.outcome = replace(outcome, marginals=None)
    return result


def outcome_of(result):
    """The solver's outcome in a task's result: a :class:`~optimizer.solve.SolveOutcome`,
    the outcome of a :class:`~optimizer.run.SolveRun`, or the first item of a tuple."""
    if isinstance(result, tuple):
        result = result[0]
    return getattr(result, "outcome", result)


def _call(func, args, kwargs):
    """What a worker runs: the task, timed."""
    t0 = time.perf_counter()
    result = func(*args, **kwargs)
    return _portable(result), time.perf_counter() - t0


class Runner:
    """Runs tasks serially (one job) or in a pool of spawned workers; ``react(done)``
    may return further tasks (run before those waiting) and call :meth:`drop`."""

    def __init__(self, jobs: int | None = 1, *, on_start=None, on_done=None):
        self.jobs = jobs
        self.on_start: Callable[[Task], None] = on_start or (lambda task: None)
        self.on_done: Callable[[Done], None] = on_done or (lambda done: None)
        self.waiting: list[Task] = []
        self.results: dict[Hashable, Done] = {}

    def drop(self, group: str) -> None:
        """Forget the waiting tasks of ``group`` (those running finish)."""
        self.waiting = [t for t in self.waiting if t.group != group]

    def run(self, tasks: Iterable[Task],
            react: Callable[[Done], Iterable[Task] | None] | None = None) -> dict:
        """Every task (and those ``react`` adds), key → :class:`Done`."""
        self.waiting = list(tasks)
        react = react or (lambda done: None)
        largest = max((t.columns for t in self.waiting), default=0)
        workers = worker_count(self.jobs, len(self.waiting), largest)
        if workers <= 1:
            self._serial(react)
        else:
            self._pool(workers, react)
        return self.results

    def _finish(self, done: Done, react) -> None:
        self.results[done.task.key] = done
        self.on_done(done)
        self.waiting[:0] = list(react(done) or ())

    def _serial(self, react) -> None:
        while self.waiting:
            task = self.waiting.pop(0)
            self.on_start(task)
            self._here(task, react)

    def _pool(self, workers: int, react) -> None:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker)
        running: dict[Future, Task] = {}
        try:
            while self.waiting or running:
                while self.waiting and len(running) < workers:
                    task = self.waiting[0]
                    if task.exclusive and running:
                        break  # it runs alone, here, once the others are done
                    self.waiting.pop(0)
                    self.on_start(task)
                    if task.exclusive:
                        self._here(task, react)
                    else:
                        running[pool.submit(_call, task.func, task.args, task.kwargs)] = task
                if running:
                    self._collect(running, react)
        except KeyboardInterrupt:
            _stop(pool)
            raise SolveInterrupted("the solves were interrupted") from None
        except BrokenProcessPool:
            _stop(pool)
            raise RuntimeError("a worker process died (out of memory?); try --jobs 1") from None
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown()

    def _here(self, task: Task, react) -> None:
        t0 = time.perf_counter()
        result = task.func(*task.args, **task.kwargs)
        self._finish(Done(task, result, time.perf_counter() - t0), react)

    def _collect(self, running: dict, react) -> None:
        """Wait for a task to finish (looking up every :data:`WAIT_S` so Ctrl-C is
        heard), and take in every finished one."""
        finished, _ = wait(running, timeout=WAIT_S, return_when=FIRST_COMPLETED)
        for future in finished:
            task = running.pop(future)
            result, seconds = future.result()  # a worker's exception is raised here
            self._finish(Done(task, result, seconds), react)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the workers now (a solve cannot be asked to stop) and cancel what waits."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)
