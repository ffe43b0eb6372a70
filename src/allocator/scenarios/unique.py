"""Is an optimum the only portfolio of its value? One solve, for integer columns of any range.

With all-or-nothing funding the question is one solve on the loaded model (maximise the
distance to the optimum among portfolios worth as much, :mod:`allocator.scenarios.decide`),
because the distance to a 0/1 vector is linear. Under partial funding the step columns
``k_i`` range over ``0..K_i`` and ``|k_i - k_i*|`` is not linear, so the tie-break used to run
every stage even when nothing was tied. :class:`TieTest` loads, once per formulation and
bounds, an extended model: the same columns and rows plus, for each column ``j`` of range
``R_j > 1``, integer ``u_j, l_j >= 0`` and a binary ``z_j`` with

    y_j - u_j + l_j = x_j,     u_j <= R_j z_j,     l_j <= R_j (1 - z_j),

so that ``u_j + l_j = |y_j - x_j|`` at any optimum of the distance. Each test sets the
right-hand sides to the optimum ``x``, adds the row "value at least x's" (held exactly as the
tie-break holds it: ``- 1/2`` on an integer-scaled objective, ``1e-9`` relative otherwise) and
maximises the distance ``sum |y_j - x_j|``: ``x`` is the only portfolio of its value exactly
when the proven maximum is 0.
"""

from __future__ import annotations

import numpy as np

from allocator.optimize.engine import Engine
from allocator.optimize.linear import INF, LinearModel
from allocator.optimize.loaded import EXACT, LoadedModel, integral
from allocator.status import Status

__all__ = ["TieTest", "other_portfolio"]


def _signature(e: Engine) -> bytes:
    lo, hi = e.row_lower[: e.model.n_rows], e.row_upper[: e.model.n_rows]
    return e.col_lower.tobytes() + e.col_upper.tobytes() + lo.tobytes() + hi.tobytes()


class TieTest:
    """The extended model of one engine state (its formulation, bounds and rows).

    Parameters
    ----------
    e
        The engine; only the model's own rows are taken (no rows added for a while).
    options
        HiGHS options for the extended model.
    """

    def __init__(self, e: Engine, options: dict[str, object] | None = None) -> None:
        m = e.model
        self.f = e.f
        self.signature = _signature(e)
        lo, hi = e.col_lower.copy(), e.col_upper.copy()
        if not np.all(m.integer) or not np.all(np.isfinite(hi)) or not np.all(np.isfinite(lo)):
            raise ValueError("the tie test needs bounded integer columns")
        span = hi - lo
        self.wide = np.flatnonzero(span > 1.5)  # columns needing |y - x| through u, l, z
        self.narrow = np.flatnonzero((span > 0.5) & (span < 1.5))
        n, w = m.n_cols, len(self.wide)
        self.n = n
        cols_u, cols_l, cols_z = n + np.arange(w), n + w + np.arange(w), n + 2 * w + np.arange(w)
        R = span[self.wide]
        rows_idx = [m.index[m.start[r] : m.start[r + 1]] for r in range(m.n_rows)]
        rows_val = [m.value[m.start[r] : m.start[r + 1]] for r in range(m.n_rows)]
        row_lo = list(e.row_lower[: m.n_rows])
        row_hi = list(e.row_upper[: m.n_rows])
        self.link0 = m.n_rows
        for k, j in enumerate(self.wide.tolist()):  # y_j - u_j + l_j = x_j (bounds set per test)
            rows_idx.append(np.array([j, cols_u[k], cols_l[k]]))
            rows_val.append(np.array([1.0, -1.0, 1.0]))
            row_lo.append(0.0)
            row_hi.append(0.0)
        for k in range(w):  # u_j - R_j z_j <= 0 ; l_j + R_j z_j <= R_j
            rows_idx += [np.array([cols_u[k], cols_z[k]]), np.array([cols_l[k], cols_z[k]])]
            rows_val += [np.array([1.0, -R[k]]), np.array([1.0, R[k]])]
            row_lo += [-INF, -INF]
            row_hi += [0.0, float(R[k])]
        lengths = np.array([len(r) for r in rows_idx], dtype=np.int64)
        total = n + 3 * w
        model = LinearModel(
            objective=np.zeros(total),
            col_lower=np.concatenate([lo, np.zeros(3 * w)]),
            col_upper=np.concatenate([hi, R, R, np.ones(w)]),
            integer=np.ones(total, dtype=bool),
            col_names=tuple(f"c_{k:05d}" for k in range(total)),
            start=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            index=np.concatenate(rows_idx).astype(np.int64),
            value=np.concatenate(rows_val).astype(float),
            row_lower=np.array(row_lo, dtype=float),
            row_upper=np.array(row_hi, dtype=float),
            row_names=tuple(f"r_{k:05d}" for k in range(len(row_lo))),
        )
        self.loaded = LoadedModel(model, threads=e.threads, options=options, name="tie-test")

    def other(self, x: np.ndarray, c: np.ndarray, *, time_limit: float | None = None) -> bool | None:
        """Whether a portfolio other than ``x`` is worth at least ``c . x`` (within the
        tie-break's tolerance); None when the solve proves nothing."""
        lm, n, wide = self.loaded, self.n, self.wide
        x = np.asarray(x, dtype=float)
        for k, j in enumerate(wide.tolist()):
            lm.set_row_bounds(self.link0 + k, float(x[j]), float(x[j]))
        obj = np.zeros(lm.model.n_cols)
        nar = self.narrow
        obj[nar] = np.where(x[nar] > lm.col_lower[nar] + 0.5, -1.0, 1.0)
        obj[n : n + 2 * len(wide)] = 1.0
        v = float(np.dot(c, x))
        exact = integral(c) and float(np.abs(c).sum()) < EXACT
        low = v - (0.5 if exact else 1e-9 * max(1.0, abs(v)))
        start = np.zeros(lm.model.n_cols)
        start[:n] = x
        nz = np.flatnonzero(c)
        with lm.extra_rows():
            lm.add_row(nz, c[nz], low, INF)
            res = lm.run(obj, gap=0.5, start=start, time_limit=time_limit)
        if res.status is not Status.OPTIMAL or res.x is None:
            return None
        y = lm.clean(res.x)[:n]
        return not np.array_equal(y, x)


def other_portfolio(
    e: Engine,
    x: np.ndarray,
    *,
    time_limit: float | None = None,
    cache: list[TieTest] | None = None,
    options: dict[str, object] | None = None,
) -> bool | None:
    """Whether another portfolio reaches the value of ``x`` under the engine's objective
    (None: not decided; the tie-break then runs its stages). ``cache``: a list holding the
    extended model between calls (rebuilt when the engine's formulation or bounds change);
    ``options``: HiGHS options for it."""
    if e.n_rows != e.model.n_rows or not np.all(e.model.integer):
        return None
    test = cache[0] if cache else None
    if test is None or test.f is not e.f or test.signature != _signature(e):
        try:
            test = TieTest(e, options=options)
        except ValueError:
            return None
        if cache is not None:
            cache[:] = [test]
    return test.other(x, e.c, time_limit=time_limit)
