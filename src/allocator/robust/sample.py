"""Sampled acceptability: how often each application is funded when weights and scores vary.

Stochastic Multicriteria Acceptability Analysis (SMAA) for portfolios under the call's rules:
draw weight vectors **uniformly from the admissible polytope** (hit-and-run,
:meth:`~allocator.robust.polytope.WeightPolytope.sample`) and every score uniformly within
its interval, solve the call for each draw, and report per application

* the **acceptability**: the share of draws whose optimal portfolio funds it, with its
  Monte-Carlo standard error (batch means over the independent sampler chains);
* its **central weight vector**: the mean of the weights under which it is funded.

Draws are made exact and short: weight shares are rounded to multiples of ``1 /
weight_resolution`` (a rounded point outside the polytope, which can only happen within that
distance of its boundary, is replaced by the next draw) and scores to multiples of
``score_resolution`` within their interval, so that each scenario's objective is integer
scaled and its optimum exact.

Two engines give the same optima:

* ``"scenarios"``: every draw is a :class:`~allocator.scenarios.Scenario` (weights and
  scores) solved by :func:`allocator.run_scenarios`, serially or on any executor (a process
  pool, Dask), with its warm starts and certificates; any size. Eligibility stays as decided
  on the scores as given (:func:`fixed_eligibility`), as in the exact analysis.
* ``"nondominated"``: when the whole non-dominated set is known
  (:func:`~allocator.robust.exact.nondominated`), the optimum of every draw is in it (a
  portfolio dominating the optimum would be optimal too, with a larger central value), so
  the best of those portfolios is the optimum; draws whose best two are within 1e-9 are
  solved as scenarios. Exact, and thousands of draws per second.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from allocator.exceptions import InputError, SolverError
from allocator.robust.dominance import normalise
from allocator.robust.exact import ExactResult
from allocator.robust.polytope import WeightPolytope
from allocator.robust.uncertainty import Uncertainty

if TYPE_CHECKING:
    import pandas as pd

    from allocator.model import Problem

__all__ = ["Acceptability", "Draws", "acceptability", "draws", "fixed_eligibility"]


@dataclass(frozen=True)
class Draws:
    """Sampled weights (shares, rows sum to 1) and raw scores, with the chain of each draw."""

    weights: np.ndarray  # (S, m)
    scores: np.ndarray  # (S, n, m) raw scores
    chain: np.ndarray  # (S,)


def draws(
    problem: Problem,
    uncertainty: Uncertainty,
    n: int,
    seed: int = 0,
    *,
    chains: int = 64,
    weight_resolution: int = 10_000,
    score_resolution: float = 0.01,
) -> Draws:
    """``n`` draws of weights (uniform on the polytope) and scores (uniform in their intervals)."""
    if n < 1:
        raise InputError(f"n ({n}) must be at least 1")
    if weight_resolution < 1 or not score_resolution > 0:
        raise InputError("weight_resolution must be >= 1 and score_resolution > 0")
    names = [c.name for c in problem.criteria]
    P = WeightPolytope.of(names, uncertainty.weights)
    Gi, hi_ = _integer_rows(P)
    kept: list[np.ndarray] = []
    kept_chain: list[np.ndarray] = []
    got, attempt = 0, 0
    while got < n:
        if attempt > 20:
            raise InputError("the admissible weights are too narrow for the weight resolution; raise weight_resolution")
        k = min(chains, n)
        want = n - got + max(16, (n - got) // 10)
        W = P.sample(want, seed=seed + 7919 * attempt, chains=k)
        per = math.ceil(want / k)
        ch = np.arange(len(W)) // per
        Wi = np.rint(W * weight_resolution).astype(np.int64)
        fix = weight_resolution - Wi.sum(axis=1)
        Wi[np.arange(len(Wi)), Wi.argmax(axis=1)] += fix
        ok = (Wi >= 0).all(axis=1)
        if len(Gi):  # exactly: g . (Wi / res) >= h  <=>  g_int . Wi >= h_int * res
            ok &= (Wi @ Gi.T >= hi_ * weight_resolution).all(axis=1)
        kept.append(Wi[ok][: n - got])
        kept_chain.append(ch[ok][: n - got] + 1000 * attempt)
        got += int(min(ok.sum(), n - got))
        attempt += 1
    weights = np.concatenate(kept) / weight_resolution
    chain = np.concatenate(kept_chain)
    low, high = uncertainty.scores.bounds(problem)
    lo = np.array([[float(x) for x in row] for row in low])
    hi = np.array([[float(x) for x in row] for row in high])
    rng = np.random.default_rng([seed, 1])
    u = rng.random((n, *lo.shape))
    raw = lo + u * (hi - lo)
    raw = np.round(np.round(raw / score_resolution) * score_resolution, 10)
    raw = np.clip(raw, lo, hi)
    return Draws(weights, raw, chain)


def _integer_rows(P: WeightPolytope) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``g . w >= h`` scaled to integers (each by its own common denominator)."""
    rows, rhs = [], []
    for g, h in zip(P.G, P.h, strict=True):
        d = math.lcm(*(x.denominator for x in (*g, h)))
        rows.append([int(x * d) for x in g])
        rhs.append(int(h * d))
    return np.array(rows, dtype=np.int64).reshape(len(rows), P.m), np.array(rhs, dtype=np.int64)


@dataclass(frozen=True)
class Acceptability:
    """Sampled acceptability per application (input order); see the module docstring.

    Attributes
    ----------
    ids, names
        Application ids; criteria.
    share, se
        Share of draws funding each application, and its standard error.
    central_weights
        Mean weights of the draws funding it, shape ``(n, m)`` (NaN where never funded).
    funded
        The optimal portfolio of every draw, boolean ``(draws, n)``.
    draws
        The draws.
    method
        The engine: ``"scenarios"`` or ``"nondominated"`` (with ``solved`` draws solved as scenarios).
    """

    ids: tuple[str, ...]
    names: tuple[str, ...]
    share: np.ndarray
    se: np.ndarray
    central_weights: np.ndarray
    funded: np.ndarray
    draws: Draws
    method: str
    seconds: float
    solved: int = 0

    @property
    def n(self) -> int:
        """Number of draws."""
        return len(self.funded)

    def to_frame(self) -> pd.DataFrame:
        """One row per application: ``acceptability``, ``se`` and the central weights."""
        import pandas as pd

        df = pd.DataFrame({"id": list(self.ids), "acceptability": self.share, "se": self.se})
        for j, c in enumerate(self.names):
            df[f"central_{c}"] = self.central_weights[:, j]
        return df.set_index("id")


def _batch_se(funded: np.ndarray, chain: np.ndarray) -> np.ndarray:
    """Standard error of the share: batch means over chains (binomial when few chains)."""
    S = len(funded)
    p = funded.mean(axis=0)
    binom = np.sqrt(p * (1 - p) / max(S, 1))
    ids = np.unique(chain)
    if len(ids) < 20:
        return np.asarray(binom)
    means = np.array([funded[chain == c].mean(axis=0) for c in ids])
    sizes = np.array([(chain == c).sum() for c in ids], dtype=float)
    # weighted batch means: variance of the share estimator
    w = sizes / sizes.sum()
    var = (w[:, None] ** 2 * (means - p) ** 2).sum(axis=0) * len(ids) / (len(ids) - 1)
    return np.asarray(np.maximum(np.sqrt(var), binom))


def _values(problem: Problem, d: Draws) -> np.ndarray:
    """Value of funding each application in each draw, shape ``(S, n)`` (floats)."""
    norm = np.zeros_like(d.scores)
    for j, c in enumerate(problem.criteria):
        off = float(normalise(problem, c, Fraction(0)))
        one = float(normalise(problem, c, Fraction(1))) - off
        norm[:, :, j] = off + one * d.scores[:, :, j]
    return np.asarray(np.einsum("snm,sm->sn", norm, d.weights))


def fixed_eligibility(problem: Problem) -> Problem:
    """``problem`` with eligibility decided on its scores as given: thresholds replaced by
    locking the ineligible applications out, so that a draw of the scores cannot change who
    is eligible (as in the exact analysis)."""
    from allocator.robust._model import ineligible
    from allocator.rules import MustNotFund

    out = ineligible(problem)
    if not out and problem.options.min_total_score is None and all(c.threshold is None for c in problem.criteria):
        return problem
    crits = [c.model_copy(update={"threshold": None}) for c in problem.criteria]
    rules = tuple(problem.rules) + (
        (MustNotFund(ids=tuple(sorted(out)), label="not eligible (scores as given)"),) if out else ()
    )
    data = {k: getattr(problem, k) for k in type(problem).model_fields}
    data.update(criteria=crits, options=problem.options.model_dump() | {"min_total_score": None}, rules=rules)
    return type(problem)(**data)


def _scenarios(
    problem: Problem, d: Draws, rows: np.ndarray, executor: Executor | None, progress: bool, options: dict[str, Any]
) -> np.ndarray:
    from allocator.scenarios import Scenario, run_scenarios

    problem = fixed_eligibility(problem)
    names = [c.name for c in problem.criteria]
    ids = problem.ids
    scen = [
        Scenario(
            name=f"draw-{k:06d}",
            weights={c: float(round(d.weights[k, j], 12)) for j, c in enumerate(names)},
            scores={a: {c: float(d.scores[k, i, j]) for j, c in enumerate(names)} for i, a in enumerate(ids)},
        )
        for k in rows.tolist()
    ]
    res = run_scenarios(problem, scen, executor=executor, progress=progress, **options)
    failed = [o for o in res.outcomes if o.granted is None]
    if failed:
        raise SolverError(
            f"{len(failed)} draw(s) without a portfolio; first {failed[0].scenario}: {failed[0].status.value} {failed[0].message}"
        )
    return np.asarray(res.granted > 0)


def acceptability(
    problem: Problem,
    uncertainty: Uncertainty,
    n: int = 10_000,
    *,
    seed: int = 0,
    executor: Executor | None = None,
    exact: ExactResult | None = None,
    method: Literal["auto", "scenarios", "nondominated"] = "auto",
    progress: bool = False,
    chains: int = 64,
    **solve_options: Any,
) -> Acceptability:
    """Sampled acceptability of every application (see the module docstring).

    Parameters
    ----------
    problem, uncertainty
        The call (all-or-nothing funding) and what is uncertain.
    n, seed, chains
        Number of draws, the seed of the draw, sampler chains.
    executor
        Where the scenarios run: None (this process), a process pool, Dask's executor.
    exact
        A result of :func:`~allocator.robust.exact.nondominated` for the same inputs;
        ``method="auto"`` then uses the ``"nondominated"`` engine.
    solve_options
        Passed to :func:`allocator.run_scenarios` (``time_limit``, ``chunksize`` ...).
    """
    t0 = time.perf_counter()
    if problem.options.partial:
        raise InputError("acceptability selects whole applications; use problem.with_options(partial=False)")
    uncertainty.check(problem)
    d = draws(problem, uncertainty, n, seed, chains=chains)
    use_set = method == "nondominated" or (method == "auto" and exact is not None and exact.complete)
    solved = 0
    if use_set:
        if exact is None or exact.portfolios is None or exact.ids != tuple(problem.ids):
            raise InputError(
                "the nondominated engine needs the complete result of allocator.robust.nondominated for this problem"
            )
        V = _values(problem, d)  # (S, n)
        P = exact.portfolios.astype(float)  # (M, n)
        total = V @ P.T  # (S, M)
        best = total.argmax(axis=1)
        top = total[np.arange(len(total)), best]
        second = np.partition(total, -2, axis=1)[:, -2] if total.shape[1] > 1 else np.full(len(total), -np.inf)
        funded = exact.portfolios[best].copy()
        tied = np.flatnonzero(top - second <= 1e-9 * np.maximum(1.0, np.abs(top)))
        if len(tied):
            funded[tied] = _scenarios(problem, d, tied, executor, progress, solve_options)
            solved = len(tied)
        name = "nondominated"
    else:
        funded = _scenarios(problem, d, np.arange(n), executor, progress, solve_options)
        solved = n
        name = "scenarios"
    share = funded.mean(axis=0)
    se = _batch_se(funded.astype(float), d.chain)
    central = np.full((funded.shape[1], d.weights.shape[1]), np.nan)
    counts = funded.sum(axis=0)
    has = counts > 0
    central[has] = (funded.T.astype(float) @ d.weights)[has] / counts[has, None]
    return Acceptability(
        tuple(problem.ids),
        tuple(c.name for c in problem.criteria),
        share,
        se,
        central,
        funded,
        d,
        name,
        time.perf_counter() - t0,
        solved,
    )
