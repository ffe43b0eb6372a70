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
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Any

from allocator.exceptions import InputError, SolverError
from allocator.model import Problem
from allocator.model.amounts import show
from allocator.model.guards import expect_problem, seconds, solve_options
from allocator.scenarios.chunks import run_chunk
from allocator.scenarios.outcome import ScenarioOutcome
from allocator.scenarios.results import ScenarioResults
from allocator.scenarios.spec import Scenario
from allocator.scenarios.worker import SweepWorker
from allocator.status import Status

__all__ = ["NO_WORKERS_GRACE", "chunk_size", "executor_threads", "process_pool", "run", "run_scenarios"]

_OPTIONS = ("tie_break", "time_limit", "rel_gap", "threads", "solver", "knapsack", "tuned")


def process_pool(max_workers: int | None = None) -> Executor:
    """A process pool that starts its workers with 'spawn' (HiGHS deadlocks forked children)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"))


NO_WORKERS_GRACE = 30.0
"""Seconds a Dask cluster may have no worker at all before a run stops (instead of waiting forever)."""

_POLL = 0.5  # seconds between checks of the timeout and of the cluster while waiting


def executor_threads(executor: Executor) -> int | None:
    """How many tasks ``executor`` runs at once: a pool's ``max_workers``; for a Dask
    ``Client.get_executor()``, the threads of all the cluster's workers; None if unknown."""
    n = getattr(executor, "_max_workers", None)
    if isinstance(n, int) and not isinstance(n, bool) and n > 0:
        return n
    client = getattr(executor, "_client", None)
    if client is not None and hasattr(client, "nthreads"):
        try:
            total = sum(int(t) for t in client.nthreads().values())
        except Exception:
            return None
        return total or None
    return None


def chunk_size(n_scenarios: int, threads: int | None) -> int:
    """Scenarios per chunk: at least 4 chunks per thread, so that every thread stays busy to
    the end, and at least 50 chunks in all, so that progress moves in steps of 2 % or less;
    at most 200 scenarios per chunk. ``threads`` None (unknown): from the count alone.

    >>> chunk_size(500, 2), chunk_size(500, None), chunk_size(3200, 16), chunk_size(7, 4)
    (10, 10, 50, 1)
    """
    size = math.ceil(n_scenarios / 50)
    if threads:
        size = min(size, math.ceil(n_scenarios / (4 * threads)))
    return max(1, min(200, size))


def _chunks(scenarios: list[Scenario], size: int) -> list[list[Scenario]]:
    return [scenarios[k : k + size] for k in range(0, len(scenarios), size)]


def _lost(part: list[Scenario], problem: Problem, method: str, message: str) -> list[ScenarioOutcome]:
    """Outcomes of scenarios that were not solved: status error, the reason in the message."""
    return [
        ScenarioOutcome(
            s.name,
            Status.ERROR,
            None,
            None,
            None,
            None,
            s.frame if s.frame is not None else problem.frame,
            0.0,
            0,
            method,
            message,
        )
        for s in part
    ]


def _is_dask(executor: Executor) -> bool:
    return type(executor).__module__.startswith("distributed") and hasattr(executor, "_client")


def _submit(executor: Executor, key: str, fn: Any, *args: Any) -> Future[list[ScenarioOutcome]]:
    """``executor.submit(fn, *args)``; on Dask without hashing the arguments (dask's default
    ``pure=True`` tokenizes every scenario: 100 ms a chunk) and under ``key``, which must be
    unique to the run and the chunk (Dask treats tasks of the same key as one)."""
    if _is_dask(executor):
        return executor.submit(fn, *args, pure=False, key=key)
    return executor.submit(fn, *args)


def _no_workers(executor: Executor) -> bool:
    """Whether a Dask executor's cluster has no worker left (False when not Dask or unknown)."""
    client = getattr(executor, "_client", None)
    if client is None or not hasattr(client, "nthreads"):
        return False
    try:
        return not client.nthreads()
    except Exception:
        return True


def _lost_by_dask(exc: BaseException | None) -> bool:
    """Whether ``exc`` is dask.distributed's executor misreading a chunk that finished: when
    the worker holding the result dies as it is read, ``distributed.cfexecutor`` unpacks the
    result as an error triple and raises a ValueError of its own. The result is lost, not
    wrong: the chunk is submitted again."""
    tb = exc.__traceback__ if isinstance(exc, ValueError) else None
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename.replace("\\", "/").endswith("distributed/cfexecutor.py")


def _collect(
    futures: list[Future[list[ScenarioOutcome]]],
    parts: list[list[Scenario]],
    problem: Problem,
    executor: Executor,
    *,
    timeout: float | None,
    bar: Any,
    again: Callable[[int, int], Future[list[ScenarioOutcome]]],
) -> tuple[list[list[ScenarioOutcome]], str]:
    """Every chunk's outcomes in order, and why the run stopped early ('' if it did not).

    On the first chunk that fails, on ``timeout`` seconds without a chunk finishing, or
    when a Dask cluster has had no worker for NO_WORKERS_GRACE seconds: cancel what is
    outstanding, keep what was solved and mark the rest as errors naming the cause. A chunk
    whose result Dask lost (:func:`_lost_by_dask`) is submitted again, ``again(k, n)`` for
    the n-th time, up to twice.
    """
    index = {f: k for k, f in enumerate(futures)}
    got: dict[int, list[ScenarioOutcome]] = {}
    pending = set(futures)
    stopped = ""
    last = empty_since = time.monotonic()
    tries: dict[int, int] = {}
    while pending and not stopped:
        finished, pending = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED)
        now = time.monotonic()
        for fut in sorted(finished, key=index.__getitem__):
            k = index[fut]
            exc = fut.exception() if not fut.cancelled() else None
            if _lost_by_dask(exc) and tries.get(k, 0) < 2:
                tries[k] = tries.get(k, 0) + 1
                new = again(k, tries[k])
                index[new] = k
                pending.add(new)
                continue
            if fut.cancelled() or exc is not None:
                names = [s.name for s in parts[k]]
                why = f"{type(exc).__name__}: {exc}" if exc is not None else "cancelled"
                where = f"chunk {k + 1} of {len(parts)} (scenarios {names[0]!r} to {names[-1]!r})"
                got[k] = _lost(parts[k], problem, "failed", f"{where} failed: {why}")
                stopped = stopped or f"{where} failed ({why})"
                continue
            got[k] = fut.result()
            if bar is not None:
                bar.update(len(got[k]))
        if finished:
            last = now
        if stopped or not pending:
            break
        if _no_workers(executor):
            if now - empty_since > NO_WORKERS_GRACE:
                stopped = f"the Dask cluster has had no worker for {NO_WORKERS_GRACE:.0f} s (every worker is gone)"
        else:
            empty_since = now
        if timeout is not None and now - last > timeout:
            stopped = f"no chunk finished within timeout={timeout:g} s"
    for fut in pending:
        fut.cancel()
    for fut in pending:
        k = index[fut]
        got[k] = _lost(parts[k], problem, "not run", f"not solved: the run stopped because {stopped}")
    return [got[k] for k in range(len(parts))], stopped


def run_scenarios(
    problem: Problem,
    scenarios: Sequence[Scenario],
    executor: Executor | None = None,
    progress: bool | Callable[[int, int], None] = True,
    **solve_options: Any,
) -> ScenarioResults:
    """Solve every scenario of ``problem``; results in the order of the scenarios.

    ``executor``: ``None`` runs serially in this process; any ``concurrent.futures.Executor``
    runs chunks of scenarios on it (a :func:`process_pool`, a thread pool, or
    ``Client.get_executor()`` of ``dask.distributed``, whose workers may run several threads).
    ``progress``: a tqdm progress bar when tqdm is installed; or a function called as
    ``progress(done, total)`` each time scenarios finish (after each scenario when serial,
    after each chunk on an executor).
    ``solve_options``: ``tie_break`` (default True: the same decisions as
    :func:`allocator.solve`), ``time_limit`` (seconds per scenario), ``rel_gap``,
    ``threads``, ``solver``, ``knapsack`` (the exact knapsack fast path, default True),
    ``chunksize`` (scenarios per chunk; default: see :func:`chunk_size`), ``timeout``
    (seconds to wait for the next chunk to finish before giving up; default None, wait as
    long as chunks run) and ``raise_on_failure`` (default False: failures are rows of the
    results).

    A chunk whose result Dask lost as its worker died is run again, up to twice (Dask's
    executor reports that as a ValueError of its own). When a chunk fails for good (a worker
    killed, any exception), the run stops: chunks not
    yet started are cancelled, the scenarios already solved are kept, and the scenarios of
    the failed chunk and of the cancelled ones come back with status ``error`` and a message
    naming the cause. The same happens when ``timeout`` passes without a chunk finishing,
    or when a Dask cluster has had no worker for :data:`NO_WORKERS_GRACE` seconds. The run
    then warns (a :class:`RuntimeWarning` naming the scenarios), or, with
    ``raise_on_failure=True``, raises a :class:`~allocator.exceptions.SolverError` whose
    ``results`` attribute holds what was solved.
    """
    return run(problem, scenarios, executor=executor, progress=progress, **solve_options)


def _check_executor(executor: Executor) -> None:
    if not isinstance(executor, Executor):
        raise TypeError(
            f"run_scenarios: executor must be a concurrent.futures.Executor (a process pool, a thread pool, "
            f"dask's Client.get_executor()) or None, not {type(executor).__name__}; give e.g. "
            "executor=allocator.scenarios.process_pool(2)"
        )
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


def _check_arguments(
    problem: Any, scenarios: Any, options: dict[str, Any], chunksize: Any, timeout: Any
) -> list[Scenario]:
    expect_problem(problem, "run_scenarios")
    if isinstance(scenarios, (str, bytes, Scenario)) or not isinstance(scenarios, Iterable):
        raise TypeError(
            f"run_scenarios: scenarios must be a list of Scenario objects, not {type(scenarios).__name__}; "
            "see allocator.scenarios.weight_samples and friends"
        )
    scen = list(scenarios)
    for k, s in enumerate(scen):
        if not isinstance(s, Scenario):
            raise TypeError(
                f"run_scenarios: scenarios[{k}] is a {type(s).__name__} ({show(s)}), not a Scenario; build scenarios "
                "with allocator.scenarios.Scenario(name=..., weights=...) or weight_samples(problem, n)"
            )
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise InputError(
            f"unknown options {sorted(unknown)}; the options are {sorted(_OPTIONS)}, chunksize, timeout, raise_on_failure"
        )
    solve_options(
        time_limit=options.get("time_limit"), rel_gap=options.get("rel_gap", 0.0), threads=options.get("threads")
    )
    if chunksize is not None and (isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1):
        raise InputError(
            f"chunksize {chunksize!r} must be a whole number of scenarios, at least 1; give e.g. chunksize=10, or None "
            "to size chunks from the executor",
            column="chunksize",
            value=chunksize,
        )
    seconds("timeout", timeout)
    return scen


def run(
    problem: Problem,
    scenarios: Sequence[Scenario],
    *,
    executor: Executor | None = None,
    progress: bool | Callable[[int, int], None] = True,
    chunksize: int | None = None,
    timeout: float | None = None,
    raise_on_failure: bool = False,
    **options: Any,
) -> ScenarioResults:
    """Solve every scenario; see :func:`run_scenarios`."""
    t0 = time.perf_counter()
    scen = _check_arguments(problem, scenarios, options, chunksize, timeout)
    names = [s.name for s in scen]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"scenario names must be unique; repeated: {dup[:5]}")
    for s in scen:
        s.check(problem)
    if executor is not None:
        _check_executor(executor)
    bar = _progress_bar(len(scen), progress if callable(progress) else progress and len(scen) > 1)
    outcomes: list[ScenarioOutcome] = []
    stopped = ""
    try:
        if executor is None:
            worker = SweepWorker(problem, **options)
            worker.expect(len(scen))
            for s in scen:
                outcomes.append(worker.run(s))
                if bar is not None:
                    bar.update(1)
        else:
            threads = executor_threads(executor)
            parts = _chunks(scen, chunksize or chunk_size(len(scen), threads))
            token = uuid.uuid4().hex
            each = math.ceil(len(scen) / (threads or 4))  # about how many scenarios each worker sees

            def submit(k: int, again: int = 0) -> Future[list[ScenarioOutcome]]:
                key = f"allocator-chunk-{token}-{k}" + (f"-again-{again}" if again else "")
                return _submit(executor, key, run_chunk, problem, parts[k], dict(options), token, each)

            futures = [submit(k) for k in range(len(parts))]
            got, stopped = _collect(futures, parts, problem, executor, timeout=timeout, bar=bar, again=submit)
            outcomes = [o for k in range(len(parts)) for o in got[k]]
    finally:
        if bar is not None:
            bar.close()
    results = ScenarioResults(problem, tuple(scen), tuple(outcomes), time.perf_counter() - t0)
    if stopped:
        _report_stop(results, stopped, raise_on_failure)
    if raise_on_failure:
        failed = [o for o in outcomes if not o.status.has_solution]
        if failed:
            o = failed[0]
            raise SolverError(
                f"{len(failed)} scenario(s) without a portfolio; first {o.scenario!r}: {o.status.value}: {o.message}"
            )
    return results


def _report_stop(results: ScenarioResults, why: str, raise_on_failure: bool) -> None:
    lost = [o.scenario for o in results.outcomes if o.method in ("failed", "not run")]
    named = ", ".join(repr(n) for n in lost[:10]) + (f" and {len(lost) - 10} more" if len(lost) > 10 else "")
    solved = len(results.outcomes) - len(lost)
    msg = (
        f"run_scenarios stopped: {why}; {solved} of {len(results.outcomes)} scenarios were solved and kept, "
        f"{len(lost)} were not ({named}): they are rows with status 'error'; run them again with "
        "run_scenarios(problem, [results.scenario(n) for n in those names], ...)"
    )
    if raise_on_failure:
        err = SolverError(msg)
        err.results = results  # type: ignore[attr-defined]
        raise err
    warnings.warn(msg, RuntimeWarning, stacklevel=4)
