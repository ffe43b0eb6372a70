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

Weight scenarios first look for a **certificate** (:mod:`allocator.scenarios.certificates`):
a region of weights proven to share one decision, which needs no solve at all. A decision
met often enough has its region proven (a solve of the value alone at each extreme ray of
the region, within a budget of solves that grows with the scenarios the decision decided).
Anything not certified is solved exactly by :func:`allocator.scenarios.decide.decide`.
"""

from __future__ import annotations

import functools
import time
from fractions import Fraction
from typing import Any

import numpy as np

from allocator.exceptions import AllocatorError
from allocator.model import Problem
from allocator.model.scoring import exact, integer_parts, integer_totals
from allocator.optimize.engine import Engine
from allocator.optimize.formulation import Formulation, build, value_objective
from allocator.optimize.tiebreak import Key, TieBreak
from allocator.scenarios.certificates import PortfolioPool, Totals, integer_ray
from allocator.scenarios.decide import PRESOLVE_OFF_MAX_COLS, decide, greedy_start, same_matrix, tuned_options
from allocator.scenarios.outcome import ScenarioOutcome, from_scratch, outcome
from allocator.scenarios.regions import STEP, by_step, prove_region
from allocator.scenarios.spec import Scenario
from allocator.scenarios.unique import TieTest, other_portfolio
from allocator.status import Status

__all__ = ["MIN_HITS", "PRESOLVE_OFF_MAX_COLS", "REGION_BUDGET", "ScenarioOutcome", "SweepWorker"]

MIN_HITS = 1
"""A decision's region is proven once it has decided this many scenarios."""

REGION_BUDGET = 1.0
"""A region's proof may cost this times what its decision's expected scenarios to come would
cost without it (:meth:`SweepWorker.expect`)."""


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
    regions, min_hits, region_budget
        Prove the weight regions of decisions met at least ``min_hits`` times, when the proof
        costs at most ``region_budget`` times what the decision's expected scenarios to come
        would cost without it (``regions=False``: no proofs, no steps).
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
        regions: bool = True,
        min_hits: int = MIN_HITS,
        region_budget: float = REGION_BUDGET,
    ) -> None:
        self.base = problem
        self.solver = solver
        self.threads = threads
        self.time_limit = time_limit
        self.rel_gap = rel_gap
        self.rule = TieBreak.of(problem) if tie_break else None
        self.use_knapsack = knapsack
        self.tuned = tuned
        self.regions = regions
        self.min_hits = min_hits
        self.region_budget = region_budget
        self._expected = 0
        self._seen = 0
        self._cost = (0, 0)  # solves and scenarios, of the scenarios not certified
        self.parts = integer_parts(problem)
        self.engine: Engine | None = None
        self._base_like = False  # the engine holds the base problem (any weights, frame)
        self._prev: np.ndarray | None = None
        self._pools: dict[bytes, PortfolioPool] = {}
        self._keys: tuple[Formulation, list[Key]] | None = None
        self._ties: list[TieTest] = []
        self._weights: tuple[Fraction, ...] | None = None  # of the objective loaded now
        self.totals = Totals(problem, self.parts) if self.parts is not None else None

    # ------------------------------------------------------------------ public
    def run(self, scenario: Scenario) -> ScenarioOutcome:
        """Solve one scenario."""
        t0 = time.perf_counter()
        try:
            if self.solver not in (None, "highs"):
                return self._from_scratch(scenario, t0)
            weights = self._prepare(scenario)
            if weights is None:
                variant = scenario.apply(self.base)
                self._load(build(variant), base_like=False)
            return self._solve(scenario, weights, t0)
        except AllocatorError as exc:
            return ScenarioOutcome(
                scenario.name, Status.ERROR, None, None, None, None, 0, time.perf_counter() - t0, 0, "none", str(exc)
            )

    # ------------------------------------------------------------ preparation
    def _options(self, n_cols: int) -> dict[str, Any]:
        """The HiGHS options for a model of ``n_cols`` columns (see ``tuned``)."""
        return tuned_options(n_cols) if self.tuned else {}

    def _outcome(
        self,
        scenario: Scenario,
        x: np.ndarray,
        value: Fraction,
        status: Status,
        bound: float | None,
        frame: int,
        t0: float,
        solves: int,
        method: str,
        keys: tuple[str, ...],
        tied: bool | None,
    ) -> ScenarioOutcome:
        assert self.engine is not None
        self._prev = x
        grants = self.engine.f.grants(x)
        return outcome(scenario.name, grants, value, status, bound, frame, t0, solves, method, keys, tied)

    def _from_scratch(self, scenario: Scenario, t0: float) -> ScenarioOutcome:
        return from_scratch(
            scenario,
            self.base,
            t0,
            solver=self.solver,
            time_limit=self.time_limit,
            rel_gap=self.rel_gap,
            threads=self.threads,
            tie_break=self.rule is not None,
        )

    def _load(self, f: Formulation, *, base_like: bool) -> None:
        """Load ``f``: into the engine in place when only bounds and the objective differ."""
        e = self.engine
        m = f.model
        if e is not None and e.n_rows == e.model.n_rows and same_matrix(e.model, m):
            e.f = f
            e.set_values(m.objective, f.scale, f.scores.exact)
            for r in np.flatnonzero((e.row_lower != m.row_lower) | (e.row_upper != m.row_upper)).tolist():
                e.set_row_bounds(r, m.row_lower[r], m.row_upper[r])
            changed = np.flatnonzero((e.col_lower != m.col_lower) | (e.col_upper != m.col_upper))
            e.set_col_bounds(changed, m.col_lower[changed], m.col_upper[changed])
            e.amount = np.where(f.col_app >= 0, f.col_amount, 0.0)
        else:
            options = self._options(m.n_cols)
            self.engine = Engine(
                f, solver=self.solver, threads=self.threads, options=options, knapsack=self.use_knapsack
            )
            self._prev = None
        self._weights = None
        self._base_like = base_like

    def _prepare(self, scenario: Scenario) -> tuple[Fraction, ...] | None:
        """Load the base model and set the frame of a weights/frame scenario; the exact
        weights, or None when the scenario needs the variant formulated again."""
        if self.parts is None or scenario.changes_structure:
            return None
        scenario.check(self.base)
        frame = scenario.frame if scenario.frame is not None else self.base.frame
        by_name = {c.name: c.weight for c in self.base.criteria} | dict(scenario.weights or {})
        weights = tuple(_exact(float(by_name[c.name])) for c in self.base.criteria)
        if self.base.options.min_total_score is not None or (frame != self.base.frame and self.base.rules):
            return None  # eligibility depends on the weights, or rules on the frame: formulate again
        if self.engine is None or not self._base_like:
            self._load(build(self.base), base_like=True)
        e = self.engine
        assert e is not None
        r = e.f.frame_row
        if e.row_upper[r] != float(frame):
            e.set_row_bounds(r, e.row_lower[r], float(frame))
        return weights

    def _set_objective(self, weights: tuple[Fraction, ...]) -> int | None:
        """The value objective for exact ``weights`` on the loaded base model; its scale."""
        e = self.engine
        assert e is not None and self.parts is not None
        if self._weights == weights:
            return e.scale
        totals, common, _ = integer_totals(self.parts, list(weights))
        if totals.dtype != object and common < 2**53 and int(np.abs(totals).max(initial=0)) < 2**53:
            weighted = totals.astype(float) / float(common)
        else:
            weighted = np.array([float(Fraction(int(t), common)) for t in totals.tolist()])
        f = e.f
        c, scale = value_objective(f.problem, f.col_app, f.col_amount, totals, common, weighted)
        e.set_values(c, scale, lambda: tuple(Fraction(int(t), common) for t in totals.tolist()))
        self._weights = weights
        return scale

    # ----------------------------------------------------------------- solving
    def _solve(self, scenario: Scenario, weights: tuple[Fraction, ...] | None, t0: float) -> ScenarioOutcome:
        e = self.engine
        assert e is not None
        frame = int(e.frame)
        before = e.solves
        pool = self._pool(e) if weights is not None and self.rel_gap == 0 else None
        start = None
        if pool is not None and weights is not None:
            ray = integer_ray(weights)
            wf = np.array(ray, dtype=float)
            wf /= max(float(wf.sum()), 1e-300)
            k, method = self._certify(pool, ray, wf)
            if k is not None:
                assert self.totals is not None
                i = next(i for i, v in enumerate(ray) if v)  # weights = ray * weights[i] / ray[i]
                value = Fraction(
                    pool.value(k, ray) * weights[i].numerator, ray[i] * weights[i].denominator * self.totals.denominator
                )
                self._spent(e.solves - before, certified=method == "certificate")
                return self._outcome(
                    scenario,
                    pool.portfolio(k),
                    value,
                    Status.OPTIMAL,
                    None,
                    frame,
                    t0,
                    e.solves - before,
                    method,
                    self._names(),
                    None,
                )
            best = pool.best(wf)
            if best is not None and e.feasible(pool.portfolio(best)):
                start = pool.portfolio(best)
        if weights is not None:
            self._set_objective(weights)
        f = e.f
        d = decide(
            e,
            rule=self.rule,
            keys=self._key_vectors(f) if self.rule is not None else None,
            start=start if start is not None else greedy_start(e, self._prev),
            rel_gap=self.rel_gap,
            time_limit=self.time_limit,
            other=self._other,
        )
        if d.x is None:
            self._prev = None
            return ScenarioOutcome(
                scenario.name,
                d.status,
                None,
                None,
                None,
                None,
                frame,
                time.perf_counter() - t0,
                e.solves - before,
                d.method,
                d.message,
            )
        if pool is not None and d.status is Status.OPTIMAL:
            pool.decided(pool.add(d.x, self._totals(e, d.x)), integer_ray(weights or ()))
        solves = e.solves - before + d.solves
        self._spent(solves, certified=False)
        return self._outcome(
            scenario, d.x, e.value_of(d.x), d.status, d.bound, frame, t0, solves, d.method, d.keys, d.tied
        )

    def _names(self) -> tuple[str, ...]:
        """The tie-break keys in force (a certified decision won every tie)."""
        if self.rule is None or self.engine is None:
            return ()
        return (*(k.name for k in self._key_vectors(self.engine.f)), "id")

    def _other(self, x: np.ndarray) -> bool | None:
        e = self.engine
        assert e is not None
        return other_portfolio(
            e, x, time_limit=self.time_limit, cache=self._ties, options=self._options(2 * e.model.n_cols)
        )

    # ----------------------------------------------------------------- regions
    def expect(self, n: int) -> None:
        """Say that about ``n`` scenarios will be run (in all): region proofs are budgeted
        against the scenarios still to come (unknown: as many as have been run)."""
        self._expected = n

    def _spent(self, solves: int, *, certified: bool) -> None:
        self._seen += 1
        if not certified:
            self._cost = (self._cost[0] + solves, self._cost[1] + 1)

    def _budget(self, pool: PortfolioPool, k: int) -> int:
        """Solves the region of ``k`` may cost in all: what its expected scenarios to come
        would cost without it (solves per scenario not certified, measured so far), times
        ``region_budget``."""
        seen = max(self._seen, 1)
        future = max(self._expected - seen, 0) / seen if self._expected else 1.0
        per = self._cost[0] / self._cost[1] if self._cost[1] else 1.0
        return int(self.region_budget * per * pool.hits(k) * future)

    def _certify(self, pool: PortfolioPool, ray: tuple[int, ...], wf: np.ndarray) -> tuple[int | None, str]:
        """The decision at ``ray`` proven without deciding: a certified region (its proof
        completed now if worth it), or one solve at a step beyond ``ray``."""
        e = self.engine
        assert e is not None
        k = pool.certified(ray)
        best = pool.best(wf)
        if k is None and self.regions and best is not None:
            if not pool.is_certified(best) and pool.hits(best) >= self.min_hits:
                prove_region(pool, best, self._optimum, self._budget(pool, best))
                k = pool.certified(ray)
            # one solve of the value where deciding costs more (partial funding, floats)
            step = e.f.problem.options.partial or e.f.scale is None
            if k is None and step and by_step(pool, best, ray, self._optimum, step=STEP if e.f.scale else 10**6):
                pool.decided(best, ray)
                return best, "mip"
        if k is not None:
            pool.count(k)
        return k, "certificate"

    def _optimum(self, pool: PortfolioPool, ray: tuple[int, ...]) -> int | None:
        """A portfolio proven value-optimal at the integer weights ``ray`` (one solve, warm
        started from the best known there), added to ``pool``; None when not proven (or, on
        an integer-scaled call, when the objective at ``ray`` cannot be held exactly)."""
        e = self.engine
        assert e is not None
        big = max(ray) >= 2**20  # small integer weights keep the objective integer-scaled
        weights = tuple(Fraction(v, sum(ray)) if big else Fraction(v) for v in ray)
        if self._set_objective(weights) is None and e.f.scale is not None:
            return None
        wf = np.array(ray, dtype=float) / float(sum(ray))
        res = e.run(e.c, start=pool.portfolio(int(pool.best(wf) or 0)), time_limit=self.time_limit)
        if res.status is not Status.OPTIMAL or res.x is None:
            return None
        x = e.clean(res.x)
        j = pool.add(x, self._totals(e, x))
        pool.record(ray, j)
        return j

    # ----------------------------------------------------------------- helpers
    def _key_vectors(self, f: Formulation) -> list[Key]:
        """The tie-break keys on the loaded formulation's columns (computed once per formulation)."""
        assert self.rule is not None
        if self._keys is None or self._keys[0] is not f:
            self._keys = (f, self.rule.vectors(f))
        return self._keys[1]

    def _pool(self, e: Engine) -> PortfolioPool:
        """The certificate pool of the feasible set loaded now (frame, bounds, rows)."""
        key = e.row_upper.tobytes() + e.row_lower.tobytes() + e.col_lower.tobytes() + e.col_upper.tobytes()
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = PortfolioPool(len(self.base.criteria))
        return pool

    def _totals(self, e: Engine, x: np.ndarray) -> tuple[int, ...]:
        assert self.totals is not None
        return self.totals.of(e.f.grants(x))


_exact = functools.lru_cache(maxsize=4096)(exact)
