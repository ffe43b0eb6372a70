"""The sweep worker: one loaded model, many scenarios, the same decisions as :func:`solve`.

A :class:`SweepWorker` builds the integer program once and, scenario after scenario,
changes only what the scenario changes:

* weights: the objective coefficients, computed exactly from integers prepared once
  (:func:`allocator.scoring.integer_parts`), integer-scaled exactly as
  :func:`allocator.formulation.build` would scale them;
* the frame: the right-hand side of the frame row;
* anything else (options, rules, scores, or a frame that rules refer to): the variant is
  formulated again and only differing bounds are pushed, unless its matrix differs, in
  which case a new model is loaded.

Each scenario is then solved exactly, by the fastest exact means that applies:

1. **Knapsack**: when the only constraint is the frame (eligibility and locks just fix
   columns), a dynamic program over cost units (:mod:`allocator.unique_knapsack`) gives the
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

from allocator.certificates import PortfolioPool
from allocator.exceptions import AllocatorError, SolverError
from allocator.formulation import Formulation, build, common_scale
from allocator.lagrange import LARGE_COLS
from allocator.model import Problem
from allocator.scenarios import Scenario
from allocator.scoring import exact, integer_parts, integer_totals, reduced_denominator, score
from allocator.solve import _break_ties, _clean, _gap_for, _hold, _id_stage, _key_vector, default_tie_break, solve
from allocator.status import Status
from allocator.unique_knapsack import MAX_CELLS, cells, divisor, knapsack

__all__ = ["Outcome", "SweepWorker", "run_chunk", "PRESOLVE_OFF_MAX_COLS"]

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


@dataclass
class _Loaded:
    """The formulation whose matrix is loaded in the backend, and its structure."""

    f: Formulation
    backend: Any
    base_like: bool  # options, rules and scores are the base problem's
    frame: int
    eligible: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray  # the row bounds loaded in the backend now
    row_upper: np.ndarray
    n_rows: int
    knap: tuple[np.ndarray, np.ndarray, int] | None  # free columns, fixed-in columns, divisor


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
        :data:`PRESOLVE_OFF_MAX_COLS` columns, no feasibility-jump heuristic since a start
        is given). They change the path, never the optimum.
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
        self._loaded: _Loaded | None = None
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
            L.knap = self._knapsack_structure(L.f, L.col_lower, L.col_upper, frame)
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
            if self.tuned:
                options["mip_heuristic_run_feasibility_jump"] = False
                if m.n_cols <= PRESOLVE_OFF_MAX_COLS:
                    options["presolve"] = "off"
            from allocator.backends.highs import HighsBackend

            backend = HighsBackend(m, threads=self.threads, options=options)
            self._prev = None
        self._loaded = _Loaded(
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
            knap=self._knapsack_structure(f, m.col_lower, m.col_upper, variant.frame),
        )

    def _knapsack_structure(self, f: Formulation, lower: np.ndarray, upper: np.ndarray, frame: int) -> tuple[np.ndarray, np.ndarray, int] | None:
        """(free columns, fixed-in columns, cost divisor) when the model is a plain knapsack."""
        m = f.model
        if not self.use_knapsack or f.problem.options.partial or not m.integer.all():
            return None
        if np.any(lower < 0) or np.any(upper > 1):
            return None
        lo, hi = lower.copy(), upper.copy()
        for r in range(m.n_rows):  # every row but the frame must be a bound on one column
            if r == f.frame_row:
                continue
            idx, val = m.row(r)
            if len(idx) != 1 or val[0] == 0:
                return None
            j, a = int(idx[0]), float(val[0])
            rl, ru = (m.row_lower[r] / a, m.row_upper[r] / a) if a > 0 else (m.row_upper[r] / a, m.row_lower[r] / a)
            lo[j] = max(lo[j], np.ceil(rl - 1e-9))
            hi[j] = min(hi[j], np.floor(ru + 1e-9))
        if np.any(lo > hi):
            return None  # infeasible locks: leave it to the MIP (and its diagnosis)
        idx, val = m.row(f.frame_row)
        if not np.array_equal(np.sort(idx), np.arange(m.n_cols)) or np.any(f.col_amount <= 0):
            return None
        fixed_in = np.flatnonzero(lo >= 1)
        free = np.flatnonzero(hi > lo)
        g = divisor(f.col_amount[free].astype(np.int64)) if len(free) else 1
        return free, fixed_in, g

    # ----------------------------------------------------------------- solving
    def _solve(self, scenario: Scenario, L: _Loaded, obj: _Objective, t0: float) -> Outcome:
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
        solves, method, keys = 0, "mip", ()
        status, bound = Status.OPTIMAL, None
        try:
            guess = None
            if pool is not None:
                assert obj.weights is not None
                k = pool.best(np.array([float(w) for w in obj.weights]))
                if k is not None:
                    cand = self._columns(f, pool.funded(k))
                    if pool.certified(k, obj.weights):
                        x, method, keys = cand, "certificate", ("unique",)
                    elif self._feasible(L, cand):
                        guess = cand
            if x is None and L.knap is not None and scale is not None:
                x, unique = self._knapsack(L, c, frame)
                if x is not None:
                    method = "knapsack"
                    if exact_ties and not unique:
                        x, keys, n = self._lexicographic(scenario, L, x, remaining, obj)
                        solves += n
                    elif exact_ties:
                        keys = ("unique",)
            if x is None and self.rel_gap > 0 and binary and f.model.n_cols >= LARGE_COLS:
                from allocator.solve import _large_call

                current = replace(f.model, objective=c, row_lower=L.row_lower, row_upper=L.row_upper)
                quick = _large_call(replace(f, model=current), self.rel_gap, remaining())
                if quick is not None and quick.x is not None:
                    x, method, status = _clean(f, quick.x), "lagrange", Status.FEASIBLE
                    bound = (quick.bound or 0.0) / (scale or 1)
            if x is None:
                start = guess if guess is not None else self._start(L, c, frame)
                combined = exact_ties and binary and scale is not None and self._combinable(c)
                res = self._solve_value(L, c, scale, start, remaining, combined)
                solves += 1
                if not res.status.has_solution or res.x is None:
                    self._prev = None
                    return Outcome(scenario.name, res.status, None, None, None, None, frame, time.perf_counter() - t0, solves, method, res.message)
                status = res.status
                x = _clean(f, res.x)
                if res.status is Status.FEASIBLE and res.bound is not None:
                    bound = res.bound / (scale or 1) / (self._K(f) if combined else 1)
                if exact_ties and status is Status.OPTIMAL:
                    # combined: the solve preferred portfolios far from the start, so if it
                    # returned the start itself, no other portfolio reaches its value.
                    unique = combined and start is not None and self._same(f, x, start)
                    # the start reaches the same value by another selection: not unique, known
                    tied = combined and start is not None and not unique and float(np.dot(c, x)) == float(np.dot(c, start))
                    if not unique and not tied and binary:
                        unique = self._unique(L, c, scale, x, remaining, combined)
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
            self._restore(L)
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

    # ---------------------------------------------------- value and uniqueness
    @staticmethod
    def _K(f: Formulation) -> float:
        return float(len(f.select) + 1)

    def _combinable(self, c: np.ndarray) -> bool:
        """Whether ``K c + distance`` stays exact in a double (integer objective)."""
        assert self._loaded is not None
        return self._K(self._loaded.f) * (float(np.abs(c).sum()) + 1.0) < 2.0**52

    def _distance(self, f: Formulation, x: np.ndarray) -> np.ndarray:
        """Coefficients of the number of funding decisions that differ from ``x``."""
        d = np.zeros(f.model.n_cols)
        d[f.select] = np.where(x[f.select] > 0.5, -1.0, 1.0)
        return d

    @staticmethod
    def _same(f: Formulation, x: np.ndarray, y: np.ndarray) -> bool:
        return bool(np.array_equal(x[f.select] > 0.5, y[f.select] > 0.5))

    def _solve_value(self, L: _Loaded, c: np.ndarray, scale: int | None, start: np.ndarray | None, remaining: Any, combined: bool) -> Any:
        """Maximise the value; ``combined``: ``K * value + distance to start`` in one solve.

        With ``K`` above the largest possible distance, the combined optimum has the best
        value first; among portfolios of that value it is as far from ``start`` as possible.
        """
        if combined and start is not None:
            L.backend.set_objective(self._K(L.f) * c + self._distance(L.f, start))
            return L.backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.999, start=start)
        return L.backend.solve(time_limit=remaining(), rel_gap=self.rel_gap, abs_gap=_gap_for(scale, c), start=start)

    def _unique(self, L: _Loaded, c: np.ndarray, scale: int | None, x: np.ndarray, remaining: Any, combined: bool) -> bool:
        """Whether no other selection reaches the value of the optimum ``x`` (exact when scaled)."""
        backend, f = L.backend, L.f
        dist = self._distance(f, x)
        if combined:  # farthest portfolio of the best value; x itself iff x is the only one
            backend.set_objective(self._K(f) * c + dist)
            res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.999, start=x)
            return res.status is Status.OPTIMAL and res.x is not None and self._same(f, _clean(f, res.x), x)
        v = float(np.dot(c, x))
        nz = np.flatnonzero(c)
        tol = 0.5 if scale is not None else 1e-9 * max(1.0, abs(v))
        backend.add_row(nz, c[nz], v - tol, np.inf)
        backend.set_objective(dist, maximize=True)
        res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.5, start=x)
        if res.status is not Status.OPTIMAL or res.x is None:
            return False
        return float(np.dot(dist, _clean(f, res.x))) + float((x[f.select] > 0.5).sum()) < 0.5

    def _pool(self, L: _Loaded) -> PortfolioPool:
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

    @staticmethod
    def _columns(f: Formulation, funded: np.ndarray) -> np.ndarray:
        x = np.zeros(f.model.n_cols)
        x[f.select[funded]] = 1.0
        return x

    def _knapsack(self, L: _Loaded, c: np.ndarray, frame: int) -> tuple[np.ndarray | None, bool]:
        assert L.knap is not None
        free, fixed_in, g = L.knap
        amount = L.f.col_amount
        left = frame - int(amount[fixed_in].sum())
        if left < 0:
            return None, False
        cap = left // g
        if cells(len(free), cap) > MAX_CELLS:
            return None, False
        values = c[free]
        if np.any(values < 0):
            return None, False
        res = knapsack(values.astype(np.int64), (amount[free] // g).astype(np.int64), cap)
        x = np.zeros(L.f.model.n_cols)
        x[fixed_in] = 1.0
        x[free[res.take]] = 1.0
        if not self._feasible(L, x):
            return None, False
        return x, res.unique

    def _feasible(self, L: _Loaded, x: np.ndarray) -> bool:
        m = L.f.model
        if np.any(x < L.col_lower) or np.any(x > L.col_upper):
            return False
        act = m.activity(x)
        return bool(np.all(act >= L.row_lower - 1e-6) and np.all(act <= L.row_upper + 1e-6))

    def _start(self, L: _Loaded, c: np.ndarray, frame: int) -> np.ndarray | None:
        """The previous scenario's portfolio if still feasible, else a greedy one if feasible."""
        if self._prev is not None and self._feasible(L, self._prev):
            return self._prev
        f = L.f
        if f.problem.options.partial:
            return None
        sel = f.select
        amount = f.col_amount[sel]
        ratio = np.where(L.col_upper[sel] > 0, c[sel] / amount, -np.inf)
        x = np.zeros(f.model.n_cols)
        x[L.col_lower > 0] = L.col_lower[L.col_lower > 0]
        left = frame - float(np.dot(x, f.col_amount))
        for k in np.argsort(-ratio, kind="stable").tolist():
            j = sel[k]
            if ratio[k] == -np.inf:
                break
            if x[j] == 0 and amount[k] <= left:
                x[j] = 1.0
                left -= amount[k]
        return x if self._feasible(L, x) else None

    def _lexicographic(self, scenario: Scenario, L: _Loaded, x: np.ndarray, remaining: Any, obj: _Objective) -> tuple[np.ndarray, tuple[str, ...], int]:
        """The exact tie-break of :func:`allocator.solve` from the optimum ``x``.

        On the fast path the loaded formulation has the base problem's weights: the
        formulation of this scenario differs from it only in the problem, its scores and the
        objective, so it is made from the loaded one (weights and frame were validated).
        """
        self._restore(L)
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
        return self._ties(f, L, x, remaining, exact_parts=obj.weights is not None)

    def _key_ints(self, f: Formulation, key: str) -> np.ndarray | None:
        """Integer column coefficients of a tie-break key, a positive multiple of the exact key.

        Binary funding on the base problem's scores only: a criterion's normalised score is
        ``(A a + B) / D`` with one ``D`` per criterion (:class:`~allocator.scoring.IntegerParts`).
        """
        name = key.lstrip("-")
        if name == "granted":
            return f.col_amount.astype(float)
        assert self.parts is not None
        j = [c.name for c in f.problem.criteria].index(name)
        num = self.parts.digits[j] * self.parts.A[j] + self.parts.B[j]
        if np.abs(num).max(initial=0) >= 2**50:
            return None
        return num[f.col_app].astype(float)

    def _ties(self, f: Formulation, L: _Loaded, x: np.ndarray, remaining: Any, *, exact_parts: bool = False) -> tuple[np.ndarray, tuple[str, ...], int]:
        """:func:`allocator.solve._break_ties` for all-or-nothing funding, each key stage also
        settling uniqueness: it maximises ``K * key + distance to the current portfolio``, so
        when it returns the current portfolio, that portfolio is the only one with the best
        key and every later stage (keys, then ids) would keep it.
        """
        backend = L.backend
        if f.scale is not None:  # the value held exactly (as solve's _hold does with its fractions)
            c = f.model.objective
            nz = np.flatnonzero(c)
            backend.add_row(nz, c[nz], float(np.dot(c, x)) - 0.5, np.inf)
        else:
            _hold(backend, f.model.objective, f.exact_coefficients(list(f.scores.exact)), x, True)
        used: list[str] = []
        solves = 0
        K = self._K(f)
        for key in default_tie_break(f.problem):
            maximize = not key.startswith("-")
            ints = self._key_ints(f, key) if exact_parts else None
            if ints is not None:
                if not np.any(ints):
                    continue
                kc, kexact, scale = ints, None, 1
            else:
                kc, maximize, kexact = _key_vector(f, key)
                if not np.any(kc):
                    continue
                scale = common_scale(kexact)
            if scale is None:  # not integer: the plain stage, as solve() runs it
                backend.set_objective(kc, maximize=maximize)
                res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=_gap_for(None, kc), start=x)
                solves += 1
                if res.status is not Status.OPTIMAL or res.x is None:
                    return x, tuple(used), solves
                x = _clean(f, res.x)
                _hold(backend, kc, kexact, x, maximize)
                used.append(key)
                continue
            if kexact is not None:
                ints = np.array([float(v * scale) for v in kexact])
            nz = np.abs(ints[ints != 0]).astype(np.int64)
            ints = ints / float(np.gcd.reduce(nz))  # a positive factor: the same order, small numbers
            signed = ints if maximize else -ints
            if K * (float(np.abs(signed).sum()) + 1.0) >= 2.0**52:
                backend.set_objective(signed, maximize=True)
                res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.999, start=x)
            else:
                backend.set_objective(K * signed + self._distance(f, x), maximize=True)
                res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.999, start=x)
            solves += 1
            if res.status is not Status.OPTIMAL or res.x is None:
                return x, tuple(used), solves
            xn = _clean(f, res.x)
            used.append(key)
            if K * (float(np.abs(signed).sum()) + 1.0) < 2.0**52 and self._same(f, xn, x):
                return x, (*used, "unique"), solves
            x = xn
            v = float(np.dot(ints, x))  # the key held exactly at its optimum
            nzk = np.flatnonzero(ints)
            backend.add_row(nzk, ints[nzk], v - 0.5 if maximize else -np.inf, np.inf if maximize else v + 0.5)
        x, n = _id_stage(f, backend, x, remaining)
        return x, (*used, "id"), solves + n

    def _restore(self, L: _Loaded) -> None:
        """Drop rows and column fixings the tie-break added."""
        backend = L.backend
        extra = backend.n_rows - L.n_rows
        if extra > 0:
            backend.h.deleteRows(extra, np.arange(L.n_rows, backend.n_rows, dtype=np.int32))
            backend.n_rows = L.n_rows
        backend.set_col_bounds(np.arange(L.f.model.n_cols), L.col_lower, L.col_upper)

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

