"""Running scenarios, serially or on any ``concurrent.futures`` executor.

:func:`run_scenarios` cuts the scenarios into chunks of consecutive scenarios, so that each
worker loads the model once per chunk and warm-starts each scenario from the previous one,
and solves the chunks in this process or on any ``concurrent.futures.Executor`` (a
:func:`process_pool` on one machine, ``dask.distributed``'s ``Client.get_executor()`` on a
cluster). Results come back in the order of the scenarios, whatever the order in which
chunks finish, as a :class:`~allocator.scenarios.results.ScenarioResults`.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, as_completed
from typing import Any

from allocator.exceptions import InputError, SolverError
from allocator.model import Problem
from allocator.scenarios.outcome import ScenarioOutcome
from allocator.scenarios.results import ScenarioResults
from allocator.scenarios.spec import Scenario
from allocator.scenarios.worker import SweepWorker

__all__ = ["process_pool", "run", "run_chunk", "run_scenarios"]

_OPTIONS = ("tie_break", "time_limit", "rel_gap", "threads", "solver", "knapsack", "tuned")


def process_pool(max_workers: int | None = None) -> Executor:
    """A process pool that starts its workers with 'spawn' (HiGHS deadlocks forked children)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"))


def run_scenarios(
    problem: Problem,
    scenarios: Sequence[Scenario],
    executor: Executor | None = None,
    progress: bool | Callable[[int, int], None] = True,
    **solve_options: Any,
) -> ScenarioResults:
    """Solve every scenario of ``problem``; results in the order of the scenarios.

    ``executor``: ``None`` runs serially in this process; any ``concurrent.futures.Executor``
    runs chunks of scenarios on it (a :func:`process_pool`, or ``Client.get_executor()`` of
    ``dask.distributed``). ``progress``: a tqdm progress bar when tqdm is installed; or a
    function called as ``progress(done, total)`` each time scenarios finish (after each
    scenario when serial, after each chunk on an executor).
    ``solve_options``: ``tie_break`` (default True: the same decisions as
    :func:`allocator.solve`), ``time_limit`` (seconds per scenario), ``rel_gap``,
    ``threads``, ``solver``, ``knapsack`` (the exact knapsack fast path, default True),
    ``chunksize`` and ``raise_on_failure`` (default False: failures are rows of the results).
    """
    return run(problem, scenarios, executor=executor, progress=progress, **solve_options)


def _check_executor(executor: Executor) -> None:
    ctx = getattr(executor, "_mp_context", None)
    if ctx is not None and ctx.get_start_method() == "fork":
        raise InputError(
            "this process pool forks its workers, and HiGHS deadlocks in forked children; "
            "use allocator.scenarios.process_pool(n) or ProcessPoolExecutor(mp_context=multiprocessing.get_context('spawn'))"
        )


class _Callback:
    """A progress "bar" that calls ``fn(done, total)`` after each scenario or chunk."""

    def __init__(self, fn: Callable[[int, int], None], total: int) -> None:
        self.fn, self.total, self.done = fn, total, 0

    def update(self, n: int) -> None:
        self.done += n
        self.fn(self.done, self.total)

    def close(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool | Callable[[int, int], None]) -> Any:
    if callable(enabled):
        return _Callback(enabled, total)
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="scenario", desc="scenarios")


def _chunks(scenarios: list[Scenario], size: int) -> list[list[Scenario]]:
    return [scenarios[k : k + size] for k in range(0, len(scenarios), size)]


def run(
    problem: Problem,
    scenarios: Sequence[Scenario],
    *,
    executor: Executor | None = None,
    progress: bool | Callable[[int, int], None] = True,
    chunksize: int | None = None,
    raise_on_failure: bool = False,
    **options: Any,
) -> ScenarioResults:
    """Solve every scenario; see :func:`run_scenarios`."""
    t0 = time.perf_counter()
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise InputError(
            f"unknown options {sorted(unknown)}; the options are {sorted(_OPTIONS)}, chunksize, raise_on_failure"
        )
    scen = list(scenarios)
    names = [s.name for s in scen]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"scenario names must be unique; repeated: {dup[:5]}")
    for s in scen:
        if not isinstance(s, Scenario):
            raise InputError(
                f"give Scenario objects (got {type(s).__name__}); see allocator.scenarios.weight_samples and friends"
            )
        s.check(problem)
    bar = _progress_bar(len(scen), progress if callable(progress) else progress and len(scen) > 1)
    outcomes: list[ScenarioOutcome] = []
    try:
        if executor is None:
            worker = SweepWorker(problem, **options)
            worker.expect(len(scen))
            for s in scen:
                outcomes.append(worker.run(s))
                if bar is not None:
                    bar.update(1)
        else:
            _check_executor(executor)
            workers = int(getattr(executor, "_max_workers", 0) or 4)
            size = chunksize or max(1, min(200, math.ceil(len(scen) / (4 * workers))))
            parts = _chunks(scen, size)
            token = uuid.uuid4().hex
            futures: list[Future[list[ScenarioOutcome]]] = [
                executor.submit(run_chunk, problem, part, dict(options), token, math.ceil(len(scen) / workers))
                for part in parts
            ]
            done: dict[int, list[ScenarioOutcome]] = {}
            _collect(futures, done, bar)
            for k in range(len(parts)):
                outcomes.extend(done[k])
    finally:
        if bar is not None:
            bar.close()
    results = ScenarioResults(problem, tuple(scen), tuple(outcomes), time.perf_counter() - t0)
    if raise_on_failure:
        failed = [o for o in outcomes if not o.status.has_solution]
        if failed:
            o = failed[0]
            raise SolverError(
                f"{len(failed)} scenario(s) without a portfolio; first {o.scenario!r}: {o.status.value}: {o.message}"
            )
    return results


def _collect(futures: list[Future[list[ScenarioOutcome]]], done: dict[int, list[ScenarioOutcome]], bar: Any) -> None:
    index: dict[Future[list[ScenarioOutcome]], int] = {f: k for k, f in enumerate(futures)}
    for fut in as_completed(futures):
        res = fut.result()
        done[index[fut]] = res
        if bar is not None:
            bar.update(len(res))


_WORKERS: dict[str, SweepWorker] = {}


def run_chunk(
    problem: Problem, scenarios: list[Scenario], options: dict[str, Any], token: str | None = None, expected: int = 0
) -> list[ScenarioOutcome]:
    """Solve a list of scenarios in one worker (the unit of work sent to executors).

    Chunks of the same run (same ``token``) that land in the same process reuse its worker:
    the loaded model, the last portfolio and the certificates carry over. ``expected``: about
    how many scenarios of the run each process will see (budgets the region proofs).
    """
    worker = _WORKERS.get(token) if token is not None else None
    if worker is None:
        worker = SweepWorker(problem, **options)
        if token is not None:
            while len(_WORKERS) >= 2:
                _WORKERS.pop(next(iter(_WORKERS)))
            _WORKERS[token] = worker
        worker.expect(max(expected, len(scenarios)))
    return [worker.run(s) for s in scenarios]
