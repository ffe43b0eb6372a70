"""The unit of work sent to executors: a chunk of scenarios solved by one :class:`SweepWorker`,
kept per thread between chunks of the same run."""

from __future__ import annotations

import threading
from typing import Any

from allocator.model import Problem
from allocator.scenarios.outcome import ScenarioOutcome
from allocator.scenarios.spec import Scenario
from allocator.scenarios.worker import SweepWorker

__all__ = ["run_chunk"]


_LOCAL = threading.local()
"""Per-thread cache of workers by run token: a worker (one loaded HiGHS model) is never shared
by two threads, so executors with several threads per process (Dask workers, thread pools)
are safe."""


def _workers() -> dict[str, SweepWorker]:
    cache: dict[str, SweepWorker] | None = getattr(_LOCAL, "workers", None)
    if cache is None:
        cache = _LOCAL.workers = {}
    return cache


def run_chunk(
    problem: Problem, scenarios: list[Scenario], options: dict[str, Any], token: str | None = None, expected: int = 0
) -> list[ScenarioOutcome]:
    """Solve a list of scenarios in one worker (the unit of work sent to executors).

    Chunks of the same run (same ``token``) that land in the same thread of a process
    reuse its worker: the loaded model, the last portfolio and the certificates carry over.
    ``expected``: about how many scenarios of the run each worker will see (budgets the
    region proofs).
    """
    cache = _workers()
    worker = cache.get(token) if token is not None else None
    if worker is None:
        worker = SweepWorker(problem, **options)
        if token is not None:
            while len(cache) >= 2:
                cache.pop(next(iter(cache)))
            cache[token] = worker
        worker.expect(max(expected, len(scenarios)))
    return [worker.run(s) for s in scenarios]
