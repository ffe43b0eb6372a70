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
4. A portfolio comes from the multipliers (:mod:`allocator.optimize.large.portfolio`): applications whose reduced value is clearly
   positive are funded, clearly negative ones are not, and a small MIP (HiGHS) decides the
   applications near the margin, with every row of the original model enforced.

The result is checked against every row of the original model before it is returned. The
bound is computed in floating point; it is used only to report and stop on a relative gap,
never to claim exact optimality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocator.optimize.linear import LinearModel

__all__ = [
    "LARGE_COLS",
    "LOCAL_NNZ",
    "Decomposition",
    "LagrangeResult",
    "activity",
    "decompose",
    "inner",
    "lagrangian",
    "subgradient",
]

LOCAL_NNZ = 8  # rows with at most this many columns stay exact inside components
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
    tied: np.ndarray | None = None
    """From :func:`allocator.optimize.large.proof.exact_optimum`: the columns a portfolio worth
    as much as ``x`` may still set differently (every other column is at its value in ``x``
    in all of them); None when not computed."""

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
    m: LinearModel, *, local_nnz: int = LOCAL_NNZ, component_max: int = _COMPONENT_MAX
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


def subgradient(d: Decomposition, lam: np.ndarray, act: np.ndarray) -> np.ndarray:
    """A subgradient of the Lagrangian bound at ``lam`` for the relaxed rows' activity ``act``:
    the violation of the bound a multiplier prices (its upper bound for ``lam > 0``, its
    lower for ``lam < 0``), else of whichever bound ``act`` breaks (0 inside both)."""
    outside = np.where(act > d.g_upper, act - d.g_upper, np.where(act < d.g_lower, act - d.g_lower, 0.0))
    return np.asarray(np.where(lam > 0, act - d.g_upper, np.where(lam < 0, act - d.g_lower, outside)))
