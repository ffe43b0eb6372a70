"""Questions about each application answered in several threads, each on its own model.

HiGHS solves outside Python's global lock, so threads that each hold their own loaded model
(:class:`allocator.optimize.engine.Engine`) solve at the same time; used by
:func:`allocator.analysis.explain.explanations`, where every application's questions are
independent and every answer is proven (the result does not depend on the threads).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from allocator.exceptions import AllocatorError

__all__ = ["in_threads", "thread_count"]

M = TypeVar("M")
R = TypeVar("R")


def thread_count(threads: int | None, mips: bool) -> int:
    """``threads`` checked; ``None``: two when each question is an integer program (``mips``)
    and the machine has two cores or more, else one."""
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise AllocatorError(f"threads={threads!r}: give a whole number of threads, 1 or more, or None")
        return threads
    return min(2, os.cpu_count() or 1) if mips else 1


def in_threads(
    workers: int,
    n: int,
    engine: Callable[[int], M],
    facts: Callable[[M, int], R],
) -> list[R]:
    """``facts(model, i)`` for ``i`` in ``range(n)``, in ``workers`` threads; thread ``k``
    asks ``engine(k)`` for its own model (nothing is shared between threads) and takes the
    next ``i`` in turn, so the slow questions spread themselves. The first error is raised;
    the other threads stop after their current question. With one worker, no thread is
    started: the questions are answered here, in order."""
    if workers <= 1:
        model = engine(0)
        return [facts(model, i) for i in range(n)]
    found: dict[int, R] = {}
    queue = iter(range(n))
    lock = threading.Lock()
    failed = threading.Event()

    def work(k: int) -> None:
        try:
            model = engine(k)
            while not failed.is_set():
                with lock:
                    i = next(queue, None)
                if i is None:
                    return
                found[i] = facts(model, i)
        except BaseException:
            failed.set()  # the other threads stop after their current question
            raise

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="allocator") as pool:
        for job in [pool.submit(work, k) for k in range(workers)]:
            job.result()  # the first error, as raised
    return [found[i] for i in range(n)]
