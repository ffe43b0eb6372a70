"""The sweep worker: one loaded model, many scenarios, the same decisions as :func:`solve`.

A :class:`SweepWorker` builds the integer program once and, scenario after scenario,
changes only what the scenario changes:

* weights: the objective coefficients, computed exactly from integers prepared once
  (:func:`allocator.scoring.integer_parts`), integer-scaled exactly as
  :func:`allocator.optimize.formulation.build` would scale them;
* the frame: the right-hand side of the frame row;
* anything else (options, rules, scores, or a frame that rules refer to): the variant is
  formulated again and only differing bounds are pushed, unless its matrix differs, in
  which case a new model is loaded.

Each scenario is then solved exactly, by the fastest exact means that applies:

1. **Knapsack**: when the only constraint is the frame (eligibility and locks just fix
   columns), a dynamic program over cost units (:mod:`allocator.optimize.unique_knapsack`) gives the
   optimum and whether it is unique.
2. **MIP**: HiGHS, warm-started from the previous scenario's portfolio (or a greedy one),
   with the absolute gap just below one unit of the integer-scaled objective (which still
   proves optimality), and, for small models, presolve off.

Ties are settled exactly as :func:`allocator.solve` settles them. A second solve (with the
value held) looks for any other portfolio of the same value; when there is none, every
tie-break stage of :func:`allocator.solve` would return this portfolio, so it is the
decision. Otherwise the lexicographic stages of :mod:`allocator.solve` run on the loaded
model. ``tie_break=False`` skips this and returns the first optimum found.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from allocator.exceptions import AllocatorError, SolverError
from allocator.model.problem import Problem
from allocator.optimize.backends import make_backend
from allocator.optimize.formulation import build
from allocator.optimize.lagrange import LARGE_COLS
from allocator.optimize.solve import _break_ties, _clean, _large_call, solve
from allocator.scenarios.certificates import PortfolioPool
from allocator.scenarios.exact import (
    Loaded,
    big_k,
    columns,
    combinable,
    feasible,
    greedy_start,
    knapsack_solution,
    knapsack_structure,
    restore,
    same,
    solve_value,
    ties,
)
from allocator.scenarios.exact import unique as unique_optimum
from allocator.scenarios.spec import Scenario
from allocator.scoring import (
    exact,
    integer_parts,
    integer_totals,
    reduced_denominator,
    score,
)
from allocator.status import Status

__all__ = ["PRESOLVE_OFF_MAX_COLS", "Outcome", "SweepWorker", "run_chunk"]

PRESOLVE_OFF_MAX_COLS = 2000
"""Models up to this many columns are solved with HiGHS presolve off (it dominates their time)."""

_MAX_SCALE = 10**12
_MAX_INT_TOTAL = 2**50


@dataclass(frozen=True)
class Outcome:
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


@dataclass(frozen=True)
class _Objective:
    """A scenario's objective on the loaded model: coefficients, scale, values, frame, weights.

    ``weights`` (exact) is set on the fast path only, where the feasible set is the base
    problem's for this frame and eligibility, so that weight certificates apply.
    """

    c: np.ndarray
    scale: int | None
    weighted: np.ndarray
    frame: int
    weights: tuple[Fraction, ...] | None


class SweepWorker:
    """Solves scenarios of one problem on one loaded model (see the module docstring).

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
        self.tie_break = tie_break
        self.use_knapsack = knapsack
        self.tuned = tuned
        self.parts = integer_parts(problem) if not problem.options.partial else None
        self._crit_ok = self._criterion_eligibility() if self.parts is not None else None
        self._loaded: Loaded | None = None
        self._prev: np.ndarray | None = None
        self._pools: dict[tuple[Any, ...], PortfolioPool] = {}

    # ------------------------------------------------------------------ public
    def run(self, scenario: Scenario) -> Outcome:
        """Solve one scenario."""
        t0 = time.perf_counter()
        try:
            if self.solver not in (None, "highs"):
                return self._from_scratch(scenario, t0)
            obj = self._fast_objective(scenario)
            if obj is None:
                variant = scenario.apply(self.base)
                self._load(variant, base_like=not scenario.changes_structure)
                L = self._loaded
                assert L is not None
                obj = _Objective(L.f.model.objective, L.f.scale, L.f.scores.weighted, variant.frame, None)
            else:
                L = self._loaded
                assert L is not None
                L.backend.set_objective(obj.c)
            return self._solve(scenario, L, obj, t0)
        except AllocatorError as exc:
            return Outcome(scenario.name, Status.ERROR, None, None, None, None, 0, time.perf_counter() - t0, 0, "none", str(exc))

    # ------------------------------------------------------------ preparation
    def _criterion_eligibility(self) -> np.ndarray:
        assert self.parts is not None
        ok = np.ones(len(self.base.applications), dtype=bool)
        for j, c in enumerate(self.base.criteria):
            if c.threshold is not None:
                ok &= ~(self.parts.raw[:, j] < c.threshold)
        return ok

    def _fast_objective(self, scenario: Scenario) -> _Objective | None:
        """Objective of a weights/frame scenario on the loaded model, or None (rebuild)."""
        if self.parts is None or scenario.changes_structure:
            return None
        scenario.check(self.base)
        frame = scenario.frame if scenario.frame is not None else self.base.frame
        weights_by_name = {c.name: c.weight for c in self.base.criteria} | dict(scenario.weights or {})
        weights = [exact(float(weights_by_name[c.name])) for c in self.base.criteria]
        totals, common, _ = integer_totals(self.parts, weights)
        if totals.dtype == object:
            return None
        weighted = totals.astype(float) / float(common) if common < 2**53 and int(np.abs(totals).max()) < 2**53 else None
        if weighted is None:
            return None
        eligible = self._crit_ok.copy() if self._crit_ok is not None else np.ones(len(totals), dtype=bool)
        threshold = self.base.options.min_total_score
        if threshold is not None:
            eligible &= ~(weighted < threshold)
        if self._loaded is None:
            self._load(self.base if scenario.frame is None else self.base.with_frame(frame), base_like=True)
        L = self._loaded
        assert L is not None
        if not L.base_like or not np.array_equal(eligible, L.eligible):
            return None
        if frame != L.frame:
            if self.base.rules:
                return None  # rules may refer to the frame (shares of it): formulate again
            L.backend.set_row_bounds(L.f.frame_row, L.row_lower[L.f.frame_row], float(frame))
            L.row_upper[L.f.frame_row] = float(frame)
            L.frame = frame
            L.knap = knapsack_structure(L.f, L.col_lower, L.col_upper, enabled=self.use_knapsack)
        # Exactly the objective build() makes for these values (see formulation._binary_objective).
        d = reduced_denominator(totals, common)
        per_col = totals[L.f.col_app]
        if d > _MAX_SCALE or int(np.abs(per_col).sum()) // (common // d) > _MAX_INT_TOTAL:
            return _Objective(weighted[L.f.col_app], None, weighted, frame, tuple(weights))
        return _Objective((per_col // (common // d)).astype(float), d, weighted, frame, tuple(weights))

    def _load(self, variant: Problem, *, base_like: bool) -> None:
        """Formulate ``variant``; push its bounds into the loaded model or load it anew."""
        f = build(variant)
        m = f.model
        L = self._loaded
        same = (
            L is not None
            and L.f.model.n_cols == m.n_cols
            and L.f.model.n_rows == m.n_rows
            and np.array_equal(L.f.model.start, m.start)
            and np.array_equal(L.f.model.index, m.index)
            and np.array_equal(L.f.model.value, m.value)
            and np.array_equal(L.f.model.integer, m.integer)
        )
        if same:
            assert L is not None
            backend = L.backend
            backend.set_objective(m.objective)
            changed = np.flatnonzero((L.row_lower != m.row_lower) | (L.row_upper != m.row_upper))
            for r in changed.tolist():
                backend.set_row_bounds(r, m.row_lower[r], m.row_upper[r])
            backend.set_col_bounds(np.arange(m.n_cols), m.col_lower, m.col_upper)
        else:
            options: dict[str, Any] = {}
            if self.tuned:  # warm starts make the start heuristics moot
                options["mip_heuristic_run_feasibility_jump"] = False
                options["mip_heuristic_effort"] = 0.0
                options["mip_detect_symmetry"] = False
                if m.n_cols <= PRESOLVE_OFF_MAX_COLS:
                    options["presolve"] = "off"
            backend = make_backend(m, threads=self.threads, options=options)
            self._prev = None
        self._loaded = Loaded(
            f=f,
            backend=backend,
            base_like=base_like,
            frame=variant.frame,
            eligible=f.scores.eligible.copy(),
            col_lower=m.col_lower.copy(),
            col_upper=m.col_upper.copy(),
            row_lower=m.row_lower.copy(),
            row_upper=m.row_upper.copy(),
            n_rows=m.n_rows,
            knap=knapsack_structure(f, m.col_lower, m.col_upper, enabled=self.use_knapsack),
        )

    # ----------------------------------------------------------------- solving
    def _solve(self, scenario: Scenario, L: Loaded, obj: _Objective, t0: float) -> Outcome:
        def remaining() -> float | None:
            if self.time_limit is None:
                return None
            return max(0.01, self.time_limit - (time.perf_counter() - t0))

        f, c, scale, frame = L.f, obj.c, obj.scale, obj.frame
        fast = obj.weights is not None
        exact_ties = self.tie_break and self.rel_gap == 0
        binary = not f.problem.options.partial
        pool = self._pool(L) if fast and binary and scale is not None else None
        x: np.ndarray | None = None
        solves, method = 0, "mip"
        keys: tuple[str, ...] = ()
        status, bound = Status.OPTIMAL, None
        try:
            guess = None
            if pool is not None:
                assert obj.weights is not None
                k = pool.best(np.array([float(w) for w in obj.weights]))
                if k is not None:
                    cand = columns(f, pool.funded(k))
                    if pool.certified(k, obj.weights):
                        x, method, keys = cand, "certificate", ("unique",)
                    elif feasible(L, cand):
                        guess = cand
            if x is None and L.knap is not None and scale is not None:
                x, unique = knapsack_solution(L, c, frame)
                if x is not None:
                    method = "knapsack"
                    if exact_ties and not unique:
                        x, keys, n = self._lexicographic(scenario, L, x, remaining, obj)
                        solves += n
                    elif exact_ties:
                        keys = ("unique",)
            if x is None and self.rel_gap > 0 and binary and f.model.n_cols >= LARGE_COLS:

                current = replace(f.model, objective=c, row_lower=L.row_lower, row_upper=L.row_upper)
                quick = _large_call(replace(f, model=current), self.rel_gap, remaining())
                if quick is not None and quick.x is not None:
                    x, method, status = _clean(f, quick.x), "lagrange", Status.FEASIBLE
                    bound = (quick.bound or 0.0) / (scale or 1)
            if x is None:
                start = guess if guess is not None else greedy_start(L, c, frame, self._prev)
                combined = exact_ties and binary and scale is not None and combinable(f, c)
                res = solve_value(L, c, scale, start, remaining, combined, self.rel_gap)
                solves += 1
                if not res.status.has_solution or res.x is None:
                    self._prev = None
                    return Outcome(scenario.name, res.status, None, None, None, None, frame, time.perf_counter() - t0, solves, method, res.message)
                status = res.status
                x = _clean(f, res.x)
                if res.status is Status.FEASIBLE and res.bound is not None:
                    bound = res.bound / (scale or 1) / (big_k(f) if combined else 1)
                if exact_ties and status is Status.OPTIMAL:
                    # combined: the solve preferred portfolios far from the start, so if it
                    # returned the start itself, no other portfolio reaches its value.
                    unique = combined and start is not None and same(f, x, start)
                    # the start reaches the same value by another selection: not unique, known
                    tied = combined and start is not None and not unique and float(np.dot(c, x)) == float(np.dot(c, start))
                    if not unique and not tied and binary:
                        unique = unique_optimum(L, c, scale, x, remaining, combined)
                        solves += 1
                    if unique:
                        keys = ("unique",)
                    else:
                        x, keys, n = self._lexicographic(scenario, L, x, remaining, obj)
                        solves += n
                    if pool is not None:
                        assert obj.weights is not None
                        pool.add(x[f.select] > 0.5, obj.weights, unique=unique)
                elif pool is not None and status is Status.OPTIMAL:
                    assert obj.weights is not None
                    pool.add(x[f.select] > 0.5, obj.weights, unique=False)  # a warm start for later weights
        finally:
            restore(L)
        self._prev = x
        grants = f.grants(x)
        total = int(grants.sum())
        if total > frame:
            raise SolverError(f"scenario {scenario.name!r}: grants of {total} over the frame {frame}; this is a bug")
        req = np.array([a.requested for a in self.base.applications], dtype=float)
        objective = float(np.dot(obj.weighted, grants / req))
        gap = 0.0 if status is Status.OPTIMAL else (max(0.0, (bound - objective) / max(abs(bound), 1e-12)) if bound is not None else None)
        return Outcome(
            scenario.name, status, grants, objective, objective if status is Status.OPTIMAL else bound, gap,
            frame, time.perf_counter() - t0, solves, method, "", tuple(keys),
        )

    def _pool(self, L: Loaded) -> PortfolioPool:
        """The certificate pool of the loaded feasible set (frame and eligibility)."""
        key = (L.frame, L.eligible.tobytes(), L.row_lower.tobytes(), L.row_upper.tobytes())
        pool = self._pools.get(key)
        if pool is None:
            assert self.parts is not None
            contrib = np.column_stack(
                [(a * A + B) / D for a, A, B, D in zip(self.parts.digits, self.parts.A, self.parts.B, self.parts.D, strict=True)]
            )
            pool = self._pools[key] = PortfolioPool(contrib)
        return pool

    def _lexicographic(self, scenario: Scenario, L: Loaded, x: np.ndarray, remaining: Any, obj: _Objective) -> tuple[np.ndarray, tuple[str, ...], int]:
        """The exact tie-break of :func:`allocator.solve` from the optimum ``x``.

        On the fast path the loaded formulation has the base problem's weights: the
        formulation of this scenario differs from it only in the problem, its scores and the
        objective, so it is made from the loaded one (weights and frame were validated).
        """
        restore(L)
        f = L.f
        if obj.weights is not None:
            update: dict[str, Any] = {"frame": obj.frame}
            if scenario.weights:
                update["criteria"] = tuple(
                    c.model_copy(update={"weight": float(scenario.weights[c.name])}) if c.name in scenario.weights else c
                    for c in self.base.criteria
                )
            variant = self.base.model_copy(update=update)
            f = replace(L.f, problem=variant, scores=score(variant), model=replace(L.f.model, objective=obj.c), scale=obj.scale)
        if f.problem.options.partial:
            return _break_ties(f, L.backend, x, remaining)
        return ties(f, L, x, remaining, self.parts if obj.weights is not None else None)

    def _from_scratch(self, scenario: Scenario, t0: float) -> Outcome:
        variant = scenario.apply(self.base)
        sol = solve(variant, solver=self.solver, time_limit=self.time_limit, rel_gap=self.rel_gap,
                    threads=self.threads, tie_break=self.tie_break, raise_on_failure=False)
        granted = np.array([d.granted for d in sol.decisions], dtype=np.int64) if sol.status.has_solution else None
        return Outcome(scenario.name, sol.status, granted, sol.objective, sol.bound, sol.gap, variant.frame,
                       time.perf_counter() - t0, sol.solves, "solve", sol.message, sol.tie_break)


_WORKERS: dict[str, SweepWorker] = {}


def run_chunk(problem: Problem, scenarios: list[Scenario], options: dict[str, Any], token: str | None = None) -> list[Outcome]:
    """Solve a list of scenarios in one worker (the unit of work sent to executors).

    Chunks of the same run (same ``token``) that land in the same process reuse its worker:
    the loaded model, the last portfolio and the certificates carry over.
    """
    worker = _WORKERS.get(token) if token is not None else None
    if worker is None:
        worker = SweepWorker(problem, **options)
        if token is not None:
            while len(_WORKERS) >= 2:
                _WORKERS.pop(next(iter(_WORKERS)))
            _WORKERS[token] = worker
    return [worker.run(s) for s in scenarios]

