"""Proven optima of large calls: Lagrangian bounds that fix most decisions, a small MIP for the rest.

:func:`allocator.optimize.large.portfolio.near_optimal` gives a portfolio of value ``v`` and multipliers
``lam`` with a bound ``L(lam)``. With an integer objective, a better portfolio would be
worth at least ``v + 1``; and any portfolio ``x`` is worth at most

    L(lam) - sum over components k of deficit_k(x)

where ``deficit_k(x) >= 0`` is how much less the funding pattern ``x`` uses on component
``k`` is worth (at the reduced values ``c - A^T lam``) than the best pattern there. So a
better portfolio can only use, on each component, patterns whose deficit is at most
``slack = L(lam) - v - 1``. When that leaves a component a single pattern, its decisions
are fixed; a column on which all allowed patterns agree is fixed too. What remains free is
usually a small fraction of the call: HiGHS then decides, on the restricted model with the
extra row ``c.x >= v + 1``, whether a better portfolio exists. If it proves there is none,
``v`` is optimal; if it finds one, the argument repeats from that portfolio.

This is the classical reduced-cost fixing argument, applied to the Lagrangian relaxation
of the wide rows; every step is a proof, with a safety margin against rounding in the
floating-point bound (a larger slack only fixes fewer decisions).
"""

from __future__ import annotations

import time

import numpy as np

from allocator.optimize.large.lagrange import (
    Decomposition,
    LagrangeResult,
    activity,
    decompose,
    inner,
    lagrangian,
    subgradient,
)
from allocator.optimize.large.portfolio import near_optimal, sub_mip
from allocator.optimize.linear import LinearModel
from allocator.status import Status

__all__ = ["EXACT_COLS", "allowed_columns", "exact_optimum", "multipliers"]

EXACT_COLS = 5_000
"""Models with at least this many columns try :func:`exact_optimum` before the plain MIP."""


def allowed_columns(d: Decomposition, lam: np.ndarray, value: float) -> tuple[float, np.ndarray, np.ndarray]:
    """``(slack, free, fixed)``: what a portfolio worth ``value + 1`` or more may still vary.

    ``free`` marks the columns some allowed pattern sets differently from another; the others
    are ``fixed`` at the value every allowed pattern gives them.
    """
    bound, rc = lagrangian(d, lam)
    slack = bound - value - 1.0 + 1e-7 * max(1.0, abs(bound))
    free = np.zeros(d.model.n_cols, dtype=bool)
    fixed = np.zeros(d.model.n_cols)
    for C, U, ok in d.groups:
        vals = rc[C] @ U.T
        vals[~ok] = -np.inf
        best = vals.max(axis=1, keepdims=True)
        allowed = ok & (best - vals <= slack)
        lo = np.where(allowed[:, :, None], U[None, :, :], np.inf).min(axis=1)  # (components, size)
        hi = np.where(allowed[:, :, None], U[None, :, :], -np.inf).max(axis=1)
        none = ~allowed.any(axis=1)  # no pattern allowed: no better portfolio uses this component
        lo[none], hi[none] = 0.0, 0.0
        free[C] = lo < hi
        fixed[C] = np.where(lo < hi, 0.0, lo)
    return slack, free, fixed


def exact_optimum(
    m: LinearModel,
    *,
    time_limit: float | None = None,
    max_free_share: float = 0.3,
    rounds: int = 3,
    max_iter: int = 200,
    local_nnz: int | None = None,
) -> LagrangeResult | None:
    """A proven optimal portfolio of a binary model with an integer objective, or None.

    None means "not proven here" (not binary, objective not integer, too many decisions left
    free, or out of time): the caller then solves the model as usual. The result's ``tied``
    marks the columns that other optimal portfolios may set differently (the same argument,
    for portfolios worth ``value`` instead of ``value + 1``): a tie-break decides among those.
    """
    t0 = time.perf_counter()
    deadline = t0 + (time_limit if time_limit else 300.0)
    c = m.objective
    if not np.array_equal(c, np.rint(c)) or float(np.abs(c).sum()) >= 2.0**50:
        return None
    d = decompose(m) if local_nnz is None else decompose(m, local_nnz=local_nnz)
    if d is None:
        return None
    # stop as soon as the bound is within one unit: the proof below is then immediate
    target = 0.999 / max(1.0, float(np.abs(c).sum()))
    r = near_optimal(
        m,
        rel_gap=target,
        time_limit=max(0.5, 0.5 * (deadline - time.perf_counter())),
        max_iter=max_iter,
        decomposition=d,
    )
    if r is None or r.multipliers is None:
        return None
    x, value = r.x, float(np.dot(c, r.x))
    lam = r.multipliers

    def proven() -> LagrangeResult:
        # the same bound, one unit lower: what the portfolios worth ``value`` (the ties) may vary
        _, tied, fixed = allowed_columns(d, lam, value - 1.0)
        agree = np.array_equal(fixed[~tied], x[~tied])  # x is one of them: always, barring rounding
        return LagrangeResult(x, value, value, r.iterations, time.perf_counter() - t0, lam, tied if agree else None)

    for _ in range(rounds):
        slack, free, fixed = allowed_columns(d, lam, value)
        if slack < 0:
            return proven()
        if free.sum() > max_free_share * m.n_cols:
            return None
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        got = sub_mip(d, free, fixed, time_limit=left, at_least=value + 1.0)
        if got is None or got[0] is Status.INFEASIBLE:  # nothing worth value + 1 exists
            return proven()
        status, better = got
        if better is None or not status.has_solution:
            return None  # time limit or error: not proven
        x, value = better, float(np.dot(c, better))
    return None


def multipliers(
    d: Decomposition,
    value: float,
    *,
    start: np.ndarray | None = None,
    max_iter: int = 300,
    time_limit: float = 1.0,
    enough: float = 0.0,
) -> tuple[float, np.ndarray]:
    """Multipliers that bring ``L(lam)`` down towards a known achievable ``value``.

    Subgradient steps of Polyak's length towards ``value`` (the optimum, found otherwise),
    from ``start`` (e.g. the relaxation's duals of the relaxed rows) or 0. Stops when
    ``L(lam) - value <= enough`` or after ``max_iter`` steps or ``time_limit`` seconds.
    Returns the best bound and its multipliers: any multipliers give a valid bound.
    """
    t0 = time.perf_counter()
    n_rows = len(d.g_lower)
    only_up = ~np.isfinite(d.g_lower)
    only_down = ~np.isfinite(d.g_upper)
    lam = np.zeros(n_rows) if start is None else np.asarray(start, dtype=float).copy()
    lam = np.where(only_up, np.maximum(lam, 0.0), np.where(only_down, np.minimum(lam, 0.0), lam))
    best_bound, best_lam = np.inf, lam.copy()
    theta, stall = 1.0, 0
    for _ in range(max_iter):
        bound, rc = lagrangian(d, lam)
        if bound < best_bound - 1e-12 * abs(best_bound) or not np.isfinite(best_bound):
            best_bound, best_lam, stall = bound, lam.copy(), 0
        else:
            stall += 1
            if stall >= 8:
                theta, stall, lam = theta / 2, 0, best_lam.copy()
                continue
        if best_bound - value <= enough or theta < 1e-6 or time.perf_counter() - t0 > time_limit or not n_rows:
            break
        _, x = inner(d, rc)
        act = activity(d, x)
        g = subgradient(d, lam, act)
        g = np.where(np.isfinite(g), g, 0.0)
        norm = float(np.dot(g, g))
        if norm == 0:
            break
        lam = lam + theta * max(bound - value, 1e-9 * abs(bound)) / norm * g
        lam = np.where(only_up, np.maximum(lam, 0.0), np.where(only_down, np.minimum(lam, 0.0), lam))
    return best_bound, best_lam
