"""Which decisions no good portfolio can change: reduced-value fixing from a relaxation.

For multipliers ``lam`` on the rows (of the signs their bounds allow), every portfolio ``x``
within the column bounds and the rows is worth at most

    c . x  <=  L(lam) - sum_j |d_j| * |x_j - xhat_j|,       d = c - A^T lam,

where ``L(lam) = sum_r lam_r b_r + sum_j max over [l_j, u_j] of d_j x_j`` is the Lagrangian
bound and ``xhat_j`` the bound of column *j* at which that maximum is reached (weak duality,
term by term). With an integer objective, a portfolio worth at least ``V`` therefore agrees
with ``xhat`` on every integer column whose ``|d_j|`` exceeds ``L(lam) - V``: changing it by
one unit or more would cost more than the slack. The multipliers are the row duals of the
linear relaxation (so ``L`` is close to the relaxation's value), but the bound is recomputed
here from the model, for any multipliers, with a margin against rounding: a wrong dual
only fixes fewer decisions, never a wrong one.

This is what makes ties cheap to settle exactly: every portfolio of the optimal value agrees
with the optimum on the fixed columns, so the tie-break (:mod:`allocator.optimize.tiebreak`)
only ever decides among the few columns left free.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from allocator.optimize.large.lagrange import Decomposition, decompose
from allocator.optimize.large.lagrange import lagrangian as lagrangian_decomposed
from allocator.optimize.large.proof import allowed_columns, multipliers
from allocator.optimize.linear import LinearModel
from allocator.optimize.loaded import LoadedModel

__all__ = ["candidates", "lagrangian"]


_CACHE_COLS = 5000
_cache: dict[bytes, Decomposition | None] = {}


def _decomposition(model: LinearModel) -> Decomposition | None:
    """:func:`decompose` of ``model``, kept for its rows and bounds: a sweep asks with one
    model and many objectives (the objective is the only part that changes; small models)."""
    if model.n_cols > _CACHE_COLS:
        return decompose(model)
    key = b"".join(
        a.tobytes()
        for a in (
            model.start,
            model.index,
            model.value,
            model.row_lower,
            model.row_upper,
            model.col_lower,
            model.col_upper,
        )
    )
    if key in _cache:
        d = _cache[key]
    else:  # (threads may share the cache: never read back what another may have evicted)
        d = decompose(model)
        while len(_cache) >= 4:
            _cache.pop(next(iter(_cache)), None)
        _cache[key] = d
    return None if d is None else replace(d, model=model)


def lagrangian_of(d: object, lam: np.ndarray) -> float:
    """The decomposed Lagrangian bound for ``lam`` (a float; see :mod:`allocator.optimize.large`)."""
    return float(lagrangian_decomposed(d, lam)[0])  # type: ignore[arg-type]


def lagrangian(m: LoadedModel, c: np.ndarray, lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
    """``(L, d, xhat, err)``: the Lagrangian bound of ``m`` as loaded now for multipliers
    ``lam`` (clipped to the signs the row bounds allow), the reduced values, the maximising
    column values and a bound on the rounding error of ``L``."""
    start, index, value, lo, hi = m.rows()
    lam = np.where((lam > 0) & np.isfinite(hi), lam, np.where((lam < 0) & np.isfinite(lo), lam, 0.0))
    row_of = np.repeat(np.arange(len(lo)), np.diff(start))
    d = c - np.bincount(index, weights=value * lam[row_of], minlength=len(c))
    cl, cu = m.col_lower, m.col_upper
    xhat = np.where(d > 0, cu, cl)
    if not np.all(np.isfinite(xhat[d != 0])):
        return float("inf"), d, xhat, 0.0
    rhs = np.where(lam > 0, hi, np.where(lam < 0, lo, 0.0))
    terms_rows = lam * np.where(lam != 0, rhs, 0.0)
    terms_cols = np.where(d != 0, d * np.where(d != 0, xhat, 0.0), 0.0)
    bound = float(terms_rows.sum() + terms_cols.sum())
    size = float(
        np.abs(terms_rows).sum() + np.abs(terms_cols).sum() + np.abs(value * lam[row_of]).sum() + np.abs(c).sum()
    )
    err = 1e-12 * size * max(1.0, np.log2(max(2, len(c) + len(lo)))) + 1e-9 * max(1.0, abs(bound))
    return bound, d, xhat, err


def candidates(m: LoadedModel, c: np.ndarray, x: np.ndarray, value: float) -> np.ndarray:
    """Columns that some portfolio worth at least ``value`` may set differently from ``x``.

    ``c`` must be integral (the integer-scaled objective) and ``x`` a portfolio worth
    ``value`` under it. Every column not returned is, in every portfolio worth ``value`` or
    more, at its value in ``x``. When no multipliers can be had, every column is returned.

    Binary models are split first into small components enumerated exactly and wide rows
    relaxed (:mod:`allocator.optimize.large`): that bound is far tighter than the linear
    relaxation's when small rules (exclusions, dependencies, caps per organisation) make the
    relaxation weak. Otherwise the relaxation's duals are used directly.
    """
    everything = np.ones(len(c), dtype=bool)
    res = m.relaxation(c)
    if res.row_dual is None or not res.status.has_solution:
        return everything
    model = m.current(c)
    parts = _decomposition(model) if np.all(model.integer) else None
    if parts is not None:
        start = None
        if parts.g_rows is not None and parts.g_scale is not None and len(parts.g_rows):
            duals = res.row_dual[parts.g_rows] * parts.g_scale
            start = duals if lagrangian_of(parts, duals) <= lagrangian_of(parts, -duals) else -duals
        _, lam = multipliers(parts, value, start=start, enough=0.5, max_iter=30)
        _, free, _ = allowed_columns(parts, lam, value - 1.0)
        return np.asarray(free, dtype=bool)
    best: tuple[float, np.ndarray, np.ndarray, float] | None = None
    for lam in (res.row_dual, -res.row_dual):  # whichever sign convention the solver uses
        cand = lagrangian(m, c, lam)
        if best is None or cand[0] < best[0]:
            best = cand
    assert best is not None
    bound, d, xhat, err = best
    slack = bound - value + err
    if not np.isfinite(slack) or slack < 0:
        return everything  # a bound below a feasible value: rounding went wrong; fix nothing
    fixed = np.asarray((np.abs(d) > slack) & m.model.integer & (np.abs(x - xhat) < 0.5), dtype=bool)
    return np.asarray(~fixed, dtype=bool)
