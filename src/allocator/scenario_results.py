"""Running scenarios (serially or on an executor) and the tidy results they give.

:func:`run` (exposed as :func:`allocator.run_scenarios`) cuts the scenarios into chunks of
consecutive scenarios, so that each worker loads the model once per chunk and warm-starts
each scenario from the previous one, and solves the chunks in this process or on any
``concurrent.futures.Executor``. Results come back in the order of the scenarios, whatever
the order in which chunks finish.

:class:`ScenarioResults` holds one :class:`~allocator.sweep.Outcome` per scenario and turns
them into tables: :meth:`~ScenarioResults.summary` (one row per scenario),
:meth:`~ScenarioResults.funding_share` (one row per application: the share of scenarios
that fund it) and :meth:`~ScenarioResults.decisions` (one row per scenario and application).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from allocator.exceptions import AllocatorError, InputError, SolverError
from allocator.model import Problem
from allocator.scenarios import Scenario
from allocator.sweep import Outcome, run_chunk

if TYPE_CHECKING:
    import pandas as pd

    from allocator.solution import Solution

__all__ = ["ScenarioResults", "run"]

_OPTIONS = ("tie_break", "time_limit", "rel_gap", "threads", "solver", "knapsack", "tuned")


@dataclass(frozen=True)
class ScenarioResults:
    """The outcome of every scenario of a run, in the order of the scenarios.

    Attributes
    ----------
    problem
        The base call.
    scenarios
        The scenarios, as given.
    outcomes
        One :class:`~allocator.sweep.Outcome` per scenario (status, grants, value, time).
    wall_time
        Seconds the whole run took.
    """

    problem: Problem
    scenarios: tuple[Scenario, ...]
    outcomes: tuple[Outcome, ...]
    wall_time: float = 0.0

    def __len__(self) -> int:
        return len(self.outcomes)

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.outcomes)

    def __getitem__(self, name: str) -> Outcome:
        for o in self.outcomes:
            if o.scenario == name:
                return o
        raise AllocatorError(f"no scenario named {name!r}")

    @property
    def granted(self) -> np.ndarray:
        """Grants, shape (scenarios, applications), input order; -1 where no solution."""
        n = len(self.problem.applications)
        out = np.full((len(self.outcomes), n), -1, dtype=np.int64)
        for k, o in enumerate(self.outcomes):
            if o.granted is not None:
                out[k] = o.granted
        return out

    def summary(self) -> pd.DataFrame:
        """One row per scenario: status, value, number funded, total granted, gap, time."""
        import pandas as pd

        rows = []
        for o in self.outcomes:
            g = o.granted if o.granted is not None else np.zeros(0, dtype=np.int64)
            rows.append(
                {
                    "scenario": o.scenario,
                    "status": o.status.value,
                    "value": o.objective,
                    "n_funded": int(np.count_nonzero(g > 0)),
                    "total_granted": int(g.sum()),
                    "frame": o.frame,
                    "gap": o.gap,
                    "time_s": o.runtime,
                    "method": o.method,
                    "solves": o.solves,
                    "message": o.message,
                }
            )
        return pd.DataFrame(rows)

    def funding_share(self) -> pd.DataFrame:
        """Per application (input order): the share of solved scenarios that fund it.

        Columns ``funded_share``, ``n_scenarios_funded``, ``mean_granted`` (over solved
        scenarios); indexed by application id.
        """
        import pandas as pd

        solved = [o.granted for o in self.outcomes if o.granted is not None]
        ids = [a.id for a in self.problem.applications]
        if not solved:
            return pd.DataFrame({"funded_share": np.nan, "n_scenarios_funded": 0, "mean_granted": np.nan}, index=pd.Index(ids, name="id"))
        g = np.vstack(solved)
        funded = (g > 0).sum(axis=0)
        return pd.DataFrame(
            {"funded_share": funded / len(solved), "n_scenarios_funded": funded, "mean_granted": g.mean(axis=0)},
            index=pd.Index(ids, name="id"),
        )

    def decisions(self) -> pd.DataFrame:
        """One row per scenario and application: ``scenario, id, granted, funded``."""
        import pandas as pd

        ids = np.array([a.id for a in self.problem.applications], dtype=object)
        parts = []
        for o in self.outcomes:
            if o.granted is None:
                continue
            parts.append(pd.DataFrame({"scenario": o.scenario, "id": ids, "granted": o.granted, "funded": o.granted > 0}))
        if not parts:
            return pd.DataFrame({"scenario": [], "id": [], "granted": [], "funded": []})
        return pd.concat(parts, ignore_index=True)

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``name``."""
        for s in self.scenarios:
            if s.name == name:
                return s
        raise AllocatorError(f"no scenario named {name!r}")

    def solution(self, name: str, **solve_options: Any) -> Solution:
        """The full :class:`~allocator.solution.Solution` of one scenario (solved again)."""
        from allocator.solve import solve

        return solve(self.scenario(name).apply(self.problem), **solve_options)

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status.value] = counts.get(o.status.value, 0) + 1
        st = ", ".join(f"{v} {k}" for k, v in counts.items())
        return f"ScenarioResults({len(self.outcomes)} scenarios: {st}; {self.wall_time:.2f}s)"


def _check_executor(executor: Executor) -> None:
    ctx = getattr(executor, "_mp_context", None)
    if ctx is not None and ctx.get_start_method() == "fork":
        raise InputError(
            "this process pool forks its workers, and HiGHS deadlocks in forked children; "
            "use allocator.process_pool(n) or ProcessPoolExecutor(mp_context=multiprocessing.get_context('spawn'))"
        )


def _progress_bar(total: int, enabled: bool) -> Any:
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
    progress: bool = True,
    chunksize: int | None = None,
    raise_on_failure: bool = False,
    **options: Any,
) -> ScenarioResults:
    """Solve every scenario; see :func:`allocator.run_scenarios`."""
    import time

    t0 = time.perf_counter()
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise InputError(f"unknown options {sorted(unknown)}; the options are {sorted(_OPTIONS)}, chunksize, raise_on_failure")
    scen = list(scenarios)
    names = [s.name for s in scen]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"scenario names must be unique; repeated: {dup[:5]}")
    for s in scen:
        if not isinstance(s, Scenario):
            raise InputError(f"give Scenario objects (got {type(s).__name__}); see allocator.weight_samples and friends")
        s.check(problem)
    bar = _progress_bar(len(scen), progress and len(scen) > 1)
    outcomes: list[Outcome] = []
    try:
        if executor is None:
            from allocator.sweep import SweepWorker

            worker = SweepWorker(problem, **options)
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
            futures: list[Future[list[Outcome]]] = [executor.submit(run_chunk, problem, part, dict(options), token) for part in parts]
            done: dict[int, list[Outcome]] = {}
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
            raise SolverError(f"{len(failed)} scenario(s) without a portfolio; first {o.scenario!r}: {o.status.value}: {o.message}")
    return results


def _collect(futures: list[Future[list[Outcome]]], done: dict[int, list[Outcome]], bar: Any) -> None:
    from concurrent.futures import as_completed

    index: dict[Future[list[Outcome]], int] = {f: k for k, f in enumerate(futures)}
    for fut in as_completed(futures):
        res = fut.result()
        done[index[fut]] = res
        if bar is not None:
            bar.update(len(res))

