"""The exact building blocks of a sweep: the loaded model, knapsack, uniqueness, ties.

Functions over a :class:`Loaded` model (a formulation whose matrix is loaded in a HiGHS
backend, with the bounds it holds now), used by :class:`allocator.scenarios.worker.SweepWorker`:

* :func:`knapsack_structure` / :func:`knapsack_solution`: when the only constraint left is
  the frame, the exact dynamic program of :mod:`allocator.optimize.unique_knapsack`;
* :func:`solve_value` / :func:`unique`: the optimum and whether it is the only one, in one
  solve when the start is right (``K * value + distance to the start``);
* :func:`ties`: the lexicographic tie-break of :func:`allocator.solve`, each stage also
  settling uniqueness;
* :func:`restore`: drop the rows and fixings those stages added.

With ``K`` larger than any distance (the number of applications plus one) and integer
coefficients, ``K * key + distance`` orders portfolios by the key first: its optimum has the
best key, and among those it is the farthest from the given portfolio. So the given
portfolio comes back exactly when no other portfolio reaches its key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from allocator.optimize.formulation import Formulation, common_scale
from allocator.optimize.solve import (
    _clean,
    _gap_for,
    _hold,
    _id_stage,
    _key_vector,
    default_tie_break,
)
from allocator.optimize.unique_knapsack import MAX_CELLS, cells, divisor, knapsack
from allocator.scoring import IntegerParts
from allocator.status import Status

__all__ = [
    "Loaded",
    "big_k",
    "columns",
    "combinable",
    "distance",
    "feasible",
    "greedy_start",
    "key_ints",
    "knapsack_solution",
    "knapsack_structure",
    "restore",
    "same",
    "solve_value",
    "ties",
    "unique",
]

Remaining = Callable[[], float | None]


@dataclass
class Loaded:
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



def knapsack_structure(f: Formulation, lower: np.ndarray, upper: np.ndarray, *, enabled: bool = True) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(free columns, fixed-in columns, cost divisor) when the model is a plain knapsack."""
    m = f.model
    if not enabled or f.problem.options.partial or not m.integer.all():
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


def knapsack_solution(L: Loaded, c: np.ndarray, frame: int) -> tuple[np.ndarray | None, bool]:
    """The exact knapsack optimum on the loaded model (None if too large) and its uniqueness."""
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
    if not feasible(L, x):
        return None, False
    return x, res.unique


def feasible(L: Loaded, x: np.ndarray) -> bool:
    """Whether ``x`` satisfies the loaded bounds and rows."""
    m = L.f.model
    if np.any(x < L.col_lower) or np.any(x > L.col_upper):
        return False
    act = m.activity(x)
    return bool(np.all(act >= L.row_lower - 1e-6) and np.all(act <= L.row_upper + 1e-6))


def greedy_start(L: Loaded, c: np.ndarray, frame: int, previous: np.ndarray | None = None) -> np.ndarray | None:
    """``previous`` if still feasible, else a greedy portfolio by value for money if feasible."""
    if previous is not None and feasible(L, previous):
        return previous
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
    return x if feasible(L, x) else None


def columns(f: Formulation, funded: np.ndarray) -> np.ndarray:
    """Column values of the portfolio funding ``funded`` (all-or-nothing)."""
    x = np.zeros(f.model.n_cols)
    x[f.select[funded]] = 1.0
    return x


def big_k(f: Formulation) -> float:
    """``K``: one more than the number of applications (the largest possible distance)."""
    return float(len(f.select) + 1)

def combinable(f: Formulation, c: np.ndarray) -> bool:
    """Whether ``K c + distance`` stays exact in a double (integer objective)."""
    return big_k(f) * (float(np.abs(c).sum()) + 1.0) < 2.0**52

def distance(f: Formulation, x: np.ndarray) -> np.ndarray:
    """Coefficients of the number of funding decisions that differ from ``x``."""
    d = np.zeros(f.model.n_cols)
    d[f.select] = np.where(x[f.select] > 0.5, -1.0, 1.0)
    return d

def same(f: Formulation, x: np.ndarray, y: np.ndarray) -> bool:
    """Whether ``x`` and ``y`` fund the same applications."""
    return bool(np.array_equal(x[f.select] > 0.5, y[f.select] > 0.5))

def solve_value(
    L: Loaded, c: np.ndarray, scale: int | None, start: np.ndarray | None, remaining: Remaining, combined: bool, rel_gap: float
) -> Any:
    """Maximise the value; ``combined``: ``K * value + distance to start`` in one solve.

    With ``K`` above the largest possible distance, the combined optimum has the best
    value first; among portfolios of that value it is as far from ``start`` as possible.
    """
    if combined and start is not None:
        L.backend.set_objective(big_k(L.f) * c + distance(L.f, start))
        return L.backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.999, start=start)
    return L.backend.solve(time_limit=remaining(), rel_gap=rel_gap, abs_gap=_gap_for(scale, c), start=start)

def unique(L: Loaded, c: np.ndarray, scale: int | None, x: np.ndarray, remaining: Remaining, combined: bool) -> bool:
    """Whether no other selection reaches the value of the optimum ``x`` (exact when scaled)."""
    backend, f = L.backend, L.f
    dist = distance(f, x)
    if combined:  # farthest portfolio of the best value; x itself iff x is the only one
        backend.set_objective(big_k(f) * c + dist)
        res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.999, start=x)
        return res.status is Status.OPTIMAL and res.x is not None and same(f, _clean(f, res.x), x)
    v = float(np.dot(c, x))
    nz = np.flatnonzero(c)
    tol = 0.5 if scale is not None else 1e-9 * max(1.0, abs(v))
    backend.add_row(nz, c[nz], v - tol, np.inf)
    backend.set_objective(dist, maximize=True)
    res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.5, start=x)
    if res.status is not Status.OPTIMAL or res.x is None:
        return False
    return float(np.dot(dist, _clean(f, res.x))) + float((x[f.select] > 0.5).sum()) < 0.5


def key_ints(parts: IntegerParts, f: Formulation, key: str) -> np.ndarray | None:
    """Integer column coefficients of a tie-break key, a positive multiple of the exact key.

    Binary funding on the base problem's scores only: a criterion's normalised score is
    ``(A a + B) / D`` with one ``D`` per criterion (:class:`~allocator.scoring.IntegerParts`).
    """
    name = key.lstrip("-")
    if name == "granted":
        return f.col_amount.astype(float)
    j = [c.name for c in f.problem.criteria].index(name)
    num = parts.digits[j] * parts.A[j] + parts.B[j]
    if np.abs(num).max(initial=0) >= 2**50:
        return None
    out: np.ndarray = num[f.col_app].astype(float)
    return out

def ties(
    f: Formulation, L: Loaded, x: np.ndarray, remaining: Remaining, parts: IntegerParts | None = None
) -> tuple[np.ndarray, tuple[str, ...], int]:
    """:func:`allocator.optimize.solve._break_ties` for all-or-nothing funding, each key stage also
    settling uniqueness: it maximises ``K * key + distance to the current portfolio``, so
    when it returns the current portfolio, that portfolio is the only one with the best
    key and every later stage (keys, then ids) would keep it. ``parts``: the base problem's
score parts, for integer keys without fractions (fast path only).
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
    K = big_k(f)
    for key in default_tie_break(f.problem):
        maximize = not key.startswith("-")
        fast = key_ints(parts, f, key) if parts is not None else None
        if fast is not None:
            if not np.any(fast):
                continue
            ints = fast
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
            ints = np.array([float(v * scale) for v in kexact])
        ints = ints / float(np.gcd.reduce(np.abs(ints[ints != 0]).astype(np.int64)))  # same order, small numbers
        signed = ints if maximize else -ints
        combined = K * (float(np.abs(signed).sum()) + 1.0) < 2.0**52
        backend.set_objective(K * signed + distance(f, x) if combined else signed, maximize=True)
        res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.999, start=x)
        solves += 1
        if res.status is not Status.OPTIMAL or res.x is None:
            return x, tuple(used), solves
        xn = _clean(f, res.x)
        used.append(key)
        if combined and same(f, xn, x):
            return x, (*used, "unique"), solves
        x = xn
        v = float(np.dot(ints, x))  # the key held exactly at its optimum
        nzk = np.flatnonzero(ints)
        backend.add_row(nzk, ints[nzk], v - 0.5 if maximize else -np.inf, np.inf if maximize else v + 0.5)
    x, n = _id_stage(f, backend, x, remaining)
    return x, (*used, "id"), solves + n


def restore(L: Loaded) -> None:
    """Drop rows and column fixings the tie-break added."""
    backend = L.backend
    backend.truncate_rows(L.n_rows)
    backend.set_col_bounds(np.arange(L.f.model.n_cols), L.col_lower, L.col_upper)
