"""The sweep worker: one loaded model, many scenarios, the same decisions as :func:`allocator.solve`.

A :class:`SweepWorker` loads the call once in an :class:`~allocator.optimize.engine.Engine`
and, scenario after scenario, changes only what the scenario changes:

* weights: the objective, computed exactly from integers prepared once
  (:func:`allocator.model.scoring.integer_parts`) by the formulation's own
  :func:`~allocator.optimize.formulation.value_objective`, so it is the objective
  :func:`allocator.solve` would build;
* the frame: the right-hand side of the frame row (when no rule refers to the frame);
* anything else (options, rules, scores, or a frame that rules refer to): the variant is
  formulated again, and loaded again only when its matrix differs.

Each scenario is then solved exactly, by the fastest exact means that applies:

1. **Certificate**: a portfolio proven the unique optimum under weights whose cone contains
   the new weights needs no solve (:mod:`allocator.scenarios.certificates`).
2. **Knapsack**: when the frame is the only row, exact dynamic programming, which also says
   whether the optimum is unique.
3. **MIP**, warm-started from the best known portfolio. With an integer objective one solve
   both proves the optimum and tests that it is the only one: it maximises
   ``K * value + distance to the start`` (``K`` above any distance), so the start comes back
   exactly when no other portfolio reaches its value.

Ties (several portfolios of the optimal value) are settled by the rule of
:class:`~allocator.optimize.tiebreak.TieBreak`, as :func:`allocator.solve` settles them.
``tie_break=False`` returns the first optimum found.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from allocator.exceptions import AllocatorError, SolverError
from allocator.model import Problem
from allocator.model.scoring import exact, integer_parts, integer_totals
from allocator.optimize import knapsack
from allocator.optimize.engine import Engine
from allocator.optimize.formulation import Formulation, build, value_objective
from allocator.optimize.large import LARGE_COLS, near_optimal
from allocator.optimize.loaded import EXACT
from allocator.optimize.solve import solve
from allocator.optimize.tiebreak import Key, TieBreak
from allocator.scenarios.certificates import PortfolioPool
from allocator.scenarios.spec import Scenario
from allocator.status import Status

__all__ = ["PRESOLVE_OFF_MAX_COLS", "ScenarioOutcome", "SweepWorker", "run_chunk"]

PRESOLVE_OFF_MAX_COLS = 2000
"""Models up to this many columns are solved with HiGHS presolve off (it dominates their time)."""


@dataclass(frozen=True)
class ScenarioOutcome:
    """What one scenario gave: status first, then the grants (input order) and the numbers."""

    scenario: str
    status: Status
    granted: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    frame: int
    runtime: float
    solves: int
    method: str
    message: str = ""
    tie_break: tuple[str, ...] = ()
    tied: bool | None = None


class SweepWorker:
    """Solves scenarios of one problem on one loaded model (see the module documentation).

    Parameters
    ----------
    problem
        The base call.
    solver
        ``"highs"`` (the fast path). Any other solver of :func:`allocator.solve` is used by
        solving each variant from scratch.
    threads, time_limit, rel_gap, tie_break
        As for :func:`allocator.solve`; ``time_limit`` is per scenario.
    knapsack
        Use the exact knapsack dynamic program when it applies.
    tuned
        HiGHS settings for repeated small solves (presolve off up to
        :data:`PRESOLVE_OFF_MAX_COLS` columns; no feasibility-jump heuristic, no heuristic
        effort and no symmetry detection, since a good start is given). They change the
        path, never the optimum.
    """

    def __init__(
        self,
        problem: Problem,
        *,
        solver: Any = "highs",
        threads: int | None = 1,
        time_limit: float | None = None,
        rel_gap: float = 0.0,
        tie_break: bool = True,
        knapsack: bool = True,
        tuned: bool = True,
    ) -> None:
        self.base = problem
        self.solver = solver
        self.threads = threads
        self.time_limit = time_limit
        self.rel_gap = rel_gap
        self.rule = TieBreak.of(problem) if tie_break else None
        self.use_knapsack = knapsack
        self.tuned = tuned
        self.parts = integer_parts(problem)
        self.engine: Engine | None = None
        self._base_like = False  # the engine holds the base problem (any weights, frame)
        self._prev: np.ndarray | None = None
        self._pools: dict[bytes, PortfolioPool] = {}
        self._keys: tuple[Formulation, list[Key]] | None = None

    # ------------------------------------------------------------------ public
    def run(self, scenario: Scenario) -> ScenarioOutcome:
        """Solve one scenario."""
        t0 = time.perf_counter()
        try:
            if self.solver not in (None, "highs"):
                return self._from_scratch(scenario, t0)
            weights = self._reweight(scenario)
            if weights is None:
                variant = scenario.apply(self.base)
                self._load(build(variant), base_like=False)
            return self._solve(scenario, weights, t0)
        except AllocatorError as exc:
            return ScenarioOutcome(scenario.name, Status.ERROR, None, None, None, None, 0, time.perf_counter() - t0, 0, "none", str(exc))

    # ------------------------------------------------------------ preparation
    def _load(self, f: Formulation, *, base_like: bool) -> None:
        """Load ``f``: into the engine in place when only bounds and the objective differ."""
        e = self.engine
        m = f.model
        if e is not None and e.n_rows == e.model.n_rows and _same_matrix(e.model, m):
            e.f = f
            e.set_values(m.objective, f.scale, f.scores.exact)
            for r in np.flatnonzero((e.row_lower != m.row_lower) | (e.row_upper != m.row_upper)).tolist():
                e.set_row_bounds(r, m.row_lower[r], m.row_upper[r])
            changed = np.flatnonzero((e.col_lower != m.col_lower) | (e.col_upper != m.col_upper))
            e.set_col_bounds(changed, m.col_lower[changed], m.col_upper[changed])
            e.amount = np.where(f.col_app >= 0, f.col_amount, 0.0)
        else:
            options: dict[str, Any] = {}
            if self.tuned:  # warm starts make the start heuristics moot
                options = {"mip_heuristic_run_feasibility_jump": False, "mip_heuristic_effort": 0.0, "mip_detect_symmetry": False}
                if m.n_cols <= PRESOLVE_OFF_MAX_COLS:
                    options["presolve"] = "off"
            self.engine = Engine(f, solver=self.solver, threads=self.threads, options=options, knapsack=self.use_knapsack)
            self._prev = None
        self._base_like = base_like

    def _reweight(self, scenario: Scenario) -> tuple[Fraction, ...] | None:
        """Set the objective of a weights/frame scenario on the loaded base model; the exact
        weights, or None when the scenario needs the variant formulated again."""
        if self.parts is None or scenario.changes_structure:
            return None
        scenario.check(self.base)
        frame = scenario.frame if scenario.frame is not None else self.base.frame
        by_name = {c.name: c.weight for c in self.base.criteria} | dict(scenario.weights or {})
        weights = tuple(exact(float(by_name[c.name])) for c in self.base.criteria)
        if self.base.options.min_total_score is not None or (frame != self.base.frame and self.base.rules):
            return None  # eligibility depends on the weights, or rules on the frame: formulate again
        if self.engine is None or not self._base_like:
            self._load(build(self.base), base_like=True)
        e = self.engine
        assert e is not None
        totals, common, _ = integer_totals(self.parts, list(weights))
        if totals.dtype != object and common < 2**53 and int(np.abs(totals).max(initial=0)) < 2**53:
            weighted = totals.astype(float) / float(common)
        else:
            weighted = np.array([float(Fraction(int(t), common)) for t in totals.tolist()])
        f = e.f
        c, scale = value_objective(f.problem, f.col_app, f.col_amount, totals, common, weighted)
        e.set_values(c, scale, lambda: tuple(Fraction(int(t), common) for t in totals.tolist()))
        e.set_row_bounds(f.frame_row, e.row_lower[f.frame_row], float(frame))
        return weights

    # ----------------------------------------------------------------- solving
    def _solve(self, scenario: Scenario, weights: tuple[Fraction, ...] | None, t0: float) -> ScenarioOutcome:
        e = self.engine
        assert e is not None
        f, c = e.f, e.c
        frame = int(e.frame)
        exact_ties = self.rule is not None and self.rel_gap == 0
        binary = not f.problem.options.partial
        before = e.solves
        pool = self._pool(e) if weights is not None else None
        x, method, status, bound, tied = None, "mip", Status.OPTIMAL, None, None
        start = None
        if pool is not None and weights is not None:
            k = pool.best(np.array([float(w) for w in weights]))
            if k is not None:
                cand = pool.portfolio(k)
                if pool.certified(k, weights):
                    x, method = cand, "certificate"
                elif e.feasible(cand):
                    start = cand
        if x is None and self.rel_gap == 0 and e.uses_knapsack:
            x, unique = knapsack.optimum(f, c, e.col_lower, e.col_upper, e.frame)
            if x is not None:
                method, tied = "knapsack", not unique
        if x is None and self.rel_gap > 0 and binary and f.model.n_cols >= LARGE_COLS:
            r = near_optimal(e.current(c), rel_gap=self.rel_gap, time_limit=self.time_limit)
            if r is not None and r.gap <= self.rel_gap:
                x, method, status, bound = e.clean(r.x), "lagrange", Status.FEASIBLE, r.bound / (e.scale or 1)
        if x is None:
            start = start if start is not None else self._start(e)
            x, status, bound, tied = self._mip(e, start, binary and exact_ties)
            if x is None:
                self._prev = None
                return ScenarioOutcome(scenario.name, status, None, None, None, None, frame, time.perf_counter() - t0, e.solves - before, method, "no portfolio")
        keys: tuple[str, ...] = ()
        if exact_ties and status is Status.OPTIMAL and method != "certificate":
            assert self.rule is not None
            if tied is None and binary and e.scale is not None:
                tied = self._other_optimum(e, x)
            settled = self.rule.settle(e, f, c, x, unique=tied is False, keys=self._key_vectors(f))
            x, keys, tied = settled.x, settled.keys, settled.tied
        elif exact_ties and method == "certificate":
            assert self.rule is not None
            keys = (*(k.name for k in self._key_vectors(f)), "id")
        if pool is not None and weights is not None and status is Status.OPTIMAL and method != "certificate" and self.rel_gap == 0:
            pool.add(x, self._totals(f, x), weights)
        self._prev = x
        grants = f.grants(x)
        if int(grants.sum()) > frame:
            raise SolverError(f"scenario {scenario.name!r}: grants of {int(grants.sum())} over the frame {frame}; this is a bug")
        value = float(e.value_of(x))
        gap = 0.0 if status is Status.OPTIMAL else (max(0.0, (bound - value) / max(abs(bound), 1e-12)) if bound is not None else None)
        return ScenarioOutcome(
            scenario.name, status, grants, value, value if status is Status.OPTIMAL else bound, gap,
            frame, time.perf_counter() - t0, e.solves - before, method, "", keys, tied,
        )

    def _start(self, e: Engine) -> np.ndarray | None:
        """The previous scenario's portfolio if still feasible, else a greedy one by value for money."""
        if self._prev is not None and e.feasible(self._prev):
            return self._prev
        f = e.f
        if f.problem.options.partial:
            return None
        sel = f.select
        amount = f.col_amount[sel]
        ratio = np.where(e.col_upper[sel] > 0, e.c[sel] / amount, -np.inf)
        x = np.where(e.col_lower > 0, e.col_lower, 0.0)
        left = e.frame - float(np.dot(x, e.amount))
        for k in np.argsort(-ratio, kind="stable").tolist():
            if ratio[k] == -np.inf:
                break
            if x[sel[k]] == 0 and amount[k] <= left:
                x[sel[k]] = 1.0
                left -= amount[k]
        return x if e.feasible(x) else None

    def _mip(self, e: Engine, start: np.ndarray | None, combined: bool) -> tuple[np.ndarray | None, Status, float | None, bool | None]:
        """The MIP from ``start``; with ``combined`` one solve also says whether the optimum is unique."""
        f, c = e.f, e.c
        K = float(len(f.select) + 1)
        if combined and start is not None and e.scale is not None and K * (float(np.abs(c).sum()) + 1.0) < EXACT:
            dist = np.zeros(len(c))
            dist[f.select] = np.where(start[f.select] > 0.5, -1.0, 1.0)
            res = e.run(K * c + dist, gap=0.999, start=start, time_limit=self.time_limit)
            if res.status is Status.OPTIMAL and res.x is not None:
                x = e.clean(res.x)
                if np.array_equal(x[f.select] > 0.5, start[f.select] > 0.5):
                    return x, Status.OPTIMAL, None, False  # nothing else reaches its value
                tied = True if float(np.dot(c, x)) == float(np.dot(c, start)) else None
                return x, Status.OPTIMAL, None, tied
        res = e.run(c, rel_gap=self.rel_gap, start=start, time_limit=self.time_limit)
        if not res.status.has_solution or res.x is None:
            return None, res.status, None, None
        bound = None if res.bound is None else res.bound / (e.scale or 1)
        return e.clean(res.x), res.status, bound, None

    def _key_vectors(self, f: Formulation) -> list[Key]:
        """The tie-break keys on the loaded formulation's columns (computed once per formulation)."""
        assert self.rule is not None
        if self._keys is None or self._keys[0] is not f:
            self._keys = (f, self.rule.vectors(f))
        return self._keys[1]

    def _other_optimum(self, e: Engine, x: np.ndarray) -> bool | None:
        """Whether another selection reaches the value of the optimum ``x``: one solve of
        ``K * value + distance to x`` (None when that cannot be held exactly)."""
        f, c = e.f, e.c
        K = float(len(f.select) + 1)
        if K * (float(np.abs(c).sum()) + 1.0) >= EXACT:
            return None
        dist = np.zeros(len(c))
        dist[f.select] = np.where(x[f.select] > 0.5, -1.0, 1.0)
        res = e.run(K * c + dist, gap=0.999, start=x, time_limit=self.time_limit)
        if res.status is not Status.OPTIMAL or res.x is None:
            return None
        return not np.array_equal(e.clean(res.x)[f.select] > 0.5, x[f.select] > 0.5)

    def _pool(self, e: Engine) -> PortfolioPool:
        """The certificate pool of the feasible set loaded now (frame, bounds, rows)."""
        key = e.row_upper.tobytes() + e.row_lower.tobytes() + e.col_lower.tobytes() + e.col_upper.tobytes()
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = PortfolioPool(len(self.base.criteria))
        return pool

    def _totals(self, f: Formulation, x: np.ndarray) -> np.ndarray:
        """Per criterion, the normalised score of the portfolio (warm-start ranking only)."""
        share = f.grants(x) / np.array([a.requested for a in f.problem.applications], dtype=float)
        return np.asarray(share @ f.scores.normalised, dtype=float)

    def _from_scratch(self, scenario: Scenario, t0: float) -> ScenarioOutcome:
        variant = scenario.apply(self.base)
        sol = solve(variant, solver=self.solver, time_limit=self.time_limit, rel_gap=self.rel_gap,
                    threads=self.threads, tie_break=self.rule is not None, raise_on_failure=False)
        granted = np.array([d.granted for d in sol.decisions], dtype=np.int64) if sol.status.has_solution else None
        return ScenarioOutcome(scenario.name, sol.status, granted, sol.objective, sol.bound, sol.gap, variant.frame,
                               time.perf_counter() - t0, sol.solves, "solve", sol.message, sol.tie_break, sol.tied)


def _same_matrix(a: Any, b: Any) -> bool:
    return bool(
        a.n_cols == b.n_cols
        and a.n_rows == b.n_rows
        and np.array_equal(a.start, b.start)
        and np.array_equal(a.index, b.index)
        and np.array_equal(a.value, b.value)
        and np.array_equal(a.integer, b.integer)
    )


_LOCAL = threading.local()
"""Per-thread cache of workers by run token: a worker (one loaded HiGHS model) is never shared
by two threads, so executors with several threads per process (Dask workers, thread pools)
are safe."""


def _workers() -> dict[str, SweepWorker]:
    cache: dict[str, SweepWorker] | None = getattr(_LOCAL, "workers", None)
    if cache is None:
        cache = _LOCAL.workers = {}
    return cache


def run_chunk(problem: Problem, scenarios: list[Scenario], options: dict[str, Any], token: str | None = None) -> list[ScenarioOutcome]:
    """Solve a list of scenarios in one worker (the unit of work sent to executors).

    Chunks of the same run (same ``token``) that land in the same thread of a process
    reuse its worker: the loaded model, the last portfolio and the certificates carry over.
    """
    cache = _workers()
    worker = cache.get(token) if token is not None else None
    if worker is None:
        worker = SweepWorker(problem, **options)
        if token is not None:
            while len(cache) >= 2:
                cache.pop(next(iter(cache)))
            cache[token] = worker
    return [worker.run(s) for s in scenarios]
