"""Large calls: a near-optimal portfolio and a bound on the optimum, by Lagrangian decomposition.

For very large calls (tens of thousands of applications) a MIP solver spends minutes in
presolve and cutting planes before it finds a good portfolio. This module gets both a
portfolio and a **valid upper bound** on the best value much faster, so that a call with a
relative gap (say 0.1 %) can be answered in seconds, with the gap proven:

1. Rows on one column become column bounds (rounded exactly: the columns are binary).
2. Small rows (a few applications: an organisation's cap, "A requires B", exclusions) split
   the columns into small independent **components**; every funding pattern of a component
   that satisfies its small rows is enumerated once.
3. The remaining rows (the frame, caps and floors over groups) are **relaxed** with
   multipliers ``lam``: for any multipliers of the right signs,

       L(lam) = sum_r lam_r * b_r(lam) + sum_components max_pattern (c - A^T lam) . pattern

   bounds the optimum from above (weak duality). Subgradient steps lower ``L``.
4. A portfolio comes from the multipliers: applications whose reduced value is clearly
   positive are funded, clearly negative ones are not, and a small MIP (HiGHS) decides the
   applications near the margin, with every row of the original model enforced.

The result is checked against every row of the original model before it is returned. The
bound is computed in floating point; it is used only to report and stop on a relative gap,
never to claim exact optimality.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from allocator.optimize.backends import make_backend
from allocator.optimize.linear import LinearModel
from allocator.status import Status

__all__ = [
    "LARGE_COLS",
    "Decomposition",
    "LagrangeResult",
    "activity",
    "decompose",
    "inner",
    "lagrangian",
    "near_optimal",
]

_LOCAL_NNZ = 8  # rows with at most this many columns stay exact inside components
_COMPONENT_MAX = 12  # components up to this many columns are enumerated (2**12 patterns)

LARGE_COLS = 20_000
"""Models with at least this many columns try :func:`near_optimal` when a relative gap is allowed."""


@dataclass(frozen=True)
class LagrangeResult:
    """A portfolio (column values), its value, an upper bound on the optimum, and the gap."""

    x: np.ndarray
    value: float
    bound: float
    iterations: int
    seconds: float
    multipliers: np.ndarray | None = None

    @property
    def gap(self) -> float:
        """Relative gap ``(bound - value) / bound``."""
        return max(0.0, (self.bound - self.value) / max(abs(self.bound), 1e-12))


@dataclass
class Decomposition:
    """The model split into enumerated components and relaxed (global) rows."""

    model: LinearModel
    lower: np.ndarray
    upper: np.ndarray
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (columns (k, s), patterns (2**s, s), feasible (k, 2**s))
    g_start: np.ndarray
    g_index: np.ndarray
    g_value: np.ndarray
    g_lower: np.ndarray
    g_upper: np.ndarray
    g_rows: np.ndarray | None = None  # the model's rows relaxed (in the order above)
    g_scale: np.ndarray | None = None  # each divided by this (its largest coefficient)


def _tightened_bounds(m: LinearModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column bounds after rows on a single column; the rows left (indices)."""
    lengths = np.diff(m.start)
    single = np.flatnonzero(lengths == 1)
    lo, hi = m.col_lower.astype(float).copy(), m.col_upper.astype(float).copy()
    if len(single):
        j = m.index[m.start[single]]
        a = m.value[m.start[single]]
        rl = np.where(a > 0, m.row_lower[single] / a, m.row_upper[single] / a)
        ru = np.where(a > 0, m.row_upper[single] / a, m.row_lower[single] / a)
        np.maximum.at(lo, j, np.ceil(rl - 1e-9))
        np.minimum.at(hi, j, np.floor(ru + 1e-9))
    return lo, hi, np.flatnonzero(lengths >= 2)


def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


def decompose(
    m: LinearModel, *, local_nnz: int = _LOCAL_NNZ, component_max: int = _COMPONENT_MAX
) -> Decomposition | None:
    """Split a binary model into components and global rows; None if it does not apply."""
    if not m.integer.all() or np.any(m.col_lower < 0) or np.any(m.col_upper > 1):
        return None
    lo, hi, rows = _tightened_bounds(m)
    if np.any(lo > hi):
        return None
    lengths = np.diff(m.start)
    local = [r for r in rows.tolist() if lengths[r] <= local_nnz]
    parent = np.arange(m.n_cols)
    for r in local:
        cols = m.index[m.start[r] : m.start[r + 1]].tolist()
        a = _find(parent, cols[0])
        for j in cols[1:]:
            b = _find(parent, j)
            if a != b:
                parent[b] = a
    roots = np.array([_find(parent, j) for j in range(m.n_cols)])
    sizes = np.bincount(roots, minlength=m.n_cols)
    too_big = sizes[roots] > component_max
    keep_local: list[int] = []
    glob = [r for r in rows.tolist() if lengths[r] > local_nnz]
    for r in local:
        (glob if too_big[m.index[m.start[r]]] else keep_local).append(r)
    comp_of = np.where(too_big, np.arange(m.n_cols), roots)  # big components: every column alone
    # Components grouped by size; columns in ascending order within each.
    order = np.lexsort((np.arange(m.n_cols), comp_of))
    comp_sorted = comp_of[order]
    bounds_ = np.flatnonzero(np.diff(comp_sorted)) + 1
    members = np.split(order, bounds_)
    by_size: dict[int, list[np.ndarray]] = {}
    for cols in members:
        by_size.setdefault(len(cols), []).append(cols)
    where: dict[int, tuple[int, int]] = {}  # root -> (size, position in its group)
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for s in sorted(by_size):
        C = np.array(by_size[s], dtype=np.int64)
        U = ((np.arange(2**s)[:, None] >> np.arange(s)[None, :]) & 1).astype(float)
        ok = np.all((U[None, :, :] >= lo[C][:, None, :]) & (U[None, :, :] <= hi[C][:, None, :]), axis=2)
        for k, cols in enumerate(by_size[s]):
            where[int(comp_of[cols[0]])] = (len(groups), k)
        groups.append((C, U, ok))
    pos_in = {}
    for gi, (C, _, _) in enumerate(groups):
        for k in range(len(C)):
            for p, j in enumerate(C[k].tolist()):
                pos_in[j] = (gi, k, p)
    for r in keep_local:
        cols = m.index[m.start[r] : m.start[r + 1]]
        vals = m.value[m.start[r] : m.start[r + 1]]
        gi, k, _ = pos_in[int(cols[0])]
        C, U, ok = groups[gi]
        pos = [pos_in[int(j)][2] for j in cols]
        act = U[:, pos] @ vals
        ok[k] &= (act >= m.row_lower[r] - 1e-9) & (act <= m.row_upper[r] + 1e-9)
    if any(not ok.any(axis=1).all() for _, _, ok in groups):
        return None  # some component has no feasible pattern: the model is infeasible
    glob_arr = np.array(sorted(glob), dtype=np.int64)
    g_len = lengths[glob_arr] if len(glob_arr) else np.zeros(0, dtype=np.int64)
    g_start = np.concatenate([[0], np.cumsum(g_len)]).astype(np.int64)
    g_index = (
        np.concatenate([m.index[m.start[r] : m.start[r + 1]] for r in glob_arr])
        if len(glob_arr)
        else np.zeros(0, dtype=np.int64)
    )
    g_value = np.concatenate([m.value[m.start[r] : m.start[r + 1]] for r in glob_arr]) if len(glob_arr) else np.zeros(0)
    scale = np.maximum.reduceat(np.abs(g_value), g_start[:-1]) if len(glob_arr) else np.zeros(0)
    g_value = g_value / np.repeat(scale, g_len)
    return Decomposition(
        m,
        lo,
        hi,
        groups,
        g_start,
        g_index,
        g_value,
        m.row_lower[glob_arr] / scale if len(glob_arr) else np.zeros(0),
        m.row_upper[glob_arr] / scale if len(glob_arr) else np.zeros(0),
        glob_arr,
        scale,
    )


def inner(d: Decomposition, rc: np.ndarray) -> tuple[float, np.ndarray]:
    """max over patterns of ``rc . x``, and the maximising x."""
    x = np.zeros(d.model.n_cols)
    total = 0.0
    for C, U, ok in d.groups:
        vals = rc[C] @ U.T
        vals[~ok] = -np.inf
        best = np.argmax(vals, axis=1)
        total += float(vals[np.arange(len(C)), best].sum())
        x[C] = U[best]
    return total, x


def lagrangian(d: Decomposition, lam: np.ndarray) -> tuple[float, np.ndarray]:
    """``L(lam)`` (an upper bound on the optimum) and the reduced objective ``c - A^T lam``."""
    row_len = np.diff(d.g_start)
    c = d.model.objective.astype(float)
    rc = (
        c - np.bincount(d.g_index, weights=d.g_value * np.repeat(lam, row_len), minlength=d.model.n_cols)
        if len(lam)
        else c
    )
    best, _ = inner(d, rc)
    up = np.where(np.isfinite(d.g_upper), d.g_upper, 0.0)
    lo = np.where(np.isfinite(d.g_lower), d.g_lower, 0.0)
    return best + float(np.sum(np.where(lam > 0, lam * up, lam * lo))), rc


def activity(d: Decomposition, x: np.ndarray) -> np.ndarray:
    """Activities of the relaxed rows for column values ``x``."""
    if len(d.g_start) <= 1:
        return np.zeros(0)
    return np.add.reduceat(d.g_value * x[d.g_index], d.g_start[:-1])


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


def _restricted(d: Decomposition, x_lag: np.ndarray, rc: np.ndarray, band: int, time_limit: float) -> np.ndarray | None:
    """Fix clear decisions at the Lagrangian solution; a MIP decides the ``band`` closest ones."""
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
    free &= d.lower < d.upper
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
    local_nnz: int = _LOCAL_NNZ,
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
            xp = _restricted(d, best_lag, best_rc, band, max(1.0, min(10.0, deadline - time.perf_counter())))
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
        g = np.where(
            lam > 0,
            act - d.g_upper,
            np.where(
                lam < 0,
                act - d.g_lower,
                np.where(act > d.g_upper, act - d.g_upper, np.where(act < d.g_lower, act - d.g_lower, 0.0)),
            ),
        )
        norm = float(np.dot(g, g))
        if norm == 0:
            break  # x meets every relaxed row, complementary to the multipliers: L = value
        target = best_value if best_x is not None else 0.99 * bound
        lam = lam + theta * max(bound - target, 1e-9 * abs(bound)) / norm * g
        lam = np.where(only_up, np.maximum(lam, 0.0), lam)
        lam = np.where(only_down, np.minimum(lam, 0.0), lam)
    if best_x is None and np.isfinite(best_bound):
        xp = _restricted(d, best_lag, best_rc, band, max(1.0, min(10.0, deadline - time.perf_counter())))
        if xp is not None and _feasible(m, xp):
            best_value, best_x = float(np.dot(c, xp)), xp
    if best_x is None:
        return None
    return LagrangeResult(best_x, best_value, best_bound, it, time.perf_counter() - t0, best_lam)
