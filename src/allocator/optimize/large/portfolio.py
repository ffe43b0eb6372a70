"""Large calls, step 4 of :mod:`allocator.optimize.large.lagrange`: a portfolio from the
multipliers. Applications whose reduced value is clearly positive are funded, clearly
negative ones are not, and a small MIP (HiGHS) decides the applications near the margin,
with every row of the original model enforced; the result is checked against every row
before it is returned."""

from __future__ import annotations

import time

import numpy as np

from allocator.optimize.backends import make_backend
from allocator.optimize.large.lagrange import (
    LOCAL_NNZ,
    Decomposition,
    LagrangeResult,
    activity,
    decompose,
    inner,
    subgradient,
)
from allocator.optimize.linear import LinearModel
from allocator.status import Status

__all__ = ["MAX_FREE_SHARE", "near_optimal", "sub_mip"]

MAX_FREE_SHARE = 0.3
"""A restricted MIP during the multipliers' search leaves at most this share of the columns free."""


def _unblock(d: Decomposition, x_lag: np.ndarray, rc: np.ndarray) -> np.ndarray:
    """Columns to leave free so that the fixed part can satisfy every relaxed row.

    For a row the Lagrangian solution exceeds, its funded columns of least reduced value
    are freed until the rest fits; for a floor it misses, its unfunded columns of highest
    reduced value are freed until they could make up the shortfall.
    """
    free = np.zeros(d.model.n_cols, dtype=bool)
    act = activity(d, x_lag)
    for r in range(len(d.g_lower)):
        a, b = d.g_start[r], d.g_start[r + 1]
        cols, vals = d.g_index[a:b], d.g_value[a:b]
        if act[r] > d.g_upper[r] + 1e-9:
            on = (x_lag[cols] > 0.5) & (vals > 0)
            order = np.argsort(rc[cols[on]], kind="stable")
            need = np.cumsum(vals[on][order]) >= act[r] - d.g_upper[r] - 1e-9
            k = int(np.argmax(need)) + 1 if need.any() else len(order)
            free[cols[on][order[: 2 * k]]] = True
        elif act[r] < d.g_lower[r] - 1e-9:
            off = (x_lag[cols] < 0.5) & (vals > 0)
            order = np.argsort(-rc[cols[off]], kind="stable")
            need = np.cumsum(vals[off][order]) >= d.g_lower[r] - act[r] - 1e-9
            k = int(np.argmax(need)) + 1 if need.any() else len(order)
            free[cols[off][order[: 2 * k]]] = True
    return free


def _free_columns(d: Decomposition, x_lag: np.ndarray, rc: np.ndarray, band: int) -> np.ndarray:
    """The columns a restricted MIP decides: the ``band`` closest to the margin, those that
    can repair a row the Lagrangian solution breaks, and the whole of every component one
    of them is in (the others are fixed at the Lagrangian solution)."""
    m = d.model
    c = np.abs(m.objective) + 1e-9
    closeness = np.abs(rc) / c
    free = np.zeros(m.n_cols, dtype=bool)
    free[np.argsort(closeness, kind="stable")[: min(band, m.n_cols)]] = True
    free |= _unblock(d, x_lag, rc)
    for C, _, _ in d.groups:  # free whole components
        if C.shape[1] > 1:
            any_free = free[C].any(axis=1)
            free[C[any_free].ravel()] = True
    return np.asarray(free & (d.lower < d.upper), dtype=bool)


def _restricted(d: Decomposition, x_lag: np.ndarray, free: np.ndarray, time_limit: float) -> np.ndarray | None:
    """The MIP over the ``free`` columns, every other one fixed at the Lagrangian solution."""
    fixed_val = np.where(free, 0.0, np.clip(x_lag, d.lower, d.upper))
    res = sub_mip(d, free, fixed_val, time_limit=time_limit)
    return res[1] if res is not None and res[1] is not None else None


def sub_mip(
    d: Decomposition, free: np.ndarray, fixed_val: np.ndarray, *, time_limit: float, at_least: float | None = None
) -> tuple[Status, np.ndarray | None] | None:
    """The model with every column but ``free`` fixed at ``fixed_val``, solved by HiGHS.

    ``at_least``: also require an objective of at least this. Returns the status and the
    full column vector (None without a solution), or None when the fixed part alone breaks a
    row (the restriction is infeasible).
    """

    m = d.model
    cols = np.flatnonzero(free)
    new_index = -np.ones(m.n_cols, dtype=np.int64)
    new_index[cols] = np.arange(len(cols))
    starts, idx, val, rlo, rhi = [0], [], [], [], []
    for r in range(m.n_rows):
        a, b = m.start[r], m.start[r + 1]
        jr, vr = m.index[a:b], m.value[a:b]
        const = float(np.dot(vr, fixed_val[jr]))
        keep = free[jr]
        if not keep.any():
            if const < m.row_lower[r] - 1e-6 or const > m.row_upper[r] + 1e-6:
                return None
            continue
        idx.append(new_index[jr[keep]])
        val.append(vr[keep])
        starts.append(starts[-1] + int(keep.sum()))
        rlo.append(m.row_lower[r] - const)
        rhi.append(m.row_upper[r] - const)
    if at_least is not None:
        obj = m.objective[cols]
        nz = np.flatnonzero(obj)
        idx.append(nz)
        val.append(obj[nz])
        starts.append(starts[-1] + len(nz))
        rlo.append(at_least - float(np.dot(m.objective, fixed_val)))
        rhi.append(np.inf)
    sub = LinearModel(
        objective=m.objective[cols],
        col_lower=d.lower[cols],
        col_upper=d.upper[cols],
        integer=m.integer[cols],
        col_names=tuple(f"x_{k}" for k in range(len(cols))),
        start=np.array(starts, dtype=np.int64),
        index=np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64),
        value=np.concatenate(val) if val else np.zeros(0),
        row_lower=np.array(rlo),
        row_upper=np.array(rhi),
        row_names=tuple(f"r_{k}" for k in range(len(rlo))),
    )
    res = make_backend(sub, threads=1).solve(
        time_limit=time_limit, rel_gap=0.0 if at_least is not None else 1e-4, abs_gap=0.999, start=None
    )
    if not res.status.has_solution or res.x is None:
        return res.status, None
    x = fixed_val.copy()
    x[cols] = np.rint(res.x)
    return res.status, x


def _feasible(m: LinearModel, x: np.ndarray) -> bool:
    act = m.activity(x)
    return bool(
        np.all(act >= m.row_lower - 1e-6)
        and np.all(act <= m.row_upper + 1e-6)
        and np.all(x >= m.col_lower)
        and np.all(x <= m.col_upper)
    )


def near_optimal(
    m: LinearModel,
    *,
    rel_gap: float,
    time_limit: float | None = None,
    max_iter: int = 400,
    local_nnz: int = LOCAL_NNZ,
    decomposition: Decomposition | None = None,
) -> LagrangeResult | None:
    """A portfolio within ``rel_gap`` of a Lagrangian bound, or None (not binary, infeasible,
    or the gap not reached in time). ``m`` is maximised; its rows are all enforced."""
    t0 = time.perf_counter()
    deadline = t0 + (time_limit if time_limit else 60.0)
    d = decomposition or decompose(m, local_nnz=local_nnz)
    if d is None:
        return None
    c = m.objective.astype(float)
    n_rows = len(d.g_lower)
    row_len = np.diff(d.g_start)
    lam = np.zeros(n_rows)
    only_up = ~np.isfinite(d.g_lower)  # lam >= 0
    only_down = ~np.isfinite(d.g_upper)  # lam <= 0
    best_bound, best_x, best_value = np.inf, None, -np.inf
    theta, stall, band = 1.0, 0, max(500, int(0.02 * m.n_cols))
    it = 0
    for it in range(1, max_iter + 1):
        shadow = (
            np.bincount(d.g_index, weights=d.g_value * np.repeat(lam, row_len), minlength=m.n_cols) if n_rows else 0.0
        )
        rc = c - shadow
        best, x = inner(d, rc)
        const = float(
            np.sum(
                np.where(lam > 0, lam * np.where(only_down, 0.0, d.g_upper), lam * np.where(only_up, 0.0, d.g_lower))
            )
        )
        bound = best + const
        if not np.isfinite(best_bound) or bound < best_bound - 1e-9 * abs(best_bound):
            best_bound, stall = bound, 0
            best_lam, best_rc, best_lag = lam.copy(), rc, x
        else:
            stall += 1
            if stall >= 8:  # step too long: halve it and go back to the best multipliers
                theta, stall = theta / 2, 0
                lam, rc, x = best_lam.copy(), best_rc, best_lag
        act = activity(d, x)
        if np.all(act <= d.g_upper + 1e-9) and np.all(act >= d.g_lower - 1e-9) and _feasible(m, x):
            v = float(np.dot(c, x))  # the relaxed solution happens to satisfy every row
            if v > best_value:
                best_value, best_x = v, x.copy()
        if it % 25 == 0 or it == max_iter:
            free = _free_columns(d, best_lag, best_rc, band)
            # early multipliers fund far too much or too little, and freeing every column that
            # could set that right leaves the whole model to the MIP: wait for better ones
            if free.sum() <= MAX_FREE_SHARE * m.n_cols:
                xp = _restricted(d, best_lag, free, max(1.0, min(10.0, deadline - time.perf_counter())))
                if xp is not None and _feasible(m, xp):
                    v = float(np.dot(c, xp))
                    if v > best_value:
                        best_value, best_x = v, xp
                else:
                    band *= 2
        if best_x is not None and np.isfinite(best_bound) and (best_bound - best_value) <= rel_gap * abs(best_bound):
            break
        if time.perf_counter() > deadline or theta < 1e-6:
            break
        g = subgradient(d, lam, act)
        norm = float(np.dot(g, g))
        if norm == 0:
            break  # x meets every relaxed row, complementary to the multipliers: L = value
        target = best_value if best_x is not None else 0.99 * bound
        lam = lam + theta * max(bound - target, 1e-9 * abs(bound)) / norm * g
        lam = np.where(only_up, np.maximum(lam, 0.0), lam)
        lam = np.where(only_down, np.minimum(lam, 0.0), lam)
    if best_x is None and np.isfinite(best_bound):
        free = _free_columns(d, best_lag, best_rc, band)
        xp = _restricted(d, best_lag, free, max(1.0, min(10.0, deadline - time.perf_counter())))
        if xp is not None and _feasible(m, xp):
            best_value, best_x = float(np.dot(c, xp)), xp
    if best_x is None:
        return None
    return LagrangeResult(best_x, best_value, best_bound, it, time.perf_counter() - t0, best_lam)
